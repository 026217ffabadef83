import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { appDir, appValuesFile, GITOPS_DIR, gitopsPath, MaydayError, type Diagnostic } from '@mayday/model';
import { GITOPS_CONFIG_FILE } from './gitops-config.ts';
import { changeCounts, fileCounts } from './tree-writer.ts';
import { GitopsRemote, type RemoteOptions, type TreeEntry, type TreeSnapshot } from './published-branch.ts';
import {
  parseSources,
  serializeSources,
  sourceOrder,
  SOURCES_FILE,
  type PublishedSources,
  type SourceOrder,
} from './provenance.ts';

export interface PublishOptions extends RemoteOptions {
  /** The apps of this run: their gitops/<env>/<app>/ folders are published as they are on disk. */
  apps: readonly string[];
  /** The source commit named in the message (default: HEAD of the workspace). */
  sourceCommit?: string;
  log?: (line: string) => void;
  /** Delay between attempts when another run moved the branch first: base·2^n with jitter, capped. */
  backoff?: { baseMs: number; maxMs: number };
  /** Replace app/envs even where the branch holds a render of a source this run does not descend from (a rollback); logged in the commit. */
  force?: boolean;
  /** Publish even when the apps' files differ from the source commit (a human trying something); logged in the commit. */
  allowDirty?: boolean;
  /** Runs after this run's commit is built and before it is pushed (tests use it to stage a race). */
  beforePush?: (attempt: number) => Promise<void>;
}

/** What changed in one gitops/<env>/<app> folder. */
export interface FolderChange {
  app: string;
  env: string;
  path: string;
  status: 'created' | 'updated' | 'removed';
  added: string[];
  changed: string[];
  removed: string[];
}

export interface PublishResult {
  status: 'published' | 'unchanged';
  /** The branch tip after this run: the new commit, or the tip that already had this content. */
  commit?: string;
  branch: string;
  remote: string;
  attempts: number;
  changes: FolderChange[];
  /** Apps removed from apps/ whose gitops folders this run deleted. */
  pruned: string[];
  /** App/envs left as published because the branch holds a render of a source this run does not descend from. */
  refused: SourceRefusal[];
  /** App/envs replaced over such a render because of `force`. */
  forced: SourceRefusal[];
}

/** An app/env whose published render comes from a source commit that is not an ancestor of this run's. */
export interface SourceRefusal {
  app: string;
  env: string;
  path: string;
  /** The source commit the branch's version was rendered from. */
  published: string;
  /** This run's source commit. */
  source: string;
  order: Exclude<SourceOrder, 'same' | 'older'>;
}

const DEFAULT_BACKOFF = { baseMs: 100, maxMs: 2000 };
/** How long a lock refusal waits for the tip to move: a live push holds a ref lock for milliseconds. */
const LOCK_GRACE_MS = 1500;

/**
 * Publishes the gitops folders of `apps` to the GitOps branch as one commit: built with git
 * plumbing in a scratch repository from the remote tip, pushed with compare-and-swap
 * (--force-with-lease on the tip it was built on). When another run moved the branch first, this
 * run's folders are applied again on the new tip, with backoff, a bounded number of times. If that
 * other run changed one of the same folders differently, it fails and keeps its commit aside.
 */
