import type { z } from 'zod';
import type { Diagnostic } from './diagnostics.ts';
import type { YamlFile } from './yaml-file.ts';

/** Turns zod issues about a YAML file's data into diagnostics with the field's dotted path and line. */
export function zodDiagnostics(
  source: YamlFile,
  issues: readonly z.core.$ZodIssue[],
  rule: string,
  hint: string,
): Diagnostic[] {
  return issues.map((issue) => {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    return {
      severity: 'error',
      file: source.file,
      line: source.lineOf(keys.length ? [...path, keys[0]] : path),
      field: dotted(keys.length ? [...path, keys[0]] : path) || undefined,
      rule,
      message: issue.message,
      hint,
    };
  });
}

/** `['containers', 0, 'image']` → `containers[0].image`. */
export function dotted(path: readonly (string | number)[]): string {
  return path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}
