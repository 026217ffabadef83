// The golden path as a user runs it: real nx, real Helm, real git, in a temporary workspace.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import {
  createTempWorkspace,
  linkInstalledTools,
  mustSucceed,
  REPO_ROOT,
  workspaceAt,
  type TempWorkspace,
} from '@mayday/testing';

let ws: TempWorkspace;
const SHOP = [
  'g',
  'mayday:app',
  'shop',
  '--team=payments',
  '--port=8080',
  '--image=ghcr.io/acme/shop:1.4.2',
  '--no-interactive',
];
const gitStatus = async () => (await ws.git(['status', '--porcelain'])).stdout;
const manifest = (env: string, file: string) => parse(ws.read(`gitops/${env}/shop/${file}`));
const edit = (path: string, change: (text: string) => string) =>
  writeFileSync(join(ws.root, path), change(ws.read(path)));

beforeAll(async () => {
  ws = await createTempWorkspace({ withApps: true });
});
afterAll(() => ws.cleanup());

describe('nx g mayday:app, then nx run <app>:render', () => {
  it('previews with --dry-run and writes nothing', async () => {
    const result = await ws.nx([...SHOP, '--dry-run']);
    expect(result.exitCode).toBe(0);
    expect(result.all).toContain('CREATE apps/shop/values-prd.yaml');
    expect(await gitStatus()).toBe('');
  });

  it('creates the app folder', async () => {
    await mustSucceed(ws.nx(SHOP));
    for (const file of ['values.yaml', 'values-stg.yaml', 'values-prd.yaml', 'catalog-info.yaml', 'README.md']) {
      expect(ws.exists(`apps/shop/${file}`)).toBe(true);
    }
  });

  it('infers the render target, visible in nx show project', async () => {
    const project = JSON.parse((await mustSucceed(ws.nx(['show', 'project', 'shop', '--json']))).stdout);
    expect(project.targets.render).toMatchObject({ executor: 'mayday:render', cache: true });
    expect(project.targets.render.outputs).toEqual([
      '{workspaceRoot}/gitops/stg/shop',
      '{workspaceRoot}/gitops/prd/shop',
    ]);
    expect(project.tags).toEqual(expect.arrayContaining(['type:app', 'team:payments']));
  });

  it('renders stg and prd into gitops/ with the acceptance resources', async () => {
    await mustSucceed(ws.nx(['run', 'shop:render']));
    for (const env of ['stg', 'prd']) {
      for (const file of ['deployment-shop.yaml', 'service-shop.yaml', 'serviceaccount-shop.yaml']) {
        expect(manifest(env, file).metadata.namespace).toBe(`shop-${env}`);
      }
    }
    const prdReplicas = manifest('prd', 'horizontalpodautoscaler-shop.yaml').spec.minReplicas;
    expect(prdReplicas).toBeGreaterThanOrEqual(2);
    expect(manifest('prd', 'poddisruptionbudget-shop.yaml').spec.selector.matchLabels).toEqual(
      manifest('prd', 'deployment-shop.yaml').spec.selector.matchLabels,
    );
    expect(ws.exists('gitops/stg/shop/poddisruptionbudget-shop.yaml')).toBe(false);
    await mustSucceed(ws.git(['add', '-A']));
    await mustSucceed(ws.git(['commit', '-q', '-m', 'shop']));
  });

  it('renders byte-identical files again, and on another clone', async () => {
    await mustSucceed(ws.nx(['run', 'shop:render', '--skip-nx-cache']));
    expect(await gitStatus()).toBe('');

    const other = `${ws.root}-clone`;
    await mustSucceed(ws.git(['clone', '-q', ws.root, other]));
    const clone = workspaceAt(other);
    try {
      linkInstalledTools(other);
      rmSync(join(other, 'gitops/stg/shop'), { recursive: true });
      rmSync(join(other, 'gitops/prd/shop'), { recursive: true });
      await mustSucceed(clone.nx(['run', 'shop:render', '--skip-nx-cache']));
      expect(clone.snapshot('gitops')).toEqual(ws.snapshot('gitops'));
      expect((await clone.git(['status', '--porcelain'])).stdout).toBe('');
    } finally {
      clone.cleanup();
    }
  });

  it('restores from the Nx cache when nothing changed', async () => {
    const result = await mustSucceed(ws.nx(['run', 'shop:render']));
    expect(result.all).toMatch(/local cache|existing outputs match the cache/);
  });
});

