import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { parse } from 'yaml';
import { createTempWorkspace, mustSucceed, type TempWorkspace } from '@mayday/testing';
import { installPlatformPolicies, yamlObjects } from './admission.ts';
import { applicationState, startArgoCd, type ArgoCd } from './argocd.ts';
import { startControlPlane, WORKSPACE_ROOT, type Cluster } from './control-plane.ts';
import { bareRepository, startGitServer, type GitServer } from './git-server.ts';
import type { KubeObject } from './kube-client.ts';
import { waitFor } from './processes.ts';

/** The ApplicationSet platform/argocd declares. */
export const MAYDAY_APPSET = 'mayday';

/** platform/argocd of a workspace as the bootstrap applies it (kubectl apply -k): what the repo declares. */
export function declaredArgoCdObjects(root: string): KubeObject[] {
  const dir = join(root, 'platform/argocd');
  const kustomization = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
  // both envs share one API server here: one policies Application would fight the other over the same policies,
  // which the bootstrap installed already (a one-cluster lab keeps at most one of them)
  return kustomization.resources
    .filter((f) => !f.startsWith('application-policies-'))
    .flatMap((f) => yamlObjects(join(dir, f)));
}

/**
 * What a one-cluster lab's bootstrap adds to the cluster Secrets platform/argocd declares: both env names point at
 * this API server, by two URLs (Argo CD keys clusters by URL), each with a credential that never was in git.
 */
export async function giveEnvClustersCredentials(cluster: Cluster, namespace = 'argocd'): Promise<void> {
  const config = JSON.stringify({
    bearerToken: cluster.argocdToken,
    tlsClientConfig: { caData: Buffer.from(cluster.caPem).toString('base64') },
  });
  await cluster.client.patchMerge('v1', 'Secret', 'mayday-cluster-stg', namespace, {
    stringData: { server: 'https://kubernetes.default.svc' },
  });
  await cluster.client.patchMerge('v1', 'Secret', 'mayday-cluster-prd', namespace, {
    stringData: { server: cluster.server, config },
  });
}

