import { isMap, isScalar, parseAllDocuments, stringify } from 'yaml';
import { MaydayError, type KubernetesObject } from '@mayday/model';

/** One file of the gitops tree: `<kind>-<name>.yaml` and its exact bytes. */
export interface ManifestFile {
  fileName: string;
  /** The chart template that produced it (`app/templates/deployment.yaml`). */
  template: string;
  object: KubernetesObject;
  content: string;
}

export interface NormalizeOptions {
  /** Comment lines put at the top of every file (without the leading `# `). */
  header: readonly string[];
  /** Shown in errors: which app and env produced the output. */
  context: string;
}

const FIRST_KEYS = ['apiVersion', 'kind', 'metadata'];

/**
 * Helm output → one file per resource: empty documents dropped, keys in a stable order
 * (apiVersion, kind, metadata, then alphabetical, as `kubectl get -o yaml` prints maps),
 * files sorted by name. Pure: the same text always gives the same bytes.
 */
export function normalizeManifests(helmOutput: string, options: NormalizeOptions): ManifestFile[] {
  const files = new Map<string, ManifestFile>();
  for (const doc of parseAllDocuments(helmOutput)) {
    const template = sourceOf(doc.commentBefore ?? doc.contents?.commentBefore ?? '') ?? 'unknown template';
    if (doc.errors.length > 0) {
      throw new MaydayError({
        severity: 'error',
        file: template,
        message: `${options.context}: rendered YAML is invalid: ${doc.errors[0].message}`,
      });
    }
    if (!doc.contents || (isScalar(doc.contents) && doc.contents.value === null)) continue;
    if (!isMap(doc.contents)) {
      throw new MaydayError({
        severity: 'error',
        file: template,
        message: `${options.context}: a rendered document is not a Kubernetes object`,
      });
    }
    const object = sortKeys(doc.toJS()) as KubernetesObject;
    const problem = missingIdentity(object);
    if (problem) {
      throw new MaydayError({
        severity: 'error',
        file: template,
        field: problem,
        message: `${options.context}: a rendered object has no ${problem}`,
        hint: 'every resource needs apiVersion, kind and metadata.name (check extraManifests in the values)',
      });
    }
    const fileName = manifestFileName(object);
    const clash = files.get(fileName);
    if (clash) {
      throw new MaydayError({
        severity: 'error',
        file: template,
        message: `${options.context}: two resources would be written to ${fileName} (also from ${clash.template})`,
        hint: 'give each resource a unique kind and name',
      });
    }
    const content =
      options.header.map((line) => `# ${line}\n`).join('') +
      `# Source: ${template}\n` +
      stringify(object, { lineWidth: 0, aliasDuplicateObjects: false });
    files.set(fileName, { fileName, template, object, content });
  }
  return [...files.values()].sort((a, b) => (a.fileName < b.fileName ? -1 : a.fileName > b.fileName ? 1 : 0));
}

/** `Deployment/shop` → `deployment-shop.yaml`; characters unsafe in file names become `_`. */
export function manifestFileName(object: Pick<KubernetesObject, 'kind' | 'metadata'>): string {
  return `${object.kind}-${object.metadata.name}`.toLowerCase().replace(/[^a-z0-9.-]/g, '_') + '.yaml';
}

function sourceOf(comment: string): string | undefined {
  return /Source:\s*(\S+)/.exec(comment)?.[1];
}

function missingIdentity(object: Partial<KubernetesObject>): string | undefined {
  if (typeof object.apiVersion !== 'string' || !object.apiVersion) return 'apiVersion';
  if (typeof object.kind !== 'string' || !object.kind) return 'kind';
  if (typeof object.metadata?.name !== 'string' || !object.metadata.name) return 'metadata.name';
  return undefined;
}

function sortKeys(value: unknown, depth = 0): unknown {
  if (Array.isArray(value)) return value.map((item) => sortKeys(item, depth + 1));
  if (typeof value !== 'object' || value === null) return value;
  const keys = Object.keys(value).sort((a, b) => rank(a, depth) - rank(b, depth) || (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(keys.map((key) => [key, sortKeys((value as Record<string, unknown>)[key], depth + 1)]));
}

function rank(key: string, depth: number): number {
  const i = depth === 0 ? FIRST_KEYS.indexOf(key) : -1;
  return i === -1 ? FIRST_KEYS.length : i;
}
