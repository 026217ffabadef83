import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { parseGitopsConfigText, type GitopsConfig } from '../gitops-config.ts';

/** Makes git in this process and its children independent of the machine's and user's config. */
export function isolateGit(): string {
  const home = mkdtempSync(join(tmpdir(), 'mayday-home-'));
  Object.assign(process.env, {
    HOME: home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: join(home, '.gitconfig'),
    GIT_AUTHOR_NAME: 'mayday test',
    GIT_AUTHOR_EMAIL: 'test@mayday.invalid',
    GIT_COMMITTER_NAME: 'mayday test',
    GIT_COMMITTER_EMAIL: 'test@mayday.invalid',
  });
  writeFileSync(join(home, '.gitconfig'), '[init]\n\tdefaultBranch = main\n');
  return home;
}

export const git = async (cwd: string, args: readonly string[], input?: string) => {
  const result = await execa('git', [...args], { cwd, input, reject: false });
  if (result.exitCode !== 0) throw new Error(`git ${args.join(' ')} in ${cwd}: ${result.stderr}`);
  return result.stdout;
};

/** A bare repository in a temp folder, reachable over file://. */
export async function bareRepository(name = 'gitops.git'): Promise<{ dir: string; url: string; cleanup(): void }> {
  const base = mkdtempSync(join(tmpdir(), 'mayday-remote-'));
  const dir = join(base, name);
  await execa('git', ['init', '--bare', '--quiet', dir]);
  return { dir, url: pathToFileURL(dir).href, cleanup: () => rmSync(base, { recursive: true, force: true }) };
}

/** `git daemon` on 127.0.0.1 and a free port, serving bare repositories under `basePath` with push enabled. */
export async function startGitDaemon(basePath: string): Promise<{ urlFor(name: string): string; stop(): Promise<void> }> {
  const port = await freePort();
  const daemon: ChildProcess = spawn(
    'git',
    ['daemon', '--reuseaddr', '--export-all', '--enable=receive-pack', '--informative-errors', `--base-path=${basePath}`, `--port=${port}`, '--listen=127.0.0.1', basePath],
    { stdio: 'ignore', detached: true },
  );
  await waitForPort(port);
  return {
    urlFor: (name) => `git://127.0.0.1:${port}/${name}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (daemon.exitCode !== null) return resolve();
        daemon.once('exit', () => resolve());
        process.kill(-daemon.pid!, 'SIGTERM');
      }),
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`git daemon did not listen on ${port}`);
}

/** A minimal mayday workspace: apps/<app>/values.yaml and gitops/<env>/<app>/*.yaml, committed in git. */
export async function gitopsWorkspace(apps: Record<string, Record<string, Record<string, string>>>): Promise<{ root: string; write(path: string, content: string): void; commit(message: string): Promise<string>; cleanup(): void }> {
  const root = mkdtempSync(join(tmpdir(), 'mayday-gitops-ws-'));
  const write = (path: string, content: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  };
  for (const [app, envs] of Object.entries(apps)) {
    write(`apps/${app}/values.yaml`, `team: t\n`);
    for (const [env, files] of Object.entries(envs)) for (const [file, content] of Object.entries(files)) write(`gitops/${env}/${app}/${file}`, content);
  }
  await git(root, ['init', '--quiet', '-b', 'main']);
  const commit = async (message: string) => {
    await git(root, ['add', '-A']);
    await git(root, ['commit', '--quiet', '--allow-empty', '-m', message]);
    return git(root, ['rev-parse', 'HEAD']);
  };
  await commit('workspace');
  return { root, write, commit, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

export function testConfig(repository: string, extra = ''): GitopsConfig {
  return parseGitopsConfigText(`repository: ${repository}\nbranch: gitops\nauthor: { name: mayday ci, email: ci@mayday.invalid }\n${extra}`);
}

/** A Deployment manifest as the renderer writes it, with a replica count to change. */
export function deployment(app: string, replicas: number, extra = ''): string {
  return `# Source: platform/charts/app/templates/deployment.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${app}\n  labels:\n    app.kubernetes.io/name: ${app}\nspec:\n  replicas: ${replicas}\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: ${app}\n  template:\n    spec:\n      containers:\n        - name: ${app}\n          image: ghcr.io/acme/${app}:1.0.0${extra}\n`;
}

export const service = (app: string) => `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${app}\nspec:\n  ports:\n    - port: 80\n`;

/** Files of a branch in a bare repository: path → content. */
export async function branchFiles(bareDir: string, branch = 'gitops'): Promise<Map<string, string>> {
  const list = await git(bareDir, ['ls-tree', '-r', '--name-only', branch]);
  const files = new Map<string, string>();
  for (const path of list.split('\n').filter(Boolean)) files.set(path, await git(bareDir, ['show', `${branch}:${path}`]));
  return files;
}
