import { runPool } from '@mayday/render/pool';
import { describe, it, expect, beforeAll } from '@jest/globals';
import type { KubernetesObject } from '@mayday/model';
import { appNamespaceLabels, evaluatePolicies, loadPolicies, manifestSchemas } from '@mayday/policy';
import { renderedAppProblems } from './rendered-app-checks.ts';
import { modelProblems } from './model-validation.ts';
import {
  appValues,
  byKind,
  ENVIRONMENTS,
  findEnv,
  one,
  PRESETS,
  renderChart,
  STRATEGIES,
  type RenderedCase,
  type StrategyType,
  WORKSPACE_ROOT,
} from './chart-fixtures.ts';

/** Feature variants every strategy × env × preset is rendered with. */
const VARIANTS: Record<string, Record<string, unknown>> = {
  defaults: {},
  'ingress, analysis, fixed replicas': {
    route: { type: 'ingress', ingressClassName: 'nginx' },
    strategy: { analysis: { enabled: true } },
    autoscaling: { enabled: false },
    replicas: 2,
  },
  'no route, metrics port, ServiceMonitor, secrets, analysis': {
    route: { type: 'none' },
    strategy: { analysis: { enabled: true } },
    metrics: { port: 9090, serviceMonitor: { enabled: true } },
    secrets: [
      { name: 'db', data: [{ key: 'DATABASE_URL', remoteKey: 'payments/db', property: 'url' }] },
      {
        name: 'tls',
        source: 'sealedSecret',
        encryptedData: { 'tls.key': 'AgBy3i4OJSWK+PiTySYZZA9rO43c' },
        mount: { as: 'file' },
      },
    ],
    priorityClassName: 'mayday-high',
  },
  'analysis behind the gateway': {
    strategy: { analysis: { enabled: true, successRate: 0.95 } },
  },
  'memory HPA, metrics off': {
    autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 4, targetMemoryUtilizationPercentage: 80 },
    metrics: { enabled: false },
    pdb: { enabled: true },
  },
};

interface Combination {
  name: string;
  env: string;
  strategy: StrategyType;
  preset: string;
  variant: string;
}

const combinations: Combination[] = ENVIRONMENTS.flatMap((env) =>
  STRATEGIES.flatMap((strategy) =>
    (strategy === 'rolling' ? [''] : ['', ...PRESETS]).flatMap((preset) =>
      Object.keys(VARIANTS).map((variant) => ({
        name: `${strategy}${preset ? `/${preset}` : ''} in ${env.name} (${variant})`,
        env: env.name,
        strategy,
        preset,
        variant,
      })),
    ),
  ),
);

const rendered = new Map<string, RenderedCase>();

beforeAll(async () => {
  const results = await runPool(combinations, 4, (c) => {
    const env = findEnv(c.env);
    return renderChart(
      c.name,
      env,
      appValues(env, { strategy: { type: c.strategy, preset: c.preset } }, VARIANTS[c.variant]),
    );
  });
  results.forEach((result) => rendered.set(result.name, result));
});

const EXPECTED_STEPS: Record<string, unknown[]> = {
  fast: [{ setWeight: 50 }, { pause: { duration: '30s' } }, { setWeight: 100 }],
  progressive: [
    { setWeight: 10 },
    { pause: { duration: '5m' } },
    { setWeight: 25 },
    { pause: { duration: '5m' } },
    { setWeight: 50 },
    { pause: { duration: '10m' } },
    { setWeight: 100 },
  ],
  manual: [{ setWeight: 10 }, { pause: {} }, { setWeight: 50 }, { pause: {} }, { setWeight: 100 }],
};