export async function publishGitops(options: PublishOptions): Promise<PublishResult> {
  const log = options.log ?? (() => {});
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const remote = await GitopsRemote.open(options);
  try {
    const source = options.sourceCommit ?? (await headOf(options.workspaceRoot)) ?? 'unknown';
    const ours = await hashWorkspaceFolders(remote, options.workspaceRoot, options.apps);
    refuseUnrendered(options.workspaceRoot, options.apps, ours);
    const dirty = await uncommittedFiles(options.workspaceRoot, options.apps);
    if (dirty.length > 0 && !options.allowDirty) throw dirtyError(dirty, source);
    const sourceHistory: { deleted?: Set<string> } = {};
    let first: TreeSnapshot | undefined;
    const orderOf = sourceOrderOnce(options.workspaceRoot, source);
    const result = (status: PublishResult['status'], commit: string | undefined, attempts: number, rest: Changed) => ({
      status,
      commit,
      branch: remote.branch,
      remote: remote.displayUrl,
      attempts,
      ...rest,
      refused,
      forced,
    });
    let refused: SourceRefusal[] = [];
    let forced: SourceRefusal[] = [];
    for (let attempt = 1; attempt <= options.config.attempts; attempt++) {
      const attemptStarted = Date.now();
      const tip = await remote.fetchTip();
      const published = await remote.snapshot(tip);
      first ??= published;
      const pruned = await removedApps(options.workspaceRoot, source, published, options.apps, sourceHistory);
      const scope = [...options.apps, ...pruned];
      const sources = await publishedSources(remote, published);
      const proposed = folderChanges(published, desiredTree(published, ours, scope), scope);
      const stale = await staleFolders(orderOf, sources, proposed, source);
      refused = options.force ? [] : stale;
      forced = options.force ? stale : [];
      const desired = desiredTree(published, ours, scope, new Set(refused.map((r) => r.path)));
      const changes = folderChanges(published, desired, scope);
      if (changes.length === 0) {
        if (refused.length > 0) throw refusalError(remote.branch, refused);
        log(`${remote.branch} at ${short(tip)} already has this content: nothing to publish`);
        return result('unchanged', tip, attempt, { changes, pruned: [] });
      }
      desired.set(SOURCES_FILE, { mode: '100644', sha: await writeSources(remote, sources, changes, source) });
      const commit = await buildCommit(
        remote,
        tip,
        published,
        desired,
        commitMessage(changes, source, forced, dirty),
        options.config.author,
      );
      const conflicts =
        attempt > 1
          ? conflictingFolders(first, published, desired, changes).filter((c) => !sources.get(c.app)?.has(c.env))
          : [];
      if (conflicts.length > 0) throw await conflictError(remote, commit, conflicts, tip);
      await options.beforePush?.(attempt);
      const reason = await pushWithLease(remote, tip, commit);
      if (reason === undefined) return result('published', commit, attempt, { changes, pruned });
      log(
        `${remote.branch} moved while publishing (${reason}); applying this run's changes on the new tip (attempt ${attempt + 1})`,
      );
      await sleep(backoffDelay(backoff, attempt, Date.now() - attemptStarted));
    }
    throw new MaydayError({
      severity: 'error',
      file: GITOPS_CONFIG_FILE,
      field: 'attempts',
      rule: 'gitops-push',
      message: `${remote.branch} kept moving: gave up after ${options.config.attempts} attempts; nothing of this run was published`,
      hint: 'run push again, or raise attempts in platform/gitops.yaml',
    });
  } finally {
    remote.close();
  }
}

type Changed = Pick<PublishResult, 'changes' | 'pruned'>;

/** The same two commits always relate the same way: one git process per pair, not per attempt. */
function sourceOrderOnce(workspaceRoot: string, source: string): (published: string) => Promise<SourceOrder> {
  const orders = new Map<string, Promise<SourceOrder>>();
  return (published) =>
    orders.get(published) ?? orders.set(published, sourceOrder(workspaceRoot, published, source)).get(published)!;
}

/**
 * Pushes `commit` with compare-and-swap on `tip`. Undefined when it is published; the reason when the
 * branch moved meanwhile (so the caller builds again on the new tip); a MaydayError for any other refusal.
 */
async function pushWithLease(
  remote: GitopsRemote,
  tip: string | undefined,
  commit: string,
): Promise<string | undefined> {
  const push = await remote.git.run(
    [
      'push',
      '--porcelain',
      '--no-verify',
      `--force-with-lease=${remote.ref}:${tip ?? ''}`,
      remote.url,
      `${commit}:${remote.ref}`,
    ],
    { allowFailure: true },
  );
  if (push.ok) return undefined;
  const refusal = classifyRefusal(push, remote.ref);
  if (refusal.kind === 'locked' && !(await tipMovedWithin(remote, tip, LOCK_GRACE_MS))) {
    throw lockedRefError(remote, refusal);
  }
  if (refusal.kind === 'other') {
    throw new MaydayError({
      severity: 'error',
      file: GITOPS_CONFIG_FILE,
      field: 'repository',
      rule: 'gitops-push',
      message: `the remote refused ${remote.ref} at ${remote.displayUrl}: ${refusal.detail}`,
      hint: 'check the branch protection, the credentials (credentials.tokenEnv) and that the repository accepts pushes, then run push again',
    });
  }
  return refusal.detail;
}

