import { logger, type Tree } from '@nx/devkit';
import {
  formatRemovalPlan,
  GITOPS_CONFIG_FILE,
  parseGitopsConfigText,
  planAppRemoval,
  type RemovalPlan,
} from '@mayday/gitops';
import {
  APPS_DIR,
  appDir,
  appValuesFile,
  ENVIRONMENTS_FILE,
  GITOPS_DIR,
  gitopsPath,
  parseEnvironments,
  parseYamlFile,
  type Environment,
} from '@mayday/model';

/** What `nx g mayday:remove` accepts (see schema.json). */
export interface RemoveGeneratorSchema {
  name: string;
  confirm?: string;
}

interface NormalizedOptions {
  name: string;
  confirm?: string;
  envs: Environment[];
}

/**
 * `nx g mayday:remove <app>`: prints what Argo CD will delete, then removes apps/<app>/ and the app's
 * gitops/ folders. The next push deletes them from the GitOps branch, and Argo CD deletes the Applications.
 */
export default async function removeGenerator(tree: Tree, raw: RemoveGeneratorSchema): Promise<() => void> {
  const options = normalizeOptions(tree, raw);
  const plan = planRemoval(tree, options);
  logger.info(formatRemovalPlan(plan));
  const refusal = unconfirmed(plan, options);
  if (refusal) {
    // nothing is deleted; the refusal fails the command after Nx's dry-run check, so --dry-run still previews
    logger.warn(refusal.split(': nothing')[0]);
    return () => fail(refusal);
  }
  deleteAppFiles(tree, options);
  return () => logger.info(nextSteps(plan));
}

function normalizeOptions(tree: Tree, raw: RemoveGeneratorSchema): NormalizedOptions {
  const name = String(raw.name ?? '').trim();
  if (!tree.exists(appValuesFile(name))) {
    const apps = tree.exists(APPS_DIR) ? tree.children(APPS_DIR).filter((a) => tree.exists(appValuesFile(a))) : [];
    fail(
      `there is no app "${name}" (no ${appValuesFile(name || '<name>')}); apps here: ${apps.sort().join(', ') || '(none)'}`,
    );
  }
  const text = tree.read(ENVIRONMENTS_FILE, 'utf8');
  if (text === null) fail(`${ENVIRONMENTS_FILE} not found: run the generator in a mayday workspace`);
  let envs: Environment[];
  try {
    envs = parseEnvironments(parseYamlFile(ENVIRONMENTS_FILE, text));
  } catch (error) {
    fail((error as Error).message);
  }
  return { name, confirm: raw.confirm === undefined ? undefined : String(raw.confirm).trim(), envs };
}

function planRemoval(tree: Tree, options: NormalizedOptions): RemovalPlan {
  const gitopsText = tree.read(GITOPS_CONFIG_FILE, 'utf8');
  if (gitopsText === null)
    fail(`${GITOPS_CONFIG_FILE} not found: the removal preview needs the Argo CD settings it declares`);
  let config;
  try {
    config = parseGitopsConfigText(gitopsText);
  } catch (error) {
    fail((error as Error).message);
  }
  const gitopsFiles = new Map(filesUnder(tree, GITOPS_DIR).map((path) => [path, tree.read(path, 'utf8') ?? '']));
  return planAppRemoval({
    app: options.name,
    envs: options.envs,
    config,
    gitopsFiles,
    appFiles: filesUnder(tree, appDir(options.name)),
  });
}

/**
 * Deletion protection, as Argo CD users ask for it (argo-cd#15393): the app's name typed again. A missing
 * --confirm is returned (the command fails after the preview); a wrong one fails at once.
 */
function unconfirmed(plan: RemovalPlan, options: NormalizedOptions): string | undefined {
  if (plan.protectedEnvs.length === 0) return undefined;
  const envs = plan.protectedEnvs.join(', ');
  if (options.confirm === undefined)
    return `${options.name} runs in ${envs}, which has deletionProtection in ${ENVIRONMENTS_FILE}: nothing was removed. Check the list above, then run again with --confirm=${options.name}`;
  if (options.confirm !== options.name)
    fail(
      `--confirm=${options.confirm} does not match the app "${options.name}" (it runs in ${envs}): nothing was removed. Pass --confirm=${options.name}`,
    );
  return undefined;
}

function deleteAppFiles(tree: Tree, options: NormalizedOptions): void {
  tree.delete(appDir(options.name));
  for (const env of tree.exists(GITOPS_DIR) ? tree.children(GITOPS_DIR) : []) {
    if (tree.exists(gitopsPath(env, options.name))) tree.delete(gitopsPath(env, options.name));
  }
}

function nextSteps(plan: RemovalPlan): string {
  return [
    '',
    `Next: commit and open a pull request; \`nx affected -t diff\` shows the Applications deleted (${plan.applications.changes.length}).`,
    `Once merged, \`nx affected -t push\` removes gitops/<env>/${plan.app}/ from the GitOps branch and Argo CD deletes the Applications.`,
  ].join('\n');
}

function filesUnder(tree: Tree, dir: string): string[] {
  if (!tree.exists(dir)) return [];
  if (tree.isFile(dir)) return [dir];
  return tree
    .children(dir)
    .flatMap((child) => filesUnder(tree, `${dir}/${child}`))
    .sort();
}

function fail(message: string): never {
  throw new Error(message);
}
