// nx run <app>:promote as a user runs it: real nx, Helm and git, the GitOps branch in a bare repository.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { commitNewApp, createTempWorkspace, mustSucceed, type TempWorkspace } from '@mayday/testing';
import { bareRepository } from '../../../../../libs/gitops/src/test-support/git-remotes.ts';

let ws: TempWorkspace;
let remote: Awaited<ReturnType<typeof bareRepository>>;
const status = async () => (await ws.git(['status', '--porcelain'])).stdout;
const edit = (path: string, change: (text: string) => string) =>
  writeFileSync(join(ws.root, path), change(ws.read(path)));
/** A change as the pipeline ships it: rendered, committed, published. */
const ship = async (message: string) => {
  await mustSucceed(ws.nx(['run-many', '-t', 'render']));
  await mustSucceed(ws.git(['add', '-A']));
  await mustSucceed(ws.git(['commit', '-q', '-m', message]));
  await mustSucceed(ws.nx(['run-many', '-t', 'push']));
};
const deploymentImage = (env: string) => /image: (\S+)/.exec(ws.read(`gitops/${env}/hello/deployment-hello.yaml`))![1];

beforeAll(async () => {
  remote = await bareRepository();
  ws = await createTempWorkspace({ withApps: true, git: false });
  edit('platform/gitops.yaml', (text) => text.replace(/^repository: .*$/m, `repository: ${remote.url}`));
  await mustSucceed(ws.nx(['sync']));
  for (const args of [
    ['init', '-q', '-b', 'main'],
    ['add', '-A'],
    ['commit', '-q', '-m', 'workspace'],
  ])
    await mustSucceed(ws.git(args));
  await mustSucceed(ws.nx(['run-many', '-t', 'push']));
  // a new version reaches stg first: values.yaml's tag moves, prd keeps its pin; stg also serves readiness elsewhere
  edit('apps/hello/values.yaml', (text) => text.replace('tag: "6.9.2"', 'tag: "6.9.3"'));
  edit('apps/hello/values-stg.yaml', (text) => `${text}probes:\n  readiness:\n    path: /readyz/v2\n`);
  await ship('hello 6.9.3 in stg');
}, 180_000);
afterAll(() => {
  ws?.cleanup();
  remote?.cleanup();
});

describe('nx run <app>:promote --from=stg --to=prd', () => {
  it('a new tag in values.yaml reaches stg only: prd keeps its pinned image', () => {
    expect(deploymentImage('stg')).toBe('ghcr.io/stefanprodan/podinfo:6.9.3');
    expect(deploymentImage('prd')).toBe('ghcr.io/stefanprodan/podinfo:6.9.2');
  });

  it('--dry-run shows the image, the promoted keys, the values diff and the rendered diff, and writes nothing', async () => {
    const result = await ws.nx(['run', 'hello:promote', '--from=stg', '--to=prd', '--dry-run']);
    expect(result.all).toContain('hello: promote stg → prd');
    expect(result.exitCode).toBe(0);
    expect(result.all).toContain('image      ghcr.io/stefanprodan/podinfo:6.9.2 → ghcr.io/stefanprodan/podinfo:6.9.3');
    expect(result.all).toContain('probes.readiness.path "/readyz" → "/readyz/v2"');
    expect(result.all).toMatch(/^- {2}tag: "6\.9\.2"$/m);
    expect(result.all).toMatch(/^\+ {2}tag: "6\.9\.3"$/m);
    expect(result.all).toMatch(/rendered: gitops\/prd\/hello {2}~ Deployment\/hello/);
    expect(result.all).toMatch(/^\+ +image: "?ghcr\.io\/stefanprodan\/podinfo:6\.9\.3"?$/m);
    expect(result.all).toMatch(/✔ lint prd: \d+ resources/);
    expect(result.all).toContain('dry run: nothing written');
    expect(await status()).toBe('');
  });

  it('writes values-prd.yaml (comments kept) and gitops/prd/hello/: a normal change to commit; a second run has nothing to promote', async () => {
    const before = ws.read('apps/hello/values-prd.yaml');
    const result = await ws.nx(['run', 'hello:promote', '--from=stg', '--to=prd']);
    expect(result.exitCode).toBe(0);
    const after = ws.read('apps/hello/values-prd.yaml');
    expect(after).toBe(
      before.replace('tag: "6.9.2"', 'tag: "6.9.3"') + 'probes:\n  readiness:\n    path: "/readyz/v2"\n',
    );
    expect(deploymentImage('prd')).toBe('ghcr.io/stefanprodan/podinfo:6.9.3');
    expect(
      (await status())
        .split('\n')
        .map((l) => l.trim())
        .sort(),
    ).toEqual(['M apps/hello/values-prd.yaml', 'M gitops/prd/hello/deployment-hello.yaml']);
    // what promote wrote is what render writes: the result is a normal, consistent change
    await mustSucceed(ws.nx(['run', 'hello:render', '--check', '--skip-nx-cache']));
    await mustSucceed(ws.git(['commit', '-qam', 'promote hello 6.9.3 to prd']));
    const again = await ws.nx(['affected', '-t', 'promote', '--base=HEAD~1', '--output-style=static']);
    expect(again.exitCode).toBe(0);
    expect(again.all).toContain('hello: prd already runs what stg runs; nothing to promote');
  });
});

// a stale stg, a backwards image, an env without promotion, another source, an unknown env and a misspelt option are
// rows of tools/e2e/bad-input.spec.ts; these two need a published history of their own
describe('nx run <app>:promote refuses, naming the reason, and nothing changes', () => {
  const refuses = async (args: string[], message: RegExp) => {
    const result = await ws.nx(['run', 'hello:promote', ...args]);
    expect(result.exitCode).not.toBe(0);
    expect(result.all).toMatch(message);
    expect(result.all).not.toMatch(/\n\s+at .*\.ts:\d+/);
    return result;
  };

  it("when prd's lint fails with what stg runs (a tag strict prd refuses, which stg only warns about)", async () => {
    edit('apps/hello/values.yaml', (text) => text.replace('tag: "6.9.3"', 'tag: "main-4f2c1ab"'));
    await ship('stg runs a branch build');
    const result = await refuses(
      ['--to=prd'],
      /apps\/hello\/values-prd\.yaml: error promotion: not promoted: hello fails lint in prd \(hello-prd, strict\) with the promoted values/,
    );
    expect(result.all).toMatch(/error mayday-image-pinned/);
    expect(await status()).toBe('');
  });

  it('when the app is not published in stg yet', async () => {
    await commitNewApp(ws, 'cart', 'cart, not pushed');
    const result = await ws.nx(['run', 'cart:promote']);
    expect(result.exitCode).not.toBe(0);
    expect(result.all).toMatch(/gitops\/stg\/cart on gitops: error promotion: cart is not published in stg yet/);
    expect(await status()).toBe('');
  });
});