/** Blob ids of every *.yaml file of the apps' gitops folders on disk, written into the scratch repository. */
async function hashWorkspaceFolders(
  remote: GitopsRemote,
  workspaceRoot: string,
  apps: readonly string[],
): Promise<Map<string, string>> {
  const gitopsRoot = join(workspaceRoot, GITOPS_DIR);
  const envs = existsSync(gitopsRoot)
    ? readdirSync(gitopsRoot)
        .filter((e) => !e.startsWith('.') && statSync(join(gitopsRoot, e)).isDirectory())
        .sort()
    : [];
  const paths: string[] = [];
  for (const app of apps) {
    for (const env of envs) {
      const dir = join(workspaceRoot, gitopsPath(env, app));
      if (!existsSync(dir)) continue;
      for (const file of readdirSync(dir).sort()) {
        if (file.endsWith('.yaml') && statSync(join(dir, file)).isFile()) paths.push(`${gitopsPath(env, app)}/${file}`);
      }
    }
  }
  if (paths.length === 0) return new Map();
  const out = await remote.git.text(['hash-object', '-w', '--no-filters', '--stdin-paths'], {
    input: paths.map((p) => join(workspaceRoot, p)).join('\n') + '\n',
  });
  const shas = out.split('\n');
  return new Map(paths.map((p, i) => [p, shas[i]]));
}

/** An existing app with no rendered folder would publish as a deletion: almost surely a missing render. */
function refuseUnrendered(workspaceRoot: string, apps: readonly string[], ours: Map<string, string>): void {
  const rendered = new Set([...ours.keys()].map((p) => p.split('/')[2]));
  const missing = apps.filter((app) => !rendered.has(app) && existsSync(join(workspaceRoot, appValuesFile(app))));
  if (missing.length === 0) return;
  throw new MaydayError(
    missing.map((app) => ({
      severity: 'error' as const,
      file: `${GITOPS_DIR}/<env>/${app}`,
      rule: 'gitops-push',
      message: `${app} has no rendered folder in ${GITOPS_DIR}/, so pushing would delete it from every env`,
      hint: `run \`nx run ${app}:render\` (and commit gitops/) before pushing; to remove an app, delete apps/${app}/`,
    })),
  );
}

/** gitops/<env>/<app>/<file> → [env, app]; undefined for anything else. */
function folderOf(path: string): [string, string] | undefined {
  const parts = path.split('/');
  return parts.length === 4 && parts[0] === GITOPS_DIR ? [parts[1], parts[2]] : undefined;
}

/** The published tree with every folder of the apps in scope replaced by this run's version, but the `kept` folders. */
function desiredTree(
  published: TreeSnapshot,
  ours: Map<string, string>,
  scope: readonly string[],
  kept: ReadonlySet<string> = new Set(),
): TreeSnapshot {
  const inScope = new Set(scope);
  const isKept = (folder: [string, string]) => kept.has(gitopsPath(folder[0], folder[1]));
  const desired: TreeSnapshot = new Map();
  for (const [path, entry] of published) {
    const folder = folderOf(path);
    if (!folder || !inScope.has(folder[1]) || isKept(folder)) desired.set(path, entry);
  }
  for (const [path, sha] of ours) if (!isKept(folderOf(path)!)) desired.set(path, { mode: '100644', sha });
  return desired;
}

async function publishedSources(remote: GitopsRemote, published: TreeSnapshot): Promise<PublishedSources> {
  const entry = published.get(SOURCES_FILE);
  const text = entry ? (await remote.readBlobs([entry.sha])).get(entry.sha) : undefined;
  return parseSources(text, remote.branch);
}

