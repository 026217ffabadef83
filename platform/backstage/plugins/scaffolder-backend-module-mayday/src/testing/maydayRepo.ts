import { execFileSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

/** The mayday repository this portal lives in (its node_modules installed by the setup). */
export const MAYDAY_ROOT = join(__dirname, '../../../../../..');

const TEST_GIT_ENV = {
  GIT_AUTHOR_NAME: 'mayday test',
  GIT_AUTHOR_EMAIL: 'test@mayday.invalid',
  GIT_COMMITTER_NAME: 'mayday test',
  GIT_COMMITTER_EMAIL: 'test@mayday.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

export function gitIn(cwd: string, args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    env: { ...process.env, ...TEST_GIT_ENV },
    encoding: 'utf8',
  });
}

/**
 * A copy of the mayday repository's files (tracked and new, not ignored; without the portal and gitops/) in a temp
 * folder, as a fresh clone has them. `withNodeModules` links the repository's node_modules in, so `nx` runs there.
 */
export function copyMaydayRepo(
  options: { withNodeModules?: boolean } = {},
): string {
  const root = mkdtempSync(join(tmpdir(), 'mayday-portal-repo-'));
  const files = gitIn(MAYDAY_ROOT, [
    'ls-files',
    '-co',
    '--exclude-standard',
    '-z',
  ])
    .split('\0')
    .filter(
      file =>
        file &&
        !file.startsWith('platform/backstage/') &&
        !file.startsWith('gitops/'),
    );
  for (const file of files) {
    try {
      if (!statSync(join(MAYDAY_ROOT, file)).isFile()) continue;
    } catch {
      continue; // deleted in the working tree
    }
    mkdirSync(dirname(join(root, file)), { recursive: true });
    cpSync(join(MAYDAY_ROOT, file), join(root, file));
  }
  if (options.withNodeModules)
    symlinkSync(join(MAYDAY_ROOT, 'node_modules'), join(root, 'node_modules'));
  return root;
}

/** A bare repository holding `source` as its `main` branch: the git server the template fetches and pushes. */
export function bareRemoteOf(source: string): string {
  const bare = mkdtempSync(join(tmpdir(), 'mayday-portal-remote-'));
  gitIn(bare, ['init', '--quiet', '--bare', '-b', 'main']);
  gitIn(source, ['init', '--quiet', '-b', 'main']);
  gitIn(source, ['add', '-A']);
  gitIn(source, ['commit', '--quiet', '-m', 'mayday']);
  gitIn(source, ['push', '--quiet', bare, 'main']);
  return bare;
}

/** Every file under `dir` with its content, by path relative to `dir`. */
export function filesUnder(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (abs: string) => {
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      const path = join(abs, entry.name);
      if (entry.isDirectory()) walk(path);
      else out.set(relative(dir, path), readFileSync(path, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

export function removeAll(...dirs: string[]): void {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}

/** Runs the repository's own CLI, as a user does: `nx g mayday:app …` in `root`. */
export function nxGenerate(
  root: string,
  args: string[],
): { code: number; output: string } {
  try {
    const output = execFileSync(
      join(root, 'node_modules/.bin/nx'),
      ['g', 'mayday:app', ...args, '--no-interactive'],
      {
        cwd: root,
        env: {
          PATH: `${dirname(process.execPath)}:${process.env.PATH}`,
          HOME: process.env.HOME ?? '',
          NX_DAEMON: 'false',
          NX_NO_CLOUD: 'true',
          NX_TUI: 'false',
          FORCE_COLOR: '0',
        },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    return { code: 0, output };
  } catch (error) {
    const e = error as { status?: number; stdout?: string; stderr?: string };
    return {
      code: e.status ?? 1,
      output: `${e.stdout ?? ''}${e.stderr ?? ''}`,
    };
  }
}
