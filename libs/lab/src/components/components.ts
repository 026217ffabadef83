import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import { MaydayError, type Environment } from '@mayday/model';
import type { GitopsConfig } from '@mayday/gitops';
import type { KubeObject, Kubectl } from '../cluster/kubectl.ts';
import { waitFor } from '../cluster/kubectl.ts';
import { LAB_FILE, type LabComponent, type LabConfig } from '../lab-config.ts';
import { envClusterSecrets, LAB_NAMESPACE, withoutDeclaredClusters } from './env-clusters.ts';
import { loadManifests } from './manifests.ts';
import {
  inNamespace,
  podSpecOf,
  pullIfNotPresent,
  withConfigData,
  withImages,
  without,
  withPluginFromImage,
} from './transforms.ts';
import { gitTlsSecret } from './git-tls.ts';

/** What a component's installer needs: the workspace, the config and the cluster. */
export interface InstallContext {
  root: string;
  config: LabConfig;
  envs: readonly Environment[];
  gitops: GitopsConfig;
  kubectl: Kubectl;
}

/** How the lab installs and checks one component of lab.yaml. */
export interface Installer {
  /** The objects to apply: upstream manifests with the lab's changes, and the lab's own. */
  objects(ctx: InstallContext, upstream: KubeObject[]): Promise<KubeObject[]>;
  /** Waits until the component works (its workloads rolled out, its API answering). */
  ready(ctx: InstallContext): Promise<void>;
  /** What status shows: workloads by namespace. */
  workloads: { namespace: string; names: string[] }[];
}

/** The traffic router plugin's path in its image and where the Rollouts controller finds it. */
const PLUGIN_IN_IMAGE = '/plugin/gatewayapi';
const PLUGIN_DIR = '/plugins';

const isCrd = (o: KubeObject) => o.kind === 'CustomResourceDefinition';
const imageOf = (ctx: InstallContext, repository: string): string => {
  const image = ctx.config.lab.images.find((i) => i.name.startsWith(`${repository}:`));
  if (!image)
    throw new MaydayError({ severity: 'error', file: LAB_FILE, field: 'images', message: `no image of ${repository}` });
  return image.name;
};

