import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import pc from 'picocolors';
import { parse } from 'yaml';
import { colourWanted, GITOPS_DIR, gitopsPath } from '@mayday/model';
import {
  appsRemovedByChange,
  applicationChangeLines,
  applicationCounts,
  formatApplicationsMarkdown,
  previewApplications,
  type ApplicationPreview,
} from './application-preview.ts';
import { GitopsRemote, type RemoteOptions } from './published-branch.ts';
import { changeCounts } from './tree-writer.ts';

export interface ResourceDiff {
  file: string;
  /** `Kind/name`, read from the manifest (the file name when it does not parse). */
  resource: string;
  status: 'added' | 'changed' | 'removed';
  /** Unified diff of the YAML, published → workspace. */
  patch: string;
}

export interface FolderDiff {
  app: string;
  env: string;
  path: string;
  resources: ResourceDiff[];
}

export interface GitopsDiff {
  branch: string;
  remote: string;
  /** The published tip compared with; undefined when the branch does not exist yet. */
  tip?: string;
  /** Every app/env of the run, changed or not, in app then env order, and those of apps the change removes. */
  folders: FolderDiff[];
  /** The Applications Argo CD will create, delete or re-target when push publishes this. */
  applications: ApplicationPreview;
}

/**
 * Compares the apps' gitops folders on disk with the published GitOps branch, resource by resource, and
 * previews the Applications that change; `base` is where the change forks (default main).
 */
export async function diffGitops(
  options: RemoteOptions & { apps: readonly string[]; base?: string },
): Promise<GitopsDiff> {
  const remote = await GitopsRemote.open(options);
  try {
    const tip = await remote.fetchTip();
    const published = await remote.snapshot(tip);
    const blobs = await remote.readBlobs([...published.values()].map((e) => e.sha));
    const publishedFile = (path: string) => {
      const entry = published.get(path);
      return entry ? blobs.get(entry.sha) : undefined;
    };
    const folders: FolderDiff[] = [];
    const removed = await appsRemovedByChange(options.workspaceRoot, published, options.apps);
    const apps = [...new Set([...options.apps, ...removed])].sort();
    const afterFiles = [...published.keys()].filter((p) => {
      const [root, , owner] = p.split('/');
      return !(root === GITOPS_DIR && apps.includes(owner) && p.split('/').length === 4);
    });
    for (const app of apps) {
      const envs = new Set(
        workspaceEnvs(options.workspaceRoot).filter((env) =>
          existsSync(join(options.workspaceRoot, gitopsPath(env, app))),
        ),
      );
      for (const path of published.keys()) {
        const [root, env, owner] = path.split('/');
        if (root === GITOPS_DIR && owner === app) envs.add(env);
      }
      for (const env of [...envs].sort()) {
        const folder = gitopsPath(env, app);
        const local = readFolder(join(options.workspaceRoot, folder));
        const remoteFiles = [...published.keys()]
          .filter((p) => p.startsWith(`${folder}/`))
          .map((p) => p.slice(folder.length + 1));
        afterFiles.push(...[...local.keys()].map((file) => `${folder}/${file}`));
        const names = [...new Set([...local.keys(), ...remoteFiles])].sort();
        const resources: ResourceDiff[] = [];
        for (const file of names) {
          const before = publishedFile(`${folder}/${file}`);
          const after = local.get(file);
          if (before === after) continue;
          const status = before === undefined ? 'added' : after === undefined ? 'removed' : 'changed';
          const patch = createTwoFilesPatch(
            `a/${folder}/${file}`,
            `b/${folder}/${file}`,
            before ?? '',
            after ?? '',
            remote.branch,
            'workspace',
            { context: 3 },
          );
          resources.push({
            file,
            resource: resourceName(after ?? before ?? '', file),
            status,
            patch: patch.replace(/^=+\n/, ''),
          });
        }
        folders.push({ app, env, path: folder, resources });
      }
    }
    const applications = await previewApplications({
      workspaceRoot: options.workspaceRoot,
      base: options.base ?? 'main',
      beforeFiles: [...published.keys()],
      afterFiles,
    });
    return { branch: remote.branch, remote: remote.displayUrl, tip, folders, applications };
  } finally {
    remote.close();
  }
}

function workspaceEnvs(workspaceRoot: string): string[] {
  const root = join(workspaceRoot, GITOPS_DIR);
  return existsSync(root)
    ? readdirSync(root).filter((e) => !e.startsWith('.') && statSync(join(root, e)).isDirectory())
    : [];
}

function readFolder(dir: string): Map<string, string> {
  if (!existsSync(dir)) return new Map();
  return new Map(
    readdirSync(dir)
      .filter((f) => f.endsWith('.yaml') && statSync(join(dir, f)).isFile())
      .map((f) => [f, readFileSync(join(dir, f), 'utf8')]),
  );
}

export function resourceName(content: string, file: string): string {
  try {
    const doc = parse(content) as { kind?: string; metadata?: { name?: string } } | null;
    if (doc?.kind && doc.metadata?.name) return `${doc.kind}/${doc.metadata.name}`;
  } catch {
    // not YAML mayday wrote; the file name still identifies it
  }
  return file;
}

