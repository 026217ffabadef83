import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import pc from 'picocolors';
import { publishGitops } from '@mayday/gitops';
import { APPS_DIR, GITOPS_DIR, MaydayError } from '@mayday/model';
import { hostAdjustments, kindConfig } from './cluster/kind-config.ts';
import { waitFor, type KubeObject } from './cluster/kubectl.ts';
import { componentObjects, gitHost, INSTALLERS, objectsHash, type InstallContext } from './components/components.ts';
import { labHosts, mapHostsInCoreDns } from './components/env-clusters.ts';
import { output, run } from './exec.ts';
import { ensureImages, imagePlan } from './images/build-images.ts';
import { hostFacts, labImages, labPushUrl, labServesRepository, openLab, RECORD, type Lab } from './lab.ts';
import { lockLab } from './lock.ts';
import type { LabComponent } from './lab-config.ts';
import { preflight } from './preflight.ts';
import { applications, printAccess } from './status.ts';
import { Steps, type StepRecord } from './steps.ts';

export interface UpOptions {
  root: string;
  /** Print the plan (cluster, components with versions, what is already there) and change nothing. */
  dryRun?: boolean;
  /** Build the images here even where a registry might answer. */
  buildImages?: boolean;
  write?: (text: string) => void;
  /** GiB Docker must offer, instead of lab.yaml's (MAYDAY_LAB_MEMORY_GIB). */
  memoryGiB?: number;
  /** How long to wait for the Applications to be Synced and Healthy (seconds, default 600). */
  appsTimeoutSeconds?: number;
}

export interface UpResult {
  steps: StepRecord[];
  unchanged: boolean;
}

/**
 * `nx run platform:up`: from nothing to a working lab, one named step at a time, each idempotent: preflight,
 * images, the kind cluster, the images in its node, every component of lab.yaml, the env clusters mapped onto
 * the one cluster, the git server seeded, and every Application Synced and Healthy.
 */
export async function labUp(options: UpOptions): Promise<UpResult> {
  const write = options.write ?? ((t: string) => process.stdout.write(t));
  const lab = openLab(options.root);
  const steps = new Steps(write);
  const exists = () => lab.kind.exists();
  let clusterExists = false;
  let cgroupVersion = '2';

  await steps.run('Checking prerequisites', async () => {
    const found = await preflight({
      root: lab.root,
      lab: lab.config.lab,
      clusterExists: exists,
      memoryGiB: options.memoryGiB,
    });
    if (found.problems.length > 0) throw new MaydayError(found.problems);
    clusterExists = await exists();
    cgroupVersion = found.docker!.cgroupVersion;
    return {
      changed: false,
      detail: `Docker ${found.docker!.serverVersion} (${(found.docker!.memTotalBytes / 2 ** 30).toFixed(0)} GiB), kind ${lab.config.lab.kind}`,
    };
  });

  const release = lockLab(lab.config.cluster.name, 'up');
  try {
    const host = hostFacts(cgroupVersion);
    if (options.dryRun) {
      await printPlan(lab, clusterExists, host, write);
      return { steps: steps.records, unchanged: true };
    }
    await steps.run('Ensuring images', async () => {
      const outcomes = await ensureImages(
        { root: lab.root, config: lab.config, log: steps.log, noPull: options.buildImages },
        labImages(lab),
      );
      const made = outcomes.filter((o) => o.source !== 'present');
      return {
        changed: made.length > 0,
        detail:
          made.length === 0
            ? `all ${outcomes.length} on this machine`
            : `${made.map((o) => `${o.source} ${o.name}`).join(', ')}; ${outcomes.length - made.length} were here`,
      };
    });
    await steps.run(`Creating cluster ${lab.config.cluster.name}`, async () => {
      if (clusterExists) return { changed: false, detail: 'already there' };
      await lab.kind.create(kindConfig(lab.config.cluster, host, lab.config.nodeImage), lab.stateDir, steps.log);
      const adjusted = hostAdjustments(host);
      return { changed: true, detail: `${lab.config.nodeImage}${adjusted.length ? ` (${adjusted.join('; ')})` : ''}` };
    });
    await steps.run('Loading images into the node', () => loadImages(lab, steps.log));

    const ctx: InstallContext = {
      root: lab.root,
      config: lab.config,
      envs: lab.envs,
      gitops: lab.gitops,
      kubectl: lab.kubectl,
    };
    for (const component of lab.config.lab.components) {
      if (component.name === 'platform') {
        await steps.run('Mapping the env clusters onto the lab cluster', () => mapEnvClusters(lab));
        if (labServesRepository(lab.gitops))
          await steps.run('Seeding the git server', () => seedGitServer(lab, steps.log));
      }
      await steps.run(`Installing ${component.name}${component.version ? ` ${component.version}` : ''}`, () =>
        installComponent(lab, ctx, component),
      );
    }
    await steps.run('Waiting for the Applications to be Synced and Healthy', () =>
      waitForApplications(lab, options.appsTimeoutSeconds ?? 600),
    );
    write(`\n${steps.unchanged ? pc.green('The lab was already up: nothing changed.') : pc.green('The lab is up.')}\n`);
    await printAccess(lab, write);
    return { steps: steps.records, unchanged: steps.unchanged };
  } finally {
    release();
  }
}

