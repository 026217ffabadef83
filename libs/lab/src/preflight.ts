import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Diagnostic } from '@mayday/model';
import { dockerInfo, type DockerInfo } from './docker.ts';
import { run } from './exec.ts';
import { portTaken } from './host.ts';
import { LAB_FILE, type LabFile } from './lab-config.ts';

/** The programs the lab runs, found on PATH or in .tools/bin. */
export interface LabTools {
  kind: string;
  kubectl: string;
  helm: string;
}

/** A program on PATH, or the workspace's own build of it, or undefined. */
export function findTool(root: string, name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of [...path.split(delimiter).filter(Boolean), join(root, '.tools/bin')]) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** What preflight found: the problems, and the facts `up` goes on with. */
export interface Preflight {
  problems: Diagnostic[];
  docker?: DockerInfo;
  tools: Partial<LabTools>;
}

export interface PreflightOptions {
  root: string;
  lab: LabFile;
  /** The lab cluster exists already: its node holds the ports, which are then not checked. */
  clusterExists: () => Promise<boolean>;
  /** GiB Docker must offer (default lab.yaml's requirements.memoryGiB; MAYDAY_LAB_MEMORY_GIB overrides it). */
  memoryGiB?: number;
}

/** A preflight problem, named against lab.yaml (what the lab requires is written there). */
const problem = (message: string, hint: string, field?: string): Diagnostic => ({
  severity: 'error',
  file: LAB_FILE,
  field,
  rule: 'lab-preflight',
  message,
  hint,
});

const versionAtLeast = (actual: string, wanted: string): boolean => {
  const a = actual.split(/[.+~-]/).map((n) => Number.parseInt(n, 10) || 0);
  const w = wanted.split('.').map(Number);
  for (let i = 0; i < w.length; i++) if ((a[i] ?? 0) !== w[i]) return (a[i] ?? 0) > w[i];
  return true;
};

/** Everything `up` needs, checked before anything is created: every problem found, each with what to do. */
export async function preflight(options: PreflightOptions): Promise<Preflight> {
  const { root, lab } = options;
  const { info, error } = await dockerInfo();
  const tools: Partial<LabTools> = {
    kind: findTool(root, 'kind'),
    kubectl: findTool(root, 'kubectl'),
    helm: findTool(root, 'helm'),
  };
  const problems: Diagnostic[] = [
    ...dockerProblems(info, error, lab, options.memoryGiB),
    ...(await kindProblems(tools.kind, lab)),
    ...(await kubectlProblems(tools.kubectl, lab)),
    ...(await helmProblems(tools.helm)),
    ...(info && !(await options.clusterExists()) ? await portProblems(lab) : []),
  ];
  return { problems, docker: info, tools };
}

function dockerProblems(
  info: DockerInfo | undefined,
  error: string | undefined,
  lab: LabFile,
  memoryGiB?: number,
): Diagnostic[] {
  if (!info)
    return [
      problem(
        `no Docker engine answers: ${error}`,
        'start Docker (Docker Desktop, or `sudo dockerd` / `sudo systemctl start docker` on Linux), then run platform:up again',
      ),
    ];
  const problems: Diagnostic[] = [];
  if (!versionAtLeast(info.serverVersion, lab.requirements.docker))
    problems.push(
      problem(
        `Docker ${info.serverVersion} is older than ${lab.requirements.docker}`,
        `upgrade the Docker engine to ${lab.requirements.docker} or later`,
        'requirements.docker',
      ),
    );
  const wanted = memoryGiB ?? lab.requirements.memoryGiB;
  const gib = info.memTotalBytes / 2 ** 30;
  if (gib < wanted)
    problems.push(
      problem(
        `too little memory: Docker can use ${gib.toFixed(1)} GiB, the lab needs ${wanted} GiB`,
        'give Docker more memory (Docker Desktop: Settings → Resources), or stop other workloads',
        'requirements.memoryGiB',
      ),
    );
  return problems;
}

async function kindProblems(kind: string | undefined, lab: LabFile): Promise<Diagnostic[]> {
  if (!kind)
    return [
      problem(
        `kind is missing (not on PATH, not in .tools/bin)`,
        `build the pinned kind: \`bash tools/toolchain/build-go.sh kind\` (or install kind ${lab.kind})`,
        'kind',
      ),
    ];
  const version = /v\d+\.\d+\.\d+/.exec((await run(kind, ['version'])).stdout)?.[0];
  if (version === lab.kind) return [];
  return [
    problem(
      `kind ${version ?? '(unknown version)'} at ${kind}, the lab pins ${lab.kind}`,
      `build the pinned kind: \`bash tools/toolchain/build-go.sh kind\` (.tools/bin comes first on PATH with tools/toolchain/env.sh)`,
      'kind',
    ),
  ];
}

async function kubectlProblems(kubectl: string | undefined, lab: LabFile): Promise<Diagnostic[]> {
  if (!kubectl)
    return [
      problem(
        'kubectl is missing',
        `build the pinned kubectl: \`bash tools/toolchain/build-go.sh kubernetes kubectl\``,
        'kubernetes',
      ),
    ];
  const version = await kubectlClientVersion(kubectl);
  const minor = (v: string) => Number(/^v?\d+\.(\d+)/.exec(v)?.[1]);
  if (version && Math.abs(minor(version) - minor(lab.kubernetes)) <= 1) return [];
  return [
    problem(
      `kubectl ${version ?? '(unknown version)'} at ${kubectl} is more than one minor away from Kubernetes ${lab.kubernetes}`,
      `build the pinned kubectl: \`bash tools/toolchain/build-go.sh kubernetes kubectl\` and put .tools/bin first on PATH (source tools/toolchain/env.sh)`,
      'kubernetes',
    ),
  ];
}

async function helmProblems(helm: string | undefined): Promise<Diagnostic[]> {
  if (!helm)
    return [
      problem(
        'helm is missing (render and push need it to publish to the lab)',
        'run `bash tools/toolchain/setup.sh`, which installs the pinned Helm',
      ),
    ];
  if (/^v4\./.test((await run(helm, ['version', '--short'])).stdout)) return [];
  return [
    problem(
      `helm at ${helm} is not Helm 4`,
      'run `bash tools/toolchain/setup.sh`, which installs the pinned Helm into .tools/bin',
    ),
  ];
}

async function portProblems(lab: LabFile): Promise<Diagnostic[]> {
  const problems: Diagnostic[] = [];
  for (const port of lab.requirements.ports)
    if (await portTaken(port))
      problems.push(
        problem(
          `port ${port} on 127.0.0.1 is taken: the lab's gateway listens there`,
          `stop what listens on 127.0.0.1:${port} (\`ss -ltnp 'sport = :${port}'\` names it), then run platform:up again`,
          'requirements.ports',
        ),
      );
  return problems;
}

async function kubectlClientVersion(kubectl: string): Promise<string | undefined> {
  const result = await run(kubectl, ['version', '--client', '-o', 'json']);
  if (!result.ok) return undefined;
  return (JSON.parse(result.stdout) as { clientVersion?: { gitVersion?: string } }).clientVersion?.gitVersion;
}
