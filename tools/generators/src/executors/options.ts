import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { closest, MaydayError, type Diagnostic } from '@mayday/model';

interface OptionSchema {
  properties: Record<string, { type?: string; 'x-enum'?: string[] }>;
}

/**
 * Checks a target's options against its schema.json here, not in Nx: Nx's own check of a batch
 * executor's options ends in an UnhandledPromiseRejection and a Node stack trace. Unknown options
 * (a typo) and values outside `x-enum` become a plain error naming the option and what it accepts.
 */
export function checkOptions(target: string, app: string, options: object): void {
  const schema = JSON.parse(readFileSync(join(import.meta.dirname, target, 'schema.json'), 'utf8')) as OptionSchema;
  const known = Object.keys(schema.properties);
  const problems: Diagnostic[] = [];
  for (const [key, value] of Object.entries(options)) {
    if (key.startsWith('__') || value === undefined) continue;
    // Nx hands over `--allow-dirty` as typed: the executors read the schema's camelCase name
    const camel = key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (camel !== key && schema.properties[camel]) {
      (options as Record<string, unknown>)[camel] ??= value;
      continue;
    }
    const property = schema.properties[key];
    const where = { severity: 'error' as const, file: `nx run ${app}:${target}`, field: `--${key}`, rule: 'option' };
    if (!property) {
      const guess = closest(key, known);
      problems.push({
        ...where,
        message: `${target} has no option --${key}`,
        hint: guess ? `did you mean --${guess}?` : `its options: ${known.map((k) => `--${k}`).join(', ')}`,
      });
    } else if (property['x-enum'] && !property['x-enum'].includes(String(value))) {
      problems.push({
        ...where,
        message: `--${key}=${String(value)} is not one of ${property['x-enum'].join(', ')}`,
        hint: `pass --${key}=${property['x-enum'][0]} or leave it out`,
      });
    }
  }
  if (problems.length) throw new MaydayError(problems);
}

/** Nx hands `--dry-run` to an executor as `dry-run`: every option by its schema's camelCase name. */
export function camelCaseOptions<T extends object>(options: T): T {
  return Object.fromEntries(
    Object.entries(options).map(([key, value]) => [key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()), value]),
  ) as T;
}

/** The app an executor runs on: every mayday target belongs to a project. */
export function requireProjectName(context: ExecutorContext): string {
  if (!context.projectName)
    throw new Error(`mayday executors run on a project: use \`nx run <app>:${context.targetName ?? '<target>'}\``);
  return context.projectName;
}
