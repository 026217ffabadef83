import { readdirSync } from 'node:fs';
import { join, posix } from 'node:path';
import { Application } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1';
import { pathMatch } from './path-match.ts';

/** What Argo CD's ApplicationSet controller would create, with the fields a reader checks. */
export interface DiscoveredApplication {
  name: string;
  /** The generator's directory, e.g. gitops/stg/hello. */
  path: string;
  object: Record<string, unknown>;
}

interface DirectoryEntry {
  path: string;
  exclude?: boolean;
}

interface GitGenerator {
  git?: { directories?: DirectoryEntry[]; values?: Record<string, string> };
}

/**
 * Runs an ApplicationSet's git directory generators over a repository's file list the way the
 * controller does: every directory (never a file) that an include pattern matches with Go's
 * path.Match and no exclude pattern matches becomes one Application from the Go template.
 */
export function discoverApplications(
  appSet: Record<string, unknown>,
  repositoryFiles: readonly string[],
): DiscoveredApplication[] {
  const spec = appSet.spec as {
    generators: GitGenerator[];
    template: Record<string, unknown>;
    goTemplateOptions?: string[];
  };
  const directories = directoriesOf(repositoryFiles);
  const discovered: DiscoveredApplication[] = [];
  for (const generator of spec.generators) {
    if (!generator.git?.directories) continue;
    const includes = generator.git.directories.filter((d) => !d.exclude).map((d) => d.path);
    const excludes = generator.git.directories.filter((d) => d.exclude).map((d) => d.path);
    for (const dir of directories) {
      if (!includes.some((p) => pathMatch(p, dir)) || excludes.some((p) => pathMatch(p, dir))) continue;
      const params = { path: pathParams(dir), values: generator.git.values ?? {} };
      const object = renderTemplate(spec.template, params) as Record<string, unknown>;
      const application = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', ...object };
      new Application(application as unknown as ConstructorParameters<typeof Application>[0]).validate();
      discovered.push({ name: (object.metadata as { name: string }).name, path: dir, object: application });
    }
  }
  return discovered.sort((a, b) => a.name.localeCompare(b.name));
}

/** Every directory that holds a file, at any depth: what a clone of the repository contains. */
export function directoriesOf(files: readonly string[]): string[] {
  const dirs = new Set<string>();
  for (const file of files) {
    for (let dir = posix.dirname(file); dir !== '.' && dir !== '/'; dir = posix.dirname(dir)) dirs.add(dir);
  }
  return [...dirs].sort();
}

/** Files under `dir` of a folder on disk, hidden ones included, as repository paths. */
export function listRepositoryFiles(root: string, dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const entry of readdirSync(join(root, rel), { withFileTypes: true })) {
      const child = posix.join(rel, entry.name);
      if (entry.isDirectory()) walk(child);
      else out.push(child);
    }
  };
  walk(dir);
  return out.sort();
}

function pathParams(dir: string): Record<string, unknown> {
  const basename = posix.basename(dir);
  return {
    path: dir,
    basename,
    basenameNormalized: basename.replace(/[^a-zA-Z0-9-.]/g, '-').toLowerCase(),
    segments: dir.split('/'),
  };
}

/** Renders every string of a template with the Go-template subset mayday's ApplicationSet uses. */
function renderTemplate(node: unknown, params: Record<string, unknown>): unknown {
  if (typeof node === 'string') return renderGoTemplate(node, params);
  if (Array.isArray(node)) return node.map((n) => renderTemplate(n, params));
  if (node && typeof node === 'object')
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, renderTemplate(v, params)]));
  return node;
}

/**
 * `{{ .a.b }}` and Sprig's `{{ replace "old" new src }}`, with missingkey=error: an unknown
 * key fails as it does in the controller. Anything else is refused, so the template cannot
 * silently use something this preview does not understand.
 */
export function renderGoTemplate(text: string, params: Record<string, unknown>): string {
  return text.replace(/\{\{-?\s*(.*?)\s*-?\}\}/g, (_, action: string) => {
    const args = tokenize(action);
    if (args.length === 1) return String(evaluate(args[0], params));
    if (args[0] === 'replace' && args.length === 4) {
      const [oldText, newText, source] = args.slice(1).map((a) => String(evaluate(a, params)));
      return source.replaceAll(oldText, newText);
    }
    throw new Error(`template action not supported by the preview: {{ ${action} }}`);
  });
}

function tokenize(action: string): string[] {
  return action.match(/"(?:[^"\\]|\\.)*"|\S+/g) ?? [];
}

function evaluate(token: string, params: Record<string, unknown>): unknown {
  if (token.startsWith('"')) return JSON.parse(token) as string;
  if (!token.startsWith('.')) throw new Error(`template token not supported by the preview: ${token}`);
  let value: unknown = params;
  for (const key of token.slice(1).split('.')) {
    if (!value || typeof value !== 'object' || !(key in value)) {
      throw new Error(`map has no entry for key "${key}" (missingkey=error) in ${token}`);
    }
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}
