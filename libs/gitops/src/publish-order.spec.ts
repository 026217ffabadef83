import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MaydayError } from '@mayday/model';
import { publishGitops } from './publish.ts';
import { parseSources, SOURCES_FILE } from './provenance.ts';
import {
  bareRepository,
  deployment,
  git,
  gitopsWorkspace,
  isolateGit,
  testConfig,
} from './test-support/git-remotes.ts';

let home: string;
let clones: string;
beforeAll(() => {
  home = isolateGit();
  clones = mkdtempSync(join(tmpdir(), 'mayday-clones-'));
});
afterAll(() => {
  rmSync(home, { recursive: true, force: true });
  rmSync(clones, { recursive: true, force: true });
});

/** A clone of the source repository checked out at `commit`: one pipeline's view of the source. */
async function cloneAt(source: string, name: string, commit: string): Promise<string> {
  const dir = join(clones, name);
  await git(clones, ['clone', '--quiet', source, dir]);
  await git(dir, ['checkout', '--quiet', '--detach', commit]);
  return dir;
}

const shopOnBranch = (bare: string) => git(bare, ['show', 'gitops:gitops/prd/shop/deployment-shop.yaml']);
const sourcesOnBranch = async (bare: string) =>
  parseSources(await git(bare, ['show', `gitops:${SOURCES_FILE}`]), 'gitops');

