import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { TOOLS_BIN, type Cluster } from './control-plane.ts';
import type { KubeObject } from './kube-client.ts';
import { startInNetworkNamespace } from './netns.ts';
import { freePort, startProcess, waitFor, type ServerProcess } from './processes.ts';

export const ARGOCD_NAMESPACE = 'argocd';

/** Argo CD's components as local processes against a cluster, the way Argo CD's own Procfile runs them. */
export interface ArgoCd {
  namespace: string;
  /** How long Redis, the repo-server, both controllers and the API server took to be ready, in ms. */
  startupMs: number;
  /** argocd-server, Argo CD's API (what its CLI, UI and the Backstage plugin talk to), plaintext on 127.0.0.1. */
  api: ArgoCdApi;
  /** SIGKILLs the application controller (a crash) and starts it again. */
  killApplicationController(options?: { restart?: boolean }): Promise<void>;
  startApplicationController(): Promise<void>;
  /** An Application, or undefined. */
  application(name: string): Promise<KubeObject | undefined>;
  applications(): Promise<KubeObject[]>;
  /** Asks the ApplicationSet controller to generate again now (what Argo CD's git webhook does). */
  refreshApplicationSet(name: string): Promise<void>;
  /** Asks the application controller to compare an Application with git again now. */
  refreshApplication(name: string): Promise<void>;
  /** The last lines of every component's log, for error messages. */
  logs(): string;
  stop(): Promise<void>;
}

/** argocd-server: its URL, the admin's login (from argocd-initial-admin-secret, as a new install makes it). */
export interface ArgoCdApi {
  url: string;
  username: 'admin';
  password: string;
  /** The read-only account for a portal (`accounts.<name>: apiKey`, `role:readonly`), made in argocd-cm. */
  readOnlyAccount: string;
  /** A new API token of the read-only account, as `argocd account generate-token --account <name>` makes it. */
  readOnlyToken(): Promise<string>;
  /** GET an API path (`/api/v1/applications?selector=…`) as the admin; the parsed JSON body, or an error. */
  get(path: string): Promise<unknown>;
}

/** The account argocd-cm declares for a portal: API tokens only, read-only by argocd-rbac-cm. */
export const ARGOCD_READONLY_ACCOUNT = 'portal';

/** The ConfigMaps and Secret Argo CD's components read at start (as manifests/install.yaml creates them, empty). */
function argoCdSettings(namespace: string): KubeObject[] {
  const labelled = (kind: string, name: string, extra: Record<string, unknown> = {}): KubeObject => ({
    apiVersion: 'v1',
    kind,
    metadata: { name, namespace, labels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'argocd' } },
    ...extra,
  });
  return [
    // the tests poll: compare with git every few seconds instead of every three minutes
    labelled('ConfigMap', 'argocd-cm', {
      data: {
        'timeout.reconciliation': '5s',
        'timeout.reconciliation.jitter': '0s',
        [`accounts.${ARGOCD_READONLY_ACCOUNT}`]: 'apiKey',
      },
    }),
    labelled('ConfigMap', 'argocd-cmd-params-cm'),
    labelled('ConfigMap', 'argocd-rbac-cm', {
      data: { 'policy.csv': `g, ${ARGOCD_READONLY_ACCOUNT}, role:readonly\n` },
    }),
    labelled('ConfigMap', 'argocd-gpg-keys-cm'),
    labelled('ConfigMap', 'argocd-ssh-known-hosts-cm'),
    labelled('ConfigMap', 'argocd-tls-certs-cm'),
    // made here, per cluster, as Argo CD's server makes it at first start
    labelled('Secret', 'argocd-secret', {
      type: 'Opaque',
      stringData: { 'server.secretkey': randomBytes(32).toString('base64') },
    }),
  ];
}

const argocdBinary = () => {
  const path = join(TOOLS_BIN, 'argocd');
  if (!existsSync(path))
    throw new Error(
      `${path} is missing: run \`bash tools/toolchain/setup.sh\` (it builds Argo CD from its pinned Go module)`,
    );
  if (!existsSync(join(TOOLS_BIN, 'git-verify-wrapper.sh')))
    throw new Error(`${TOOLS_BIN}/git-verify-wrapper.sh is missing: run \`bash tools/toolchain/setup.sh\``);
  return path;
};

