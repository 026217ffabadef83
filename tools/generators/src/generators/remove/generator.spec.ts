// nx g mayday:remove as a user runs it, then the change through diff and push: real nx, Helm and git.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { execa } from 'execa';
import { commitNewApp, createTempWorkspace, mustSucceed, REPO_ROOT, type TempWorkspace } from '@mayday/testing';
import removeGenerator from './generator.ts';
import { bareRepository } from '../../../../../libs/gitops/src/test-support/git-remotes.ts';

let ws: TempWorkspace;
let remote: Awaited<ReturnType<typeof bareRepository>>;
const onRemote = async (args: string[]) => (await execa('git', ['--git-dir', remote.dir, ...args])).stdout;
const status = async () => (await ws.git(['status', '--porcelain'])).stdout;

beforeAll(async () => {
  remote = await bareRepository();
  ws = await createTempWorkspace({ withApps: true, git: false });
  const config = ws.read('platform/gitops.yaml').replace(/^repository: .*$/m, `repository: ${remote.url}`);
  writeFileSync(join(ws.root, 'platform/gitops.yaml'), config);
  await mustSucceed(
    ws.nx([
      'g',
      'mayday:app',
      'shop',
      '--team=payments',
      '--port=8080',
      '--image=ghcr.io/acme/shop:1.4.2',
      '--no-interactive',
    ]),
  );
  await mustSucceed(ws.nx(['run-many', '-t', 'render']));
  await mustSucceed(ws.nx(['sync']));
  for (const args of [
    ['init', '-q', '-b', 'main'],
    ['add', '-A'],
    ['commit', '-q', '-m', 'workspace'],
  ])
    await mustSucceed(ws.git(args));
  await mustSucceed(ws.nx(['run-many', '-t', 'push']));
}, 180_000);
afterAll(() => {
  ws?.cleanup();
  remote?.cleanup();
});

