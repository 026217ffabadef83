import { describe, expect, it } from '@jest/globals';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import removeGenerator from './generator.ts';

describe('mayday:remove generator', () => {
  it("deletes the app's values and its gitops folder in every env, and nothing of the other apps", async () => {
    const tree = createTreeWithEmptyWorkspace({ formatter: 'none' });
    for (const app of ['shop', 'cart']) {
      tree.write(`apps/${app}/values.yaml`, 'team: payments\n');
      tree.write(`apps/${app}/values-prd.yaml`, 'replicas: 3\n');
      for (const env of ['stg', 'prd']) tree.write(`gitops/${env}/${app}/deployment-${app}.yaml`, 'kind: Deployment\n');
    }
    await removeGenerator(tree, { name: 'shop' });
    const files = (dir: string): string[] =>
      tree.children(dir).flatMap((c) => (tree.isFile(`${dir}/${c}`) ? [`${dir}/${c}`] : files(`${dir}/${c}`)));
    expect([...files('apps'), ...files('gitops')].sort()).toEqual([
      'apps/cart/values-prd.yaml',
      'apps/cart/values.yaml',
      'gitops/prd/cart/deployment-cart.yaml',
      'gitops/stg/cart/deployment-cart.yaml',
    ]);
  });

  it('names the apps there are when asked for one that does not exist, and changes nothing', async () => {
    const tree = createTreeWithEmptyWorkspace({ formatter: 'none' });
    tree.write('apps/cart/values.yaml', 'team: payments\n');
    const before = tree.listChanges().map((c) => `${c.type} ${c.path}`);
    await expect(removeGenerator(tree, { name: 'shpo' })).rejects.toThrow(
      'there is no app "shpo" (no apps/shpo/values.yaml); apps here: cart',
    );
    expect(tree.listChanges().map((c) => `${c.type} ${c.path}`)).toEqual(before);
  });
});
