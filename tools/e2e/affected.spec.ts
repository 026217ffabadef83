// `nx affected` in a real git repository: what a change touches is what gets rendered.
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createTempWorkspace, mustSucceed, type TempWorkspace } from '@mayday/testing';

let ws: TempWorkspace;
const touch = (path: string, line = '# touched\n') => appendFileSync(join(ws.root, path), line);
const affectedRenders = async () =>
  (await mustSucceed(ws.nx(['show', 'projects', '--affected', '--base=HEAD', '-t', 'render']))).stdout
    .split('\n')
    .filter(Boolean)
    .sort();

beforeAll(async () => {
  ws = await createTempWorkspace({ withApps: true });
  for (const [name, team] of [
    ['shop', 'payments'],
    ['cart', 'checkout'],
  ]) {
    await mustSucceed(
      ws.nx([
        'g',
        'mayday:app',
        name,
        `--team=${team}`,
        '--port=8080',
        `--image=ghcr.io/acme/${name}:1.0.0`,
        '--no-interactive',
      ]),
    );
  }
  await mustSucceed(ws.nx(['run-many', '-t', 'render']));
  await mustSucceed(ws.git(['add', '-A']));
  await mustSucceed(ws.git(['commit', '-q', '-m', 'apps']));
});
afterEach(async () => {
  await mustSucceed(ws.git(['checkout', '--', '.']));
});
afterAll(() => ws.cleanup());

describe('nx affected -t render', () => {
  it('renders only the app whose values changed', async () => {
    writeFileSync(join(ws.root, 'apps/shop/values-stg.yaml'), 'replicas: 2\n');
    expect(await affectedRenders()).toEqual(['shop']);
    const result = await mustSucceed(ws.nx(['affected', '-t', 'render', '--base=HEAD']));
    expect(result.all).toContain('nx run shop:render');
    expect(result.all).not.toMatch(/nx run (cart|hello):render/);
    const changed = (await ws.git(['status', '--porcelain'])).stdout
      .split('\n')
      .map((l) => l.trim().split(' ').pop())
      .sort();
    expect(changed).toEqual(['apps/shop/values-stg.yaml', 'gitops/stg/shop/deployment-shop.yaml']);
  });

  it('renders every app when the base chart changes', async () => {
    touch('platform/charts/app/templates/service.yaml', '{{- /* touched */ -}}\n');
    expect(await affectedRenders()).toEqual(['cart', 'hello', 'shop']);
  });

  it('renders every app when platform/environments.yaml changes', async () => {
    touch('platform/environments.yaml');
    expect(await affectedRenders()).toEqual(['cart', 'hello', 'shop']);
  });

  it("renders nothing of the other apps when one app's README changes", async () => {
    touch('apps/cart/README.md', '\nMore words.\n');
    // cart itself may or may not count (its render inputs exclude the README); no other app may
    expect((await affectedRenders()).filter((app) => app !== 'cart')).toEqual([]);
  });

  it('renders nothing when only gitops/ changes', async () => {
    touch('gitops/stg/shop/service-shop.yaml');
    expect(await affectedRenders()).toEqual([]);
  });
});
