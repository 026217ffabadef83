import {
  accessSync,
  constants,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  existsSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { gitopsPath, GITOPS_DIR, MaydayError } from '@mayday/model';

/** The files one app has in one env, as the renderer produced them. */
export interface EnvTree {
  env: string;
  files: readonly { fileName: string; content: string }[];
}

export interface TreeChange {
  env: string;
  /** gitops/<env>/<app> */
  path: string;
  status: 'created' | 'updated' | 'unchanged';
  added: string[];
  changed: string[];
  removed: string[];
}

/** Staging area inside gitops/ so that renames stay on one filesystem; ignored by git. */
export const STAGING_DIR = `${GITOPS_DIR}/.staging`;

/**
 * Replaces gitops/<env>/<app>/ for every env of an app together: all trees are written to a
 * staging folder first, then swapped in by renames, and rolled back if a swap fails, so a
 * failure leaves every env as it was. Files of removed resources disappear with the old tree.
 */
export function writeAppTrees(workspaceRoot: string, app: string, trees: readonly EnvTree[]): TreeChange[] {
  try {
    return swapAppTrees(workspaceRoot, app, trees);
  } catch (error) {
    throw writeFailure(error, workspaceRoot, app, trees);
  }
}

/** A full disk or a read-only folder is the user's to fix: a diagnostic naming the folder, not a stack. */
function writeFailure(error: unknown, workspaceRoot: string, app: string, trees: readonly EnvTree[]): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  const reasons: Record<string, string> = {
    ENOSPC: 'the disk is full',
    EDQUOT: 'the disk quota is used up',
    EROFS: 'the folder is on a read-only filesystem',
    EACCES: 'permission denied',
    EPERM: 'the operation is not permitted (read-only or immutable)',
  };
  if (!code || !reasons[code]) return error;
  return new MaydayError(
    trees.map((tree) => ({
      severity: 'error' as const,
      file: gitopsPath(tree.env, app),
      rule: 'gitops-write',
      message: `cannot write the rendered files: ${reasons[code]} (${code} on ${relative(workspaceRoot, (error as NodeJS.ErrnoException).path ?? join(workspaceRoot, GITOPS_DIR))}); every env of ${app} is left as it was`,
      hint:
        code === 'ENOSPC' || code === 'EDQUOT'
          ? 'free some space and render again'
          : `make ${GITOPS_DIR}/ writable and render again`,
    })),
  );
}

function swapAppTrees(workspaceRoot: string, app: string, trees: readonly EnvTree[]): TreeChange[] {
  const changes = trees.map((tree) => diffTree(workspaceRoot, app, tree));
  const toSwap = trees.filter((_, i) => changes[i].status !== 'unchanged');
  if (toSwap.length === 0) return changes;

  // a read-only mount makes mkdir report ENOENT; access says what is true
  if (existsSync(join(workspaceRoot, GITOPS_DIR))) accessSync(join(workspaceRoot, GITOPS_DIR), constants.W_OK);
  const stagingRoot = join(workspaceRoot, STAGING_DIR);
  mkdirSync(stagingRoot, { recursive: true });
  const staging = mkdtempSync(join(stagingRoot, `${app}-`));
  const swapped: { target: string; backup: string | undefined }[] = [];
  try {
    for (const tree of toSwap) {
      const dir = join(staging, 'new', tree.env);
      mkdirSync(dir, { recursive: true });
      for (const file of tree.files) writeFileSync(join(dir, file.fileName), file.content);
    }
    mkdirSync(join(staging, 'old'));
    for (const tree of toSwap) {
      const target = join(workspaceRoot, gitopsPath(tree.env, app));
      const backup = existsSync(target) ? join(staging, 'old', tree.env) : undefined;
      if (backup) renameSync(target, backup);
      swapped.push({ target, backup });
      mkdirSync(dirname(target), { recursive: true });
      renameSync(join(staging, 'new', tree.env), target);
    }
  } catch (error) {
    for (const { target, backup } of swapped.reverse()) {
      rmSync(target, { recursive: true, force: true });
      if (backup && existsSync(backup)) renameSync(backup, target);
    }
    throw error;
  } finally {
    rmSync(staging, { recursive: true, force: true });
    try {
      if (readdirSync(stagingRoot).length === 0) rmSync(stagingRoot, { recursive: true });
    } catch {
      // another task is using the staging area; it cleans up after itself
    }
  }
  return changes;
}

/** What writing `tree` would change on disk, file by file. */
export function diffTree(workspaceRoot: string, app: string, tree: EnvTree): TreeChange {
  const path = gitopsPath(tree.env, app);
  const dir = join(workspaceRoot, path);
  const existing = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.yaml')) : [];
  const wanted = new Set(tree.files.map((f) => f.fileName));
  const added: string[] = [];
  const changed: string[] = [];
  for (const file of tree.files) {
    if (!existing.includes(file.fileName)) added.push(file.fileName);
    else if (readFileSync(join(dir, file.fileName), 'utf8') !== file.content) changed.push(file.fileName);
  }
  const removed = existing.filter((f) => !wanted.has(f)).sort();
  const extra = existsSync(dir) ? readdirSync(dir).some((f) => !f.endsWith('.yaml')) : false;
  const status = !existsSync(dir)
    ? 'created'
    : added.length + changed.length + removed.length > 0 || extra
      ? 'updated'
      : 'unchanged';
  return { env: tree.env, path, status, added, changed, removed };
}

/** `2 added, 1 changed`: how many files or resources a change adds, changes and removes ('' when none). */
export function changeCounts(counts: { added: number; changed: number; removed: number }): string {
  return (['added', 'changed', 'removed'] as const)
    .filter((kind) => counts[kind] > 0)
    .map((kind) => `${counts[kind]} ${kind}`)
    .join(', ');
}

/** The counts of a tree change's file lists. */
export const fileCounts = (change: Pick<TreeChange, 'added' | 'changed' | 'removed'>) => ({
  added: change.added.length,
  changed: change.changed.length,
  removed: change.removed.length,
});
