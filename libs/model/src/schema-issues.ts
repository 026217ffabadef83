import type { ErrorObject } from 'ajv/dist/2020.js';
import { dotted } from './zod-diagnostics.ts';

/** One JSON Schema violation said plainly: the field it is about, what is wrong, and what to do where known. */
export interface SchemaIssue {
  /** The field the issue is about; for a missing or unknown field, that field itself. */
  path: (string | number)[];
  /** Where the validator stood: for a missing or unknown field, the mapping that should (not) hold it. */
  at: (string | number)[];
  /** `unknown-field`, `required`, `enum`, `type`, `pattern`, or the schema keyword. */
  kind: string;
  message: string;
  hint?: string;
}

/**
 * ajv's errors about `root` as SchemaIssues, each once (a validator compiled with `verbose: true`
 * carries the value it judged; for another, the value is looked up in `root`). A field that fails inside a oneOf/anyOf branch also fails the branch, and an `if` only
 * says which `then` failed: those are reported only when nothing more specific is.
 */
export function schemaIssues(errors: readonly ErrorObject[], root?: unknown): SchemaIssue[] {
  const specific = errors.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf' && e.keyword !== 'if');
  return dedupeIssues((specific.length ? specific : errors).map((error) => schemaIssue(error, root)));
}

/** Issues with the same path and message, once, in their first order. */
export function dedupeIssues(issues: readonly SchemaIssue[]): SchemaIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.path.join('.')}|${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function schemaIssue(error: ErrorObject, root: unknown): SchemaIssue {
  const at = jsonPointerToPath(error.instancePath);
  const issue = { at, path: at, kind: error.keyword };
  const data =
    'data' in error ? error.data : at.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)?.[k], root);
  if (error.keyword === 'additionalProperties') {
    const key = (error.params as { additionalProperty: string }).additionalProperty;
    const allowed = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
    const guess = closest(key, allowed);
    return {
      ...issue,
      path: [...at, key],
      kind: 'unknown-field',
      message: `unknown field "${key}"`,
      hint: guess ? `did you mean "${guess}"?` : `remove it; allowed here: ${allowed.join(', ') || '(none)'}`,
    };
  }
  if (error.keyword === 'required') {
    const key = (error.params as { missingProperty: string }).missingProperty;
    const path = [...at, key];
    return { ...issue, path, message: `required field "${key}" is missing`, hint: `set ${dotted(path)}` };
  }
  if (error.keyword === 'enum') {
    const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
    const message = `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}, found ${found(data)}`;
    return { ...issue, message };
  }
  if (error.keyword === 'type') {
    const types = [(error.params as { type: string | string[] }).type].flat().flatMap((t) => t.split(','));
    const message = `must be ${types.filter((t) => t !== 'null').join(' or ')}, found ${found(data)}`;
    const quotedNumber =
      typeof data === 'string' && types.some((t) => t === 'integer' || t === 'number') && /^-?\d+(\.\d+)?$/.test(data);
    const hint = quotedNumber ? `write it without quotes: ${String(at.at(-1))}: ${data}` : undefined;
    return { ...issue, message, hint };
  }
  if (error.keyword === 'pattern') {
    const description = (error.parentSchema as { description?: string } | undefined)?.description
      ?.split(/\.\s/)[0]
      .replace(/\.$/, '');
    const expected = description ? `: expected ${description.charAt(0).toLowerCase()}${description.slice(1)}` : '';
    return { ...issue, message: `${found(data)} is not valid here${expected}` };
  }
  return { ...issue, message: error.message ?? 'is invalid' };
}

/** A value as a message shows it: `string "8080"`, `a list`, `null`. */
function found(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string')
    return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}

/** A JSON Pointer (`/containers/0/image`, as ajv reports) as path segments: `['containers', 0, 'image']`. */
export function jsonPointerToPath(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

/** The allowed key nearest to a misspelt one, when it is near enough to be a typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}
