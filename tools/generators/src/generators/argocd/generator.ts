import type { Tree } from '@nx/devkit';
import type { SyncGeneratorResult } from '@nx/devkit/internal';
import { ARGOCD_DIR, argoCdFiles, GITOPS_CONFIG_FILE, parseGitopsConfigText } from '@mayday/gitops';
import { ENVIRONMENTS_FILE, MaydayError, parseEnvironments, parseYamlFile } from '@mayday/model';

/**
 * Global sync generator: writes platform/argocd/ (AppProjects, the ApplicationSet, a kustomization)
 * from platform/environments.yaml and platform/gitops.yaml. `nx sync` writes, `nx sync:check` fails
 * when the folder is stale, so a new env reaches Argo CD in the same change that declares it.
 */
export default async function argoCdSyncGenerator(tree: Tree): Promise<SyncGeneratorResult> {
  const envs = parseEnvironments(parseYamlFile(ENVIRONMENTS_FILE, readRequired(tree, ENVIRONMENTS_FILE)));
  const config = parseGitopsConfigText(readRequired(tree, GITOPS_CONFIG_FILE));
  const wanted = argoCdFiles(envs, config);
  const outOfSync: string[] = [];
  for (const [name, content] of wanted) {
    const path = `${ARGOCD_DIR}/${name}`;
    if (tree.read(path, 'utf8') === content) continue;
    tree.write(path, content);
    outOfSync.push(path);
  }
  // the folder is generated as a whole: a file of a removed env goes away
  const stale = tree.exists(ARGOCD_DIR)
    ? tree.children(ARGOCD_DIR).filter((name) => name.endsWith('.yaml') && !wanted.has(name))
    : [];
  for (const name of stale) {
    tree.delete(`${ARGOCD_DIR}/${name}`);
    outOfSync.push(`${ARGOCD_DIR}/${name} (removed)`);
  }
  if (outOfSync.length === 0) return;
  return {
    outOfSyncMessage: `${ARGOCD_DIR}/ is out of date with ${ENVIRONMENTS_FILE} and ${GITOPS_CONFIG_FILE}: run \`nx sync\` and commit it`,
    outOfSyncDetails: outOfSync,
  };
}

function readRequired(tree: Tree, path: string): string {
  const text = tree.read(path, 'utf8');
  if (text === null)
    throw new MaydayError({ severity: 'error', file: path, message: 'file not found', hint: `create ${path}` });
  return text;
}
