import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { parseAllDocuments } from 'yaml';
import { appValuesFile, GITOPS_DIR, loadEnvironments } from '@mayday/model';
import { ARGOCD_DIR, buildArgoCdManifests, CLUSTER_SECRET_LABEL } from './argocd.ts';
import { discoverApplications } from './discovery.ts';
import { loadGitopsConfig } from './gitops-config.ts';
import { removedApps } from './publish.ts';
import type { TreeSnapshot } from './published-branch.ts';

/** Where one Argo CD Application deploys: what a reviewer checks before merging. */
export interface ApplicationTarget {
  name: string;
  project: string;
  /** The destination cluster as the Application names it (destination.name, else destination.server). */
  cluster: string;
  /** The API server that cluster name stands for (from the cluster Secrets), when known. */
  server?: string;
  namespace: string;
  /** repoURL, revision and path of the source, as one string. */
  source: string;
  /** Files of the source folder on the GitOps branch (one resource each); undefined for sources outside gitops/. */
  resources?: number;
}

export type ApplicationChangeKind = 'created' | 'deleted' | 'retargeted';

export interface ApplicationChange {
  change: ApplicationChangeKind;
  name: string;
  before?: ApplicationTarget;
  after?: ApplicationTarget;
  /** For a re-targeted Application: the fields that differ. */
  fields: TargetField[];
}

const TARGET_FIELDS = ['project', 'cluster', 'server', 'namespace', 'source'] as const;
export type TargetField = (typeof TARGET_FIELDS)[number];

export interface ApplicationPreview {
  changes: ApplicationChange[];
  /** Applications that exist before and after with the same target. */
  unchanged: number;
  /** Where the Argo CD objects the change starts from were read, e.g. `platform/argocd at main (1a2b3c4)`. */
  before: string;
}

type ArgoObject = Record<string, unknown> & {
  kind?: string;
  metadata?: { name?: string; labels?: Record<string, string> };
};

/**
 * Every Application the Argo CD objects make over a GitOps branch holding `files`: the Applications
 * themselves, and what each ApplicationSet's generators discover (mayday's discovery, as the controller
 * would). Cluster names resolve to servers through the cluster Secrets among the objects.
 */
export function argoCdApplications(objects: readonly ArgoObject[], files: readonly string[]): ApplicationTarget[] {
  const servers = new Map<string, string>();
  for (const o of objects) {
    const data = (o as { stringData?: { name?: string; server?: string } }).stringData;
    if (o.kind === 'Secret' && o.metadata?.labels?.[CLUSTER_SECRET_LABEL] === 'cluster' && data?.name && data.server)
      servers.set(data.name, data.server);
  }
  const applications = objects.flatMap((o) =>
    o.kind === 'Application'
      ? [o]
      : o.kind === 'ApplicationSet'
        ? discoverApplications(o, files).map((d) => d.object)
        : [],
  );
  return applications.map((a) => targetOf(a, servers, files)).sort((a, b) => a.name.localeCompare(b.name));
}

function targetOf(
  application: Record<string, unknown>,
  servers: ReadonlyMap<string, string>,
  files: readonly string[],
): ApplicationTarget {
  const { metadata, spec } = application as {
    metadata: { name: string };
    spec: {
      project: string;
      destination: { name?: string; server?: string; namespace?: string };
      source?: { repoURL: string; targetRevision?: string; path?: string };
    };
  };
  const cluster = spec.destination.name ?? spec.destination.server ?? '';
  const source = spec.source ?? { repoURL: '' };
  const path = source.path ?? '';
  const inGitops = path === GITOPS_DIR || path.startsWith(`${GITOPS_DIR}/`);
  return {
    name: metadata.name,
    project: spec.project,
    cluster,
    server: spec.destination.name ? servers.get(spec.destination.name) : spec.destination.server,
    namespace: spec.destination.namespace ?? '',
    source: `${source.repoURL}@${source.targetRevision ?? 'HEAD'}:${path}`,
    resources: inGitops ? files.filter((f) => f.startsWith(`${path}/`) && f.endsWith('.yaml')).length : undefined,
  };
}

