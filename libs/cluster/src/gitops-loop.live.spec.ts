// The GitOps loop for real: push publishes to a git server on 127.0.0.1, Argo CD 3.6's own ApplicationSet and
// application controllers (local processes) create and sync the Applications into a real kube-apiserver with
// platform/policies enforced. No kubelet runs here: tests stop at Synced, and health is what the API server can tell.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { diffGitops, discoverApplications, loadGitopsConfig } from '@mayday/gitops';
import { loadEnvironments, namespaceLabels } from '@mayday/model';
import { createTempWorkspace, mustSucceed, type TempWorkspace } from '@mayday/testing';
import { installPlatformPolicies, yamlObjects } from './admission.ts';
import { applicationState, startArgoCd, type ArgoCd } from './argocd.ts';
import { startControlPlane, WORKSPACE_ROOT, type Cluster } from './control-plane.ts';
import type { KubeObject } from './kube-client.ts';
import { listenersOf } from './listeners.ts';
import {
  declaredArgoCdObjects,
  giveEnvClustersCredentials,
  MAYDAY_APPSET,
  publishTo,
  pushWorkspace,
  startGitOpsRemote,
  syncedApplication,
  type GitOpsRemote,
} from './live-gitops.ts';
import { waitFor } from './processes.ts';

const SYNC_TIMEOUT = 120_000;
/** A test's own limit: a push (render, lint, publish) and a sync. */
const TEST_TIMEOUT = SYNC_TIMEOUT + 60_000;
let cluster: Cluster;
let argocd: ArgoCd;
let remote: GitOpsRemote;
let ws: TempWorkspace;
const APPSET = MAYDAY_APPSET;

/** Publishes the workspace with mayday's push; the new tip of the gitops branch. */
async function push(message: string): Promise<string> {
  await pushWorkspace(ws, message, argocd);
  return remote.tip();
}

const editValues = (path: string, change: (text: string) => string) =>
  writeFileSync(join(ws.root, path), change(ws.read(path)));

const synced = (name: string, revision?: string) =>
  syncedApplication(argocd, name, { revision, timeoutMs: SYNC_TIMEOUT });

/** The objects of gitops/<env>/<app>/ in the workspace. */
function gitopsObjects(env: string, app: string): KubeObject[] {
  const dir = join(ws.root, 'gitops', env, app);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => yamlObjects(join(dir, f)));
}

/** What of gitops/<env>/<app>/ is missing or different in the cluster (spec.replicas, labels). */
async function driftFromGitops(env: string, app: string): Promise<string[]> {
  const drift: string[] = [];
  for (const object of gitopsObjects(env, app)) {
    const live = await cluster.client.get(
      object.apiVersion,
      object.kind,
      object.metadata.name,
      object.metadata.namespace,
    );
    const what = `${object.kind} ${object.metadata.namespace}/${object.metadata.name}`;
    if (!live) drift.push(`${what} is missing`);
    else {
      if (live.metadata.labels?.['app.kubernetes.io/managed-by'] !== 'mayday')
        drift.push(`${what} lacks mayday's labels`);
      const replicas = (object.spec as { replicas?: number } | undefined)?.replicas;
      if (replicas !== undefined && (live.spec as { replicas?: number }).replicas !== replicas)
        drift.push(`${what} runs ${(live.spec as { replicas?: number }).replicas} replicas, gitops/ says ${replicas}`);
    }
  }
  return drift;
}

beforeAll(async () => {
  const started = Date.now();
  // the cluster and the published workspace do not need each other: made at the same time
  await Promise.all([
    (async () => {
      cluster = await startControlPlane();
      await cluster.installCrds();
      // the lab's case: the platform's policies are enforced in the cluster Argo CD itself runs in
      await installPlatformPolicies(cluster.argocdClient, WORKSPACE_ROOT);
    })(),
    (async () => {
      remote = await startGitOpsRemote();
      ws = await createTempWorkspace({ withApps: true, git: false });
      // a second app; Argo CD reads the git server on 127.0.0.1; platform/argocd is generated for that repository
      cpSync(join(ws.root, 'apps/hello'), join(ws.root, 'apps/shop'), { recursive: true });
      await publishTo(ws, remote);
      await push('workspace');
    })(),
  ]);
  argocd = await startArgoCd(cluster);
  console.log(
    `control plane ${cluster.startupMs} ms, Argo CD ${argocd.startupMs} ms, whole set-up ${Date.now() - started} ms`,
  );
}, 240_000);

afterAll(async () => {
  await argocd?.stop();
  await remote?.stop();
  await cluster?.stop();
  ws?.cleanup();
});

