import { ENVIRONMENTS_FILE, MaydayError, type Environment } from '@mayday/model';
import type { KubeObject, Kubectl } from '../cluster/kubectl.ts';
import { waitFor } from '../cluster/kubectl.ts';
import type { InstallContext } from './components.ts';

/** The lab's own namespace: the git server, and the record of what `up` installed. */
export const LAB_NAMESPACE = 'mayday-lab';
/** The identity Argo CD deploys every env with in the lab (cluster-admin in the lab's one cluster). */
const DEPLOYER = 'mayday-lab-argocd';
const DEPLOYER_TOKEN = 'mayday-lab-argocd-token';
/** The name the API server's certificate is issued for: Argo CD checks it whatever env URL it dialled. */
const API_SERVER_NAME = 'kubernetes.default.svc';

const isClusterSecret = (o: KubeObject) =>
  o.kind === 'Secret' && o.metadata.labels?.['argocd.argoproj.io/secret-type'] === 'cluster';

/**
 * How the lab maps every env of environments.yaml onto its one cluster, nothing edited: platform/argocd declares
 * each env's cluster to Argo CD by name and server URL (mayday-cluster-<env>); the lab adds the credentials a
 * bootstrap adds (a service account token and the cluster's CA, checked against kubernetes.default.svc), and its
 * CoreDNS resolves each env's API host to the kubernetes Service. Each env's apps land in their own namespaces.
 */
export async function envClusterSecrets(ctx: InstallContext, platform: readonly KubeObject[]): Promise<KubeObject[]> {
  const token = await deployerToken(ctx.kubectl);
  const ca = (await ctx.kubectl.get<{ data: Record<string, string> }>('configmap', 'kube-root-ca.crt', 'kube-system'))
    ?.data['ca.crt'];
  if (!ca) throw new Error('the cluster has no kube-root-ca.crt ConfigMap in kube-system');
  const declared = platform.filter(isClusterSecret);
  return ctx.envs.map((env) => {
    serverHost(env); // refuses a URL the lab cannot map
    const name =
      declared.find((s) => (s.stringData as Record<string, string> | undefined)?.name === env.cluster.name)?.metadata
        .name ?? `mayday-cluster-${env.name}`;
    const config = {
      bearerToken: token,
      tlsClientConfig: { caData: Buffer.from(ca).toString('base64'), serverName: API_SERVER_NAME },
    };
    return {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      // no app.kubernetes.io/managed-by: mayday (that label marks app objects, which mayday-app-namespace confines)
      metadata: {
        name,
        namespace: ctx.gitops.argocd.namespace,
        labels: { 'argocd.argoproj.io/secret-type': 'cluster' },
      },
      data: base64({ name: env.cluster.name, server: env.cluster.server, config: JSON.stringify(config) }),
    };
  });
}

/** platform/argocd's objects without its credential-less cluster Secrets (envClusterSecrets replaces them). */
export const withoutDeclaredClusters = (objects: readonly KubeObject[]): KubeObject[] =>
  objects.filter((o) => !isClusterSecret(o));

/** The API host of an env, which the lab's DNS points at its kubernetes Service (https on 443 only). */
export function serverHost(env: Environment): string {
  const url = new URL(env.cluster.server);
  if (url.protocol !== 'https:' || (url.port && url.port !== '443'))
    throw new MaydayError({
      severity: 'error',
      file: ENVIRONMENTS_FILE,
      field: `environments.${env.name}.cluster.server`,
      rule: 'lab-env-clusters',
      message: `the lab maps ${env.cluster.server} onto its cluster by DNS, which needs https on port 443`,
      hint: 'give the env an https URL without a port, as a real API server behind a load balancer has',
    });
  return url.hostname;
}

/** The hosts the lab's CoreDNS answers for: every env's API host and the gitops repository's host. */
export function labHosts(
  envs: readonly Environment[],
  apiServerIp: string,
  gitHost: string | undefined,
  gatewayIp: string,
): Map<string, string> {
  const hosts = new Map<string, string>();
  for (const env of envs) hosts.set(serverHost(env), apiServerIp);
  if (gitHost) hosts.set(gitHost, gatewayIp);
  return hosts;
}

const BEGIN = '# mayday-lab hosts: begin';
const END = '# mayday-lab hosts: end';

/** The Corefile with a `hosts` block for the lab's names (replacing the lab's earlier block), before `forward`. */
export function withLabHosts(corefile: string, hosts: Map<string, string>): string {
  const cleaned = corefile.replace(new RegExp(`\\s*${BEGIN}[\\s\\S]*?${END}`), '');
  const entries = [...hosts].sort(([a], [b]) => a.localeCompare(b)).map(([host, ip]) => `       ${ip} ${host}`);
  const block = [`    ${BEGIN}`, '    hosts {', ...entries, '       fallthrough', '    }', `    ${END}`].join('\n');
  if (!/^\s*forward /m.test(cleaned))
    throw new Error('the CoreDNS Corefile has no forward line to put the lab hosts before');
  return cleaned.replace(/^(\s*)forward /m, `${block}\n$1forward `);
}

/** Sets the lab's hosts in CoreDNS and restarts it when they changed; says whether anything changed. */
export async function mapHostsInCoreDns(kubectl: Kubectl, hosts: Map<string, string>): Promise<boolean> {
  const cm = await kubectl.get<KubeObject & { data: { Corefile: string } }>('configmap', 'coredns', 'kube-system');
  if (!cm) throw new Error('the cluster has no CoreDNS ConfigMap (kube-system/coredns)');
  const corefile = withLabHosts(cm.data.Corefile, hosts);
  if (corefile === cm.data.Corefile) return false;
  await kubectl.out([
    'patch',
    'configmap',
    'coredns',
    '-n',
    'kube-system',
    '--type=merge',
    '-p',
    JSON.stringify({ data: { Corefile: corefile } }),
  ]);
  await kubectl.out(['rollout', 'restart', 'deployment/coredns', '-n', 'kube-system']);
  await kubectl.rolloutStatus('kube-system', ['deployment/coredns']);
  return true;
}

/** A long-lived token of the lab's deployer service account (created with its cluster-admin binding if missing). */
async function deployerToken(kubectl: Kubectl): Promise<string> {
  await kubectl.apply([
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: DEPLOYER, namespace: 'kube-system' } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: DEPLOYER },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ kind: 'ServiceAccount', name: DEPLOYER, namespace: 'kube-system' }],
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/service-account-token',
      metadata: {
        name: DEPLOYER_TOKEN,
        namespace: 'kube-system',
        annotations: { 'kubernetes.io/service-account.name': DEPLOYER },
      },
    },
  ]);
  return waitFor(`the token of ${DEPLOYER}`, async () => {
    const secret = await kubectl.get<{ data?: { token?: string } }>('secret', DEPLOYER_TOKEN, 'kube-system');
    return secret?.data?.token ? Buffer.from(secret.data.token, 'base64').toString() : undefined;
  });
}

const base64 = (data: Record<string, string>) =>
  Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
