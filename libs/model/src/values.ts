import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { MaydayError, type Diagnostic } from './diagnostics.ts';
import { schemaIssues, type SchemaIssue } from './schema-issues.ts';
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
  return dedupe(schemaIssues(validate.errors ?? []).map((issue) => toDiagnostic(issue, layers)));
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

function toDiagnostic(issue: SchemaIssue, layers: readonly ValuesLayer[]): Diagnostic {
  const { path, at } = issue;
  const layer =
    [...layers].reverse().find((l) => l.source.has(path)) ?? [...layers].reverse().find((l) => l.source.has(at));
  const where = layer ?? layers[layers.length - 1];
  return {
    severity: 'error',
    file: where.source.file,
    line: where.source.lineOf(layer ? path : at),
    field: dotted(path) || '(root)',
    rule: 'values-schema',
    message: issue.message,
    hint: issue.hint ?? `fix the value; the allowed fields are described in ${CHART_SCHEMA_FILE}`,
  };
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