/** One component of lab.yaml: applied and recorded when its objects changed, checked for readiness either way. */
async function installComponent(lab: Lab, ctx: InstallContext, component: LabComponent) {
  const objects = await componentObjects(ctx, component);
  const hash = objectsHash(objects);
  const installed = await recordOf(lab);
  const installer = INSTALLERS[component.name];
  if (installed[component.name] === `${component.version ?? '-'} ${hash}`) {
    await installer.ready(ctx);
    return { changed: false, detail: 'up to date' };
  }
  // an aggregated API is registered once its server answers: a request to its Service before kube-proxy
  // routes it can reach something else and stay connected to it
  const apiServices = objects.filter((o) => o.kind === 'APIService');
  await lab.kubectl.apply(objects.filter((o) => o.kind !== 'APIService'));
  await installer.ready(ctx);
  await lab.kubectl.apply(apiServices);
  for (const service of apiServices) await waitForApiService(lab, service.metadata.name);
  await record(lab, component.name, `${component.version ?? '-'} ${hash}`);
  return { changed: true, detail: `${objects.length} objects applied` };
}

async function printPlan(
  lab: Lab,
  clusterExists: boolean,
  host: ReturnType<typeof hostFacts>,
  write: (t: string) => void,
): Promise<void> {
  const { lab: file, cluster, nodeImage } = lab.config;
  write(`\nplatform:up --dry-run: nothing is changed. The plan:\n`);
  write(
    `  cluster ${cluster.name} (kind ${file.kind}, ${nodeImage}): ${clusterExists ? 'already there' : 'to create'}\n`,
  );
  for (const note of hostAdjustments(host)) write(`    this host: ${note}\n`);
  write(`  images:\n`);
  for (const image of await imagePlan({ root: lab.root, config: lab.config, log: () => {} }, labImages(lab)))
    write(`    ${image.present ? pc.green('present') : pc.yellow('to pull or build')}  ${image.name}\n`);
  const installed = clusterExists ? await recordOf(lab).catch(() => ({}) as Record<string, string>) : {};
  write(`  components, in order:\n`);
  for (const c of file.components) {
    const at = installed[c.name]?.split(' ')[0].replace(/^-$/, 'yes');
    write(
      `    ${(c.name + (c.version ? ` ${c.version}` : '')).padEnd(26)} ${at ? pc.green(`installed (${at})`) : pc.yellow('to install')}  ${pc.dim(c.description)}\n`,
    );
  }
  write(
    `  env clusters: ${lab.envs.map((e) => `${e.name} → ${e.cluster.server}`).join(', ')}, all mapped onto the lab cluster\n`,
  );
  write(
    labServesRepository(lab.gitops)
      ? `  git server: ${lab.gitops.repository} seeded with main and ${lab.gitops.branch} (push to it at ${labPushUrl(lab.gitops)})\n`
      : `  git server: not used; Argo CD reads ${lab.gitops.repository}\n`,
  );
}

/** Loads into the node every lab image it does not have with the same ID (kind load skips the rest too). */
async function loadImages(lab: Lab, log: (line: string) => void) {
  const wanted = labImages(lab).filter((i) => i !== lab.config.nodeImage);
  const missing: string[] = [];
  for (const image of wanted) {
    const local = (await output('docker', ['image', 'inspect', '--format', '{{.Id}}', image])).trim();
    const inNode = await run('docker', [
      'exec',
      lab.kind.controlPlane,
      'crictl',
      'inspecti',
      '-o',
      'go-template',
      '--template',
      '{{.status.id}}',
      image,
    ]);
    if (!inNode.ok || inNode.stdout.trim() !== local) missing.push(image);
  }
  if (missing.length === 0) return { changed: false, detail: `all ${wanted.length} already there` };
  await lab.kind.load(missing, log);
  return { changed: true, detail: `${missing.length} loaded (${missing.map((m) => m.split('/').pop()).join(', ')})` };
}

async function waitForApiService(lab: Lab, name: string): Promise<void> {
  await waitFor(
    `the APIService ${name} to be Available`,
    async () => {
      const service = await lab.kubectl.get<{ status?: { conditions?: { type: string; status: string }[] } }>(
        'apiservice',
        name,
      );
      return service?.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True') ? true : undefined;
    },
    { timeoutMs: 120_000 },
  );
}