describe(`the base chart, rendered with real Helm for every strategy × env × preset × variant (${combinations.length} combinations)`, () => {
  it('covers every strategy in every env of platform/environments.yaml', () => {
    for (const env of ENVIRONMENTS)
      for (const strategy of STRATEGIES)
        expect(combinations.some((c) => c.env === env.name && c.strategy === strategy)).toBe(true);
    expect(rendered.size).toBe(combinations.length);
  });

  it('is consistent in every combination: selectors, ports, HPA/PDB targets, rollout Services, routes, analysis and secrets', () => {
    const problems = combinations.flatMap((c) =>
      renderedAppProblems(rendered.get(c.name)!.objects, rendered.get(c.name)!.namespace).map((p) => `${c.name}: ${p}`),
    );
    expect(problems).toEqual([]);
  });

  it('emits only objects that pass their published schemas (kubernetes-models, Argo Rollouts, Gateway API, Prometheus Operator, ESO, Sealed Secrets)', () => {
    const problems = combinations.flatMap((c) =>
      rendered
        .get(c.name)!
        .objects.map(modelProblems)
        .filter(Boolean)
        .map((p) => `${c.name}: ${p}`),
    );
    expect(problems).toEqual([]);
  });

  it('passes the strict Kubernetes and CRD schemas and every platform admission policy of its env', async () => {
    const policies = loadPolicies(WORKSPACE_ROOT);
    const problems: string[] = [];
    for (const c of combinations) {
      const env = findEnv(c.env);
      const { objects, namespace } = rendered.get(c.name)!;
      const namespaceObject = {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: namespace, labels: appNamespaceLabels('checkout', env) },
      };
      for (const object of objects as unknown as Record<string, any>[]) {
        for (const issue of await manifestSchemas(env.kubernetesVersion).validate(object))
          problems.push(`${c.name}: ${object.kind}/${object.metadata.name} ${issue.path.join('.')}: ${issue.message}`);
        for (const finding of evaluatePolicies(policies, {
          object,
          namespace,
          namespaceObject,
          clusterObjects: objects as unknown as Record<string, unknown>[],
        })) {
          problems.push(
            `${c.name}: ${object.kind}/${object.metadata.name} ${finding.policy} (${finding.severity}): ${finding.message}`,
          );
        }
      }
    }
    expect(problems).toEqual([]);

    // The same checks do catch a broken pod: a misspelt field and a privilege escalation.
    const c = combinations.find((x) => x.strategy === 'canary' && x.env === 'prd')!;
    const env = findEnv(c.env);
    const { objects, namespace } = rendered.get(c.name)!;
    const rollout = structuredClone(one(objects, 'Rollout'));
    rollout.spec.template.spec.containers[0].imagee = 'x';
    rollout.spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation = true;
    const namespaceObject = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: namespace, labels: appNamespaceLabels('checkout', env) },
    };
    expect((await manifestSchemas(env.kubernetesVersion).validate(rollout)).map((i) => i.path.join('.'))).toContain(
      'spec.template.spec.containers.0.imagee',
    );
    expect(
      evaluatePolicies(policies, { object: rollout, namespace, namespaceObject, clusterObjects: [] }).length,
    ).toBeGreaterThan(0);
  });

  it('emits a Deployment for rolling and a Rollout otherwise, never both, and the matching extra Service', () => {
    for (const c of combinations) {
      const { objects } = rendered.get(c.name)!;
      const services = byKind(objects, 'Service')
        .map((s) => s.metadata.name)
        .sort();
      const metricsService = c.variant.includes('ServiceMonitor') ? ['checkout-metrics'] : [];
      if (c.strategy === 'rolling') {
        expect([byKind(objects, 'Deployment').length, byKind(objects, 'Rollout').length]).toEqual([1, 0]);
        expect(services).toEqual(['checkout']);
      } else {
        expect([byKind(objects, 'Deployment').length, byKind(objects, 'Rollout').length]).toEqual([0, 1]);
        expect(services).toEqual([
          ...(c.strategy === 'canary' ? ['checkout', 'checkout-canary'] : ['checkout']),
          ...metricsService,
          ...(c.strategy === 'blueGreen' ? ['checkout-preview'] : []),
        ]);
      }
    }
  });

  it('gives canary Rollouts the step list of their preset, or of their env when they name none', () => {
    for (const c of combinations.filter((c) => c.strategy === 'canary')) {
      const rollout = one(rendered.get(c.name)!.objects, 'Rollout');
      const preset = c.preset || findEnv(c.env).rollout.preset;
      expect({ combination: c.name, steps: rollout.spec.strategy.canary.steps }).toEqual({
        combination: c.name,
        steps: EXPECTED_STEPS[preset],
      });
      expect(rollout.metadata.annotations['mayday.dev/rollout-preset']).toBe(preset);
    }
  });

  it('promotes blueGreen Rollouts by their preset: at once, after 10 minutes, or by hand', () => {
    const promotion: Record<string, object> = {
      fast: { autoPromotionEnabled: true },
      progressive: { autoPromotionEnabled: true, autoPromotionSeconds: 600 },
      manual: { autoPromotionEnabled: false },
    };
    for (const c of combinations.filter((c) => c.strategy === 'blueGreen')) {
      const blueGreen = one(rendered.get(c.name)!.objects, 'Rollout').spec.strategy.blueGreen;
      const preset = c.preset || findEnv(c.env).rollout.preset;
      const { autoPromotionEnabled, autoPromotionSeconds } = blueGreen;
      expect(JSON.parse(JSON.stringify({ autoPromotionEnabled, autoPromotionSeconds }))).toEqual(promotion[preset]);
      expect([blueGreen.activeService, blueGreen.previewService]).toEqual(['checkout', 'checkout-preview']);
    }
  });

  it('routes canary traffic through the HTTPRoute with stable at 100 and canary at 0, and only when there is an HTTPRoute', () => {
    for (const c of combinations.filter((c) => c.strategy === 'canary')) {
      const { objects } = rendered.get(c.name)!;
      const canary = one(objects, 'Rollout').spec.strategy.canary;
      const route = byKind(objects, 'HTTPRoute')[0];
      if (route) {
        expect(canary.trafficRouting).toEqual({
          plugins: { 'argoproj-labs/gatewayAPI': { httpRoute: 'checkout', namespace: `checkout-${c.env}` } },
        });
        expect(route.spec.rules[0].backendRefs.map((b: any) => [b.name, b.weight])).toEqual([
          ['checkout', 100],
          ['checkout-canary', 0],
        ]);
      } else {
        expect(canary.trafficRouting).toBeUndefined();
      }
    }
  });

  it('writes only the keys Argo Rollouts knows in the strategy (validate() would accept a misspelt one)', () => {
    const canaryKeys = new Set([
      'stableService',
      'canaryService',
      'maxSurge',
      'maxUnavailable',
      'trafficRouting',
      'analysis',
      'steps',
    ]);
    const blueGreenKeys = new Set([
      'activeService',
      'previewService',
      'autoPromotionEnabled',
      'autoPromotionSeconds',
      'scaleDownDelaySeconds',
      'prePromotionAnalysis',
    ]);
    const analysisKeys = new Set(['templates', 'args', 'startingStep']);
    for (const c of combinations.filter((c) => c.strategy !== 'rolling')) {
      const rollout = one(rendered.get(c.name)!.objects, 'Rollout');
      expect(Object.keys(rollout.spec).sort()).toEqual(expect.arrayContaining(['selector', 'strategy', 'template']));
      const [kind, strategy] = Object.entries(rollout.spec.strategy)[0] as [string, Record<string, any>];
      const allowed = kind === 'canary' ? canaryKeys : blueGreenKeys;
      expect(Object.keys(strategy).filter((k) => !allowed.has(k))).toEqual([]);
      const analysis = strategy.analysis ?? strategy.prePromotionAnalysis;
      if (analysis) expect(Object.keys(analysis).filter((k) => !analysisKeys.has(k))).toEqual([]);
    }
  });

  it("queries Prometheus for the success rate of the new revision's pods when analysis is on", () => {
    for (const c of combinations.filter((c) => c.strategy !== 'rolling')) {
      const { objects } = rendered.get(c.name)!;
      const templates = byKind(objects, 'AnalysisTemplate');
      const analysisOn = c.variant.includes('analysis');
      expect(templates.length).toBe(analysisOn ? 1 : 0);
      if (!analysisOn) continue;
      const metric = templates[0].spec.metrics[0];
      expect(metric.provider.prometheus.address).toBe('http://prometheus-operated.monitoring.svc:9090');
      expect(metric.provider.prometheus.query).toBe(
        'sum(rate(http_requests_total{namespace="{{args.namespace}}",rollouts_pod_template_hash="{{args.pod-template-hash}}",code!~"5.."}[2m]))' +
          ' / sum(rate(http_requests_total{namespace="{{args.namespace}}",rollouts_pod_template_hash="{{args.pod-template-hash}}"}[2m]))',
      );
      expect(metric.successCondition).toMatch(/result\[0\] >= 0\.9/);
      const strategy = one(objects, 'Rollout').spec.strategy;
      const args = (strategy.canary?.analysis ?? strategy.blueGreen!.prePromotionAnalysis).args;
      expect(args).toEqual([
        { name: 'namespace', value: `checkout-${c.env}` },
        { name: 'pod-template-hash', valueFrom: { podTemplateHashValue: 'Latest' } },
      ]);
    }
  });

  it('keeps the platform security baseline on every pod: restricted Pod Security, no token, requests and limits, probes, graceful stop', () => {
    for (const c of combinations) {
      const { objects } = rendered.get(c.name)!;
      const workload = [...byKind(objects, 'Deployment'), ...byKind(objects, 'Rollout')][0];
      const pod = workload.spec.template.spec;
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(pod.containers[0].lifecycle.preStop.sleep.seconds);
      for (const container of pod.containers) {
        expect(container.securityContext).toEqual({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          capabilities: { drop: ['ALL'] },
        });
        expect(Object.keys(container.resources.requests).sort()).toEqual(['cpu', 'memory']);
        expect(Object.keys(container.resources.limits).sort()).toEqual(['cpu', 'memory']);
        for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe'])
          expect(container[probe].httpGet.port).toBe('http');
      }
      expect(pod.topologySpreadConstraints.map((t: any) => t.topologyKey)).toEqual([
        'topology.kubernetes.io/zone',
        'kubernetes.io/hostname',
      ]);
      for (const service of byKind(objects, 'Service')) expect(service.spec.type).toBe('ClusterIP');
      expect(objects.some((o) => o.kind === 'Secret')).toBe(false);
    }
  });

  it('keeps at least two pods and a PDB in prd, whatever the strategy', () => {
    for (const c of combinations.filter((c) => c.env === 'prd')) {
      const { objects } = rendered.get(c.name)!;
      const workload = [...byKind(objects, 'Deployment'), ...byKind(objects, 'Rollout')][0];
      const hpa = byKind(objects, 'HorizontalPodAutoscaler')[0];
      expect(hpa ? hpa.spec.minReplicas : workload.spec.replicas).toBeGreaterThanOrEqual(2);
      expect(byKind(objects, 'PodDisruptionBudget')).toHaveLength(1);
    }
  });

  it('gives every container OpenTelemetry identity (app, team, env) and log hints', () => {
    for (const c of combinations) {
      const { objects } = rendered.get(c.name)!;
      const workload = [...byKind(objects, 'Deployment'), ...byKind(objects, 'Rollout')][0];
      for (const container of workload.spec.template.spec.containers) {
        const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
        expect(env.OTEL_SERVICE_NAME).toBe('checkout');
        expect(env.OTEL_RESOURCE_ATTRIBUTES.split(',')).toEqual(
          expect.arrayContaining([
            'service.namespace=payments',
            `deployment.environment.name=${c.env}`,
            'mayday.app=checkout',
            'mayday.team=payments',
            `mayday.env=${c.env}`,
            'k8s.pod.name=$(K8S_POD_NAME)',
          ]),
        );
        expect(env.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://otel-collector.observability.svc:4317');
        expect([env.LOG_FORMAT, env.LOG_LEVEL]).toEqual(['json', 'info']);
        // a variable that refers to $(K8S_POD_NAME) only expands when K8S_POD_NAME comes first
        const names = container.env.map((e: any) => e.name);
        expect(names.indexOf('K8S_POD_NAME')).toBeLessThan(names.indexOf('OTEL_RESOURCE_ATTRIBUTES'));
      }
    }
  });

  it('carries the labels Backstage and the annotations Argo CD and Prometheus read', () => {
    for (const c of combinations) {
      const { objects } = rendered.get(c.name)!;
      for (const object of objects as any[])
        expect(object.metadata.labels?.['backstage.io/kubernetes-id']).toBe('checkout');
      const workload: any = [...byKind(objects, 'Deployment'), ...byKind(objects, 'Rollout')][0];
      const annotations = workload.spec.template.metadata.annotations;
      if (c.variant.includes('metrics off')) expect(annotations['prometheus.io/scrape']).toBeUndefined();
      else expect(annotations['prometheus.io/scrape']).toBe('true');
      const routed = byKind(objects, 'HTTPRoute').length + byKind(objects, 'Ingress').length > 0;
      expect(workload.metadata.annotations?.['link.argocd.argoproj.io/external-link']).toBe(
        routed ? `https://checkout.${findEnv(c.env).domain}` : undefined,
      );
    }
  });

  it('scrapes every pod of every revision through one Service, and lets Prometheus in through the NetworkPolicy', () => {
    for (const c of combinations.filter((c) => c.variant.includes('ServiceMonitor'))) {
      const { objects } = rendered.get(c.name)!;
      const monitor = one(objects, 'ServiceMonitor');
      expect(monitor.spec.endpoints).toEqual([
        { port: 'metrics', path: '/metrics', interval: '30s', scrapeTimeout: '10s' },
      ]);
      const scraped = byKind(objects, 'Service')
        .filter((s) => s.metadata.labels['mayday.dev/scrape'] === 'true')
        .map((s) => s.metadata.name);
      // Argo Rollouts pins the stable/canary/active/preview Services to one revision, so Rollouts get their own.
      expect(scraped).toEqual([c.strategy === 'rolling' ? 'checkout' : 'checkout-metrics']);
      expect(monitor.spec.podTargetLabels).toEqual(
        c.strategy === 'rolling' ? undefined : ['rollouts-pod-template-hash'],
      );
      const rules = one(objects, 'NetworkPolicy').spec.ingress;
      expect(rules).toContainEqual({
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
        ports: [{ port: 'metrics', protocol: 'TCP' }],
      });
    }
  });

  it("turns declared secrets into an ExternalSecret from the env's store and a SealedSecret, mounted as env and files", () => {
    for (const c of combinations.filter((c) => c.variant.includes('secrets'))) {
      const { objects } = rendered.get(c.name)!;
      const external = one(objects, 'ExternalSecret', 'checkout-db');
      expect(external.spec.secretStoreRef).toEqual({ kind: 'ClusterSecretStore', name: `mayday-${c.env}` });
      expect(external.spec.data).toEqual([
        { secretKey: 'DATABASE_URL', remoteRef: { key: 'payments/db', property: 'url' } },
      ]);
      expect(one(objects, 'SealedSecret', 'checkout-tls').spec.encryptedData).toEqual({
        'tls.key': 'AgBy3i4OJSWK+PiTySYZZA9rO43c',
      });
      const pod = [...byKind(objects, 'Deployment'), ...byKind(objects, 'Rollout')][0].spec.template.spec;
      expect(pod.containers[0].envFrom).toEqual([{ secretRef: { name: 'checkout-db' } }]);
      expect(pod.containers[0].volumeMounts).toContainEqual({
        name: 'secret-tls',
        mountPath: '/var/run/secrets/mayday/tls',
        readOnly: true,
      });
    }
  });
});