interface Ports {
  redis: number;
  repo: number;
  repoMetrics: number;
  controllerMetrics: number;
  appsetMetrics: number;
  appsetProbe: number;
  appsetWebhook: number;
  server: number;
  serverMetrics: number;
}

// redis-server takes `--name value` pairs
const redisArgs = (ports: Ports) => [
  '--port',
  String(ports.redis),
  '--bind',
  '127.0.0.1',
  '--save',
  '',
  '--appendonly',
  'no',
  '--protected-mode',
  'yes',
];

const repoServerArgs = (ports: Ports) => [
  '--loglevel=info',
  '--address=127.0.0.1',
  `--port=${ports.repo}`,
  '--metrics-address=127.0.0.1',
  `--metrics-port=${ports.repoMetrics}`,
  `--redis=127.0.0.1:${ports.redis}`,
  '--disable-tls',
  '--client-ca-path=',
  // a branch's tip is looked up again after 5 s (3 min by default), so polling sees a push soon even without a webhook
  '--revision-cache-expiration=5s',
];

// Argo CD 3.6.1 binds the controller's metrics server to 0.0.0.0 (controller/appcontroller.go, no flag): the
// controller runs in a network namespace of its own, where that address is its own loopback only
const controllerArgs = (ports: Ports, kube: string[]) => [
  ...kube,
  `--redis=127.0.0.1:${ports.redis}`,
  `--repo-server=127.0.0.1:${ports.repo}`,
  '--repo-server-plaintext',
  `--metrics-port=${ports.controllerMetrics}`,
  '--app-resync=5',
  '--app-resync-jitter=0',
  '--status-processors=4',
  '--operation-processors=4',
  '--self-heal-timeout-seconds=2',
];

const appsetArgs = (ports: Ports, kube: string[]) => [
  ...kube,
  `--argocd-repo-server=127.0.0.1:${ports.repo}`,
  '--repo-server-plaintext',
  `--metrics-addr=127.0.0.1:${ports.appsetMetrics}`,
  `--probe-addr=127.0.0.1:${ports.appsetProbe}`,
  `--webhook-addr=127.0.0.1:${ports.appsetWebhook}`,
];

// what Argo CD's Procfile runs as api-server, plaintext (--insecure) and on 127.0.0.1 only, with authentication on
const serverArgs = (ports: Ports, kubeconfig: string, namespace: string) => [
  `--kubeconfig=${kubeconfig}`,
  `--namespace=${namespace}`,
  '--loglevel=info',
  '--insecure',
  '--address=127.0.0.1',
  `--port=${ports.server}`,
  '--metrics-address=127.0.0.1',
  `--metrics-port=${ports.serverMetrics}`,
  `--redis=127.0.0.1:${ports.redis}`,
  `--repo-server=127.0.0.1:${ports.repo}`,
  '--repo-server-plaintext',
  '--staticassets=',
];

/** The environment a component gets: its name, the fake in-cluster config, and Argo CD's data paths. */
const componentEnv = (name: string, dir: string, kubeconfig: string): Record<string, string> => ({
  ARGOCD_BINARY_NAME: name,
  ARGOCD_FAKE_IN_CLUSTER: 'true',
  KUBECONFIG: kubeconfig,
  ARGOCD_TLS_DATA_PATH: join(dir, 'tls'),
  ARGOCD_SSH_DATA_PATH: join(dir, 'ssh'),
  ARGOCD_GNUPGHOME: join(dir, 'gpg/keys'),
  ARGOCD_GPG_DATA_PATH: join(dir, 'gpg/source'),
  ARGOCD_GPG_ENABLED: 'false',
  ARGOCD_PLUGINSOCKFILEPATH: join(dir, 'plugins'),
  // git-verify-wrapper.sh and helm, as on the PATH of Argo CD's image
  PATH: `${TOOLS_BIN}:${process.env.PATH ?? '/usr/bin:/bin'}`,
  HOME: dir,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  HOSTNAME: `${name}-0`,
});

