import { logger, type GeneratorCallback, type Tree } from '@nx/devkit';
import { appDir, appValuesFile, GITOPS_DIR, gitopsPath } from '@mayday/model';

export interface RemoveGeneratorSchema {
  name: string;
}

/** `nx g mayday:remove <app>`: the app's values and its rendered folders go together, so nothing is left behind. */
export default async function removeGenerator(tree: Tree, options: RemoveGeneratorSchema): Promise<GeneratorCallback> {
  const app = String(options.name ?? '').trim();
  if (!app || !tree.exists(appValuesFile(app))) {
    const apps = tree.exists('apps') ? tree.children('apps').filter((a) => tree.exists(appValuesFile(a))) : [];
    throw new Error(
      `there is no app "${app}" (no ${appValuesFile(app || '<name>')}); apps here: ${apps.sort().join(', ') || '(none)'}`,
    );
  }
  tree.delete(appDir(app));
  const envs = tree.exists(GITOPS_DIR) ? tree.children(GITOPS_DIR).filter((env) => !env.startsWith('.')) : [];
  for (const env of envs) if (tree.exists(gitopsPath(env, app))) tree.delete(gitopsPath(env, app));
  return () =>
    logger.info(
      `\nNext: commit the removal, then \`nx affected -t push\` removes gitops/*/${app}/ from the GitOps branch and Argo CD deletes the Application.`,
    );
}