const declaredArgoCdObjectsOfWorkspace = () => declaredArgoCdObjects(ws.root);

/** The fields a reader checks, the same from mayday's prediction and from Argo CD. */
const summary = (app: Record<string, unknown>) => {
  const { metadata, spec } = app as {
    metadata: { name: string; labels: Record<string, string> };
    spec: Record<string, unknown> & { syncPolicy: Record<string, unknown> };
  };
  return {
    name: metadata.name,
    labels: metadata.labels,
    project: spec.project,
    destination: spec.destination,
    source: spec.source,
    managedNamespaceMetadata: spec.syncPolicy.managedNamespaceMetadata,
    syncOptions: spec.syncPolicy.syncOptions,
  };
};

/** mayday's Applications once the ApplicationSet controller has made `count` of them, as summaries by name. */
async function applicationsOnceCreated(count: number): Promise<ReturnType<typeof summary>[]> {
  const created = await waitFor(
    `the ApplicationSet controller to create ${count} Applications`,
    async () => {
      const apps = (await argocd.applications()).filter((a) => a.metadata.labels?.['mayday.dev/app']);
      return apps.length === count ? apps : undefined;
    },
    { timeoutMs: 60_000, context: () => argocd.logs() },
  );
  return created.map(summary).sort((a, b) => a.name.localeCompare(b.name));
}

describe('a fresh Argo CD, given only what the repo declares (platform/argocd)', () => {
  it('creates exactly the Applications mayday predicts, with nothing added by hand', async () => {
    for (const object of declaredArgoCdObjectsOfWorkspace())
      await cluster.client.applyOrThrow(object, { fieldManager: 'mayday-bootstrap' });
    const appSet = yamlObjects(join(ws.root, 'platform/argocd/applicationset-mayday.yaml'))[0];
    const predicted = discoverApplications(appSet, await remote.files()).map((a) => summary(a.object));
    expect(predicted.map((a) => a.name)).toEqual(['hello-prd', 'hello-stg', 'shop-prd', 'shop-stg']);
    expect(await applicationsOnceCreated(predicted.length)).toEqual(predicted);
  }, 90_000);

  it("records status on its own Applications although the platform's policies are enforced in its cluster", async () => {
    // the env clusters are declared but not reachable yet (their credentials come from the bootstrap): Argo CD says so
    const app = await waitFor(
      'Argo CD to record a status on hello-stg',
      async () => {
        const state = applicationState(await argocd.application('hello-stg'));
        return state.sync ? state : undefined;
      },
      { timeoutMs: 60_000, context: () => argocd.logs() },
    );
    expect(app.sync).toBeDefined();
    expect(argocd.logs()).not.toMatch(/ValidatingAdmissionPolicy '[^']+' .*denied/);
  }, 90_000);
});

