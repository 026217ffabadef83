/**
 * Runs a generator of the `mayday` plugin on a folder the way `nx g` does, for callers that are not Nx's CLI
 * (the portal's `mayday:app` scaffolder action). Nx's own steps, in Nx's order: find the generator through the
 * plugin's generators.json (`getGeneratorInformation`), combine and validate the options against its schema.json
 * (`combineOptionsForGenerator`, non-interactive), run it on an `FsTree` over the folder, then write the changes
 * (`flushChanges`) unless it is a dry run. So the files are the ones `nx g mayday:<generator>` writes, and a
 * refusal is the same message, with nothing written.
 *
 *   node tools/generators/src/run-generator.ts <generator> <folder> '<options as JSON>' [--dry-run]
 *
 * Prints one JSON line: {"ok":true,"changes":[{"path","type"}]} or {"ok":false,"message"}; exit code 0 or 1.
 */
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import type { getGeneratorInformation } from 'nx/src/devkit-internals';
import type { FsTree, flushChanges } from 'nx/src/generators/tree';
import type { combineOptionsForGenerator } from 'nx/src/utils/params';

const WORKSPACE_ROOT = resolve(import.meta.dirname, '../../..');
const require = createRequire(import.meta.url);

interface NxInternals {
  getGeneratorInformation: typeof getGeneratorInformation;
  combineOptionsForGenerator: typeof combineOptionsForGenerator;
  FsTree: typeof FsTree;
  flushChanges: typeof flushChanges;
}

/** Nx's generate command, less its CLI parsing, prompts and printing (nx/src/command-line/generate). */
const nx: NxInternals = {
  ...(require('nx/src/devkit-internals') as Pick<NxInternals, 'getGeneratorInformation'>),
  ...(require('nx/src/utils/params') as Pick<NxInternals, 'combineOptionsForGenerator'>),
  ...(require('nx/src/generators/tree') as Pick<NxInternals, 'FsTree' | 'flushChanges'>),
};

export interface GeneratorChange {
  path: string;
  type: 'CREATE' | 'UPDATE' | 'DELETE';
}

export type GeneratorResult = { ok: true; changes: GeneratorChange[] } | { ok: false; message: string };

export async function runGenerator(
  generator: string,
  folder: string,
  options: Record<string, unknown>,
  { dryRun = false } = {},
): Promise<GeneratorResult> {
  try {
    const info = nx.getGeneratorInformation('mayday', generator, WORKSPACE_ROOT, {});
    const projects = { version: 2, projects: {} };
    const combined = await nx.combineOptionsForGenerator(
      options as Parameters<NxInternals['combineOptionsForGenerator']>[0],
      'mayday',
      info.normalizedGeneratorName,
      projects,
      {},
      info.schema,
      false,
      null,
      '',
    );
    const tree = new nx.FsTree(folder, false, `generating (mayday:${info.normalizedGeneratorName})`);
    await info.implementationFactory()(tree, combined);
    tree.lock();
    const changes = tree.listChanges();
    if (!dryRun) nx.flushChanges(folder, changes);
    return { ok: true, changes: changes.map(({ path, type }) => ({ path, type })) };
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
}

if (import.meta.main) {
  const [generator, folder, json = '{}', ...flags] = process.argv.slice(2);
  if (!generator || !folder) {
    process.stderr.write("usage: run-generator.ts <generator> <folder> '<options as JSON>' [--dry-run]\n");
    process.exit(2);
  }
  const result = await runGenerator(generator, resolve(folder), JSON.parse(json) as Record<string, unknown>, {
    dryRun: flags.includes('--dry-run'),
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exitCode = result.ok ? 0 : 1;
}