/** Folders this run would change whose published render comes from a source this run's source does not descend from. */
async function staleFolders(
  orderOf: (published: string) => Promise<SourceOrder>,
  sources: PublishedSources,
  changes: readonly FolderChange[],
  source: string,
): Promise<SourceRefusal[]> {
  const stale: SourceRefusal[] = [];
  for (const change of changes) {
    const published = sources.get(change.app)?.get(change.env);
    if (!published) continue;
    const order = await orderOf(published);
    if (order === 'not-ancestor' || order === 'unknown-here')
      stale.push({ app: change.app, env: change.env, path: change.path, published, source, order });
  }
  return stale;
}

/** sources.yaml with this run's source for every folder it writes, and without the folders it removes. */
async function writeSources(
  remote: GitopsRemote,
  sources: PublishedSources,
  changes: readonly FolderChange[],
  source: string,
): Promise<string> {
  const next: PublishedSources = new Map([...sources].map(([app, envs]) => [app, new Map(envs)]));
  for (const change of changes) {
    const envs = next.get(change.app) ?? new Map<string, string>();
    if (change.status === 'removed' || source === 'unknown') envs.delete(change.env);
    else envs.set(change.env, source);
    next.set(change.app, envs);
  }
  return remote.git.text(['hash-object', '-w', '--stdin'], { input: serializeSources(next) });
}

function refusalError(branch: string, refused: readonly SourceRefusal[]): MaydayError {
  return new MaydayError(refused.map((r) => refusalDiagnostic(branch, r)));
}

export function refusalDiagnostic(branch: string, r: SourceRefusal): Diagnostic {
  const why =
    r.order === 'unknown-here'
      ? 'which this clone does not have'
      : `which is not an ancestor of this run's source ${short(r.source)}`;
  return {
    severity: 'error',
    file: r.path,
    rule: 'gitops-older-source',
    field: `${r.app} (${r.env})`,
    message: `not published: ${branch} keeps ${r.app} in ${r.env} as rendered from ${short(r.published)}, ${why} (a newer pipeline published it)`,
    hint:
      r.order === 'unknown-here'
        ? `fetch and render from a commit that contains ${short(r.published)}; to roll back on purpose, push with --force (it is logged in the commit)`
        : `render from a commit that contains ${short(r.published)}; to roll back on purpose, push with --force (it is logged in the commit)`,
  };
}

function folderChanges(before: TreeSnapshot, after: TreeSnapshot, scope: readonly string[]): FolderChange[] {
  const inScope = new Set(scope);
  const byFolder = new Map<string, FolderChange>();
  const touch = (path: string): FolderChange | undefined => {
    const folder = folderOf(path);
    if (!folder || !inScope.has(folder[1])) return undefined;
    const key = gitopsPath(folder[0], folder[1]);
    let change = byFolder.get(key);
    if (!change) {
      change = { app: folder[1], env: folder[0], path: key, status: 'updated', added: [], changed: [], removed: [] };
      byFolder.set(key, change);
    }
    return change;
  };
  for (const [path, entry] of after) {
    const old = before.get(path);
    if (old && old.sha === entry.sha && old.mode === entry.mode) continue;
    touch(path)?.[old ? 'changed' : 'added'].push(path.split('/')[3]);
  }
  for (const path of before.keys()) if (!after.has(path)) touch(path)?.removed.push(path.split('/')[3]);
  const changes = [...byFolder.values()].sort((a, b) => a.app.localeCompare(b.app) || a.env.localeCompare(b.env));
  for (const change of changes) {
    const existedBefore = [...before.keys()].some((p) => p.startsWith(`${change.path}/`));
    const existsAfter = [...after.keys()].some((p) => p.startsWith(`${change.path}/`));
    change.status = !existedBefore ? 'created' : !existsAfter ? 'removed' : 'updated';
  }
  return changes;
}

