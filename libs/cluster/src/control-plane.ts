import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { pinnedCrdTexts } from './crds.ts';
import { KubeClient, messageOf, type KubeObject } from './kube-client.ts';
import { freePort, startProcess, waitFor, type ServerProcess } from './processes.ts';

/** The workspace this code lives in: the servers are in its .tools/bin. */
export const WORKSPACE_ROOT = join(import.meta.dirname, '../../..');
export const TOOLS_BIN = join(WORKSPACE_ROOT, '.tools/bin');

/** The identity Argo CD's application controller has in a cluster (what the platform's policies see). */
export const ARGOCD_CONTROLLER_USER = 'system:serviceaccount:argocd:argocd-application-controller';
/** The identity of Argo CD's API server (argocd-server), which writes Argo CD's own settings and Secrets. */
export const ARGOCD_SERVER_USER = 'system:serviceaccount:argocd:argocd-server';

export interface Cluster {
  /** A kubeconfig file for the cluster's admin (kubectl --kubeconfig, Argo CD's --kubeconfig). */
  kubeconfig: string;
  /** A kubeconfig for Argo CD: the controller's service account identity (the platform's policies match on it). */
  argocdKubeconfig: string;
  /** A kubeconfig for argocd-server: its own service account identity, as in a real install. */
  argocdServerKubeconfig: string;
  server: string;
  caPem: string;
  /** Bearer token of the Argo CD identity, for a cluster Secret's config. */
  argocdToken: string;
  /** The admin's client. */
  client: KubeClient;
  /** A client acting as Argo CD's application controller. */
  argocdClient: KubeClient;
  dir: string;
  /** How long etcd + kube-apiserver + kube-controller-manager took to be ready, in ms. */
  startupMs: number;
  /** Applies every CRD pinned in platform/crds/crds.yaml and waits until each is served. */
  installCrds(): Promise<number>;
  /** Stops and starts kube-apiserver (etcd keeps the data). */
  restartApiServer(): Promise<void>;
  /** Stops every process and removes the temp folder. Safe to call twice. */
  stop(): Promise<void>;
}

const binary = (name: string) => {
  const path = join(TOOLS_BIN, name);
  if (!existsSync(path))
    throw new Error(
      `${path} is missing: run \`bash tools/toolchain/setup.sh\` (it builds the pinned servers from their Go modules)`,
    );
  return path;
};

interface Credentials {
  admin: string;
  argocd: string;
  argocdServer: string;
  controller: string;
}