/** Applications created, deleted or pointed elsewhere (project, cluster, its server, namespace, source), by name. */
export function compareApplications(
  before: readonly ApplicationTarget[],
  after: readonly ApplicationTarget[],
): Omit<ApplicationPreview, 'before'> {
  const old = new Map(before.map((a) => [a.name, a]));
  const next = new Map(after.map((a) => [a.name, a]));
  const changes: ApplicationChange[] = [];
  let unchanged = 0;
  for (const name of [...new Set([...old.keys(), ...next.keys()])].sort()) {
    const a = old.get(name);
    const b = next.get(name);
    if (!a) changes.push({ change: 'created', name, after: b, fields: [] });
    else if (!b) changes.push({ change: 'deleted', name, before: a, fields: [] });
    else {
      const fields = TARGET_FIELDS.filter((f) => a[f] !== b[f]);
      if (fields.length) changes.push({ change: 'retargeted', name, before: a, after: b, fields });
      else unchanged++;
    }
  }
  return { changes, unchanged };
}

/** The Argo CD objects the workspace's platform/environments.yaml and platform/gitops.yaml make (what `nx sync` writes). */
export function workspaceArgoCdObjects(workspaceRoot: string): ArgoObject[] {
  return buildArgoCdManifests(loadEnvironments(workspaceRoot), loadGitopsConfig(workspaceRoot)).map((m) => m.object);
}

/**
 * The Argo CD objects a change starts from: platform/argocd/ as committed where the change forks from
 * `base` (its merge base with HEAD, as `nx affected` compares), else at HEAD. Undefined outside git.
 */
export async function baseArgoCdObjects(
  workspaceRoot: string,
  base: string,
): Promise<{ objects: ArgoObject[]; described: string } | undefined> {
  const git = (args: string[]) => execa('git', ['-C', workspaceRoot, ...args], { reject: false });
  let ref: string | undefined;
  let commit: string | undefined;
  for (const candidate of [base, `origin/${base}`]) {
    const forkPoint = await git(['merge-base', candidate, 'HEAD']);
    if (forkPoint.exitCode === 0) [ref, commit] = [candidate, forkPoint.stdout.trim()];
    if (commit) break;
  }
  if (!commit) {
    const head = await git(['rev-parse', '--verify', '-q', 'HEAD']);
    if (head.exitCode !== 0) return undefined;
    [ref, commit] = ['HEAD', head.stdout.trim()];
  }
  const listed = await git(['ls-tree', '--name-only', `${commit}:${ARGOCD_DIR}`]);
  const names =
    listed.exitCode === 0
      ? listed.stdout.split('\n').filter((n) => n.endsWith('.yaml') && n !== 'kustomization.yaml')
      : [];
  const objects: ArgoObject[] = [];
  for (const name of names) {
    const shown = await git(['show', `${commit}:${ARGOCD_DIR}/${name}`]);
    for (const doc of parseAllDocuments(shown.stdout)) {
      const object = doc.toJS() as ArgoObject | null;
      if (object && typeof object === 'object') objects.push(object);
    }
  }
  return { objects, described: `${ARGOCD_DIR} at ${ref === 'HEAD' ? 'HEAD' : ref} (${commit.slice(0, 7)})` };
}

const MARK: Record<ApplicationChangeKind, string> = { created: '+', deleted: '-', retargeted: '~' };
const WORD: Record<ApplicationChangeKind, string> = {
  created: 'created',
  deleted: 'deleted',
  retargeted: 're-targeted',
};

/** `3 created, 1 deleted, 0 re-targeted, 2 unchanged` */
export function applicationCounts(preview: ApplicationPreview): string {
  const count = (kind: ApplicationChangeKind) => preview.changes.filter((c) => c.change === kind).length;
  return `${(['created', 'deleted', 'retargeted'] as const).map((k) => `${count(k)} ${WORD[k]}`).join(', ')}, ${preview.unchanged} unchanged`;
}

const clusterText = (t: ApplicationTarget) =>
  t.server && t.server !== t.cluster ? `${t.cluster} (${t.server})` : t.cluster;

function resourcesText(change: ApplicationChange): string {
  const target = change.after ?? change.before!;
  if (target.resources === undefined) return '';
  const count = `${target.resources} resource${target.resources === 1 ? '' : 's'}`;
  return change.change === 'deleted' ? `prunes ${count}` : count;
}

function fieldText(t: ApplicationTarget, field: TargetField): string {
  return field === 'cluster' ? t.cluster : field === 'server' ? (t.server ?? '(unknown)') : t[field];
}

