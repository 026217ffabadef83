/**
 * Consistency of one app's rendered objects, the promises the base chart makes whatever the values:
 * selectors select the pods, Service ports reach container ports, the HPA, PDB, routes, rollout Services,
 * analysis and secrets all point at objects that are really emitted. Pure: objects in, problems out.
 */

import type { KubernetesObject } from '@mayday/model';

type Json = Record<string, any>;

const WORKLOAD_KINDS = new Set(['Deployment', 'Rollout']);

export function renderedAppProblems(objects: readonly KubernetesObject[], namespace: string): string[] {
  const problems: string[] = [];
  const byKind = (kind: string): Json[] => objects.filter((o) => o.kind === kind) as Json[];
  const named = (kind: string, name: string): Json | undefined => byKind(kind).find((o) => o.metadata.name === name);
  const say = (object: Json, message: string): void =>
    void problems.push(`${object.kind}/${object.metadata.name}: ${message}`);

  for (const object of objects) {
    if (object.metadata.namespace !== namespace)
      say(object, `is in namespace "${object.metadata.namespace}", not the app's "${namespace}"`);
    if (object.kind === 'Secret') say(object, 'is a plaintext Secret; use an ExternalSecret or a SealedSecret');
  }

  const workloads = objects.filter((o) => WORKLOAD_KINDS.has(o.kind)) as Json[];
  if (workloads.length !== 1) {
    problems.push(`expected exactly one Deployment or Rollout, found ${workloads.length}`);
    return problems;
  }
  const workload = workloads[0];
  const pod = workload.spec?.template ?? {};
  const podLabels: Record<string, string> = pod.metadata?.labels ?? {};
  const containers: Json[] = pod.spec?.containers ?? [];
  const containerPorts: Json[] = containers.flatMap((c) => c.ports ?? []);
  const hasContainerPort = (port: unknown): boolean =>
    containerPorts.some((p) => p.name === port || p.containerPort === port);

  const selects = (selector: Record<string, string> | undefined): boolean =>
    !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => podLabels[k] === v);

  if (!selects(workload.spec?.selector?.matchLabels))
    say(workload, 'spec.selector.matchLabels does not match the pod template labels');
  for (const container of containers) {
    for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
      const port = container[probe]?.httpGet?.port;
      if (port === undefined) say(workload, `container ${container.name} has no ${probe}`);
      else if (!hasContainerPort(port))
        say(workload, `container ${container.name} ${probe} port ${port} is not a container port`);
    }
  }

  for (const service of byKind('Service')) {
    if (!selects(service.spec?.selector)) say(service, 'spec.selector does not match the pod labels');
    for (const port of service.spec?.ports ?? []) {
      if (!hasContainerPort(port.targetPort)) say(service, `targetPort ${port.targetPort} is not a container port`);
    }
  }
  const servicePort = (name: string, port: unknown): boolean =>
    (named('Service', name)?.spec?.ports ?? []).some((p: Json) => p.port === port || p.name === port);

  const hpas = byKind('HorizontalPodAutoscaler');
  for (const hpa of hpas) {
    const target = hpa.spec?.scaleTargetRef ?? {};
    if (
      target.kind !== workload.kind ||
      target.name !== workload.metadata.name ||
      target.apiVersion !== workload.apiVersion
    ) {
      say(
        hpa,
        `scaleTargetRef ${target.apiVersion}/${target.kind}/${target.name} is not the emitted ${workload.apiVersion}/${workload.kind}/${workload.metadata.name}`,
      );
    }
    if (hpa.spec.minReplicas > hpa.spec.maxReplicas) say(hpa, 'minReplicas is above maxReplicas');
  }
  if (hpas.length > 0 && workload.spec?.replicas !== undefined)
    say(workload, 'sets spec.replicas while an HPA scales it (they would fight on every sync)');

  for (const pdb of byKind('PodDisruptionBudget')) {
    if (!selects(pdb.spec?.selector?.matchLabels)) say(pdb, 'spec.selector does not match the pod labels');
  }
  // admission sees the workload alone: what it declares must be what the app really emits (platform/policies)
  const declared = (key: string): unknown => workload.metadata.annotations?.[key];
  if (declared('mayday.dev/autoscaler') !== (hpas.length === 1 ? hpas[0].metadata.name : undefined))
    say(
      workload,
      `annotation mayday.dev/autoscaler is ${String(declared('mayday.dev/autoscaler'))}, the emitted HPA is ${hpas[0]?.metadata.name}`,
    );
  const pdbs = byKind('PodDisruptionBudget');
  if (declared('mayday.dev/pdb') !== (pdbs.length === 1 ? pdbs[0].metadata.name : undefined))
    say(
      workload,
      `annotation mayday.dev/pdb is ${String(declared('mayday.dev/pdb'))}, the emitted PodDisruptionBudget is ${pdbs[0]?.metadata.name}`,
    );
  for (const policy of byKind('NetworkPolicy')) {
    if (!selects(policy.spec?.podSelector?.matchLabels)) say(policy, 'spec.podSelector does not match the pod labels');
    for (const rule of policy.spec?.ingress ?? []) {
      for (const port of rule.ports ?? [])
        if (!hasContainerPort(port.port)) say(policy, `allows port ${port.port}, which no container has`);
    }
  }

  const pinned = workload.kind === 'Rollout' ? checkRollout(workload, { named, say, servicePort }) : [];

  for (const route of byKind('HTTPRoute')) {
    for (const rule of route.spec?.rules ?? []) {
      for (const ref of rule.backendRefs ?? []) {
        if (!named('Service', ref.name)) say(route, `backendRef ${ref.name} is not an emitted Service`);
        else if (!servicePort(ref.name, ref.port))
          say(route, `backendRef port ${ref.port} is not a port of Service ${ref.name}`);
      }
    }
  }
  for (const ingress of byKind('Ingress')) {
    for (const rule of ingress.spec?.rules ?? []) {
      for (const path of rule.http?.paths ?? []) {
        const backend = path.backend?.service ?? {};
        if (!named('Service', backend.name)) say(ingress, `backend ${backend.name} is not an emitted Service`);
        else if (!servicePort(backend.name, backend.port?.name ?? backend.port?.number))
          say(ingress, `backend port is not a port of Service ${backend.name}`);
      }
    }
  }

  for (const monitor of byKind('ServiceMonitor')) {
    const selector: Record<string, string> = monitor.spec?.selector?.matchLabels ?? {};
    const services = byKind('Service').filter((s) =>
      Object.entries(selector).every(([k, v]) => s.metadata.labels?.[k] === v),
    );
    if (services.length !== 1) say(monitor, `selects ${services.length} Services; it should scrape exactly one`);
    for (const service of services) {
      if (pinned.includes(service.metadata.name))
        say(
          monitor,
          `scrapes through Service ${service.metadata.name}, which Argo Rollouts pins to one revision: the other pods would go unscraped`,
        );
    }
    for (const endpoint of monitor.spec?.endpoints ?? []) {
      for (const service of services)
        if (!servicePort(service.metadata.name, endpoint.port))
          say(monitor, `endpoint port ${endpoint.port} is not a port of Service ${service.metadata.name}`);
    }
  }

  const secretNames = new Set([
    ...byKind('ExternalSecret').map((s) => s.spec?.target?.name ?? s.metadata.name),
    ...byKind('SealedSecret').map((s) => s.spec?.template?.metadata?.name ?? s.metadata.name),
  ]);
  const usedSecrets = [
    ...(pod.spec?.volumes ?? []).map((v: Json) => v.secret?.secretName).filter(Boolean),
    ...containers.flatMap((c) => (c.envFrom ?? []).map((e: Json) => e.secretRef?.name).filter(Boolean)),
  ];
  for (const name of usedSecrets)
    if (!secretNames.has(name)) say(workload, `mounts Secret ${name}, which no ExternalSecret or SealedSecret creates`);
  return problems;
}