/** A bare gitops repository served by `git daemon` on 127.0.0.1, and the gitops.yaml that makes push publish there. */
export interface GitOpsRemote {
  git: GitServer;
  /** The folder of bare repositories. */
  repos: string;
  url: string;
  /** The tip of the gitops branch. */
  tip(): Promise<string>;
  /** Every file on the gitops branch. */
  files(): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startGitOpsRemote(): Promise<GitOpsRemote> {
  const repos = mkdtempSync(join(tmpdir(), 'mayday-repos-'));
  await bareRepository(repos, 'gitops.git');
  const git = await startGitServer(repos, repos);
  const onRemote = async (args: string[]) =>
    (await execa('git', ['--git-dir', join(repos, 'gitops.git'), ...args])).stdout;
  return {
    git,
    repos,
    url: git.urlFor('gitops.git'),
    tip: () => onRemote(['rev-parse', 'gitops']),
    files: async () => (await onRemote(['ls-tree', '-r', '--name-only', 'gitops'])).split('\n').filter(Boolean),
    stop: async () => {
      await git.stop();
      rmSync(repos, { recursive: true, force: true });
    },
  };
}

/** Points a workspace's platform/gitops.yaml at the remote and regenerates platform/argocd for it (`nx sync`). */
export async function publishTo(ws: TempWorkspace, remote: GitOpsRemote): Promise<void> {
  const file = join(ws.root, 'platform/gitops.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/^repository: .*$/m, `repository: ${remote.url}`));
  if (!ws.exists('.git')) await mustSucceed(ws.git(['init', '-q', '-b', 'main']));
  await mustSucceed(ws.nx(['sync']));
}

/**
 * What a pipeline does: renders, commits the workspace and publishes with mayday's own push (lint, then one
 * commit on the gitops branch); then what the git server's webhook to Argo CD does, when one runs: look again now.
 */
export async function pushWorkspace(ws: TempWorkspace, message: string, argocd?: ArgoCd): Promise<void> {
  await mustSucceed(ws.nx(['run-many', '-t', 'render']));
  await mustSucceed(ws.git(['add', '-A']));
  await mustSucceed(ws.git(['commit', '-q', '--allow-empty', '-m', message]));
  await mustSucceed(ws.nx(['run-many', '-t', 'push']));
  if (argocd) {
    await argocd.refreshApplicationSet(MAYDAY_APPSET);
    for (const app of await argocd.applications()) await argocd.refreshApplication(app.metadata.name);
  }
}

/** Waits until an Application is Synced to `revision` (or any, when not given), saying what it last saw. */
export async function syncedApplication(
  argocd: ArgoCd,
  name: string,
  options: { revision?: string; timeoutMs?: number } = {},
): Promise<KubeObject> {
  let last: ReturnType<typeof applicationState> | undefined;
  const { revision } = options;
  return waitFor(
    `Application ${name} to be Synced${revision ? ` at ${revision.slice(0, 7)}` : ''}`,
    async () => {
      const app = await argocd.application(name);
      last = applicationState(app);
      const done = last.sync === 'Synced' && (!revision || last.revision === revision) && last.operation !== 'Running';
      return done ? app : undefined;
    },
    {
      timeoutMs: options.timeoutMs ?? 120_000,
      intervalMs: 500,
      context: () => `last state: ${JSON.stringify(last)}\n${argocd.logs()}`,
    },
  );
}

/** A control plane with the platform's policies, Argo CD (its API server included) and a published workspace. */
export interface LiveGitOps {
  cluster: Cluster;
  argocd: ArgoCd;
  remote: GitOpsRemote;
  ws: TempWorkspace;
  /** Every Application, Synced at the published tip. */
  applications: string[];
  /** How long it took, in ms. */
  startupMs: number;
  stop(): Promise<void>;
}

/**
 * The whole GitOps loop with the servers of the live tests, as a one-cluster lab runs it: a workspace with the
 * sample app (and `copies` of it under other names) published by mayday's push to a git server on 127.0.0.1, the
 * bootstrap's objects (platform/argocd and the env clusters' credentials), and Argo CD syncing every Application it
 * generates into a kube-apiserver that enforces platform/policies. Resolves once all of them are Synced.
 */
export async function startLiveGitOps(options: { copies?: string[]; timeoutMs?: number } = {}): Promise<LiveGitOps> {
  const started = Date.now();
  const parts: { cluster?: Cluster; argocd?: ArgoCd; remote?: GitOpsRemote; ws?: TempWorkspace } = {};
  const stop = async () => {
    await parts.argocd?.stop();
    await parts.remote?.stop();
    await parts.cluster?.stop();
    parts.ws?.cleanup();
  };
  try {
    // the cluster and the published workspace do not need each other: made at the same time
    await Promise.all([
      (async () => {
        parts.cluster = await startControlPlane();
        await parts.cluster.installCrds();
        await installPlatformPolicies(parts.cluster.argocdClient, WORKSPACE_ROOT);
      })(),
      (async () => {
        parts.remote = await startGitOpsRemote();
        parts.ws = await createTempWorkspace({ withApps: true, git: false });
        for (const copy of options.copies ?? [])
          cpSync(join(parts.ws.root, 'apps/hello'), join(parts.ws.root, `apps/${copy}`), { recursive: true });
        await publishTo(parts.ws, parts.remote);
        await pushWorkspace(parts.ws, 'workspace');
      })(),
    ]);
    const { cluster, remote, ws } = parts as Required<typeof parts>;
    const argocd = (parts.argocd = await startArgoCd(cluster));
    for (const object of declaredArgoCdObjects(ws.root))
      await cluster.client.applyOrThrow(object, { fieldManager: 'mayday-bootstrap' });
    await giveEnvClustersCredentials(cluster, argocd.namespace);
    const expected = (await remote.files()).filter((f) => f.split('/').length === 4).map((f) => f.split('/'));
    const applications = [...new Set(expected.map(([, env, app]) => `${app}-${env}`))].sort();
    const tip = await remote.tip();
    await waitFor(
      `the ApplicationSet controller to create ${applications.join(', ')}`,
      async () => {
        const names = new Set((await argocd.applications()).map((a) => a.metadata.name));
        return applications.every((name) => names.has(name)) ? true : undefined;
      },
      { timeoutMs: options.timeoutMs ?? 120_000, context: () => argocd.logs() },
    );
    for (const name of applications)
      await syncedApplication(argocd, name, { revision: tip, timeoutMs: options.timeoutMs });
    return { cluster, argocd, remote, ws, applications, startupMs: Date.now() - started, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