/** One line per Application change: mark, name, project, cluster, namespace, resources; what moved for a re-target. */
export function applicationChangeLines(preview: ApplicationPreview): string[] {
  const width = Math.max(0, ...preview.changes.map((c) => c.name.length));
  return preview.changes.map((c) => {
    const t = c.after ?? c.before!;
    const detail =
      c.change === 'retargeted'
        ? c.fields.map((f) => `${f} ${fieldText(c.before!, f)} → ${fieldText(c.after!, f)}`).join(', ')
        : [`project ${t.project}`, `cluster ${clusterText(t)}`, `namespace ${t.namespace}`, resourcesText(c)]
            .filter(Boolean)
            .join('  ');
    return `${MARK[c.change]} ${c.name.padEnd(width)}  ${detail}`;
  });
}

/** The Argo CD part of a pull-request comment: counts, then a table of the Applications that change. */
export function formatApplicationsMarkdown(preview: ApplicationPreview): string[] {
  const lines = [`**Argo CD Applications**: ${applicationCounts(preview)} (compared with ${preview.before})`];
  if (preview.changes.length === 0) return lines;
  lines.push(
    '',
    '| Change | Application | Project | Cluster | Namespace | Resources |',
    '| --- | --- | --- | --- | --- | ---: |',
  );
  for (const c of preview.changes) {
    const cell = (field: TargetField, text: (t: ApplicationTarget) => string) =>
      c.change === 'retargeted' && c.fields.includes(field)
        ? `~~${text(c.before!)}~~ → ${text(c.after!)}`
        : text(c.after ?? c.before!);
    const cluster =
      c.change === 'retargeted' && c.fields.includes('server') && !c.fields.includes('cluster')
        ? cell('server', clusterText)
        : cell('cluster', clusterText);
    const resources = (c.after ?? c.before!).resources;
    lines.push(
      `| ${WORD[c.change]} | \`${c.name}\` | ${cell('project', (t) => t.project)} | ${cluster} | ${cell('namespace', (t) => t.namespace)} | ${resources === undefined ? '' : c.change === 'deleted' ? `${resources} pruned` : resources} |`,
    );
  }
  const moved = preview.changes.filter((c) => c.fields.includes('source'));
  for (const c of moved) lines.push('', `\`${c.name}\` source: \`${c.before!.source}\` → \`${c.after!.source}\``);
  return lines;
}

/**
 * What Argo CD will do when push publishes `afterFiles` over the branch's `beforeFiles`: the Applications
 * of the workspace's Argo CD objects over the files after, against those of the objects at `base` over the
 * files before. So a change to environments.yaml or gitops.yaml shows on every Application it moves.
 */
export async function previewApplications(options: {
  workspaceRoot: string;
  base: string;
  beforeFiles: readonly string[];
  afterFiles: readonly string[];
}): Promise<ApplicationPreview> {
  const after = argoCdApplications(workspaceArgoCdObjects(options.workspaceRoot), options.afterFiles);
  const base = await baseArgoCdObjects(options.workspaceRoot, options.base);
  const objects = base?.objects.length ? base.objects : workspaceArgoCdObjects(options.workspaceRoot);
  const described = base?.objects.length
    ? base.described
    : `${ARGOCD_DIR} of this workspace (none committed at ${options.base})`;
  const before = argoCdApplications(objects, options.beforeFiles);
  return { ...compareApplications(before, after), before: described };
}

/**
 * Published apps whose apps/<app>/ this change removes, so push deletes their folders: removed in the
 * history up to HEAD (as push decides), or still at HEAD but deleted in the working tree (not committed yet).
 */
export async function appsRemovedByChange(
  workspaceRoot: string,
  published: TreeSnapshot,
  apps: readonly string[],
): Promise<string[]> {
  const git = (args: string[]) => execa('git', ['-C', workspaceRoot, ...args], { reject: false });
  const head = await git(['rev-parse', '--verify', '-q', 'HEAD']);
  if (head.exitCode !== 0) return [];
  const inHistory = await removedApps(workspaceRoot, head.stdout.trim(), published, apps, {});
  const publishedApps = [
    ...new Set(
      [...published.keys()]
        .map((p) => p.split('/'))
        .filter((p) => p.length === 4 && p[0] === GITOPS_DIR)
        .map((p) => p[2]),
    ),
  ];
  const inWorkingTree: string[] = [];
  for (const app of publishedApps.filter(
    (a) => !apps.includes(a) && !inHistory.includes(a) && !existsSync(join(workspaceRoot, appValuesFile(a))),
  )) {
    if ((await git(['cat-file', '-e', `HEAD:${appValuesFile(app)}`])).exitCode === 0) inWorkingTree.push(app);
  }
  return [...inHistory, ...inWorkingTree].sort();
}
