import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FsTree, flushChanges } from 'nx/src/generators/tree.js';
import { loadTeams } from '@mayday/model';

/** Top-level folders never copied: installed tools, caches, and the rendered or generated content. */
const SKIPPED = new Set(['node_modules', '.tools', '.nx', '.git', 'gitops', 'apps', 'tmp', 'dist', 'coverage']);

/**
 * A throwaway copy of the workspace: sources copied, node_modules and .tools linked (workspace
 * packages such as @mayday/render point at the copy's libs, so the copy runs its own code).
 */
export function copyWorkspace(sourceRoot: string, ref?: string): string {
  const root = mkdtempSync(join(tmpdir(), 'mayday-bench-'));
  if (ref) {
    // a commit instead of the working tree: a stable snapshot while files are being edited
    const archive = join(root, '.source.tar');
    execFileSync('git', ['archive', '--format=tar', '-o', archive, ref], { cwd: sourceRoot });
    execFileSync('tar', ['-xf', archive, '-C', root]);
    rmSync(archive);
    for (const entry of SKIPPED) rmSync(join(root, entry), { recursive: true, force: true });
  } else {
    for (const entry of readdirSync(sourceRoot)) {
      if (SKIPPED.has(entry)) continue;
      cpSync(join(sourceRoot, entry), join(root, entry), {
        recursive: true,
        filter: (src) => !src.split('/').includes('node_modules'),
      });
    }
  }
  // the instrument is always this checkout's bench, run against the copy's own libs
  cpSync(import.meta.dirname, join(root, 'tools/bench'), { recursive: true });
  mkdirSync(join(root, 'apps'));
  mkdirSync(join(root, 'gitops'));
  if (existsSync(join(sourceRoot, '.tools'))) symlinkSync(join(sourceRoot, '.tools'), join(root, '.tools'));
  linkNodeModules(join(sourceRoot, 'node_modules'), join(root, 'node_modules'));
  return root;
}

/** Relative links (npm workspace packages) are recreated as they are; everything else links to the source. */
function linkNodeModules(source: string, target: string): void {
  mkdirSync(target, { recursive: true });
  for (const entry of readdirSync(source)) {
    const from = join(source, entry);
    const stat = lstatSync(from);
    if (stat.isSymbolicLink() && !isAbsolute(readlinkSync(from))) symlinkSync(readlinkSync(from), join(target, entry));
    else if (stat.isDirectory() && entry.startsWith('@')) linkNodeModules(from, join(target, entry));
    else symlinkSync(from, join(target, entry));
  }
}

export const appName = (i: number): string => `svc-${String(i).padStart(3, '0')}`;

/** Generates apps `from`…`count` with the workspace's own app generator, on one Nx tree flushed once. */
export async function generateApps(root: string, count: number, from = 1): Promise<string[]> {
  const generatorFile = join(root, 'tools/generators/src/generators/app/generator.ts');
  const { default: appGenerator } = (await import(pathToFileURL(generatorFile).href)) as {
    default: (tree: FsTree, options: { name: string; team: string; port: number; image: string }) => Promise<void>;
  };
  // the generator refuses a team platform/teams.yaml does not list: take turns among the listed ones
  const teams = loadTeams(root).map((team) => team.name);
  const tree = new FsTree(root, false);
  const apps = Array.from({ length: count - from + 1 }, (_, i) => appName(i + from));
  for (const [i, name] of apps.entries()) {
    await appGenerator(tree, {
      name,
      team: teams[(i + from - 1) % teams.length],
      port: 8080,
      image: `ghcr.io/acme/${name}:1.0.0`,
    });
  }
  flushChanges(root, tree.listChanges());
  return apps;
}

export function git(root: string, ...args: string[]): string {
  return execFileSync(
    'git',
    ['-c', 'user.name=mayday bench', '-c', 'user.email=bench@mayday.invalid', '-c', 'commit.gpgsign=false', ...args],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
}

/** A repository with one commit, so `nx affected` has a base (main) to compare with. */
export function commitAll(root: string, message: string): void {
  if (!existsSync(join(root, '.git'))) {
    git(root, 'init', '-q', '-b', 'main');
    writeFileSync(join(root, '.git/info/exclude'), '/node_modules\n/.tools\n');
  }
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '--allow-empty', '-m', message);
}
