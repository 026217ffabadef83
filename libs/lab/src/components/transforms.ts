import type { KubeObject } from '../cluster/kubectl.ts';
import { isClusterScoped } from './manifests.ts';

/** What a workload's pod template holds, as far as the transforms touch it. */
interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  volumes?: Record<string, unknown>[];
}
interface Container {
  name: string;
  image?: string;
  imagePullPolicy?: string;
  volumeMounts?: Record<string, unknown>[];
  [key: string]: unknown;
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job']);

export function podSpecOf(object: KubeObject): PodSpec | undefined {
  if (!WORKLOADS.has(object.kind)) return undefined;
  return (object.spec as { template?: { spec?: PodSpec } } | undefined)?.template?.spec;
}

const containersOf = (spec: PodSpec): Container[] => [...(spec.containers ?? []), ...(spec.initContainers ?? [])];

/** Puts namespaced objects that name none into `namespace` (upstream install.yaml files leave it to `-n`). */
export function inNamespace(objects: readonly KubeObject[], namespace: string): KubeObject[] {
  return objects.map((o) =>
    isClusterScoped(o) || o.metadata.namespace ? o : { ...o, metadata: { ...o.metadata, namespace } },
  );
}

/** Drops the objects a predicate names (Argo CD's Dex, which the lab does not run). */
export function without(objects: readonly KubeObject[], drop: (o: KubeObject) => boolean): KubeObject[] {
  return objects.filter((o) => !drop(o));
}

/**
 * Every container pulls only when its image is missing: the lab loads locally built images into the node, and
 * upstream manifests often say Always.
 */
export function pullIfNotPresent(objects: readonly KubeObject[]): KubeObject[] {
  return mapContainers(objects, (c) => ({ ...c, imagePullPolicy: 'IfNotPresent' }));
}

/** Replaces images by repository (everything before the tag): `quay.io/argoproj/argo-rollouts` → its pinned tag. */
export function withImages(objects: readonly KubeObject[], images: Record<string, string>): KubeObject[] {
  return mapContainers(objects, (c) => {
    const repository = c.image?.replace(/[:@][^/]*$/, '');
    return repository && images[repository] ? { ...c, image: images[repository] } : c;
  });
}

/** Sets keys of a ConfigMap's data (merged over what the upstream manifest has). */
export function withConfigData(
  objects: readonly KubeObject[],
  name: string,
  data: Record<string, string>,
): KubeObject[] {
  return objects.map((o) =>
    o.kind === 'ConfigMap' && o.metadata.name === name
      ? { ...o, data: { ...((o.data as Record<string, string>) ?? {}), ...data } }
      : o,
  );
}

/**
 * Gives a Deployment an init container that installs a plugin binary from its own image into an emptyDir the main
 * container mounts (`<plugin> install <path>`: the image has no shell): how Argo Rollouts gets a traffic router
 * plugin without downloading it.
 */
export function withPluginFromImage(
  objects: readonly KubeObject[],
  deployment: string,
  plugin: { image: string; from: string; mountPath: string },
): KubeObject[] {
  return objects.map((o) => {
    if (o.kind !== 'Deployment' || o.metadata.name !== deployment) return o;
    const copy = structuredClone(o);
    const spec = podSpecOf(copy)!;
    const mount = { name: 'mayday-plugins', mountPath: plugin.mountPath };
    spec.volumes = [...(spec.volumes ?? []), { name: 'mayday-plugins', emptyDir: {} }];
    spec.containers = (spec.containers ?? []).map((c) => ({ ...c, volumeMounts: [...(c.volumeMounts ?? []), mount] }));
    const file = plugin.from.split('/').pop();
    spec.initContainers = [
      ...(spec.initContainers ?? []),
      {
        name: 'copy-plugins',
        image: plugin.image,
        imagePullPolicy: 'IfNotPresent',
        command: [plugin.from, 'install', `${plugin.mountPath}/${file}`],
        securityContext: {
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        },
        volumeMounts: [mount],
      },
    ];
    return copy;
  });
}

function mapContainers(objects: readonly KubeObject[], change: (c: Container) => Container): KubeObject[] {
  return objects.map((o) => {
    if (!podSpecOf(o)) return o;
    const copy = structuredClone(o);
    const spec = podSpecOf(copy)!;
    spec.containers = spec.containers?.map(change);
    if (spec.initContainers) spec.initContainers = spec.initContainers.map(change);
    return copy;
  });
}

/** The images a set of objects runs, for checking them against lab.yaml. */
export function imagesOf(objects: readonly KubeObject[]): string[] {
  return [
    ...new Set(objects.flatMap((o) => (podSpecOf(o) ? containersOf(podSpecOf(o)!).map((c) => c.image ?? '') : []))),
  ]
    .filter(Boolean)
    .sort();
}