describe('renderedAppProblems (the consistency walk itself)', () => {
  let canary: KubernetesObject[];
  beforeAll(() => {
    canary = rendered.get(
      combinations.find((c) => c.strategy === 'canary' && c.env === 'prd' && c.variant.includes('ServiceMonitor'))!
        .name,
    )!.objects;
  });
  const broken = (change: (objects: any[]) => void): string[] => {
    const copy = structuredClone(canary) as any[];
    change(copy);
    return renderedAppProblems(copy, 'checkout-prd');
  };

  it('finds nothing wrong with a good render', () => {
    expect(renderedAppProblems(canary, 'checkout-prd')).toEqual([]);
  });

  it.each([
    [
      'a Service selecting other pods',
      (o: any[]) => (o.find((x) => x.kind === 'Service').spec.selector['app.kubernetes.io/name'] = 'other'),
      /Service\/checkout(-canary)?: spec.selector/,
    ],
    [
      'a targetPort no container has',
      (o: any[]) => (o.find((x) => x.kind === 'Service').spec.ports[0].targetPort = 'web'),
      /targetPort web/,
    ],
    [
      'an HPA aimed at a Deployment that is not emitted',
      (o: any[]) =>
        Object.assign(o.find((x) => x.kind === 'HorizontalPodAutoscaler').spec.scaleTargetRef, {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
        }),
      /scaleTargetRef/,
    ],
    [
      'a PDB selecting other pods',
      (o: any[]) =>
        (o.find((x) => x.kind === 'PodDisruptionBudget').spec.selector.matchLabels['app.kubernetes.io/name'] = 'x'),
      /PodDisruptionBudget/,
    ],
    [
      'a workload declaring no PDB while one is emitted (admission would refuse it)',
      (o: any[]) => delete o.find((x) => x.kind === 'Rollout').metadata.annotations['mayday.dev/pdb'],
      /annotation mayday.dev\/pdb is undefined/,
    ],
    [
      'a workload declaring an autoscaler that is not emitted',
      (o: any[]) =>
        o.splice(
          o.findIndex((x) => x.kind === 'HorizontalPodAutoscaler'),
          1,
        ),
      /annotation mayday.dev\/autoscaler is checkout, the emitted HPA is undefined/,
    ],
    [
      'a missing canary Service',
      (o: any[]) =>
        o.splice(
          o.findIndex((x) => x.kind === 'Service' && x.metadata.name === 'checkout-canary'),
          1,
        ),
      /canaryService checkout-canary is not an emitted Service/,
    ],
    [
      'a missing AnalysisTemplate',
      (o: any[]) =>
        o.splice(
          o.findIndex((x) => x.kind === 'AnalysisTemplate'),
          1,
        ),
      /analysis template checkout-success-rate is not emitted/,
    ],
    [
      'a plaintext Secret',
      (o: any[]) => o.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'checkout-prd' } }),
      /plaintext Secret/,
    ],
    ['an object in another namespace', (o: any[]) => (o[0].metadata.namespace = 'default'), /namespace "default"/],
    [
      'a second workload',
      (o: any[]) =>
        o.push({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x', namespace: 'checkout-prd' } }),
      /exactly one Deployment or Rollout/,
    ],
    [
      'a ServiceMonitor scraping a Service Argo Rollouts pins',
      (o: any[]) =>
        (o.find((x) => x.kind === 'ServiceMonitor').spec.selector.matchLabels = {
          'mayday.dev/service-role': 'stable',
        }),
      /Argo Rollouts pins to one revision/,
    ],
    [
      'replicas on a workload an HPA scales',
      (o: any[]) => (o.find((x) => x.kind === 'Rollout').spec.replicas = 3),
      /HPA scales it/,
    ],
  ])('reports %s', (_name, change, expected) => {
    expect(broken(change).join('\n')).toMatch(expected);
  });
});
