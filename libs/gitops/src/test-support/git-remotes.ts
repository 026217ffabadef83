import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { freePort } from '@mayday/testing';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { ENVIRONMENTS_FILE } from '@mayday/model';
import { GITOPS_CONFIG_FILE, parseGitopsConfigText, type GitopsConfig } from '../gitops-config.ts';

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
export async function startGitDaemon(
  basePath: string,
): Promise<{ urlFor(name: string): string; stop(): Promise<void> }> {
  const port = await freePort();
  const daemon: ChildProcess = spawn(
    'git',
    [
      'daemon',
      '--reuseaddr',
      '--export-all',
      '--enable=receive-pack',
      '--informative-errors',
      `--base-path=${basePath}`,
      `--port=${port}`,
      '--listen=127.0.0.1',
      basePath,
    ],
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

export interface GitopsWorkspace {
  root: string;
  write(path: string, content: string): void;
  commit(message: string): Promise<string>;
  cleanup(): void;
}

/** A minimal mayday workspace: platform/{environments,gitops}.yaml, apps/<app>/values.yaml and gitops/<env>/<app>/*.yaml, committed in git. */
export async function gitopsWorkspace(
  apps: Record<string, Record<string, Record<string, string>>>,
): Promise<GitopsWorkspace> {
  const root = mkdtempSync(join(tmpdir(), 'mayday-gitops-ws-'));
  const write = (path: string, content: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  };
  // the platform files diff reads to preview Argo CD's Applications
  for (const file of [ENVIRONMENTS_FILE, GITOPS_CONFIG_FILE])
    write(file, readFileSync(join(import.meta.dirname, '../../../..', file), 'utf8'));
  for (const [app, envs] of Object.entries(apps)) {
    write(`apps/${app}/values.yaml`, `team: t\n`);
    for (const [env, files] of Object.entries(envs))
      for (const [file, content] of Object.entries(files)) write(`gitops/${env}/${app}/${file}`, content);
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
  return parseGitopsConfigText(
    `repository: ${repository}\nbranch: gitops\nauthor: { name: mayday ci, email: ci@mayday.invalid }\n${extra}`,
  );
}

/** A Deployment manifest as the renderer writes it, with a replica count to change. */
export function deployment(app: string, replicas: number, extra = ''): string {
  return `# Source: platform/charts/app/templates/deployment.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${app}\n  labels:\n    app.kubernetes.io/name: ${app}\nspec:\n  replicas: ${replicas}\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: ${app}\n  template:\n    spec:\n      containers:\n        - name: ${app}\n          image: ghcr.io/acme/${app}:1.0.0${extra}\n`;
}

export const service = (app: string) =>
  `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${app}\nspec:\n  ports:\n    - port: 80\n`;

/** Files of a branch in a bare repository: path → content. */
export async function branchFiles(bareDir: string, branch = 'gitops'): Promise<Map<string, string>> {
  const list = await git(bareDir, ['ls-tree', '-r', '--name-only', branch]);
  const files = new Map<string, string>();
  for (const path of list.split('\n').filter(Boolean))
    files.set(path, await git(bareDir, ['show', `${branch}:${path}`]));
  return files;
}

/**
 * `git http-backend` behind a small Node HTTP server on 127.0.0.1 that demands HTTP Basic auth:
 * the smart HTTP protocol real forges speak, to check that credentials work and never leak.
 */
export async function startGitHttpServer(
  projectRoot: string,
  credentials: { username: string; password: string },
): Promise<{ urlFor(name: string): string; requests: string[]; stop(): Promise<void> }> {
  const { createServer: createHttpServer } = await import('node:http');
  const expected = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  const requests: string[] = [];
  const server = createHttpServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push(`${req.method} ${url.pathname}`);
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="mayday-test"' });
      res.end('authentication required\n');
      return;
    }
    const cgi = spawn('git', ['http-backend'], {
      env: {
        ...process.env,
        GIT_PROJECT_ROOT: projectRoot,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: url.pathname,
        QUERY_STRING: url.search.replace(/^\?/, ''),
        REQUEST_METHOD: req.method ?? 'GET',
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
        GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
        REMOTE_USER: credentials.username,
        REMOTE_ADDR: '127.0.0.1',
      },
    });
    const chunks: Buffer[] = [];
    cgi.stdout.on('data', (d: Buffer) => chunks.push(d));
    cgi.on('close', () => {
      const out = Buffer.concat(chunks);
      let split = out.indexOf('\r\n\r\n');
      let gap = 4;
      if (split < 0) {
        split = out.indexOf('\n\n');
        gap = 2;
      }
      const headers: Record<string, string> = {};
      let status = 200;
      for (const line of out.subarray(0, split).toString('utf8').split(/\r?\n/)) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number(value.split(' ')[0]);
        else if (name) headers[name] = value;
      }
      res.writeHead(status, headers);
      res.end(out.subarray(split + gap));
    });
    req.pipe(cgi.stdin);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    urlFor: (name) => `http://127.0.0.1:${port}/${name}`,
    requests,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type Transport = 'file://' | 'git daemon on 127.0.0.1';
export const TRANSPORTS: Transport[] = ['file://', 'git daemon on 127.0.0.1'];

/** A bare repository reached over the given transport; `dir` is where to inspect it directly. */
export async function remoteOver(
  transport: Transport,
): Promise<{ dir: string; url: string; cleanup(): Promise<void> }> {
  const bare = await bareRepository();
  if (transport === 'file://') return { dir: bare.dir, url: bare.url, cleanup: async () => bare.cleanup() };
  const daemon = await startGitDaemon(dirname(bare.dir));
  return {
    dir: bare.dir,
    url: daemon.urlFor('gitops.git'),
    cleanup: async () => {
      await daemon.stop();
      bare.cleanup();
    },
  };
}
