import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { createTempWorkspace, type TempWorkspace } from '@mayday/testing';
import { bareRepository } from '../../../../../libs/gitops/src/test-support/git-remotes.ts';

let ws: TempWorkspace;
let remote: Awaited<ReturnType<typeof bareRepository>>;
const onRemote = async (args: string[]) => (await execa('git', ['--git-dir', remote.dir, ...args])).stdout;

beforeAll(async () => {
  remote = await bareRepository();
  ws = await createTempWorkspace({ withApps: true, git: false });
  // a second app: push renders it first (dependsOn render)
  cpSync(join(ws.root, 'apps/hello'), join(ws.root, 'apps/hi'), { recursive: true });
  const config = ws.read('platform/gitops.yaml').replace(/^repository: .*$/m, `repository: ${remote.url}`);
  writeFileSync(join(ws.root, 'platform/gitops.yaml'), config);
  for (const args of [
    ['init', '-q', '-b', 'main'],
    ['add', '-A'],
    ['commit', '-q', '-m', 'workspace'],
  ])
    expect((await ws.git(args)).exitCode).toBe(0);
});
afterAll(() => {
  ws?.cleanup();
  remote?.cleanup();
});

describe('nx push and diff targets (real nx, real git, a bare remote over file://)', () => {
  it('renders, then publishes every app of one nx run as one commit, then nothing when nothing changed', async () => {
    // push publishes what the source commit holds: the new app's render is committed first
    expect((await ws.nx(['run', 'hi:render'])).exitCode).toBe(0);
    expect((await ws.git(['add', '-A'])).exitCode).toBe(0);
    expect((await ws.git(['commit', '-q', '-m', 'hi: rendered'])).exitCode).toBe(0);
    const run = await ws.nx(['run-many', '-t', 'push']);
    expect(run.exitCode).toBe(0);
    const tip = await onRemote(['rev-parse', '--short=7', 'gitops']);
    // one line says what was published, not two
    expect(run.all.split('\n').filter((l) => l.includes(tip))).toEqual([
      expect.stringMatching(new RegExp(`✔ published ${tip} to gitops \\(file://`)),
    ]);
    expect(ws.exists('gitops/prd/hi/deployment-hi.yaml')).toBe(true);
    expect(await onRemote(['rev-list', '--count', 'gitops'])).toBe('1');
    expect(await onRemote(['log', '-1', '--format=%s', 'gitops'])).toMatch(/^gitops: hello, hi from [0-9a-f]{7}$/);
    expect((await onRemote(['ls-tree', '-d', '--name-only', 'gitops:gitops/stg'])).split('\n')).toEqual([
      'hello',
      'hi',
    ]);
    expect(await onRemote(['ls-tree', '--name-only', 'gitops'])).toBe('gitops');

    const again = await ws.nx(['run-many', '-t', 'push']);
    expect(again.exitCode).toBe(0);
    expect(again.all).toContain('nothing to publish');
    expect(await onRemote(['rev-list', '--count', 'gitops'])).toBe('1');
  });

  it('diff renders first and shows a replica change for its env only, as text and as markdown, without publishing', async () => {
    const values = 'apps/hello/values-stg.yaml';
    writeFileSync(join(ws.root, values), ws.read(values).replace(/^replicas: \d+$/m, 'replicas: 4'));
    const tip = await onRemote(['rev-parse', 'gitops']);
    const text = await ws.nx(['run', 'hello:diff']);
    expect(text.exitCode).toBe(0);
    expect(text.all).toMatch(/hello · stg {2}gitops\/stg\/hello {2}1 changed/);
    expect(text.all).toMatch(/hello · prd {2}gitops\/prd\/hello {2}no changes/);
    expect(text.all).toMatch(/^- {2}replicas: 1$/m);
    expect(text.all).toMatch(/^\+ {2}replicas: 4$/m);
    const markdown = await ws.nx(['run-many', '-t', 'diff', '--format=markdown', '--output=tmp/gitops-diff.md']);
    expect(markdown.all).toContain('| hello | stg | 0 | 1 | 0 |');
    expect(markdown.all).toContain('| hello | prd | 0 | 0 | 0 |');
    expect(ws.read('tmp/gitops-diff.md')).toMatch(/^### mayday: gitops changes against `gitops` at `[0-9a-f]{7}`\n/);
    expect(await onRemote(['rev-parse', 'gitops'])).toBe(tip);
  });

  it('nx affected -t push after deleting an app removes its gitops folders in the same commit', async () => {
    rmSync(join(ws.root, 'apps/hi'), { recursive: true });
    for (const env of ['stg', 'prd']) rmSync(join(ws.root, `gitops/${env}/hi`), { recursive: true });
    expect((await ws.nx(['run', 'hello:render'])).exitCode).toBe(0);
    expect((await ws.git(['add', '-A'])).exitCode).toBe(0);
    expect((await ws.git(['commit', '-q', '-m', 'remove hi, scale hello in stg'])).exitCode).toBe(0);
    const run = await ws.nx(['affected', '-t', 'push', '--base=HEAD~1', '--head=HEAD']);
    expect(run.exitCode).toBe(0);
    expect(await onRemote(['rev-list', '--count', 'gitops'])).toBe('2');
    const changed = await onRemote(['diff', '--stat=200', '--name-status', 'gitops~1', 'gitops']);
    expect(changed).toMatch(/^M\tgitops\/stg\/hello\/deployment-hello\.yaml$/m);
    expect(changed).toContain('D\tgitops/prd/hi/deployment-hi.yaml');
    expect(changed).toContain('D\tgitops/stg/hi/deployment-hi.yaml');
    expect(await onRemote(['ls-tree', '-d', '--name-only', 'gitops:gitops/prd'])).toBe('hello');
  });
});