/**
 * Folders this run writes that another run changed since this run first looked, to something else.
 * Only a folder without a recorded source is a conflict: with one, staleFolders already decided which run is newer.
 */
function conflictingFolders(
  first: TreeSnapshot,
  now: TreeSnapshot,
  desired: TreeSnapshot,
  changes: readonly FolderChange[],
): FolderChange[] {
  return changes.filter((change) => !sameFolder(first, now, change.path) && !sameFolder(now, desired, change.path));
}

function sameFolder(a: TreeSnapshot, b: TreeSnapshot, folder: string): boolean {
  const entries = (s: TreeSnapshot) =>
    [...s]
      .filter(([p]) => p.startsWith(`${folder}/`))
      .map(([p, e]: [string, TreeEntry]) => `${p} ${e.mode} ${e.sha}`)
      .sort()
      .join('\n');
  return entries(a) === entries(b);
}

/** A commit of `desired` on top of `tip`, built on a private index with read-tree/update-index/write-tree/commit-tree. */
async function buildCommit(
  remote: GitopsRemote,
  tip: string | undefined,
  published: TreeSnapshot,
  desired: TreeSnapshot,
  message: string,
  author: { name: string; email: string },
): Promise<string> {
  const env = {
    GIT_INDEX_FILE: join(remote.scratch, 'index'),
    GIT_AUTHOR_NAME: author.name,
    GIT_AUTHOR_EMAIL: author.email,
    GIT_COMMITTER_NAME: author.name,
    GIT_COMMITTER_EMAIL: author.email,
  };
  await remote.git.run(tip ? ['read-tree', tip] : ['read-tree', '--empty'], { env });
  const records: string[] = [];
  for (const path of published.keys()) if (!desired.has(path)) records.push(`0 ${'0'.repeat(40)}\t${path}`);
  for (const [path, entry] of desired) {
    const old = published.get(path);
    if (!old || old.sha !== entry.sha || old.mode !== entry.mode) records.push(`${entry.mode} ${entry.sha}\t${path}`);
  }
  await remote.git.run(['update-index', '-z', '--index-info'], { env, input: records.map((r) => `${r}\0`).join('') });
  const tree = await remote.git.text(['write-tree'], { env });
  return remote.git.text(['commit-tree', tree, ...(tip ? ['-p', tip] : []), '-F', '-'], { env, input: message });
}

export function commitMessage(
  changes: readonly FolderChange[],
  source: string,
  forced: readonly SourceRefusal[] = [],
  dirty: readonly string[] = [],
): string {
  const apps = [...new Set(changes.map((c) => c.app))].sort();
  const envs = [...new Set(changes.map((c) => c.env))].sort();
  const width = Math.max(...changes.map((c) => c.path.length));
  const lines = changes.map((c) => `  ${c.path.padEnd(width)}  ${describeChange(c)}`);
  return [
    `gitops: ${apps.join(', ')} from ${short(source)}`,
    '',
    ...lines,
    '',
    `Apps: ${apps.join(', ')}`,
    `Envs: ${envs.join(', ')}`,
    `Source-Commit: ${source}`,
    ...forced.map((f) => `Forced: ${f.app} ${f.env} over ${f.published}`),
    ...dirty.map((file) => `Uncommitted: ${file}`),
    '',
  ].join('\n');
}

export function describeChange(c: FolderChange): string {
  return `${c.status}: ${changeCounts(fileCounts(c))}`;
}

/**
 * Why the remote refused our ref: `moved` when its tip is not the one this run built on (the only
 * case worth another attempt), `locked` when the remote could not take the ref's lock file,
 * `other` for everything else (hooks, protection, permissions, a full disk).
 */
export type PushRefusal =
  { kind: 'moved' | 'other'; detail: string } | { kind: 'locked'; detail: string; lockFile: string };

