import { CommandFailed, run, type RunResult } from '../exec.ts';

/** A Kubernetes object as the lab handles it: plain data. */
export type KubeObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
};

/** Field manager of every object the lab applies. */
export const FIELD_MANAGER = 'mayday-lab';

/**
 * kubectl pinned to one context: every call names it, so the lab never touches another cluster of the user's
 * kubeconfig.
 */
export class Kubectl {
  readonly binary: string;
  readonly context: string;

  constructor(binary: string, context: string) {
    this.binary = binary;
    this.context = context;
  }

  run(args: readonly string[], input?: string): Promise<RunResult> {
    return run(this.binary, ['--context', this.context, ...args], { input, timeout: 300_000 });
  }

  async out(args: readonly string[], input?: string): Promise<string> {
    const result = await this.run(args, input);
    if (!result.ok) throw new CommandFailed(`kubectl ${args.join(' ')}`, result);
    return result.stdout;
  }

  /** Server-side apply of objects (CRDs, then Namespaces, then the rest), owned by the lab's field manager. */
  async apply(objects: readonly KubeObject[]): Promise<void> {
    if (objects.length === 0) return;
    const first = new Set(['CustomResourceDefinition', 'Namespace']);
    const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition');
    const namespaces = objects.filter((o) => o.kind === 'Namespace');
    const rest = objects.filter((o) => !first.has(o.kind));
    for (const batch of [crds, namespaces, rest]) {
      if (batch.length === 0) continue;
      // JSON, not YAML: kubectl reads YAML 1.1, where an unquoted `no` (redis --appendonly no) is false
      const list = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: batch });
      await this.out(
        ['apply', '--server-side', '--force-conflicts', `--field-manager=${FIELD_MANAGER}`, '-f', '-'],
        list,
      );
      if (batch === crds)
        await this.out([
          'wait',
          '--for=condition=Established',
          '--timeout=120s',
          ...crds.map((c) => `crd/${c.metadata.name}`),
        ]);
    }
  }

  /** One object as JSON, or undefined when it does not exist. */
  async get<T = Record<string, unknown>>(resource: string, name: string, namespace?: string): Promise<T | undefined> {
    const result = await this.run(['get', resource, name, ...(namespace ? ['-n', namespace] : []), '-o', 'json']);
    if (!result.ok) {
      if (/NotFound|not found/.test(result.stderr)) return undefined;
      throw new CommandFailed(`kubectl get ${resource} ${name}`, result);
    }
    return JSON.parse(result.stdout) as T;
  }

  /** Every object of a resource as JSON items (in a namespace, or all of them). */
  async list<T = Record<string, unknown>>(resource: string, namespace?: string): Promise<T[]> {
    const scope = namespace ? ['-n', namespace] : ['--all-namespaces'];
    const result = await this.run(['get', resource, ...scope, '-o', 'json']);
    if (!result.ok) {
      if (/the server doesn't have a resource type/.test(result.stderr)) return [];
      throw new CommandFailed(`kubectl get ${resource}`, result);
    }
    return (JSON.parse(result.stdout) as { items: T[] }).items;
  }

  /**
   * Waits for a rollout of Deployments/StatefulSets/DaemonSets. A pod of the namespace stuck on an error (an image
   * that cannot be pulled, a config error, a crash loop) for 30 s fails the wait at once with the pod's message.
   */
  async rolloutStatus(namespace: string, workloads: readonly string[], timeoutSeconds = 300): Promise<void> {
    const deadline = Date.now() + timeoutSeconds * 1000;
    for (const workload of workloads) {
      let stuckSince: number | undefined;
      for (;;) {
        const status = await this.run(['rollout', 'status', workload, '-n', namespace, '--timeout=5s']);
        if (status.ok) break;
        const stuck = await this.stuckPods(namespace);
        stuckSince = stuck.length > 0 ? (stuckSince ?? Date.now()) : undefined;
        if (stuckSince !== undefined && Date.now() - stuckSince > 30_000)
          throw new Error(`${workload} in ${namespace} does not start: ${stuck.join('; ')}`);
        if (Date.now() > deadline)
          throw new Error(
            `waited ${timeoutSeconds} s for ${workload} in ${namespace} to roll out: ${status.stderr.trim() || status.stdout.trim().split('\n').pop()}`,
          );
      }
    }
  }

  /** Pods of a namespace whose containers wait on an error, as `pod/container: reason: message`. */
  async stuckPods(namespace: string): Promise<string[]> {
    type Status = { name: string; state?: { waiting?: { reason?: string; message?: string } } };
    type Pod = {
      metadata: { name: string };
      status?: { containerStatuses?: Status[]; initContainerStatuses?: Status[] };
    };
    const bad =
      /CreateContainerConfigError|CreateContainerError|ErrImagePull|ImagePullBackOff|InvalidImageName|CrashLoopBackOff/;
    return (await this.list<Pod>('pods', namespace)).flatMap((pod) =>
      [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]
        .filter((c) => bad.test(c.state?.waiting?.reason ?? ''))
        .map((c) =>
          `${pod.metadata.name}/${c.name}: ${c.state?.waiting?.reason}: ${c.state?.waiting?.message ?? ''}`.trim(),
        ),
    );
  }
}

/** Polls until `check` returns a value (not undefined), or fails saying what it waited for and what it last saw. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  {
    timeoutMs = 300_000,
    intervalMs = 2_000,
    lastSeen,
  }: { timeoutMs?: number; intervalMs?: number; lastSeen?: () => Promise<string> } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = (error as Error).message;
    }
    if (Date.now() > deadline) {
      const seen = lastSeen ? await lastSeen().catch(() => '') : lastError;
      throw new Error(`waited ${Math.round(timeoutMs / 1000)} s for ${what}${seen ? `; last seen: ${seen}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