describe('two pipelines at different source commits publish in the wrong order', () => {
  it('keeps the newer render, refuses the older one naming app, env and both commits, still publishes the older run’s other apps, and --force rolls back with a trailer', async () => {
    const remote = await bareRepository();
    const source = await gitopsWorkspace({
      shop: { prd: { 'deployment-shop.yaml': deployment('shop', 2) } },
      hello: { stg: { 'deployment-hello.yaml': deployment('hello', 1) } },
    });
    try {
      const older = await git(source.root, ['rev-parse', 'HEAD']);
      source.write('gitops/prd/shop/deployment-shop.yaml', deployment('shop', 5));
      const newer = await source.commit('shop: 5 replicas in prd');
      const olderClone = await cloneAt(source.root, 'older', older);
      const newerClone = await cloneAt(source.root, 'newer', newer);
      // the older pipeline also changed hello, which the newer one never published
      writeFileSync(join(olderClone, 'gitops/stg/hello/deployment-hello.yaml'), deployment('hello', 3));
      await git(olderClone, ['commit', '--quiet', '-am', 'hello: 3 replicas']);
      const olderSource = await git(olderClone, ['rev-parse', 'HEAD']);

      const first = await publishGitops({ workspaceRoot: newerClone, apps: ['shop'], config: testConfig(remote.url) });
      expect(first.status).toBe('published');
      expect((await sourcesOnBranch(remote.dir)).get('shop')?.get('prd')).toBe(newer);

      // the older pipeline finishes late
      const late = await publishGitops({
        workspaceRoot: olderClone,
        apps: ['hello', 'shop'],
        config: testConfig(remote.url),
      });
      expect(late.status).toBe('published');
      expect(late.changes.map((c) => c.path)).toEqual(['gitops/stg/hello']);
      expect(late.refused).toEqual([
        {
          app: 'shop',
          env: 'prd',
          path: 'gitops/prd/shop',
          published: newer,
          source: olderSource,
          order: 'not-ancestor',
        },
      ]);
      expect(await shopOnBranch(remote.dir)).toBe(deployment('shop', 5).trimEnd());
      expect(await git(remote.dir, ['show', 'gitops:gitops/stg/hello/deployment-hello.yaml'])).toBe(
        deployment('hello', 3).trimEnd(),
      );
      const sources = await sourcesOnBranch(remote.dir);
      expect(sources.get('shop')?.get('prd')).toBe(newer);
      expect(sources.get('hello')?.get('stg')).toBe(olderSource);

      // alone, the refusal is an error naming app, env and both commits
      const refused = await publishGitops({
        workspaceRoot: olderClone,
        apps: ['shop'],
        config: testConfig(remote.url),
      }).then(
        () => undefined,
        (e: unknown) => e as MaydayError,
      );
      expect(refused).toBeInstanceOf(MaydayError);
      expect(refused!.diagnostics).toMatchObject([
        { file: 'gitops/prd/shop', rule: 'gitops-older-source', field: 'shop (prd)' },
      ]);
      const message = refused!.message;
      process.stdout.write(`wrong-order refusal:\n${message}\n`);
      expect(message).toContain(`gitops keeps shop in prd as rendered from ${newer.slice(0, 7)}`);
      expect(message).toContain(`not an ancestor of this run's source ${olderSource.slice(0, 7)}`);
      expect(message).toContain('--force');
      const tip = await git(remote.dir, ['rev-parse', 'gitops']);

      // a human rollback: --force replaces it and says so in the commit
      const rollback = await publishGitops({
        workspaceRoot: olderClone,
        apps: ['shop'],
        config: testConfig(remote.url),
        force: true,
      });
      expect(rollback.status).toBe('published');
      expect(rollback.forced.map((f) => [f.path, f.published])).toEqual([['gitops/prd/shop', newer]]);
      expect(await git(remote.dir, ['rev-parse', 'gitops~1'])).toBe(tip);
      expect(await shopOnBranch(remote.dir)).toBe(deployment('shop', 2).trimEnd());
      expect(await git(remote.dir, ['log', '-1', '--format=%(trailers:key=Forced,valueonly)', 'gitops'])).toBe(
        `shop prd over ${newer}\n`,
      );
      expect((await sourcesOnBranch(remote.dir)).get('shop')?.get('prd')).toBe(olderSource);
    } finally {
      source.cleanup();
      remote.cleanup();
    }
  });

  it('refuses a render whose published source this clone has never seen, and lets a descendant replace it', async () => {
    const remote = await bareRepository();
    const source = await gitopsWorkspace({ shop: { prd: { 'deployment-shop.yaml': deployment('shop', 2) } } });
    try {
      const base = await git(source.root, ['rev-parse', 'HEAD']);
      // cloned before the newer commit exists: it cannot know it
      const stale = await cloneAt(source.root, 'stale', base);
      writeFileSync(join(stale, 'gitops/prd/shop/deployment-shop.yaml'), deployment('shop', 3));
      await git(stale, ['commit', '--quiet', '-am', 'shop: 3']);
      source.write('gitops/prd/shop/deployment-shop.yaml', deployment('shop', 4));
      const newer = await source.commit('shop: 4');
      await publishGitops({ workspaceRoot: source.root, apps: ['shop'], config: testConfig(remote.url) });

      const error = await publishGitops({ workspaceRoot: stale, apps: ['shop'], config: testConfig(remote.url) }).then(
        () => undefined,
        (e: unknown) => e as MaydayError,
      );
      expect(error?.message).toContain(`as rendered from ${newer.slice(0, 7)}, which this clone does not have`);
      expect(await shopOnBranch(remote.dir)).toBe(deployment('shop', 4).trimEnd());

      // the normal order: a descendant of the published source replaces it
      source.write('gitops/prd/shop/deployment-shop.yaml', deployment('shop', 6));
      const newest = await source.commit('shop: 6');
      const next = await publishGitops({ workspaceRoot: source.root, apps: ['shop'], config: testConfig(remote.url) });
      expect(next).toMatchObject({ status: 'published', refused: [], forced: [] });
      expect((await sourcesOnBranch(remote.dir)).get('shop')?.get('prd')).toBe(newest);
    } finally {
      source.cleanup();
      remote.cleanup();
    }
  });

  it('in a race, the newer source wins whichever pushes last: the older run is refused, the newer one replaces without a conflict', async () => {
    const remote = await bareRepository();
    const source = await gitopsWorkspace({ shop: { prd: { 'deployment-shop.yaml': deployment('shop', 1) } } });
    try {
      const base = await git(source.root, ['rev-parse', 'HEAD']);
      await publishGitops({ workspaceRoot: source.root, apps: ['shop'], config: testConfig(remote.url) });
      source.write('gitops/prd/shop/deployment-shop.yaml', deployment('shop', 2));
      const older = await source.commit('shop: 2');
      source.write('gitops/prd/shop/deployment-shop.yaml', deployment('shop', 3));
      const newer = await source.commit('shop: 3');
      const olderClone = await cloneAt(source.root, 'race-older', older);
      const newerClone = await cloneAt(source.root, 'race-newer', newer);
      const quick = { backoff: { baseMs: 1, maxMs: 5 } };

      // the newer pipeline publishes between the older one's fetch and push
      const olderRun = await publishGitops({
        workspaceRoot: olderClone,
        apps: ['shop'],
        config: testConfig(remote.url),
        ...quick,
        beforePush: async (n) => {
          if (n === 1)
            await publishGitops({ workspaceRoot: newerClone, apps: ['shop'], config: testConfig(remote.url) });
        },
      }).then(
        () => undefined,
        (e: unknown) => e as MaydayError,
      );
      expect(olderRun?.diagnostics).toMatchObject([{ rule: 'gitops-older-source', file: 'gitops/prd/shop' }]);
      expect(await shopOnBranch(remote.dir)).toBe(deployment('shop', 3).trimEnd());

      // on another remote at the base render, the older pipeline publishes while the newer one is between fetch and push
      const other = await bareRepository();
      try {
        await publishGitops({
          workspaceRoot: await cloneAt(source.root, 'race-base', base),
          apps: ['shop'],
          config: testConfig(other.url),
        });
        const newerRun = await publishGitops({
          workspaceRoot: newerClone,
          apps: ['shop'],
          config: testConfig(other.url),
          ...quick,
          beforePush: async (n) => {
            if (n === 1)
              await publishGitops({ workspaceRoot: olderClone, apps: ['shop'], config: testConfig(other.url) });
          },
        });
        expect(newerRun).toMatchObject({ status: 'published', attempts: 2, refused: [] });
        expect(await shopOnBranch(other.dir)).toBe(deployment('shop', 3).trimEnd());
        expect(await git(other.dir, ['show', 'gitops~1:gitops/prd/shop/deployment-shop.yaml'])).toBe(
          deployment('shop', 2).trimEnd(),
        );
        expect((await sourcesOnBranch(other.dir)).get('shop')?.get('prd')).toBe(newer);
      } finally {
        other.cleanup();
      }
    } finally {
      source.cleanup();
      remote.cleanup();
    }
  });
});