/** Resolves when GET url answers 2xx; fails at once if the process exits. */
const serving = (what: string, url: string, process: ServerProcess, timeoutMs: number) =>
  waitFor(what, async () => ((await fetch(url).catch(() => undefined))?.ok ? true : undefined), {
    timeoutMs,
    gone: process,
    context: () => process.tail(),
  });

/**
 * Redis, argocd-repo-server, argocd-application-controller and argocd-applicationset-controller on 127.0.0.1, out of
 * the cluster with --kubeconfig (ARGOCD_FAKE_IN_CLUSTER: https://kubernetes.default.svc is that kubeconfig's server),
 * namespace argocd, after the Argo CD CRDs (cluster.installCrds) and its settings are in the cluster. They act as
 * Argo CD's service account, so the platform's policies see what they would see in a real cluster.
 */
export async function startArgoCd(cluster: Cluster, options: { timeoutMs?: number } = {}): Promise<ArgoCd> {
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? 60_000;
  const namespace = ARGOCD_NAMESPACE;
  const dir = join(cluster.dir, 'argocd');
  for (const sub of ['tls', 'ssh', 'gpg/keys', 'gpg/source', 'plugins'])
    mkdirSync(join(dir, sub), { recursive: true, mode: 0o700 });
  const binary = argocdBinary();
  await cluster.client.applyOrThrow({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  for (const object of argoCdSettings(namespace))
    await cluster.client.applyOrThrow(object, { fieldManager: 'mayday-bootstrap' });

  const ports = await freePorts();
  const apiPort = Number(new URL(cluster.server).port);
  const kube = [`--kubeconfig=${cluster.argocdKubeconfig}`, `--namespace=${namespace}`, '--loglevel=info'];
  const processes = new Map<string, ServerProcess>();
  const start = (name: string, program: string, args: string[], kubeconfig = cluster.argocdKubeconfig) => {
    const process = startProcess(name, program, args, { logDir: dir, env: componentEnv(name, dir, kubeconfig) });
    processes.set(name, process);
    return process;
  };
  const logs = () =>
    [...processes.values()].map((p) => `--- ${p.name}${p.exited ? ' (exited)' : ''}:\n${p.tail(10)}`).join('\n');
  const stop = async () => {
    for (const p of [...processes.values()].reverse()) await p.stop();
  };
  const startApplicationController = async () => {
    const name = 'argocd-application-controller';
    const controller = await startInNetworkNamespace(name, binary, controllerArgs(ports, kube), {
      logDir: dir,
      env: componentEnv(name, dir, cluster.argocdKubeconfig),
      // the API server (both cluster Secrets' URLs lead to it), Redis and the repo-server
      reach: [apiPort, ports.redis, ports.repo],
      expose: [ports.controllerMetrics],
    });
    processes.set(name, controller);
    await serving(
      'argocd-application-controller to serve its health check',
      `http://127.0.0.1:${ports.controllerMetrics}/healthz`,
      controller,
      timeoutMs,
    );
  };
  let api: ArgoCdApi;
  try {
    start('redis', 'redis-server', redisArgs(ports));
    const repoServer = start('argocd-repo-server', binary, repoServerArgs(ports));
    await serving(
      'argocd-repo-server to serve its health check',
      `http://127.0.0.1:${ports.repoMetrics}/healthz`,
      repoServer,
      timeoutMs,
    );
    const startApplicationSetController = () =>
      serving(
        'argocd-applicationset-controller to serve its metrics',
        `http://127.0.0.1:${ports.appsetMetrics}/metrics`,
        start('argocd-applicationset-controller', binary, appsetArgs(ports, kube)),
        timeoutMs,
      );
    const startApiServer = async () => {
      // its own service account, as in a real install: it writes Argo CD's Secrets, which git never holds
      const kubeconfig = cluster.argocdServerKubeconfig;
      const apiServer = start('argocd-server', binary, serverArgs(ports, kubeconfig, namespace), kubeconfig);
      return startedApi(`http://127.0.0.1:${ports.server}`, apiServer, cluster, timeoutMs);
    };
    [api] = await Promise.all([startApiServer(), startApplicationController(), startApplicationSetController()]);
  } catch (error) {
    await stop();
    throw error;
  }

  const client = cluster.client;
  return {
    namespace,
    startupMs: Date.now() - started,
    api,
    killApplicationController: async ({ restart = true } = {}) => {
      await processes.get('argocd-application-controller')!.kill();
      if (restart) await startApplicationController();
    },
    startApplicationController,
    application: (name) => client.get('argoproj.io/v1alpha1', 'Application', name, namespace),
    applications: () => client.list('argoproj.io/v1alpha1', 'Application', namespace),
    refreshApplicationSet: async (name) => {
      await client.patchMerge('argoproj.io/v1alpha1', 'ApplicationSet', name, namespace, {
        metadata: { annotations: { 'argocd.argoproj.io/application-set-refresh': 'true' } },
      });
    },
    refreshApplication: async (name) => {
      await client.patchMerge('argoproj.io/v1alpha1', 'Application', name, namespace, {
        metadata: { annotations: { 'argocd.argoproj.io/refresh': 'normal' } },
      });
    },
    logs,
    stop,
  };
}

async function freePorts(): Promise<Ports> {
  const [
    redis,
    repo,
    repoMetrics,
    controllerMetrics,
    appsetMetrics,
    appsetProbe,
    appsetWebhook,
    server,
    serverMetrics,
  ] = await Promise.all(Array.from({ length: 9 }, freePort));
  return {
    ...{ redis, repo, repoMetrics, controllerMetrics, appsetMetrics, appsetProbe, appsetWebhook },
    ...{ server, serverMetrics },
  };
}

/** Once argocd-server answers and has made the admin's first password (argocd-initial-admin-secret), its API. */
async function startedApi(url: string, server: ServerProcess, cluster: Cluster, timeoutMs: number): Promise<ArgoCdApi> {
  await serving('argocd-server to serve its health check', `${url}/healthz?full=true`, server, timeoutMs);
  const password = await waitFor(
    'argocd-server to write argocd-initial-admin-secret',
    async () => {
      const secret = await cluster.client.get('v1', 'Secret', 'argocd-initial-admin-secret', ARGOCD_NAMESPACE);
      const data = secret?.data as { password?: string } | undefined;
      return data?.password ? Buffer.from(data.password, 'base64').toString('utf8') : undefined;
    },
    { timeoutMs, gone: server, context: () => server.tail() },
  );
  return argoCdApi(url, password);
}

/** Argo CD's REST API as its CLI uses it: a session for the admin, a token for the read-only account. */
function argoCdApi(url: string, password: string): ArgoCdApi {
  const call = async (method: string, path: string, token?: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`argocd-server ${method} ${path}: ${res.status} ${text.trim()}`);
    return JSON.parse(text) as Record<string, unknown>;
  };
  let session: string | undefined;
  const admin = async () =>
    (session ??= String((await call('POST', '/api/v1/session', undefined, { username: 'admin', password })).token));
  return {
    url,
    username: 'admin',
    password,
    readOnlyAccount: ARGOCD_READONLY_ACCOUNT,
    readOnlyToken: async () =>
      String((await call('POST', `/api/v1/account/${ARGOCD_READONLY_ACCOUNT}/token`, await admin(), {})).token),
    get: async (path) => call('GET', path, await admin()),
  };
}

/** An Application's sync and health status, and the messages Argo CD gives (conditions, last operation). */
export function applicationState(app: KubeObject | undefined): {
  sync?: string;
  health?: string;
  revision?: string;
  operation?: string;
  messages: string[];
} {
  const status = (app?.status ?? {}) as {
    sync?: { status?: string; revision?: string };
    health?: { status?: string };
    conditions?: { type: string; message: string }[];
    operationState?: { phase?: string; message?: string };
  };
  return {
    sync: status.sync?.status,
    health: status.health?.status,
    revision: status.sync?.revision,
    operation: status.operationState?.phase,
    messages: [
      ...(status.conditions ?? []).map((c) => `${c.type}: ${c.message}`),
      ...(status.operationState?.message
        ? [`operation ${status.operationState.phase}: ${status.operationState.message}`]
        : []),
    ],
  };
}