describe('bad input: a clear error, and nothing changes', () => {
  it.each([
    ['an existing app', ['shop'], /app "shop" already exists/],
    ['a name that is not a DNS-1123 label', ['Shop_2'], /not a DNS-1123 label/],
    ['a name too long for <name>-<env> namespaces', [`a${'b'.repeat(55)}`], /at most 53 fit/],
    ['a port outside 1-65535', ['cart', '--port=70000'], /--port 70000 must be a whole number from 1 to 65535/],
    ['an image without a tag', ['cart', '--image=ghcr.io/acme/cart'], /has no tag/],
    ['an image tagged latest', ['cart', '--image=ghcr.io/acme/cart:latest'], /"latest"/],
  ])('the generator refuses %s', async (_, args, message) => {
    const [name, ...flags] = args;
    const defaults = ['--team=payments', '--port=8080', '--image=ghcr.io/acme/cart:1.0.0'];
    const override = (flag: string) => flags.find((f) => f.split('=')[0] === flag.split('=')[0]) ?? flag;
    const result = await ws.nx(['g', 'mayday:app', name, ...defaults.map(override), '--no-interactive']);
    expect(result.exitCode).not.toBe(0);
    expect(result.all).toMatch(message);
    expect(await gitStatus()).toBe('');
  });

  it('a misspelt values key fails the render, naming the file, line and field', async () => {
    edit('apps/shop/values-prd.yaml', (text) => `${text}replicaz: 4\n`);
    const before = ws.snapshot('gitops');
    const result = await ws.nx(['run', 'shop:render', '--skip-nx-cache']);
    expect(result.exitCode).not.toBe(0);
    expect(result.all).toMatch(
      /apps\/shop\/values-prd.yaml:\d+: error values-schema: replicaz: unknown field "replicaz"/,
    );
    expect(result.all).toContain('did you mean "replicas"?');
    expect(result.all).not.toMatch(/\n\s+at .*\.ts:\d+/);
    expect(ws.snapshot('gitops')).toEqual(before);
    await mustSucceed(ws.git(['checkout', '--', 'apps']));
  });

  it('a YAML syntax error fails the render, naming the file and line', async () => {
    edit('apps/shop/values.yaml', (text) => text.replace('port: 8080', 'port: [8080'));
    const result = await ws.nx(['run', 'shop:render', '--skip-nx-cache']);
    expect(result.exitCode).not.toBe(0);
    expect(result.all).toMatch(/apps\/shop\/values.yaml:\d+:\d+: error yaml-syntax/);
    expect((await gitStatus()).trim()).toBe('M apps/shop/values.yaml');
    await mustSucceed(ws.git(['checkout', '--', 'apps']));
  });

  it('a Helm failure in prd leaves stg and prd exactly as they were', async () => {
    edit('apps/shop/values.yaml', (text) => `${text}replicas: 2\n`); // would change stg
    edit('platform/environments.yaml', (text) => text.replace(/(name: prd[\s\S]*?kubernetesVersion: )\S+/, '$11.29.0'));
    const before = ws.snapshot('gitops');
    const result = await ws.nx(['run', 'shop:render', '--skip-nx-cache']);
    expect(result.exitCode).not.toBe(0);
    expect(result.all).toMatch(/helm template failed for shop in prd/);
    expect(result.all).toMatch(/kubeVersion/);
    expect(ws.snapshot('gitops')).toEqual(before);
    await mustSucceed(ws.git(['checkout', '--', 'apps', 'platform']));
  });

  it('removes the files of a resource that is switched off', async () => {
    edit('apps/shop/values.yaml', (text) => `${text}networkPolicy:\n  enabled: false\n`);
    await mustSucceed(ws.nx(['run', 'shop:render']));
    const status = (await gitStatus())
      .split('\n')
      .map((l) => l.trim())
      .sort();
    expect(status).toEqual([
      'D gitops/prd/shop/networkpolicy-shop.yaml',
      'D gitops/stg/shop/networkpolicy-shop.yaml',
      'M apps/shop/values.yaml',
    ]);
    await mustSucceed(ws.git(['checkout', '--', '.']));
  });
});

describe('the committed sample app', () => {
  it('is up to date with its values (render --check)', async () => {
    const result = await ws.nx(['run', 'hello:render', '--check', '--skip-nx-cache']);
    expect(result.exitCode).toBe(0);
    expect(readFileSync(join(REPO_ROOT, 'gitops/prd/hello/deployment-hello.yaml'), 'utf8')).toBe(
      ws.read('gitops/prd/hello/deployment-hello.yaml'),
    );
  });
});
