// The render executor on a real workspace with real Helm: the batch (many apps in one process)
// must write exactly what the one-app executor writes, and fail only the app that is wrong.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import { waitFor } from '@mayday/cluster';
import { createTempWorkspace, mustSucceed, type TempWorkspace } from '@mayday/testing';
import { batchParallelism } from '../batch.ts';
import renderExecutor, { renderBatchExecutor, type RenderTaskResult } from './executor.ts';

let ws: TempWorkspace;
const APPS = ['cart', 'shop', 'search'];

const writeApp = (app: string, values: string, envValues: Record<string, string> = {}) => {
  mkdirSync(join(ws.root, 'apps', app), { recursive: true });
  writeFileSync(join(ws.root, 'apps', app, 'values.yaml'), values);
  for (const [env, text] of Object.entries(envValues))
    writeFileSync(join(ws.root, 'apps', app, `values-${env}.yaml`), text);
};
const valuesOf = (app: string, port = 8080) =>
  `team: payments\nimage:\n  repository: ghcr.io/acme/${app}\n  tag: "1.4.2"\nport: ${port}\n`;

const contextFor = (projectName?: string): ExecutorContext =>
  ({
    root: ws.root,
    cwd: ws.root,
    isVerbose: false,
    projectName,
    nxJsonConfiguration: { parallel: 2 },
  }) as unknown as ExecutorContext;

const taskGraphOf = (apps: readonly string[]): TaskGraph =>
  ({
    roots: apps.map((app) => `${app}:render`),
    tasks: Object.fromEntries(
      apps.map((app) => [
        `${app}:render`,
        { id: `${app}:render`, target: { project: app, target: 'render' }, overrides: {}, outputs: [] },
      ]),
    ),
    dependencies: Object.fromEntries(apps.map((app) => [`${app}:render`, []])),
    continuousDependencies: Object.fromEntries(apps.map((app) => [`${app}:render`, []])),
  }) as unknown as TaskGraph;

async function runBatch(
  apps: readonly string[],
  options: Record<string, unknown> = {},
): Promise<Map<string, RenderTaskResult['result']>> {
  const results = new Map<string, RenderTaskResult['result']>();
  const inputs = Object.fromEntries(apps.map((app) => [`${app}:render`, options]));
  // colours are on wherever CI is set (picocolors): assert on the text a reader sees
  for await (const { task, result } of renderBatchExecutor(taskGraphOf(apps), inputs, {}, contextFor()))
    results.set(task, { ...result, terminalOutput: stripVTControlCharacters(result.terminalOutput) });
  return results;
}

/** The pid of this process's render engine once it has used `ms` of CPU, read from /proc. */
function engineBusyFor(ms: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cpuMs = (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime, in 1/100 s
      if (name === 'mayday-engine' && Number(fields[1]) === process.pid && cpuMs >= ms) return Number(entry);
    } catch {
      // the process ended while we looked
    }
  }
  return undefined;
}

const removeGitops = () => rmSync(join(ws.root, 'gitops'), { recursive: true, force: true });

beforeAll(async () => {
  ws = await createTempWorkspace({ git: false });
  writeApp('cart', valuesOf('cart'));
  writeApp('shop', valuesOf('shop', 9090), { prd: 'replicas: 3\npdb:\n  enabled: true\n' });
  writeApp('search', valuesOf('search'), { stg: 'replicas: 2\n' });
});
afterAll(() => ws.cleanup());