/** A service-account signing key pair and one bearer token per identity, in the cluster's folder. */
function writeCredentials(dir: string): Credentials {
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(join(dir, 'sa.key'), keys.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(join(dir, 'sa.pub'), keys.publicKey.export({ type: 'spki', format: 'pem' }));
  const tokens = {
    admin: randomBytes(24).toString('hex'),
    argocd: randomBytes(24).toString('hex'),
    argocdServer: randomBytes(24).toString('hex'),
    controller: randomBytes(24).toString('hex'),
  };
  writeFileSync(
    join(dir, 'tokens.csv'),
    [
      `${tokens.admin},mayday-admin,1,"system:masters"`,
      `${tokens.argocd},${ARGOCD_CONTROLLER_USER},2,"system:serviceaccounts,system:serviceaccounts:argocd,system:authenticated"`,
      `${tokens.controller},system:kube-controller-manager,3,"system:masters"`,
      `${tokens.argocdServer},${ARGOCD_SERVER_USER},4,"system:serviceaccounts,system:serviceaccounts:argocd,system:authenticated"`,
      '',
    ].join('\n'),
  );
  return tokens;
}

const etcdArgs = (dir: string, port: number, peerPort: number) => [
  `--data-dir=${join(dir, 'etcd')}`,
  `--listen-client-urls=http://127.0.0.1:${port}`,
  `--advertise-client-urls=http://127.0.0.1:${port}`,
  `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
  `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
  `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
  '--unsafe-no-fsync',
  '--log-level=warn',
];

const apiServerArgs = (dir: string, etcdPort: number, port: number) => [
  `--etcd-servers=http://127.0.0.1:${etcdPort}`,
  '--bind-address=127.0.0.1',
  '--advertise-address=127.0.0.1',
  `--secure-port=${port}`,
  `--cert-dir=${join(dir, 'certs')}`,
  `--token-auth-file=${join(dir, 'tokens.csv')}`,
  // RBAC is not what these tests check; admission (the platform's policies) and Argo CD's projects are
  '--authorization-mode=AlwaysAllow',
  '--service-account-issuer=https://kubernetes.default.svc',
  `--service-account-key-file=${join(dir, 'sa.pub')}`,
  `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
  '--service-cluster-ip-range=10.96.0.0/16',
  '--profiling=false',
];

const controllerManagerArgs = (dir: string, kubeconfig: string) => [
  `--kubeconfig=${kubeconfig}`,
  '--leader-elect=false',
  '--bind-address=127.0.0.1',
  '--secure-port=0',
  `--service-account-private-key-file=${join(dir, 'sa.key')}`,
  `--root-ca-file=${join(dir, 'certs/apiserver.crt')}`,
  '--use-service-account-credentials=false',
  '--controllers=namespace-controller,garbage-collector-controller,deployment-controller,replicaset-controller,statefulset-controller,serviceaccount-controller,serviceaccount-token-controller',
];

/**
 * etcd, kube-apiserver and kube-controller-manager (namespaces, garbage collection, workloads; no scheduler, no
 * kubelet: no Pod ever runs) on 127.0.0.1 and free ports, in a temp folder removed by stop().
 */
export async function startControlPlane(options: { timeoutMs?: number } = {}): Promise<Cluster> {
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? 60_000;
  const dir = mkdtempSync(join(tmpdir(), 'mayday-cluster-'));
  const processes: ServerProcess[] = [];
  const clients: KubeClient[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const c of clients) c.close();
    // the controller first (it talks to the API server), etcd last (the API server needs it to shut down cleanly)
    for (const p of [...processes].reverse()) await p.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    mkdirSync(join(dir, 'certs'));
    const tokens = writeCredentials(dir);
    const etcd = startProcess('etcd', binary('etcd'), etcdArgs(dir, etcdPort, peerPort), { logDir: dir });
    processes.push(etcd);

    const server = `https://127.0.0.1:${apiPort}`;
    const startApiServer = () =>
      startProcess('kube-apiserver', binary('kube-apiserver'), apiServerArgs(dir, etcdPort, apiPort), { logDir: dir });
    let apiServer = startApiServer();
    processes.push(apiServer);
    const certFile = join(dir, 'certs/apiserver.crt');
    const caPem = await waitFor(
      'kube-apiserver to write its serving certificate',
      () => (existsSync(certFile) ? readFileSync(certFile, 'utf8') : undefined),
      { timeoutMs, context: () => apiServer.tail() },
    );
    const client = new KubeClient({ server, token: tokens.admin, caPem });
    const argocdClient = new KubeClient({ server, token: tokens.argocd, caPem });
    clients.push(client, argocdClient);
    const ready = () =>
      waitFor(
        'kube-apiserver /readyz',
        async () => ((await client.request('GET', '/readyz')).status === 200 ? true : undefined),
        {
          timeoutMs,
          context: () =>
            apiServer.exited
              ? `kube-apiserver exited:\n${apiServer.tail()}`
              : `etcd:\n${etcd.tail(5)}\nkube-apiserver:\n${apiServer.tail()}`,
        },
      );
    await ready();

    const kubeconfigOf = (name: string, token: string, user: string) =>
      writeKubeconfig(join(dir, `${name}.kubeconfig`), server, caPem, token, user);
    const controllerManager = startProcess(
      'kube-controller-manager',
      binary('kube-controller-manager'),
      controllerManagerArgs(dir, kubeconfigOf('controller', tokens.controller, 'kube-controller-manager')),
      { logDir: dir },
    );
    processes.push(controllerManager);
    // the service account controller creates `default` in every namespace: the sign that the controllers run
    await waitFor(
      'kube-controller-manager to create the default service account',
      async () =>
        (await client.request('GET', '/api/v1/namespaces/default/serviceaccounts/default')).status === 200
          ? true
          : undefined,
      {
        timeoutMs,
        context: () => controllerManager.tail(),
      },
    );

    return {
      kubeconfig: kubeconfigOf('admin', tokens.admin, 'mayday-admin'),
      argocdKubeconfig: kubeconfigOf('argocd', tokens.argocd, 'argocd-application-controller'),
      argocdServerKubeconfig: kubeconfigOf('argocd-server', tokens.argocdServer, 'argocd-server'),
      server,
      caPem,
      argocdToken: tokens.argocd,
      client,
      argocdClient,
      dir,
      startupMs: Date.now() - started,
      installCrds: () => installPinnedCrds(client),
      restartApiServer: async () => {
        const index = processes.indexOf(apiServer);
        await apiServer.stop();
        apiServer = startApiServer();
        processes[index] = apiServer;
        await ready();
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function writeKubeconfig(path: string, server: string, caPem: string, token: string, user: string): string {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'mayday-test', cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } },
    ],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: 'mayday-test', context: { cluster: 'mayday-test', user } }],
    'current-context': 'mayday-test',
  };
  writeFileSync(path, stringify(config), { mode: 0o600 });
  return path;
}

/** Applies every pinned CRD (server-side, strict) and waits until the API server serves each. */
export async function installPinnedCrds(client: KubeClient): Promise<number> {
  const crds: KubeObject[] = [];
  let pending: string[] = [];
  for (const { pin, text } of pinnedCrdTexts(WORKSPACE_ROOT))
    for (const doc of parseAllDocuments(text)) {
      const object = doc.toJS() as KubeObject | null;
      if (!object) continue;
      if (object.kind !== 'CustomResourceDefinition')
        throw new Error(
          `${pin.module}@${pin.version}/${pin.path}: holds a ${object.kind}, not a CustomResourceDefinition`,
        );
      crds.push(object);
    }
  // one at a time: each new CRD makes the API server rebuild its handlers and OpenAPI, and 25 at once contend for
  // that work (measured on 2 cores: 20 s in parallel, 8 s in turn, until every CRD is Established)
  for (const crd of crds) {
    const res = await client.apply(crd, { fieldManager: 'mayday-crds' });
    if (res.status >= 300) throw new Error(`CRD ${crd.metadata.name}: ${res.status} ${messageOf(res)}`);
  }
  await waitFor(
    `the ${crds.length} pinned CRDs to be Established`,
    async () => {
      const res = await client.request('GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions');
      const established = new Set(
        ((res.body.items ?? []) as KubeObject[])
          .filter((live) =>
            ((live.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).some(
              (c) => c.type === 'Established' && c.status === 'True',
            ),
          )
          .map((live) => live.metadata.name),
      );
      pending = crds.filter((crd) => !established.has(crd.metadata.name)).map((crd) => crd.metadata.name);
      return pending.length === 0 ? true : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 250, context: () => `not Established yet: ${pending.join(', ')}` },
  );
  return crds.length;
}