describe('nx g mayday:remove', () => {
  it('--dry-run prints the Applications deleted, the resources pruned and the namespaces kept, and changes nothing', async () => {
    const result = await ws.nx(['g', 'mayday:remove', 'hello', '--confirm=hello', '--dry-run']);
    expect(result.exitCode).toBe(0);
    expect(result.all).toContain('Removing hello: what Argo CD will do once this change is pushed');
    expect(result.all).toContain('Applications deleted (2):');
    expect(result.all).toMatch(
      /- hello-prd {2}project mayday-prd {2}cluster prd \(https:\/\/prd\.k8s\.mayday\.example\) {2}namespace hello-prd {2}prunes 7 resources/,
    );
    expect(result.all).toMatch(/- hello-stg {2}project mayday-stg .* prunes 5 resources/);
    expect(result.all).toContain(
      'prd  hello-prd: Deployment/hello, HTTPRoute/hello, HorizontalPodAutoscaler/hello, NetworkPolicy/hello, PodDisruptionBudget/hello, Service/hello, ServiceAccount/hello',
    );
    expect(result.all).toContain('Namespaces kept: hello-stg, hello-prd');
    expect(result.all).toContain('kubectl delete namespace hello-prd');
    expect(result.all).toContain('apps/hello/catalog-info.yaml goes with the app folder');
    expect(result.all).toContain('DELETE apps/hello');
    expect(result.all).toContain('DELETE gitops/prd/hello');
    expect(await status()).toBe('');
  });

  it('an app in no env with deletionProtection goes without --confirm', async () => {
    const environments = 'platform/environments.yaml';
    writeFileSync(
      join(ws.root, environments),
      ws.read(environments).replace('deletionProtection: true', 'deletionProtection: false'),
    );
    const result = await ws.nx(['g', 'mayday:remove', 'shop', '--dry-run']);
    await mustSucceed(ws.git(['checkout', '--', environments]));
    expect(result.exitCode).toBe(0);
    expect(result.all).toContain('Applications deleted (2):');
    expect(result.all).not.toContain('deletionProtection');
    expect(result.all).toContain('DELETE apps/shop');
    expect(await status()).toBe('');
  });

  it('--dry-run without the --confirm a protected env asks for previews, says what is missing, and changes nothing', async () => {
    const result = await ws.nx(['g', 'mayday:remove', 'shop', '--dry-run']);
    expect(result.exitCode).toBe(0);
    expect(result.all).toContain('Applications deleted (2):');
    expect(result.all).toContain('shop runs in prd, which has deletionProtection in platform/environments.yaml');
    expect(result.all).not.toContain('DELETE');
    expect(await status()).toBe('');
  });

  it('a change that removes one app and adds another: diff lists both Applications, push publishes both, Argo CD would delete and create them', async () => {
    await mustSucceed(ws.nx(['g', 'mayday:remove', 'hello', '--confirm=hello']));
    expect(ws.exists('apps/hello')).toBe(false);
    expect(ws.exists('gitops/prd/hello')).toBe(false);
    await commitNewApp(ws, 'cart', 'remove hello, add cart');

    const text = await ws.nx(['affected', '-t', 'diff', '--base=HEAD~1'], { NX_BASE: 'HEAD~1' });
    expect(text.exitCode).toBe(0);
    expect(text.all).toMatch(
      /Argo CD Applications {2}2 created, 2 deleted, 0 re-targeted, \d+ unchanged {2}\(compared with platform\/argocd at HEAD~1/,
    );
    expect(text.all).toMatch(
      /\+ cart-prd {3}project mayday-prd {2}cluster prd \(https:\/\/prd\.k8s\.mayday\.example\) {2}namespace cart-prd {2}\d+ resources/,
    );
    expect(text.all).toMatch(/\+ cart-stg /);
    expect(text.all).toMatch(/- hello-prd {2}project mayday-prd .* namespace hello-prd {2}prunes 7 resources/);
    expect(text.all).toMatch(/- hello-stg /);
    expect(text.all).toMatch(/hello · prd {2}gitops\/prd\/hello {2}7 removed/);

    const markdown = await ws.nx(
      ['affected', '-t', 'diff', '--base=HEAD~1', '--format=markdown', '--output=tmp/gitops-diff.md'],
      { NX_BASE: 'HEAD~1' },
    );
    expect(markdown.exitCode).toBe(0);
    const comment = ws.read('tmp/gitops-diff.md');
    expect(comment).toContain(
      '| created | `cart-stg` | mayday-stg | stg (https://stg.k8s.mayday.example) | cart-stg |',
    );
    expect(comment).toContain(
      '| deleted | `hello-prd` | mayday-prd | prd (https://prd.k8s.mayday.example) | hello-prd | 7 pruned |',
    );
    expect(comment.indexOf('**Argo CD Applications**')).toBeLessThan(comment.indexOf('| App | Env |'));

    const push = await ws.nx(['affected', '-t', 'push', '--base=HEAD~1']);
    expect(push.exitCode).toBe(0);
    for (const env of ['stg', 'prd'])
      expect((await onRemote(['ls-tree', '-d', '--name-only', `gitops:gitops/${env}`])).split('\n')).toEqual([
        'cart',
        'shop',
      ]);
  });
});

// the refusals (an unknown app, prd without --confirm, a --confirm for another app) are rows of tools/e2e/bad-input.spec.ts

describe('mayday:remove on a virtual tree', () => {
  const treeWith = (apps: string[]) => {
    const tree = createTreeWithEmptyWorkspace({ formatter: 'none' });
    for (const file of ['platform/environments.yaml', 'platform/gitops.yaml'])
      tree.write(file, readFileSync(join(REPO_ROOT, file), 'utf8'));
    for (const app of apps) {
      tree.write(`apps/${app}/values.yaml`, 'team: payments\n');
      tree.write(`apps/${app}/values-prd.yaml`, 'replicas: 3\n');
      for (const env of ['stg', 'prd'])
        tree.write(`gitops/${env}/${app}/deployment-${app}.yaml`, `kind: Deployment\nmetadata:\n  name: ${app}\n`);
    }
    return tree;
  };
  const files = (tree: ReturnType<typeof treeWith>, dir: string): string[] =>
    tree.children(dir).flatMap((c) => (tree.isFile(`${dir}/${c}`) ? [`${dir}/${c}`] : files(tree, `${dir}/${c}`)));

  it("deletes the app's values and its gitops folder in every env, and nothing of the other apps", async () => {
    const tree = treeWith(['shop', 'cart']);
    await removeGenerator(tree, { name: 'shop', confirm: 'shop' });
    expect([...files(tree, 'apps'), ...files(tree, 'gitops')].sort()).toEqual([
      'apps/cart/values-prd.yaml',
      'apps/cart/values.yaml',
      'gitops/prd/cart/deployment-cart.yaml',
      'gitops/stg/cart/deployment-cart.yaml',
    ]);
  });

  it('without --confirm for an app in prd deletes nothing and fails when Nx runs its task', async () => {
    const tree = treeWith(['shop']);
    const task = await removeGenerator(tree, { name: 'shop' });
    expect(tree.listChanges().filter((c) => c.type === 'DELETE')).toEqual([]);
    expect(() => task()).toThrow(
      'shop runs in prd, which has deletionProtection in platform/environments.yaml: nothing was removed',
    );
  });

  it('names the apps there are when asked for one that does not exist, and changes nothing', async () => {
    const tree = treeWith(['cart']);
    const before = tree.listChanges().map((c) => `${c.type} ${c.path}`);
    await expect(removeGenerator(tree, { name: 'shpo' })).rejects.toThrow(
      'there is no app "shpo" (no apps/shpo/values.yaml); apps here: cart',
    );
    expect(tree.listChanges().map((c) => `${c.type} ${c.path}`)).toEqual(before);
  });
});