export const INSTALLERS: Record<string, Installer> = {
  crds: {
    objects: async (_ctx, upstream) => upstream,
    ready: async () => {},
    workloads: [],
  },
  traefik: {
    objects: async (ctx, upstream) => [...upstream, await gitTlsSecret(ctx)],
    ready: async (ctx) => {
      await ctx.kubectl.rolloutStatus('gateway-system', ['deployment/traefik']);
      await waitFor('the Gateway gateway-system/mayday to be Programmed', async () => {
        const gateway = await ctx.kubectl.get<{ status?: { conditions?: { type: string; status: string }[] } }>(
          'gateway',
          'mayday',
          'gateway-system',
        );
        return gateway?.status?.conditions?.some((c) => c.type === 'Programmed' && c.status === 'True')
          ? true
          : undefined;
      });
    },
    workloads: [{ namespace: 'gateway-system', names: ['deployment/traefik'] }],
  },
  'metrics-server': {
    objects: async (_ctx, upstream) =>
      upstream.map((o) => {
        if (o.kind !== 'Deployment') return o;
        const copy = structuredClone(o);
        const container = podSpecOf(copy)!.containers![0] as { args?: string[] };
        container.args = [...(container.args ?? []), '--kubelet-insecure-tls'];
        return copy;
      }),
    ready: (ctx) => ctx.kubectl.rolloutStatus('kube-system', ['deployment/metrics-server']),
    workloads: [{ namespace: 'kube-system', names: ['deployment/metrics-server'] }],
  },
  'argo-rollouts': {
    objects: async (ctx, upstream) => {
      const rollouts = imageOf(ctx, 'quay.io/argoproj/argo-rollouts');
      let objects = inNamespace(without(upstream, isCrd), 'argo-rollouts');
      objects = pullIfNotPresent(withImages(objects, { 'quay.io/argoproj/argo-rollouts': rollouts }));
      objects = withConfigData(objects, 'argo-rollouts-config', {
        trafficRouterPlugins: stringify([
          { name: 'argoproj-labs/gatewayAPI', location: `file://${PLUGIN_DIR}/gatewayapi` },
        ]),
      });
      return withPluginFromImage(objects, 'argo-rollouts', {
        image: imageOf(ctx, 'mayday.dev/lab/rollouts-gatewayapi'),
        from: PLUGIN_IN_IMAGE,
        mountPath: PLUGIN_DIR,
      });
    },
    ready: (ctx) => ctx.kubectl.rolloutStatus('argo-rollouts', ['deployment/argo-rollouts']),
    workloads: [{ namespace: 'argo-rollouts', names: ['deployment/argo-rollouts'] }],
  },
  'git-server': {
    objects: async (_ctx, upstream) => upstream,
    ready: (ctx) => ctx.kubectl.rolloutStatus(LAB_NAMESPACE, ['deployment/git-server']),
    workloads: [{ namespace: LAB_NAMESPACE, names: ['deployment/git-server'] }],
  },
  argocd: {
    objects: async (ctx, upstream) => {
      let objects = without(upstream, (o) => isCrd(o) || o.metadata.name.startsWith('argocd-dex-server'));
      objects = inNamespace(objects, ctx.gitops.argocd.namespace);
      objects = pullIfNotPresent(
        withImages(objects, { 'public.ecr.aws/docker/library/redis': imageOf(ctx, 'docker.io/library/redis') }),
      );
      // plain HTTP behind the gateway; poll git and regenerate the ApplicationSet every 15 s (no webhook in a lab)
      objects = withConfigData(objects, 'argocd-cmd-params-cm', {
        'server.insecure': 'true',
        'applicationsetcontroller.requeue.after': '15s',
      });
      objects = withConfigData(objects, 'argocd-cm', {
        url: 'http://argocd.localhost',
        'timeout.reconciliation': '15s',
      });
      const tls = (await gitTlsSecret(ctx)) as KubeObject & { data: Record<string, string> };
      return withConfigData(objects, 'argocd-tls-certs-cm', {
        [gitHost(ctx)]: Buffer.from(tls.data['tls.crt'], 'base64').toString(),
      });
    },
    ready: (ctx) =>
      ctx.kubectl.rolloutStatus(ctx.gitops.argocd.namespace, [
        'deployment/argocd-redis',
        'deployment/argocd-repo-server',
        'deployment/argocd-server',
        'deployment/argocd-applicationset-controller',
        'statefulset/argocd-application-controller',
      ]),
    workloads: [
      {
        namespace: 'argocd',
        names: [
          'deployment/argocd-redis',
          'deployment/argocd-repo-server',
          'deployment/argocd-server',
          'deployment/argocd-applicationset-controller',
          'statefulset/argocd-application-controller',
        ],
      },
    ],
  },
  platform: {
    objects: async (ctx, upstream) => [
      ...withoutSharedPolicyApps(withoutDeclaredClusters(upstream), ctx.envs),
      ...(await envClusterSecrets(ctx, upstream)),
    ],
    ready: async () => {},
    workloads: [],
  },
};

/** The host of the gitops repository (the lab's git server answers for it while it is git.mayday.example). */
export const gitHost = (ctx: { gitops: GitopsConfig }): string => new URL(ctx.gitops.repository).hostname;

/**
 * Every env's policy Application syncs the same platform/policies; in the lab all envs share one cluster, so two
 * Applications would own the same ValidatingAdmissionPolicies and undo each other's tracking. The first env's is kept.
 */
export function withoutSharedPolicyApps(objects: readonly KubeObject[], envs: readonly Environment[]): KubeObject[] {
  const keep = `platform-policies-${envs[0].name}`;
  return objects.filter(
    (o) => !(o.kind === 'Application' && o.metadata.name.startsWith('platform-policies-') && o.metadata.name !== keep),
  );
}

/** A component's objects, as the lab applies them. */
export async function componentObjects(ctx: InstallContext, component: LabComponent): Promise<KubeObject[]> {
  const installer = INSTALLERS[component.name];
  if (!installer)
    throw new MaydayError({
      severity: 'error',
      file: LAB_FILE,
      field: 'components',
      message: `no installer for component ${component.name}`,
      hint: `one of: ${Object.keys(INSTALLERS).join(', ')}`,
    });
  const upstream = (await Promise.all(component.manifests.map((m) => loadManifests(ctx.root, m)))).flat();
  return installer.objects(ctx, upstream);
}

/** A short hash of what a component applies: equal hashes, nothing to apply again. */
export function objectsHash(objects: readonly KubeObject[]): string {
  return createHash('sha256')
    .update(objects.map((o) => stringify(o)).join('---\n'))
    .digest('hex')
    .slice(0, 16);
}