interface Lookups {
  named(kind: string, name: string): Json | undefined;
  say(object: Json, message: string): void;
  servicePort(service: string, port: unknown): boolean;
}

/** Checks a Rollout's references; returns the Services whose selectors Argo Rollouts pins to one revision. */
function checkRollout(rollout: Json, { named, say }: Lookups): string[] {
  const { canary, blueGreen } = rollout.spec?.strategy ?? {};
  const services: [string, string | undefined][] = canary
    ? [
        ['stableService', canary.stableService],
        ['canaryService', canary.canaryService],
      ]
    : [
        ['activeService', blueGreen?.activeService],
        ['previewService', blueGreen?.previewService],
      ];
  for (const [field, name] of services) {
    if (!name) say(rollout, `has no ${field}`);
    else if (!named('Service', name)) say(rollout, `${field} ${name} is not an emitted Service`);
  }
  if (canary && !(canary.steps?.length > 0)) say(rollout, 'canary has no steps');
  const route = canary?.trafficRouting?.plugins?.['argoproj-labs/gatewayAPI']?.httpRoute;
  if (route && !named('HTTPRoute', route))
    say(rollout, `traffic routes through HTTPRoute ${route}, which is not emitted`);
  if (route) {
    const refs: string[] = (named('HTTPRoute', route)?.spec?.rules ?? []).flatMap((r: Json) =>
      (r.backendRefs ?? []).map((b: Json) => b.name),
    );
    for (const name of [canary.stableService, canary.canaryService])
      if (!refs.includes(name)) say(rollout, `HTTPRoute ${route} has no backendRef to ${name}`);
  }
  for (const analysis of [canary?.analysis, blueGreen?.prePromotionAnalysis, blueGreen?.postPromotionAnalysis]) {
    for (const ref of analysis?.templates ?? []) {
      const template = named('AnalysisTemplate', ref.templateName);
      if (!template) {
        say(rollout, `analysis template ${ref.templateName} is not emitted`);
        continue;
      }
      const given = new Set((analysis.args ?? []).map((a: Json) => a.name));
      for (const arg of template.spec?.args ?? [])
        if (arg.value === undefined && !given.has(arg.name))
          say(rollout, `analysis does not pass argument ${arg.name} that ${ref.templateName} needs`);
    }
  }
  return services.map(([, name]) => name).filter((name): name is string => !!name);
}