const MARK = { added: '+', changed: '~', removed: '-' } as const;

function counts(folder: FolderDiff): Record<ResourceDiff['status'], number> {
  const c = { added: 0, changed: 0, removed: 0 };
  for (const r of folder.resources) c[r.status]++;
  return c;
}

function summaryOf(folder: FolderDiff): string {
  return changeCounts(counts(folder)) || 'no changes';
}

/** Terminal form: per app and env the resources, then the coloured unified diff. */
export function formatDiffText(diff: GitopsDiff, options: { color?: boolean } = {}): string {
  const c = pc.createColors(options.color ?? colourWanted());
  const against = diff.tip ? `${diff.branch} at ${diff.tip.slice(0, 7)}` : `${diff.branch} (not published yet)`;
  const lines = [c.bold(`mayday diff against ${against}`)];
  lines.push(
    '',
    `${c.bold('Argo CD Applications')}  ${applicationCounts(diff.applications)}  ${c.dim(`(compared with ${diff.applications.before})`)}`,
  );
  for (const line of applicationChangeLines(diff.applications))
    lines.push(`  ${(line.startsWith('+') ? c.green : line.startsWith('-') ? c.red : c.yellow)(line)}`);
  // the summary of every app and env first: a new app's full files would bury it
  for (const folder of diff.folders) {
    lines.push(
      '',
      `${c.bold(`${folder.app} · ${folder.env}`)}  ${folder.path}  ${folder.resources.length ? c.yellow(summaryOf(folder)) : c.dim('no changes')}`,
    );
    for (const r of folder.resources) {
      const colour = r.status === 'added' ? c.green : r.status === 'removed' ? c.red : c.yellow;
      lines.push(`  ${colour(`${MARK[r.status]} ${r.resource}`)}  ${c.dim(r.file)}`);
    }
  }
  const changed = diff.folders.filter((folder) => folder.resources.length > 0);
  if (changed.length) lines.push('', c.bold('File by file:'));
  for (const folder of changed) {
    lines.push('', c.bold(`${folder.app} · ${folder.env}`));
    for (const r of folder.resources) lines.push(colourPatch(r.patch, c));
  }
  return lines.join('\n') + '\n';
}

/** A unified diff coloured as git colours it: headers bold, additions green, removals red, hunks cyan. */
export function colourPatch(patch: string, c: ReturnType<typeof pc.createColors>): string {
  return patch
    .replace(/\n$/, '')
    .split('\n')
    .map((line) =>
      line.startsWith('+++') || line.startsWith('---')
        ? c.bold(line)
        : line.startsWith('+')
          ? c.green(line)
          : line.startsWith('-')
            ? c.red(line)
            : line.startsWith('@@')
              ? c.cyan(line)
              : line,
    )
    .join('\n');
}

/** GitHub refuses comments over 65536 characters; keep room for the summary and a note. */
export const MARKDOWN_LIMIT = 60_000;

/**
 * A pull-request comment: a summary table and one collapsible diff per changed app and env.
 * Diffs that would push the comment past `limit` are left out, with a note saying which.
 */
export function formatDiffMarkdown(diff: GitopsDiff, limit = MARKDOWN_LIMIT): string {
  const against = diff.tip
    ? `\`${diff.branch}\` at \`${diff.tip.slice(0, 7)}\``
    : `\`${diff.branch}\` (not published yet)`;
  const lines = [
    `### mayday: gitops changes against ${against}`,
    '',
    ...formatApplicationsMarkdown(diff.applications),
    '',
    '| App | Env | Added | Changed | Removed |',
    '| --- | --- | ---: | ---: | ---: |',
  ];
  for (const folder of diff.folders) {
    const c = counts(folder);
    lines.push(`| ${folder.app} | ${folder.env} | ${c.added} | ${c.changed} | ${c.removed} |`);
  }
  const left: string[] = [];
  let size = lines.join('\n').length;
  for (const folder of diff.folders.filter((f) => f.resources.length > 0)) {
    const list = folder.resources.map((r) => `${MARK[r.status]} ${r.resource}`).join(', ');
    const block = [
      '',
      `<details><summary><b>${folder.app} · ${folder.env}</b>: ${escapeHtml(list)}</summary>`,
      '',
      '```diff',
      ...folder.resources.map((r) => r.patch.replace(/\n$/, '')),
      '```',
      '',
      '</details>',
    ];
    const blockSize = block.join('\n').length + 1;
    if (size + blockSize > limit) {
      left.push(`${folder.app} · ${folder.env}`);
      continue;
    }
    lines.push(...block);
    size += blockSize;
  }
  if (left.length)
    lines.push(
      '',
      `Diffs left out to keep this comment short: ${left.join(', ')}. Run \`nx affected -t diff\` to see them.`,
    );
  if (diff.folders.every((f) => f.resources.length === 0)) lines.push('', 'No gitops changes.');
  return lines.join('\n') + '\n';
}

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