export function classifyRefusal(push: { stdout: string; stderr: string }, ref: string): PushRefusal {
  const line = push.stdout.split('\n').find((l) => l.startsWith('!') && l.includes(`:${ref}`));
  const status = line?.split('\t').slice(2).join(' ').trim();
  const remoteSaid = remoteMessages(push.stderr);
  if (!status) return { kind: 'other', detail: remoteSaid || push.stderr.trim().split('\n').pop() || 'no message' };
  // refused by the client before sending: the lease or fast-forward check saw another tip
  if (/\[rejected\]/.test(status) && /stale info|fetch first|non-fast-forward/.test(status))
    return { kind: 'moved', detail: status };
  const lock = new RegExp(
    `cannot lock ref '${escapeRegExp(ref)}': Unable to create '([^']+\\.lock)': File exists`,
  ).exec(remoteSaid);
  if (lock) return { kind: 'locked', detail: status, lockFile: lock[1] };
  // the remote's own compare-and-swap: another push moved the tip between advertisement and update
  if (/is at [0-9a-f]+ but expected|reference already exists|incorrect old value/.test(remoteSaid + status))
    return { kind: 'moved', detail: status };
  return { kind: 'other', detail: remoteSaid ? `${status}: ${remoteSaid}` : status };
}

/** The remote's `remote: error: …` lines, joined, without git's generic advice. */
function remoteMessages(stderr: string): string {
  return stderr
    .split('\n')
    .map((l) => /^remote: (?:error: )?(.*?)\s*$/.exec(l)?.[1] ?? '')
    .filter(
      (l) =>
        l &&
        !/^(Another git process|an editor opened|are terminated|may have crashed|remove the file manually)/.test(l),
    )
    .join(' ')
    .trim();
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Fetches the tip a few times over `ms`: true when it moved, i.e. the lock belonged to a push that was alive. */
async function tipMovedWithin(remote: GitopsRemote, tip: string | undefined, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  do {
    if ((await remote.fetchTip()) !== tip) return true;
    await sleep(Math.min(250, Math.max(0, deadline - Date.now())));
  } while (Date.now() < deadline);
  return (await remote.fetchTip()) !== tip;
}

function lockedRefError(remote: GitopsRemote, refusal: { detail: string; lockFile: string }): MaydayError {
  const lock = refusal.lockFile.replace(/\/\.\//g, '/');
  return new MaydayError({
    severity: 'error',
    file: GITOPS_CONFIG_FILE,
    field: 'repository',
    rule: 'gitops-ref-locked',
    message: `the remote refused ${remote.ref} at ${remote.displayUrl} (${refusal.detail}): its lock file ${lock} exists and the tip has not moved, so no push is holding it; nothing of this run was published`,
    hint: `a git process on the server died while updating ${remote.ref}; once no push to it is running, remove ${lock} on the server (or ask the forge's admins to), then run push again`,
  });
}

/**
 * Apps whose folders are published but whose apps/<app>/ this source has deleted: removed in the
 * same commit. An app missing only because this checkout predates it is left alone.
 */
export async function removedApps(
  workspaceRoot: string,
  source: string,
  published: TreeSnapshot,
  apps: readonly string[],
  history: { deleted?: Set<string> },
): Promise<string[]> {
  if (source === 'unknown') return [];
  const candidates = [
    ...new Set(
      [...published.keys()]
        .map(folderOf)
        .filter((f) => f !== undefined)
        .map((f) => f[1]),
    ),
  ]
    .filter((app) => !apps.includes(app) && !existsSync(join(workspaceRoot, appValuesFile(app))))
    .sort();
  if (candidates.length === 0) return [];
  if (!history.deleted) {
    // one look at the source history for every deletion of an app's values.yaml; without --no-renames an app
    // removed in the commit that adds another would count as renamed, and its folders would stay published
    const log = await execa(
      'git',
      [
        '-C',
        workspaceRoot,
        'log',
        '--no-renames',
        '--diff-filter=D',
        '--name-only',
        '--format=',
        source,
        '--',
        appValuesFile('*'),
      ],
      { reject: false },
    );
    history.deleted = new Set(
      log.exitCode === 0
        ? log.stdout
            .split('\n')
            .filter(Boolean)
            .map((path) => path.split('/')[1])
        : [],
    );
  }
  return candidates.filter((app) => history.deleted!.has(app));
}

async function conflictError(
  remote: GitopsRemote,
  commit: string,
  conflicts: readonly FolderChange[],
  tip: string | undefined,
): Promise<MaydayError> {
  // keep this run's commit on the remote, outside any branch, so neither side is lost
  const keptRef = `refs/mayday/conflicts/${remote.branch}/${commit}`;
  const kept = await remote.git.run(['push', '--quiet', '--no-verify', remote.url, `${commit}:${keptRef}`], {
    allowFailure: true,
  });
  const where = kept.ok
    ? `this run's version is kept on the remote as ${keptRef}`
    : `this run's version could not be kept on the remote (${kept.stderr.trim()})`;
  return new MaydayError(
    conflicts.map((c): Diagnostic => ({
      severity: 'error',
      file: c.path,
      rule: 'gitops-conflict',
      field: `${c.app} (${c.env})`,
      message: `another run published ${c.app} in ${c.env} while this one was publishing, with different content; ${remote.branch} keeps that version (${short(tip)})`,
      hint: `${where}; render again from the newer source and push, or compare with \`git diff ${short(tip)} ${short(commit)}\``,
    })),
  );
}

/**
 * Files of the apps (their apps/<app>/ and gitops/<env>/<app>/) that differ from HEAD, untracked ones
 * included: what push would publish although Source-Commit does not contain it.
 */
async function uncommittedFiles(workspaceRoot: string, apps: readonly string[]): Promise<string[]> {
  const pathspecs = apps.flatMap((app) => [`:(glob)${appDir(app)}/**`, `:(glob)${GITOPS_DIR}/*/${app}/**`]);
  const status = await execa(
    'git',
    ['-C', workspaceRoot, 'status', '--porcelain=v1', '-z', '--untracked-files=all', '--', ...pathspecs],
    { reject: false },
  );
  if (status.exitCode !== 0)
    return [`${GITOPS_DIR}/ (not in a git checkout: ${status.stderr.trim().split('\n').pop()})`];
  return status.stdout
    .split('\0')
    .filter((record) => record.length > 3)
    .map((record) => record.slice(3))
    .sort();
}

function dirtyError(files: readonly string[], source: string): MaydayError {
  // one line per folder: a new app is a dozen files, and the folder is what to commit
  const byFolder = new Map<string, string[]>();
  for (const file of files) {
    const slash = file.lastIndexOf('/');
    const folder = slash > 0 ? file.slice(0, slash) : file;
    byFolder.set(folder, [...(byFolder.get(folder) ?? []), file.slice(slash + 1)]);
  }
  return new MaydayError(
    [...byFolder].map(([folder, names]) => ({
      severity: 'error' as const,
      file: names.length === 1 ? `${folder}/${names[0]}` : `${folder}/`,
      rule: 'gitops-uncommitted',
      message: `${names.length === 1 ? 'is' : `${names.join(', ')} are`} not committed, so publishing under Source-Commit ${short(source)} would name a commit that does not contain ${names.length === 1 ? 'it' : 'them'}`,
      hint: 'commit (git add … && git commit) and push again; to publish uncommitted files on purpose, pass --allow-dirty (it is logged in the commit)',
    })),
  );
}

async function headOf(workspaceRoot: string): Promise<string | undefined> {
  const result = await execa('git', ['-C', workspaceRoot, 'rev-parse', '--verify', '-q', 'HEAD'], { reject: false });
  return result.exitCode === 0 ? result.stdout.trim() : undefined;
}

/**
 * Full jitter over a window that doubles per failed attempt. The unit is at least one attempt's
 * own duration, so racing publishers spread out over the time a push really takes on this machine.
 */
function backoffDelay(backoff: { baseMs: number; maxMs: number }, attempt: number, attemptMs: number): number {
  const window = Math.min(backoff.maxMs, Math.max(backoff.baseMs, attemptMs) * 2 ** (attempt - 1));
  return Math.random() * window;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const short = (sha: string | undefined) => (sha ? sha.slice(0, 7) : 'none');
