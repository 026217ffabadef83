import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { TOOLS_BIN, type Cluster } from './control-plane.ts';
import type { KubeObject } from './kube-client.ts';
import { freePort, startProcess, waitFor, type ServerProcess } from './processes.ts';

export const ARGOCD_NAMESPACE = 'argocd';

/** Argo CD's components as local processes against a cluster, the way Argo CD's own Procfile runs them. */
export interface ArgoCd {
  namespace: string;
  /** How long Redis, the repo-server and both controllers took to be ready, in ms. */
  startupMs: number;
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
      data: { 'timeout.reconciliation': '5s', 'timeout.reconciliation.jitter': '0s' },
    }),
    labelled('ConfigMap', 'argocd-cmd-params-cm'),
    labelled('ConfigMap', 'argocd-rbac-cm'),
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

// Argo CD 3.6.1 binds the controller's metrics server to 0.0.0.0 (controller/appcontroller.go): it gets a free port
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

  const [redis, repo, repoMetrics, controllerMetrics, appsetMetrics, appsetProbe, appsetWebhook] = await Promise.all(
    Array.from({ length: 7 }, freePort),
  );
  const ports: Ports = { redis, repo, repoMetrics, controllerMetrics, appsetMetrics, appsetProbe, appsetWebhook };
  const kube = [`--kubeconfig=${cluster.argocdKubeconfig}`, `--namespace=${namespace}`, '--loglevel=info'];
  const processes = new Map<string, ServerProcess>();
  const start = (name: string, program: string, args: string[]) => {
    const process = startProcess(name, program, args, {
      logDir: dir,
      env: componentEnv(name, dir, cluster.argocdKubeconfig),
    });
    processes.set(name, process);
    return process;
  };
  const logs = () =>
    [...processes.values()].map((p) => `--- ${p.name}${p.exited ? ' (exited)' : ''}:\n${p.tail(10)}`).join('\n');
  const stop = async () => {
    for (const p of [...processes.values()].reverse()) await p.stop();
  };
  const startApplicationController = async () => {
    const controller = start('argocd-application-controller', binary, controllerArgs(ports, kube));
    await serving(
      'argocd-application-controller to serve its health check',
      `http://127.0.0.1:${ports.controllerMetrics}/healthz`,
      controller,
      timeoutMs,
    );
  };
  try {
    start('redis', 'redis-server', redisArgs(ports));
    const repoServer = start('argocd-repo-server', binary, repoServerArgs(ports));
    await serving(
      'argocd-repo-server to serve its health check',
      `http://127.0.0.1:${ports.repoMetrics}/healthz`,
      repoServer,
      timeoutMs,
    );
    await startApplicationController();
    const appset = start('argocd-applicationset-controller', binary, appsetArgs(ports, kube));
    await serving(
      'argocd-applicationset-controller to serve its metrics',
      `http://127.0.0.1:${ports.appsetMetrics}/metrics`,
      appset,
      timeoutMs,
    );
  } catch (error) {
    await stop();
    throw error;
  }

  const client = cluster.client;
  return {
    namespace,
    startupMs: Date.now() - started,
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
