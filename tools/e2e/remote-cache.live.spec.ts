// A shared Nx cache for many machines: Nx's self-hosted remote cache API, served by tools/cache-server from a real
// S3 server (MinIO) on 127.0.0.1. A second clone restores every render and lint from it byte for byte, and never
// uses an entry made with another chart or another engine.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import {
  createTempWorkspace,
  linkInstalledTools,
  mustSucceed,
  REPO_ROOT,
  startMinio,
  startNxCacheServer,
  workspaceAt,
  type NxCacheServer,
  type S3Server,
  type TempWorkspace,
} from '@mayday/testing';

const APPS = ['shop', 'cart', 'search'];
const TASKS = APPS.length * 2; // render and lint
let s3: S3Server | undefined;
let cache: NxCacheServer | undefined;
let first: TempWorkspace;
let second: TempWorkspace;

/** Each workspace is another machine: its own local Nx cache (Nx shares one between checkouts on a machine). */
const ownCache = (ws: TempWorkspace) => ({ NX_CACHE_DIRECTORY: join(ws.root, '.nx/cache') });
const fromRemote = (output: string) => output.match(/\[remote cache\]/g)?.length ?? 0;
const REAL_ENGINE = join(REPO_ROOT, '.tools/bin/mayday-engine');
const engineScript = (name: string, body: string): string => {
  const file = join(mkdtempSync(join(tmpdir(), 'mayday-engine-script-')), name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
};
const anyCacheHit = /\[(remote|local) cache\]|existing outputs match the cache/;

beforeAll(async () => {
  s3 = await startMinio();
  cache = await startNxCacheServer(s3);
  first = await createTempWorkspace({ withApps: true });
  for (const app of APPS)
    await mustSucceed(
      first.nx(['g', 'mayday:app', app, '--team=payments', '--port=8080', `--image=ghcr.io/acme/${app}:1.4.2`]),
    );
  await mustSucceed(first.git(['add', '-A']));
  await mustSucceed(first.git(['commit', '-q', '-m', 'three apps']));
  // the first machine renders and lints, and publishes every result to the shared cache
  const published = await mustSucceed(
    first.nx(['affected', '-t', 'render', 'lint', '--base=HEAD~1', '--outputStyle=static'], {
      ...cache.nxEnv(),
      ...ownCache(first),
    }),
  );
  expect(fromRemote(published.all)).toBe(0);

  const clone = mkdtempSync(join(tmpdir(), 'mayday-clone-'));
  await execa('git', ['clone', '--quiet', first.root, clone]);
  linkInstalledTools(clone);
  second = workspaceAt(clone);
}, 20 * 60_000);

afterAll(async () => {
  first?.cleanup();
  second?.cleanup();
  await cache?.stop();
  await s3?.stop();
});

describe('a second clone with the shared cache', () => {
  it('gets every render and lint of `nx affected` from the remote cache and restores gitops/ byte for byte', async () => {
    // an engine that reports the same version but refuses to render: a task that ran instead of being restored fails
    const refusing = engineScript(
      'refusing-engine',
      `[ "$1" = --version ] && exec "${REAL_ENGINE}" --version\necho "this engine does not render" >&2\nexit 3`,
    );
    const result = await mustSucceed(
      second.nx(['affected', '-t', 'render', 'lint', '--base=HEAD~1', '--outputStyle=static'], {
        ...cache!.nxEnv(cache!.readToken),
        ...ownCache(second),
        MAYDAY_ENGINE: refusing,
      }),
    );
    expect(fromRemote(result.all)).toBe(TASKS);
    expect(result.all).toMatch(
      new RegExp(`from the cache instead of running the command for ${TASKS} out of ${TASKS} tasks`),
    );
    const restored = second.snapshot('gitops');
    expect([...restored.keys()].filter((f) => f.startsWith('gitops/prd/shop/')).length).toBeGreaterThan(3);
    expect(restored).toEqual(first.snapshot('gitops'));
  });

  it('never uses an entry rendered with another chart', async () => {
    const template = join(second.root, 'platform/charts/app/templates/service.yaml');
    await mustSucceed(second.run('cp', [template, `${template}.orig`]));
    writeFileSync(template, `{{- /* another chart */ -}}\n${first.read('platform/charts/app/templates/service.yaml')}`);
    try {
      const result = await mustSucceed(
        second.nx(['affected', '-t', 'render', '--base=HEAD~1', '--outputStyle=static'], {
          ...cache!.nxEnv(),
          ...ownCache(second),
        }),
      );
      expect(result.all).not.toMatch(anyCacheHit);
      expect(result.all).toMatch(/Successfully ran target render for 4 projects/); // hello too: the chart changed
    } finally {
      await mustSucceed(second.run('mv', [`${template}.orig`, template]));
    }
  });

  it('never uses an entry rendered by another engine or Helm version', async () => {
    // the same engine, announcing another Helm
    const engine = engineScript(
      'engine-v2',
      `[ "$1" = --version ] && { echo "mayday-engine helm v4.3.99 go1.26.8"; exit 0; }\nexec "${REAL_ENGINE}" "$@"`,
    );
    const result = await mustSucceed(
      second.nx(['affected', '-t', 'render', '--base=HEAD~1', '--outputStyle=static'], {
        ...cache!.nxEnv(),
        ...ownCache(second),
        MAYDAY_ENGINE: engine,
      }),
    );
    expect(result.all).not.toMatch(anyCacheHit);
    expect(result.all).toMatch(/Successfully ran target render for 3 projects/);
  });
});

describe('the cache server (Nx self-hosted remote cache API over S3)', () => {
  const put = (hash: string, token: string, body = 'tar bytes') =>
    fetch(`${cache!.url}/v1/cache/${hash}`, { method: 'PUT', body, headers: { Authorization: `Bearer ${token}` } });
  const get = (hash: string, token: string) =>
    fetch(`${cache!.url}/v1/cache/${hash}`, { headers: { Authorization: `Bearer ${token}` } });

  it('writes an entry once, never replaces it, and lets a read-only token only read', async () => {
    expect((await put('abc123', cache!.token, 'first')).status).toBe(200);
    expect((await put('abc123', cache!.token, 'second')).status).toBe(409);
    expect(await (await get('abc123', cache!.readToken)).text()).toBe('first');
    expect((await put('def456', cache!.readToken)).status).toBe(403);
    expect((await get('def456', cache!.token)).status).toBe(404);
    expect((await get('abc123', 'wrong')).status).toBe(401);
    expect((await get('not.a.hash', cache!.token)).status).toBe(400);
  });
});