describe('with the credentials the bootstrap adds to the cluster Secrets, Argo CD syncs (no kubelet: Synced, no Pod runs)', () => {
  it(
    'syncs every Application: namespaces with the policy-profile labels, every resource with mayday labels',
    async () => {
      await giveEnvClustersCredentials(cluster);
      const tip = await remote.tip();
      for (const name of ['hello-stg', 'hello-prd', 'shop-stg', 'shop-prd']) await synced(name, tip);
      for (const env of loadEnvironments(ws.root)) {
        for (const app of ['hello', 'shop']) {
          const namespace = await cluster.client.get('v1', 'Namespace', `${app}-${env.name}`);
          expect(namespace?.metadata.labels).toMatchObject(namespaceLabels(app, env));
          expect(await driftFromGitops(env.name, app)).toEqual([]);
        }
      }
    },
    TEST_TIMEOUT * 2,
  );

  it("argocd-server reports each Application's sync and health to a read-only API token (what the portal's Argo CD card reads)", async () => {
    const token = await argocd.api.readOnlyToken();
    const asPortal = (path: string, init: RequestInit = {}) =>
      fetch(`${argocd.api.url}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      });
    // the community Backstage plugin's query for an entity annotated argocd/app-selector: mayday.dev/app=hello
    const res = await asPortal(`/api/v1/applications?${new URLSearchParams({ selector: 'mayday.dev/app=hello' })}`);
    expect(res.status).toBe(200);
    const { items } = (await res.json()) as { items: KubeObject[] };
    const reported = items.map((app) => ({ name: app.metadata.name, ...applicationState(app) }));
    const inCluster = await Promise.all(
      ['hello-prd', 'hello-stg'].map(async (name) => ({ name, ...applicationState(await argocd.application(name)) })),
    );
    console.log(
      `argocd-server on mayday.dev/app=hello: ${reported.map((a) => `${a.name} ${a.sync}/${a.health}`).join(', ')}`,
    );
    expect(reported.map((a) => [a.name, a.sync, a.health !== undefined])).toEqual([
      ['hello-prd', 'Synced', true],
      ['hello-stg', 'Synced', true],
    ]);
    expect(reported.map((a) => [a.name, a.revision])).toEqual(inCluster.map((a) => [a.name, a.revision]));
    // read-only: the token cannot sync
    const sync = await asPortal('/api/v1/applications/hello-stg/sync', { method: 'POST', body: '{}' });
    expect(sync.status).toBe(403);
    expect(await sync.text()).toMatch(/permission denied: applications, sync/);
  });

  it("listens on 127.0.0.1 only: the application controller's 0.0.0.0 metrics server is inside a network namespace of its own", () => {
    const listeners = listenersOf(process.pid);
    const outside = listeners.filter((l) => l.hostNetwork);
    const inside = listeners.filter((l) => !l.hostNetwork);
    expect(outside.filter((l) => l.address !== '127.0.0.1').map((l) => `${l.command} ${l.address}:${l.port}`)).toEqual(
      [],
    );
    // Argo CD 3.6.1 still binds every address there, but that namespace has nothing but its own loopback
    expect(inside.some((l) => l.command === 'argocd' && (l.address === '0.0.0.0' || l.address === '::'))).toBe(true);
    expect([...new Set(inside.flatMap((l) => l.interfaces))]).toEqual(['lo']);
    expect(outside.length).toBeGreaterThan(8);
  });

  it(
    'a second push that changes replicas is synced; the time from push to Synced is printed',
    async () => {
      editValues('apps/hello/values-stg.yaml', (t) => t.replace(/^replicas: \d+$/m, 'replicas: 2'));
      const pushed = Date.now();
      const tip = await push('hello: two replicas in stg');
      const published = Date.now();
      await synced('hello-stg', tip);
      const deployment = await cluster.client.get('apps/v1', 'Deployment', 'hello', 'hello-stg');
      expect((deployment?.spec as { replicas: number }).replicas).toBe(2);
      console.log(
        `render, commit and push (lint, publish) ${published - pushed} ms; published → Synced ${Date.now() - published} ms (refreshed as a git webhook would)`,
      );
    },
    TEST_TIMEOUT,
  );
});

describe('confinement, for real', () => {
  it(
    "an app whose manifests reach another namespace or a cluster-scoped kind is refused by its AppProject, with Argo CD's message; nothing lands",
    async () => {
      // a hand-made gitops folder (lint and push would never publish it): straight onto the branch
      const clone = mkdtempSync(join(tmpdir(), 'mayday-rogue-'));
      try {
        await execa('git', ['clone', '-q', '-b', 'gitops', remote.url, clone]);
        mkdirSync(join(clone, 'gitops/stg/rogue'), { recursive: true });
        const labels = { 'app.kubernetes.io/managed-by': 'mayday', 'app.kubernetes.io/instance': 'rogue' };
        writeFileSync(
          join(clone, 'gitops/stg/rogue/configmap-rogue.yaml'),
          JSON.stringify({
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: 'rogue', namespace: 'kube-system', labels },
            data: { a: 'b' },
          }),
        );
        writeFileSync(
          join(clone, 'gitops/stg/rogue/clusterrole-rogue.yaml'),
          JSON.stringify({
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'ClusterRole',
            metadata: { name: 'rogue', labels },
            rules: [],
          }),
        );
        const env = {
          GIT_AUTHOR_NAME: 'rogue',
          GIT_AUTHOR_EMAIL: 'r@x.invalid',
          GIT_COMMITTER_NAME: 'rogue',
          GIT_COMMITTER_EMAIL: 'r@x.invalid',
        };
        await execa('git', ['-C', clone, 'add', '-A'], { env });
        await execa('git', ['-C', clone, 'commit', '-q', '-m', 'rogue'], { env });
        await execa('git', ['-C', clone, 'push', '-q', 'origin', 'gitops'], { env });
      } finally {
        rmSync(clone, { recursive: true, force: true });
      }
      await argocd.refreshApplicationSet(APPSET);
      const refused = await waitFor(
        'rogue-stg to be refused by its project',
        async () => {
          const state = applicationState(await argocd.application('rogue-stg'));
          const text = state.messages.join('\n');
          return /not permitted/.test(text) ? text : undefined;
        },
        { timeoutMs: SYNC_TIMEOUT, context: () => argocd.logs() },
      );
      console.log(`Argo CD on rogue-stg: ${refused}`);
      expect(refused).toMatch(
        /ClusterRole.* is not permitted in project 'mayday-stg'|namespace kube-system is not permitted in project 'mayday-stg'/,
      );
      expect(await cluster.client.get('v1', 'ConfigMap', 'rogue', 'kube-system')).toBeUndefined();
      expect(await cluster.client.get('rbac.authorization.k8s.io/v1', 'ClusterRole', 'rogue')).toBeUndefined();
    },
    TEST_TIMEOUT,
  );
});

describe('faults heal', () => {
  it(
    'the application controller killed (SIGKILL) during a sync and restarted converges to Synced, nothing half-applied',
    async () => {
      editValues('apps/shop/values-stg.yaml', (t) => t.replace(/^replicas: \d+$/m, 'replicas: 3'));
      const tip = await push('shop: three replicas in stg');
      await argocd.refreshApplication('shop-stg');
      // the moment the controller has seen the new revision (OutOfSync at it) or runs its sync: kill it there
      const atKill = await waitFor(
        'shop-stg to start syncing the new revision',
        async () => {
          const state = applicationState(await argocd.application('shop-stg'));
          return state.operation === 'Running' || (state.revision === tip && state.sync === 'OutOfSync')
            ? state
            : undefined;
        },
        { timeoutMs: SYNC_TIMEOUT, intervalMs: 50 },
      );
      await argocd.killApplicationController({ restart: false });
      const replicas = (await cluster.client.get('apps/v1', 'Deployment', 'shop', 'shop-stg'))?.spec as {
        replicas?: number;
      };
      console.log(
        `application controller killed with shop-stg ${atKill.sync}, operation ${atKill.operation ?? 'none'}, Deployment at ${replicas?.replicas} replicas (gitops/ says 3)`,
      );
      await argocd.startApplicationController();
      await synced('shop-stg', tip);
      expect(await driftFromGitops('stg', 'shop')).toEqual([]);
    },
    TEST_TIMEOUT * 2,
  );

  it(
    'the API server restarted converges',
    async () => {
      editValues('apps/shop/values-stg.yaml', (t) => t.replace(/^replicas: \d+$/m, 'replicas: 2'));
      const tip = await push('shop: two replicas in stg');
      await cluster.restartApiServer();
      await argocd.refreshApplication('shop-stg');
      await synced('shop-stg', tip);
      expect(await driftFromGitops('stg', 'shop')).toEqual([]);
    },
    TEST_TIMEOUT * 2,
  );

  it(
    'the git server stopped shows the error on the Application, and it recovers when the server is back',
    async () => {
      await remote.git.stop();
      await argocd.refreshApplication('hello-stg');
      const error = await waitFor(
        'hello-stg to show that git is unreachable',
        async () => {
          const text = applicationState(await argocd.application('hello-stg')).messages.join('\n');
          return /ComparisonError/.test(text) ? text : undefined;
        },
        { timeoutMs: SYNC_TIMEOUT, context: () => argocd.logs() },
      );
      console.log(`Argo CD on hello-stg with git down: ${error}`);
      expect(error).toMatch(/127\.0\.0\.1:\d+|connection refused/);
      await remote.git.start();
      editValues('apps/hello/values-stg.yaml', (t) => t.replace(/^replicas: \d+$/m, 'replicas: 1'));
      const tip = await push('hello: one replica in stg');
      await synced('hello-stg', tip);
      expect(
        applicationState(await argocd.application('hello-stg')).messages.filter((m) => m.startsWith('ComparisonError')),
      ).toEqual([]);
      expect(await driftFromGitops('stg', 'hello')).toEqual([]);
    },
    TEST_TIMEOUT * 2,
  );
});

describe('deleting an app', () => {
  it(
    'and pushing deletes its Applications and prunes its resources',
    async () => {
      rmSync(join(ws.root, 'apps/shop'), { recursive: true });
      for (const env of ['stg', 'prd']) rmSync(join(ws.root, `gitops/${env}/shop`), { recursive: true });
      await push('remove shop');
      await argocd.refreshApplicationSet(APPSET);
      await waitFor(
        'the shop Applications to be deleted',
        async () => ((await argocd.applications()).some((a) => a.metadata.name.startsWith('shop-')) ? undefined : true),
        { timeoutMs: SYNC_TIMEOUT, context: () => argocd.logs() },
      );
      for (const env of ['stg', 'prd']) {
        expect(await cluster.client.list('apps/v1', 'Deployment', `shop-${env}`)).toEqual([]);
        expect(await cluster.client.list('v1', 'Service', `shop-${env}`)).toEqual([]);
      }
      expect(await argocd.application('hello-stg')).toBeDefined();
    },
    TEST_TIMEOUT,
  );
});

describe("mayday's preview and Argo CD agree", () => {
  it(
    'with a third env added to environments.yaml, the real ApplicationSet creates what discovery predicts',
    async () => {
      const envs = ws.read('platform/environments.yaml');
      const stg = envs.slice(envs.indexOf('  - name: stg'), envs.indexOf('  - name: prd'));
      const qa = stg
        .replace('name: stg', 'name: qa')
        .replace(
          /cluster:\n {6}name: stg\n {6}server: .*/,
          'cluster:\n      name: qa\n      server: https://qa.k8s.mayday.example',
        )
        .replace('namespace: "{app}-{env}"', 'namespace: "team-{app}-{env}"');
      writeFileSync(join(ws.root, 'platform/environments.yaml'), `${envs.trimEnd()}\n\n${qa}`);
      await mustSucceed(ws.nx(['sync']));
      await push('a third env: qa');
      for (const object of declaredArgoCdObjectsOfWorkspace())
        await cluster.client.applyOrThrow(object, { fieldManager: 'mayday-bootstrap' });
      await argocd.refreshApplicationSet(APPSET);
      const appSet = yamlObjects(join(ws.root, 'platform/argocd/applicationset-mayday.yaml'))[0];
      const predicted = discoverApplications(appSet, await remote.files()).map((a) => summary(a.object));
      expect(predicted.map((a) => a.name)).toContain('hello-qa');
      expect(await applicationsOnceCreated(predicted.length)).toEqual(predicted);
      expect(predicted.find((a) => a.name === 'hello-qa')).toMatchObject({
        project: 'mayday-qa',
        destination: { name: 'qa', namespace: 'team-hello-qa' },
      });
    },
    TEST_TIMEOUT,
  );
});

describe("diff's Application preview and the real ApplicationSet controller agree", () => {
  it(
    'a change that adds one app and removes another: diff lists both, and Argo CD creates and deletes exactly those',
    async () => {
      // the Applications the controller keeps: a deleted one may wait on its resources finalizer here (the env
      // clusters of the previous test are not reachable), and that it was deleted is the controller's verdict
      const mayday = async () =>
        (await argocd.applications())
          .filter(
            (a) =>
              a.metadata.labels?.['mayday.dev/app'] &&
              !(a.metadata as { deletionTimestamp?: string }).deletionTimestamp,
          )
          .map((a) => a.metadata.name)
          .sort();
      const before = await mayday();
      cpSync(join(ws.root, 'apps/hello'), join(ws.root, 'apps/cart'), { recursive: true });
      rmSync(join(ws.root, 'apps/hello'), { recursive: true });
      for (const env of loadEnvironments(ws.root))
        rmSync(join(ws.root, `gitops/${env.name}/hello`), { recursive: true, force: true });
      await mustSucceed(ws.nx(['run-many', '-t', 'render']));
      await mustSucceed(ws.git(['add', '-A']));
      await mustSucceed(ws.git(['commit', '-q', '-m', 'cart in, hello out']));

      const diff = await diffGitops({ workspaceRoot: ws.root, apps: ['cart'], config: loadGitopsConfig(ws.root) });
      const changes = diff.applications.changes.map((c) => `${c.change} ${c.name}`);
      expect(changes).toEqual([
        'created cart-prd',
        'created cart-qa',
        'created cart-stg',
        'deleted hello-prd',
        'deleted hello-qa',
        'deleted hello-stg',
      ]);
      const predicted = [...before.filter((n) => !n.startsWith('hello-')), 'cart-prd', 'cart-qa', 'cart-stg'].sort();

      await push('cart in, hello out (published)');
      await argocd.refreshApplicationSet(APPSET);
      let seen: string[] = [];
      await waitFor(
        `the ApplicationSet controller to hold ${predicted.join(', ')}`,
        async () => {
          seen = await mayday();
          return seen.join(',') === predicted.join(',') ? true : undefined;
        },
        { timeoutMs: SYNC_TIMEOUT, context: () => `last seen: ${seen.join(', ')}\n${argocd.logs()}` },
      );
      const created = diff.applications.changes.filter((c) => c.change === 'created').map((c) => c.after!);
      for (const target of created) {
        const app = (await argocd.application(target.name)) as unknown as {
          spec: { project: string; destination: { name: string; namespace: string } };
        };
        expect({
          name: target.name,
          project: app.spec.project,
          cluster: app.spec.destination.name,
          namespace: app.spec.destination.namespace,
        }).toEqual({
          name: target.name,
          project: target.project,
          cluster: target.cluster,
          namespace: target.namespace,
        });
      }
    },
    TEST_TIMEOUT,
  );
});
