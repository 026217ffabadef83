import pc from 'picocolors';
import { INSTALLERS } from './components/components.ts';
import { run } from './exec.ts';
import { ARGOCD_URL, labPushUrl, labServesRepository, openLab, RECORD, type Lab } from './lab.ts';

/** One Argo CD Application as status shows it. */
export interface ApplicationStatus {
  name: string;
  sync: string;
  health: string;
  /** The operation's or a condition's message, when it failed. */
  message?: string;
  /** Hosts of the HTTPRoutes among its resources: where the app answers through the gateway. */
  hosts: string[];
}

export interface WorkloadStatus {
  namespace: string;
  workload: string;
  ready: string;
  ok: boolean;
}

export interface LabStatus {
  cluster: { name: string; exists: boolean; node?: string; context: string };
  components: { name: string; version?: string; installed?: string; workloads: WorkloadStatus[] }[];
  applications: ApplicationStatus[];
  access: {
    argocd: string;
    login?: { user: string; password: string };
    gitPush?: string;
    apps: { app: string; url: string; curl: string }[];
  };
}

/** Every Application in Argo CD's namespace with its sync and health (none when Argo CD is not there yet). */
export async function applications(lab: Lab): Promise<ApplicationStatus[]> {
  type App = {
    metadata: { name: string };
    status?: {
      sync?: { status?: string };
      health?: { status?: string };
      operationState?: { phase?: string; message?: string };
      conditions?: { type: string; message: string }[];
      resources?: { kind: string; name: string; namespace?: string }[];
    };
  };
  const items = await lab.kubectl.list<App>('applications.argoproj.io', lab.gitops.argocd.namespace);
  const routes = await lab.kubectl.list<{
    metadata: { name: string; namespace: string };
    spec: { hostnames?: string[] };
  }>('httproutes.gateway.networking.k8s.io');
  return items
    .map((a) => {
      const failed = a.status?.operationState?.phase === 'Failed' || a.status?.operationState?.phase === 'Error';
      const condition = a.status?.conditions?.find((c) => /Error|Warning/.test(c.type));
      const hosts = (a.status?.resources ?? [])
        .filter((r) => r.kind === 'HTTPRoute')
        .flatMap(
          (r) =>
            routes.find((x) => x.metadata.name === r.name && x.metadata.namespace === r.namespace)?.spec.hostnames ??
            [],
        );
      return {
        name: a.metadata.name,
        sync: a.status?.sync?.status ?? 'Unknown',
        health: a.status?.health?.status ?? 'Unknown',
        message: failed ? a.status?.operationState?.message : condition?.message,
        hosts,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** What `nx run platform:status` reports: the cluster, each component's readiness, the Applications, the URLs. */
export async function labStatus(root: string): Promise<LabStatus> {
  const lab = openLab(root);
  const exists = await lab.kind.exists();
  const status: LabStatus = {
    cluster: { name: lab.config.cluster.name, exists, context: lab.kind.context },
    components: [],
    applications: [],
    access: { argocd: ARGOCD_URL, apps: [] },
  };
  if (!exists) return status;
  const node = await run('docker', ['inspect', '--format', '{{.State.Status}}', lab.kind.controlPlane]);
  status.cluster.node = node.ok ? `${lab.kind.controlPlane} ${node.stdout.trim()}` : `${lab.kind.controlPlane} missing`;
  const installed =
    (
      await lab.kubectl
        .get<{ data?: Record<string, string> }>('configmap', RECORD.name, RECORD.namespace)
        .catch(() => undefined)
    )?.data ?? {};
  for (const component of lab.config.lab.components) {
    const workloads: WorkloadStatus[] = [];
    for (const group of INSTALLERS[component.name]?.workloads ?? [])
      for (const workload of group.names) workloads.push(await workloadStatus(lab, group.namespace, workload));
    status.components.push({
      name: component.name,
      version: component.version,
      installed: installed[component.name]?.split(' ')[0],
      workloads,
    });
  }
  status.applications = await applications(lab).catch(() => []);
  status.access = await access(lab, status.applications);
  return status;
}

async function workloadStatus(lab: Lab, namespace: string, workload: string): Promise<WorkloadStatus> {
  const [resource, name] = workload.split('/');
  const object = await lab.kubectl
    .get<{ spec?: { replicas?: number }; status?: { readyReplicas?: number } }>(resource, name, namespace)
    .catch(() => undefined);
  if (!object) return { namespace, workload, ready: 'missing', ok: false };
  const want = object.spec?.replicas ?? 1;
  const ready = object.status?.readyReplicas ?? 0;
  return { namespace, workload, ready: `${ready}/${want}`, ok: ready >= want };
}

async function access(lab: Lab, apps: ApplicationStatus[]): Promise<LabStatus['access']> {
  const secret = await lab.kubectl
    .get<{ data?: { password?: string } }>('secret', 'argocd-initial-admin-secret', lab.gitops.argocd.namespace)
    .catch(() => undefined);
  const password = secret?.data?.password ? Buffer.from(secret.data.password, 'base64').toString() : undefined;
  return {
    argocd: ARGOCD_URL,
    login: password ? { user: 'admin', password } : undefined,
    gitPush: labServesRepository(lab.gitops) ? labPushUrl(lab.gitops) : undefined,
    apps: apps.flatMap((a) =>
      a.hosts.map((host) => ({
        app: a.name,
        url: `http://${host}/`,
        curl: `curl -H 'Host: ${host}' http://127.0.0.1/`,
      })),
    ),
  };
}

/** The access block `up` ends with and `status` shows. */
export async function printAccess(lab: Lab, write: (t: string) => void, known?: LabStatus['access']): Promise<void> {
  const info = known ?? (await access(lab, await applications(lab).catch(() => [])));
  write(
    `\n  Argo CD     ${info.argocd}  (user ${info.login?.user ?? 'admin'}, password ${info.login?.password ?? '(not yet created)'})\n`,
  );
  write(`  kubectl     kubectl --context ${lab.kind.context} get pods -A\n`);
  if (info.gitPush) write(`  publish     nx affected -t push --remote=${info.gitPush}\n`);
  for (const app of info.apps) write(`  ${app.app.padEnd(11)} ${app.curl}\n`);
}

/** The status as text: what `nx run platform:status` prints. */
export async function printStatus(root: string, write: (t: string) => void): Promise<LabStatus> {
  const status = await labStatus(root);
  const lab = openLab(root);
  if (!status.cluster.exists) {
    write(`No lab: the kind cluster ${status.cluster.name} does not exist. Create it with \`nx run platform:up\`.\n`);
    return status;
  }
  const mark = (ok: boolean) => (ok ? pc.green('✓') : pc.red('✗'));
  write(`Cluster ${status.cluster.name}: ${status.cluster.node} (context ${status.cluster.context})\n\nComponents\n`);
  for (const c of status.components) {
    const ok = c.workloads.every((w) => w.ok) && Boolean(c.installed);
    const detail = c.workloads.map((w) => `${w.workload} ${w.ready}`).join(', ');
    write(
      `  ${mark(ok)} ${(c.name + (c.version ? ` ${c.version}` : '')).padEnd(26)} ${c.installed ? '' : pc.yellow('not installed ')}${pc.dim(detail)}\n`,
    );
  }
  write(`\nApplications\n`);
  if (status.applications.length === 0) write(`  (none yet)\n`);
  for (const a of status.applications)
    write(
      `  ${mark(a.sync === 'Synced' && a.health === 'Healthy')} ${a.name.padEnd(28)} ${a.sync.padEnd(10)} ${a.health}${a.message ? pc.dim(`  ${a.message}`) : ''}\n`,
    );
  await printAccess(lab, write, status.access);
  return status;
}
