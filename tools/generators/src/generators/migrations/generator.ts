import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { logger, type Tree } from '@nx/devkit';
import semver from 'semver';

export interface MigrationsGeneratorSchema {
  from?: string;
}

const PLUGIN_ROOT = join(import.meta.dirname, '../../..');

interface MigrationEntry {
  version: string;
  description: string;
}

/** `nx g mayday:migrations --from=<version>`: migrations.json for `nx migrate --run-migrations`. */
export default async function migrationsGenerator(tree: Tree, options: MigrationsGeneratorSchema): Promise<() => void> {
  const from = semver.valid(options.from ?? '0.0.0');
  if (!from)
    throw new Error(
      `--from=${options.from} is not a version such as 0.1.0 (the mayday version the apps were last migrated to)`,
    );
  const plugin = JSON.parse(readFileSync(join(PLUGIN_ROOT, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
    'nx-migrations': { migrations: string };
  };
  const { generators } = JSON.parse(readFileSync(join(PLUGIN_ROOT, plugin['nx-migrations'].migrations), 'utf8')) as {
    generators: Record<string, MigrationEntry>;
  };
  const migrations = Object.entries(generators)
    .filter(([, m]) => semver.gt(m.version, from) && semver.lte(m.version, plugin.version))
    .sort(([, a], [, b]) => semver.compare(a.version, b.version))
    .map(([name, m]) => ({ version: m.version, description: m.description, package: plugin.name, name }));
  if (migrations.length === 0) {
    logger.info(`mayday ${plugin.version} has no migration newer than ${from}: nothing to run`);
    return () => {};
  }
  if (tree.exists('migrations.json'))
    throw new Error('migrations.json exists: run it first (`nx migrate --run-migrations`) or delete it');
  tree.write('migrations.json', `${JSON.stringify({ migrations }, null, 2)}\n`);
  for (const m of migrations) logger.info(`  ${m.version}  ${m.name}: ${m.description}`);
  return () =>
    logger.info(`\nNext: \`nx migrate --run-migrations\`, review and commit the result, then delete migrations.json.`);
}