async function recordOf(lab: Lab): Promise<Record<string, string>> {
  const cm = await lab.kubectl.get<{ data?: Record<string, string> }>('configmap', RECORD.name, RECORD.namespace);
  return cm?.data ?? {};
}

async function record(lab: Lab, component: string, value: string): Promise<void> {
  const cm: KubeObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: RECORD.name, namespace: RECORD.namespace },
    data: { [component]: value },
  };
  await lab.kubectl.out(
    ['apply', '--server-side', '--force-conflicts', `--field-manager=mayday-lab-${component}`, '-f', '-'],
    JSON.stringify(cm),
  );
}

/** Every env's API host and the gitops repository's host resolve in the cluster to the kubernetes Service and the gateway. */
async function mapEnvClusters(lab: Lab) {
  const apiServer = await lab.kubectl.get<{ spec: { clusterIP: string } }>('service', 'kubernetes', 'default');
  const gateway = await lab.kubectl.get<{ spec: { clusterIP: string } }>('service', 'traefik', 'gateway-system');
  const hosts = labHosts(
    lab.envs,
    apiServer!.spec.clusterIP,
    labServesRepository(lab.gitops) ? gitHost(lab) : undefined,
    gateway!.spec.clusterIP,
  );
  const changed = await mapHostsInCoreDns(lab.kubectl, hosts);
  return { changed, detail: `${[...hosts.keys()].join(', ')}${changed ? '' : ' (already mapped)'}` };
}

/**
 * The git server gets this repository's main (your HEAD where there is no main branch) and the gitops branch as
 * push would publish it (every app's gitops folders as they are on disk), through the gateway on 127.0.0.1.
 */
async function seedGitServer(lab: Lab, log: (line: string) => void) {
  const url = labPushUrl(lab.gitops);
  await waitFor(
    `the git server at ${url}`,
    async () => ((await run('git', ['ls-remote', url])).ok ? true : undefined),
    { timeoutMs: 120_000 },
  );
  const hasMain = (await run('git', ['-C', lab.root, 'rev-parse', '--verify', '-q', 'refs/heads/main'])).ok;
  const source = hasMain ? 'refs/heads/main' : 'HEAD';
  const main = await run('git', ['-C', lab.root, 'push', '--porcelain', '--force', url, `${source}:refs/heads/main`]);
  if (!main.ok) throw new Error(`pushing ${source} to ${url} failed: ${main.stderr.trim()}`);
  const mainChanged = !/\[up to date\]/.test(main.stdout);
  const appsDir = join(lab.root, APPS_DIR);
  const apps = existsSync(appsDir)
    ? readdirSync(appsDir)
        .filter((a) => existsSync(join(appsDir, a, 'values.yaml')))
        .sort()
    : [];
  const published = await publishGitops({
    workspaceRoot: lab.root,
    apps,
    config: lab.gitops,
    remote: url,
    allowDirty: true,
    log,
  });
  const changed = mainChanged || published.status === 'published';
  return {
    changed,
    detail: `main ← ${hasMain ? 'main' : 'HEAD'}${mainChanged ? '' : ' (up to date)'}, ${lab.gitops.branch}: ${published.status === 'published' ? `published ${apps.length} apps` : 'up to date'}`,
  };
}

/** Waits for an Application per gitops/<env>/<app> (and the policy one), all Synced and Healthy. */
async function waitForApplications(lab: Lab, timeoutSeconds: number) {
  const expected = expectedApplications(lab);
  const summary = async () =>
    (await applications(lab))
      .map((a) => `${a.name} ${a.sync}/${a.health}${a.message ? ` (${a.message})` : ''}`)
      .join('; ');
  const apps = await waitFor(
    `the Applications ${expected.join(', ')} to be Synced and Healthy`,
    async () => {
      const found = await applications(lab);
      const ready = expected.every((name) =>
        found.some((a) => a.name === name && a.sync === 'Synced' && a.health === 'Healthy'),
      );
      return ready ? found : undefined;
    },
    { timeoutMs: timeoutSeconds * 1000, intervalMs: 3000, lastSeen: summary },
  );
  return { changed: false, detail: apps.map((a) => a.name).join(', ') };
}

/** The Applications Argo CD should have: `<app>-<env>` for every rendered app, and platform-policies-<first env>. */
export function expectedApplications(lab: Lab): string[] {
  const gitops = join(lab.root, GITOPS_DIR);
  const names = [`platform-policies-${lab.envs[0].name}`];
  for (const env of lab.envs) {
    const dir = join(gitops, env.name);
    if (existsSync(dir))
      for (const app of readdirSync(dir)
        .filter((a) => !a.startsWith('.'))
        .sort())
        names.push(`${app}-${env.name}`);
  }
  return names;
}
