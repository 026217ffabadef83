import type { Tree } from '@nx/devkit';
import type { SyncGeneratorResult } from '@nx/devkit/internal';
import {
  ENVIRONMENTS_FILE,
  MaydayError,
  parseEnvironments,
  parseTeams,
  parseYamlFile,
  TEAMS_FILE,
} from '@mayday/model';
import { ORG_FILE, orgFile, TEMPLATE_FILE, withTemplateParameters, type GeneratorSchema } from '@mayday/portal';

/** The app generator's schema: the one schema of the CLI prompts, the portal's form and the generator's checks. */
export const APP_SCHEMA_FILE = 'tools/generators/src/generators/app/schema.json';

/**
 * Global sync generator: the portal's catalog Groups and Users from platform/teams.yaml, and the mayday-app
 * template's form from the app generator's schema.json, the teams and the app name rules of the envs. `nx sync` writes them, `nx sync:check` fails
 * when they are stale, so a field added to the generator's schema is in the form in the same change.
 */
export default async function portalSyncGenerator(tree: Tree): Promise<SyncGeneratorResult> {
  const teams = parseTeams(parseYamlFile(TEAMS_FILE, readRequired(tree, TEAMS_FILE)));
  const envs = parseEnvironments(parseYamlFile(ENVIRONMENTS_FILE, readRequired(tree, ENVIRONMENTS_FILE)));
  const schema = JSON.parse(readRequired(tree, APP_SCHEMA_FILE)) as GeneratorSchema;
  const wanted = new Map([
    [ORG_FILE, orgFile(teams)],
    [TEMPLATE_FILE, withTemplateParameters(readRequired(tree, TEMPLATE_FILE), schema, APP_SCHEMA_FILE, teams, envs)],
  ]);
  const outOfSync: string[] = [];
  for (const [path, content] of wanted) {
    if (tree.read(path, 'utf8') === content) continue;
    tree.write(path, content);
    outOfSync.push(path);
  }
  if (outOfSync.length === 0) return;
  return {
    outOfSyncMessage: `the portal's catalog and template are out of date with ${TEAMS_FILE} and ${APP_SCHEMA_FILE}: run \`nx sync\` and commit them`,
    outOfSyncDetails: outOfSync,
  };
}

function readRequired(tree: Tree, path: string): string {
  const text = tree.read(path, 'utf8');
  if (text === null)
    throw new MaydayError({ severity: 'error', file: path, message: 'file not found', hint: `create ${path}` });
  return text;
}