describe('render batch executor', () => {
  it('writes the same bytes into gitops/ as rendering each app on its own', async () => {
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    for (const app of APPS) expect(await renderExecutor({}, contextFor(app))).toEqual({ success: true });
    jest.restoreAllMocks();
    const oneByOne = ws.snapshot('gitops');
    expect([...oneByOne.keys()].some((f) => f.startsWith('gitops/prd/shop/'))).toBe(true);

    removeGitops();
    const results = await runBatch(APPS);
    expect([...results.keys()].sort()).toEqual(['cart:render', 'search:render', 'shop:render']);
    expect([...results.values()].every((r) => r.success)).toBe(true);
    expect(results.get('shop:render')!.terminalOutput).toMatch(/prd\s+gitops\/prd\/shop\s+\d+ resources/);
    expect(ws.snapshot('gitops')).toEqual(oneByOne);
  });

  it('fails only the app with a mistake, names its file and line, and leaves its gitops/ folder as it was', async () => {
    await runBatch(APPS);
    const before = ws.snapshot('gitops');
    writeApp('shop', valuesOf('shop', 9091), { stg: 'replicas: 2\nreplicaz: 3\n' });
    writeApp('cart', valuesOf('cart', 8081));
    try {
      const results = await runBatch(APPS);
      expect(results.get('shop:render')!.success).toBe(false);
      expect(results.get('shop:render')!.terminalOutput).toMatch(/apps\/shop\/values-stg.yaml:2:.*replicaz/);
      expect(results.get('shop:render')!.terminalOutput).not.toMatch(/\n\s+at /); // a user mistake has no stack trace
      expect(results.get('cart:render')!.success).toBe(true);
      const after = ws.snapshot('gitops');
      for (const [file, content] of before) if (file.includes('/shop/')) expect(after.get(file)).toBe(content);
      const cartFiles = [...before.keys()].filter((file) => file.includes('/cart/'));
      expect(cartFiles.filter((file) => after.get(file) !== before.get(file)).length).toBeGreaterThan(0);
      expect(cartFiles.map((file) => after.get(file)).join('')).toContain('containerPort: 8081');
    } finally {
      writeApp('shop', valuesOf('shop', 9090), { stg: 'replicas: 1\n' });
    }
  });

  it('fails every task with the diagnostic when platform/environments.yaml is broken, and writes nothing', async () => {
    const file = join(ws.root, 'platform/environments.yaml');
    const good = readFileSync(file, 'utf8');
    const before = ws.snapshot('gitops');
    writeFileSync(file, 'environments:\n  - name: stg\n    bogus: [\n');
    try {
      const results = await runBatch(APPS);
      expect([...results.values()].map((r) => r.success)).toEqual([false, false, false]);
      for (const result of results.values()) expect(result.terminalOutput).toContain('platform/environments.yaml:');
      expect(ws.snapshot('gitops')).toEqual(before);
    } finally {
      writeFileSync(file, good);
    }
  });

  it('fails every app and writes nothing when the render engine is killed mid-batch', async () => {
    const many = [...APPS, ...Array.from({ length: 40 }, (_, i) => `svc-${i}`)];
    for (const app of many.slice(APPS.length)) writeApp(app, valuesOf(app));
    await runBatch(many);
    const before = ws.snapshot('gitops');
    for (const app of many) writeApp(app, valuesOf(app, 7070)); // a batch that finished would change every app
    try {
      const batch = runBatch(many);
      // SIGKILL once the engine has done some of the renders (about 7 ms of CPU each), not all of them
      const pid = await waitFor('the render engine to use 150 ms of CPU', () => engineBusyFor(150), {
        timeoutMs: 30_000,
        intervalMs: 5,
      });
      process.kill(pid, 'SIGKILL');
      const results = await batch;
      expect(results.size).toBe(many.length);
      for (const result of results.values()) {
        expect(result.success).toBe(false);
        expect(result.terminalOutput).toMatch(/render engine \(pid \d+\) was killed by SIGKILL/);
        expect(result.terminalOutput).toContain('nothing of this run was written');
        expect(result.terminalOutput).not.toMatch(/\n\s+at /);
      }
      expect(ws.snapshot('gitops')).toEqual(before);
    } finally {
      for (const app of many.slice(APPS.length)) {
        rmSync(join(ws.root, 'apps', app), { recursive: true });
        for (const env of readdirSync(join(ws.root, 'gitops')))
          rmSync(join(ws.root, 'gitops', env, app), { recursive: true, force: true });
      }
      writeApp('cart', valuesOf('cart'));
      writeApp('shop', valuesOf('shop', 9090), { prd: 'replicas: 3\npdb:\n  enabled: true\n' });
      writeApp('search', valuesOf('search'), { stg: 'replicas: 2\n' });
      await runBatch(APPS);
    }
  });

  it('--check on a stale tree fails with ✖ for the stale env and ✔ only for an env that is up to date, writing nothing', async () => {
    await runBatch(APPS);
    writeApp('search', valuesOf('search', 8082), { stg: 'replicas: 2\n' });
    const before = ws.snapshot('gitops');
    try {
      const results = await runBatch(['search'], { check: true });
      const { success, terminalOutput } = results.get('search:render')!;
      expect(success).toBe(false);
      const lines = terminalOutput.split('\n');
      expect(lines.filter((l) => l.includes('gitops/stg/search') && !l.includes('error'))).toEqual([
        expect.stringMatching(/^ {2}✖ stg {2}gitops\/stg\/search .*out of date: \d+ changed$/),
      ]);
      expect(lines.filter((l) => l.includes('✔'))).toEqual([]);
      expect(terminalOutput).toMatch(/gitops\/stg\/search: error render-check: is out of date/);
      expect(ws.snapshot('gitops')).toEqual(before);
    } finally {
      writeApp('search', valuesOf('search'), { stg: 'replicas: 2\n' });
    }
  });

  it('runs as many Helm processes as nx.json parallel allows, else one per CPU', () => {
    expect(batchParallelism({ nxJsonConfiguration: { parallel: 3 } })).toBe(3);
    expect(batchParallelism({ nxJsonConfiguration: {} })).toBe(availableParallelism());
  });

  it('is what `nx run-many -t render` runs: one batch for every app, same files as the executor writes', async () => {
    await runBatch(APPS);
    const before = ws.snapshot('gitops');
    removeGitops();
    const result = await mustSucceed(ws.nx(['run-many', '-t', 'render', '--skip-nx-cache', '--outputStyle=static']));
    expect(result.all).toMatch(/Running 3 tasks with mayday:render/);
    expect(ws.snapshot('gitops')).toEqual(before);
  });
});
