import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { MaydayError, type Diagnostic } from './diagnostics.ts';
import { CHART_SCHEMA_FILE } from './workspace.ts';
import type { YamlFile } from './yaml-file.ts';
import { dotted } from './zod-diagnostics.ts';

export type Values = Record<string, unknown>;

/** One layer of values in Helm's order of precedence: later layers win. */
export interface ValuesLayer {
  source: Pick<YamlFile, 'file' | 'lineOf' | 'has'>;
  data: unknown;
}

/** A YAML or JSON mapping (not a list, not null). */
export const isRecord = (v: unknown): v is Values => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Helm's coalescing: maps merge deeply, lists and scalars replace, `null` deletes a key. */
export function mergeValues(base: unknown, override: unknown): unknown {
  if (!isRecord(base) || !isRecord(override)) return override === undefined ? base : override;
  const out: Values = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === null) delete out[key];
    else out[key] = mergeValues(base[key], value);
  }
  return out;
}

export function mergeLayers(layers: readonly ValuesLayer[]): Values {
  return layers.reduce<unknown>((acc, layer) => mergeValues(acc, layer.data ?? {}), {}) as Values;
}

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const validators = new Map<string, ValidateFunction>();

/** Compiles a chart's values.schema.json once per process (keyed by its text). */
export function valuesValidator(schemaText: string, schemaFile = CHART_SCHEMA_FILE): ValidateFunction {
  let validate = validators.get(schemaText);
  if (!validate) {
    const ajv = addFormats(new Ajv2020({ allErrors: true, strict: false, verbose: true }));
    try {
      validate = ajv.compile(JSON.parse(schemaText));
    } catch (error) {
      throw new MaydayError({
        severity: 'error',
        file: schemaFile,
        message: `invalid JSON Schema: ${(error as Error).message}`,
      });
    }
    validators.set(schemaText, validate);
  }
  return validate;
}

/**
 * Validates the merged values against the chart schema, as Helm will, but reports each problem
 * at the file (and line) that set the field, with a "did you mean" for misspelt keys.
 */
export function validateValues(schemaText: string, layers: readonly ValuesLayer[]): Diagnostic[] {
  const validate = valuesValidator(schemaText);
  const merged = mergeLayers(layers);
  if (validate(merged)) return [];
  return dedupe((validate.errors ?? []).filter((e) => e.keyword !== 'if').map((e) => toDiagnostic(e, layers)));
}

/**
 * `key: null` is Helm's way to drop a default; where the base chart's templates still read that
 * mapping (`probes: null`), Helm fails with a nil pointer that names no values file. These are the
 * nulls to blame then, at the file and line that wrote them, with what to write instead.
 */
export function nullsOverChartMappings(layers: readonly ValuesLayer[]): Diagnostic[] {
  const [chart, ...rest] = layers;
  const found: Diagnostic[] = [];
  const walk = (layer: ValuesLayer, value: unknown, defaults: unknown, path: (string | number)[]) => {
    if (!isRecord(value) || !isRecord(defaults)) return;
    for (const [key, child] of Object.entries(value)) {
      const at = [...path, key];
      if (child === null && isRecord(defaults[key])) {
        const fields = Object.keys(defaults[key] as Values);
        found.push({
          severity: 'error',
          file: layer.source.file,
          line: layer.source.lineOf(at),
          field: dotted(at),
          rule: 'values-schema',
          message: `null removes the base chart's ${dotted(at)} (${fields.join(', ')}), which its templates still read, so Helm fails with a nil pointer`,
          hint: `set only the fields you want to change, e.g. ${dotted([...at, fields[0]])}: …${'enabled' in (defaults[key] as Values) ? `, or ${dotted([...at, 'enabled'])}: false` : ''}`,
        });
      } else walk(layer, child, defaults[key], at);
    }
  };
  if (chart) for (const layer of rest) walk(layer, layer.data, chart.data, []);
  return found;
}

function toDiagnostic(error: ErrorObject, layers: readonly ValuesLayer[]): Diagnostic {
  const base = jsonPointerToPath(error.instancePath);
  let path = base;
  let message = error.message ?? 'is invalid';
  let hint = `fix the value; the allowed fields are described in ${CHART_SCHEMA_FILE}`;
  if (error.keyword === 'additionalProperties') {
    const key = (error.params as { additionalProperty: string }).additionalProperty;
    path = [...base, key];
    const allowed = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
    const guess = closest(key, allowed);
    message = `unknown field "${key}"`;
    hint = guess ? `did you mean "${guess}"?` : `remove it; allowed here: ${allowed.join(', ') || '(none)'}`;
  } else if (error.keyword === 'required') {
    const key = (error.params as { missingProperty: string }).missingProperty;
    path = [...base, key];
    message = `required field "${key}" is missing`;
    hint = `set ${dotted(path)}`;
  } else if (error.keyword === 'enum') {
    const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
    message = `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}, found ${found(error.data)}`;
  } else if (error.keyword === 'type') {
    const type = (error.params as { type: string | string[] }).type;
    message = `must be ${[type].flat().join(' or ')}, found ${found(error.data)}`;
    if (
      typeof error.data === 'string' &&
      [type].flat().some((t) => t === 'integer' || t === 'number') &&
      /^-?\d+(\.\d+)?$/.test(error.data)
    )
      hint = `write it without quotes: ${String(path.at(-1))}: ${error.data}`;
  } else if (error.keyword === 'pattern') {
    const description = (error.parentSchema as { description?: string } | undefined)?.description
      ?.split(/\.\s/)[0]
      .replace(/\.$/, '');
    message = `${found(error.data)} is not valid here${description ? `: expected ${description.charAt(0).toLowerCase()}${description.slice(1)}` : ''}`;
  }
  const layer =
    [...layers].reverse().find((l) => l.source.has(path)) ?? [...layers].reverse().find((l) => l.source.has(base));
  const where = layer ?? layers[layers.length - 1];
  return {
    severity: 'error',
    file: where.source.file,
    line: where.source.lineOf(layer ? path : base),
    field: dotted(path) || '(root)',
    rule: 'values-schema',
    message,
    hint,
  };
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

function dedupe(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${d.file}:${d.field}:${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
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
