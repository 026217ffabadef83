import type { z } from 'zod';
import type { Diagnostic } from './diagnostics.ts';
import { closest } from './schema-issues.ts';
import type { YamlFile } from './yaml-file.ts';

/** Turns zod issues about a YAML file's data into diagnostics with the field's dotted path and line. */
export function zodDiagnostics(
  source: YamlFile,
  issues: readonly z.core.$ZodIssue[],
  rule: string,
  hint: string,
  schema?: z.ZodType,
): Diagnostic[] {
  return issues.map((issue) => {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const known = keys.length && schema ? knownKeysAt(schema, path) : [];
    const guess = keys.length ? closest(keys[0], known) : undefined;
    return {
      severity: 'error',
      file: source.file,
      line: source.lineOf(keys.length ? [...path, keys[0]] : path),
      field: dotted(keys.length ? [...path, keys[0]] : path) || undefined,
      rule,
      message: keys.length
        ? `unknown field${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${k}"`).join(', ')}`
        : issue.message,
      hint: guess ? `did you mean "${guess}"?` : known.length ? `allowed here: ${known.join(', ')}` : hint,
    };
  });
}

interface SchemaDef {
  type?: string;
  shape?: Record<string, unknown>;
  innerType?: SchemaNode;
  element?: SchemaNode;
  in?: SchemaNode;
}
type SchemaNode = { _zod?: { def?: SchemaDef } };

/** The keys a zod object schema allows at `path` (through defaults, optionals, pipes and arrays). */
function knownKeysAt(schema: z.ZodType, path: readonly (string | number)[]): string[] {
  let node: SchemaNode | undefined = schema as unknown as SchemaNode;
  const unwrap = () => {
    for (let def = node?._zod?.def; def && (def.innerType || def.in); def = node?._zod?.def)
      node = def.innerType ?? def.in;
  };
  for (const segment of path) {
    unwrap();
    const def: SchemaDef | undefined = node?._zod?.def;
    if (typeof segment === 'number') node = def?.element;
    else node = def?.shape?.[segment] as SchemaNode | undefined;
  }
  unwrap();
  return Object.keys(node?._zod?.def?.shape ?? {});
}

/** `['containers', 0, 'image']` → `containers[0].image`. */
export function dotted(path: readonly (string | number)[]): string {
  return path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}
