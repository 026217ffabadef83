import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MaydayError } from '@mayday/model';
import { publishGitops } from './publish.ts';
import {
  bareRepository,
  branchFiles,
  deployment,
  git,
  gitopsWorkspace,
  isolateGit,
  remoteOver,
  service,
  testConfig,
  TRANSPORTS,
} from './test-support/git-remotes.ts';

let home: string;
beforeAll(() => {
  home = isolateGit();
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe.each(TRANSPORTS)('publishGitops to a bare repository over %s', (transport) => {
  it('creates the branch on the first push, with only gitops/, and makes no commit when nothing changed', async () => {
    const remote = await remoteOver(transport);
    const ws = await gitopsWorkspace({
      hello: {
        stg: { 'deployment-hello.yaml': deployment('hello', 1), 'service-hello.yaml': service('hello') },
        prd: { 'deployment-hello.yaml': deployment('hello', 3) },
      },
    });
    try {
      const source = await git(ws.root, ['rev-parse', 'HEAD']);
      const first = await publishGitops({ workspaceRoot: ws.root, apps: ['hello'], config: testConfig(remote.url) });
      expect(first.status).toBe('published');
      expect(await git(remote.dir, ['rev-parse', 'gitops'])).toBe(first.commit);
      expect([...(await branchFiles(remote.dir)).keys()]).toEqual([
        'gitops/prd/hello/deployment-hello.yaml',
        'gitops/sources.yaml',
        'gitops/stg/hello/deployment-hello.yaml',
        'gitops/stg/hello/service-hello.yaml',
      ]);
      const message = await git(remote.dir, ['log', '-1', '--format=%B', 'gitops']);
      expect(message).toContain('Apps: hello');
      expect(message).toContain('Envs: prd, stg');
      expect(message).toContain(`Source-Commit: ${source}`);
      expect(await git(remote.dir, ['log', '-1', '--format=%an <%ae>', 'gitops'])).toBe(
        'mayday ci <ci@mayday.invalid>',
      );

      const second = await publishGitops({ workspaceRoot: ws.root, apps: ['hello'], config: testConfig(remote.url) });
      expect(second).toMatchObject({ status: 'unchanged', commit: first.commit });
      expect(await git(remote.dir, ['rev-list', '--count', 'gitops'])).toBe('1');
      // the user's working tree, index and refs are as they were
      expect(await git(ws.root, ['status', '--porcelain'])).toBe('');
      expect(await git(ws.root, ['for-each-ref', '--format=%(refname)'])).toBe('refs/heads/main');
    } finally {
      ws.cleanup();
      await remote.cleanup();
    }
  });

  it('publishes several apps in one commit and leaves other apps on the branch alone', async () => {
    const remote = await remoteOver(transport);
    const a = await gitopsWorkspace({ other: { stg: { 'deployment-other.yaml': deployment('other', 1) } } });
    const b = await gitopsWorkspace({
      hello: { stg: { 'deployment-hello.yaml': deployment('hello', 1) } },
      shop: { prd: { 'deployment-shop.yaml': deployment('shop', 2) } },
    });
    try {
      await publishGitops({ workspaceRoot: a.root, apps: ['other'], config: testConfig(remote.url) });
      const result = await publishGitops({
        workspaceRoot: b.root,
        apps: ['hello', 'shop'],
        config: testConfig(remote.url),
      });
      expect(result.changes.map((c) => [c.path, c.status])).toEqual([
        ['gitops/stg/hello', 'created'],
        ['gitops/prd/shop', 'created'],
      ]);
      expect(await git(remote.dir, ['rev-list', '--count', 'gitops'])).toBe('2');
      expect(await git(remote.dir, ['log', '-1', '--format=%s', 'gitops'])).toMatch(
        /^gitops: hello, shop from [0-9a-f]{7}$/,
      );
      expect([...(await branchFiles(remote.dir)).keys()]).toEqual([
        'gitops/prd/shop/deployment-shop.yaml',
        'gitops/sources.yaml',
        'gitops/stg/hello/deployment-hello.yaml',
        'gitops/stg/other/deployment-other.yaml',
      ]);
    } finally {
      a.cleanup();
      b.cleanup();
      await remote.cleanup();
    }
  });

  it('removes the gitops folders of an app deleted from apps/ in the same commit, but not of an app this checkout never had', async () => {
    const remote = await remoteOver(transport);
    const ws = await gitopsWorkspace({
      hello: { stg: { 'deployment-hello.yaml': deployment('hello', 1) } },
      old: {
        stg: { 'deployment-old.yaml': deployment('old', 1) },
        prd: { 'deployment-old.yaml': deployment('old', 2) },
      },
    });
    const newer = await gitopsWorkspace({
      brandnew: { stg: { 'deployment-brandnew.yaml': deployment('brandnew', 1) } },
    });
    try {
      await publishGitops({ workspaceRoot: ws.root, apps: ['hello', 'old'], config: testConfig(remote.url) });
      await publishGitops({ workspaceRoot: newer.root, apps: ['brandnew'], config: testConfig(remote.url) });
      rmSync(join(ws.root, 'apps/old'), { recursive: true });
      rmSync(join(ws.root, 'gitops/stg/old'), { recursive: true });
      rmSync(join(ws.root, 'gitops/prd/old'), { recursive: true });
      ws.write('gitops/stg/hello/deployment-hello.yaml', deployment('hello', 2));
      await ws.commit('remove old, scale hello');
      const result = await publishGitops({ workspaceRoot: ws.root, apps: ['hello'], config: testConfig(remote.url) });
      expect(result.pruned).toEqual(['old']);
      expect(result.changes.map((c) => [c.path, c.status])).toEqual([
        ['gitops/stg/hello', 'updated'],
        ['gitops/prd/old', 'removed'],
        ['gitops/stg/old', 'removed'],
      ]);
      expect(await git(remote.dir, ['diff', '--name-status', 'gitops~1', 'gitops'])).toBe(
        [
          'D\tgitops/prd/old/deployment-old.yaml',
          'M\tgitops/sources.yaml',
          'M\tgitops/stg/hello/deployment-hello.yaml',
          'D\tgitops/stg/old/deployment-old.yaml',
        ].join('\n'),
      );
      // brandnew came from a newer source this checkout does not know: it stays
      expect((await branchFiles(remote.dir)).has('gitops/stg/brandnew/deployment-brandnew.yaml')).toBe(true);
    } finally {
      ws.cleanup();
      newer.cleanup();
      await remote.cleanup();
    }
  });

  it('when the remote moved, re-applies this run on the new tip; a true conflict with a render that records no source fails naming app and env and keeps both versions', async () => {
    const remote = await remoteOver(transport);
    const first = await gitopsWorkspace({ shop: { prd: { 'deployment-shop.yaml': deployment('shop', 2) } } });
    const second = await gitopsWorkspace({
      shop: { prd: { 'deployment-shop.yaml': deployment('shop', 5) } },
      hello: { stg: { 'deployment-hello.yaml': deployment('hello', 1) } },
    });
    try {
      let raced: string | undefined;
      const logs: string[] = [];
      const attempt = publishGitops({
        workspaceRoot: second.root,
        apps: ['shop', 'hello'],
        config: testConfig(remote.url),
        backoff: { baseMs: 1, maxMs: 5 },
        log: (l) => logs.push(l),
        // the first run publishes shop between this run's fetch and its push, recording no source (as before sources.yaml)
        beforePush: async (n) => {
          if (n === 1)
            raced = (
              await publishGitops({
                workspaceRoot: first.root,
                apps: ['shop'],
                config: testConfig(remote.url),
                sourceCommit: 'unknown',
              })
            ).commit;
        },
      });
      const error = await attempt.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(MaydayError);
      const diagnostics = (error as MaydayError).diagnostics;
      expect(diagnostics.map((d) => [d.file, d.rule])).toEqual([['gitops/prd/shop', 'gitops-conflict']]);
      expect(diagnostics[0].message).toMatch(/another run published shop in prd .*different content/);
      expect(logs.join('\n')).toMatch(/gitops moved while publishing \(\[rejected\] \(stale info\)\)/);
      // the remote keeps the first version, and this run's commit is kept aside
      expect(await git(remote.dir, ['rev-parse', 'gitops'])).toBe(raced);
      expect((await branchFiles(remote.dir)).get('gitops/prd/shop/deployment-shop.yaml')).toBe(
        deployment('shop', 2).trimEnd(),
      );
      const kept = (await git(remote.dir, ['for-each-ref', '--format=%(refname)', 'refs/mayday/conflicts/'])).split(
        '\n',
      );
      expect(kept).toHaveLength(1);
      expect(await git(remote.dir, ['show', `${kept[0]}:gitops/prd/shop/deployment-shop.yaml`])).toBe(
        deployment('shop', 5).trimEnd(),
      );
    } finally {
      first.cleanup();
      second.cleanup();
      await remote.cleanup();
    }
  });
});

describe('publishGitops without a remote server', () => {
  it('mode commit only commits to the branch in this clone', async () => {
    const ws = await gitopsWorkspace({ hello: { stg: { 'deployment-hello.yaml': deployment('hello', 1) } } });
    try {
      const result = await publishGitops({
        workspaceRoot: ws.root,
        apps: ['hello'],
        config: testConfig('https://git.invalid/never-contacted.git', 'mode: commit\n'),
      });
      expect(result.status).toBe('published');
      expect(await git(ws.root, ['rev-parse', 'refs/heads/gitops'])).toBe(result.commit);
      expect(await git(ws.root, ['ls-tree', '-r', '--name-only', 'gitops'])).toBe(
        'gitops/sources.yaml\ngitops/stg/hello/deployment-hello.yaml',
      );
      expect(await git(ws.root, ['symbolic-ref', 'HEAD'])).toBe('refs/heads/main');
      expect(await git(ws.root, ['status', '--porcelain'])).toBe('');
    } finally {
      ws.cleanup();
    }
  });

  it('an unreachable remote fails with a clear message that never shows the password in its URL', async () => {
    const ws = await gitopsWorkspace({ hello: { stg: { 'deployment-hello.yaml': deployment('hello', 1) } } });
    try {
      const config = testConfig('https://robot:s3cr3t-pa55@127.0.0.1:9/acme/gitops.git');
      const error = await publishGitops({ workspaceRoot: ws.root, apps: ['hello'], config }).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error?.message).toMatch(/cannot fetch gitops from https:\/\/\*\*\*@127\.0\.0\.1:9\/acme\/gitops\.git/);
      expect(error?.message).not.toContain('s3cr3t-pa55');
    } finally {
      ws.cleanup();
    }
  });
});

describe('publishGitops refuses', () => {
  it('an app that exists but has no rendered folder, instead of deleting it from the branch', async () => {
    const remote = await bareRepository();
    const ws = await gitopsWorkspace({ hello: { stg: { 'deployment-hello.yaml': deployment('hello', 1) } } });
    try {
      await publishGitops({ workspaceRoot: ws.root, apps: ['hello'], config: testConfig(remote.url) });
      rmSync(join(ws.root, 'gitops/stg/hello'), { recursive: true });
      await expect(
        publishGitops({ workspaceRoot: ws.root, apps: ['hello'], config: testConfig(remote.url) }),
      ).rejects.toThrow(/hello has no rendered folder in gitops\/.*nx run hello:render/s);
      expect(await git(remote.dir, ['rev-list', '--count', 'gitops'])).toBe('1');
    } finally {
      ws.cleanup();
      remote.cleanup();
    }
  });

  it('uncommitted files of the apps being published, naming each one; --allow-dirty publishes them and says so in the commit', async () => {
    const remote = await bareRepository();
    const ws = await gitopsWorkspace({
      hello: { stg: { 'deployment-hello.yaml': deployment('hello', 1) } },
      other: { stg: { 'deployment-other.yaml': deployment('other', 1) } },
    });
    try {
      await publishGitops({ workspaceRoot: ws.root, apps: ['hello'], config: testConfig(remote.url) });
      ws.write('gitops/stg/hello/deployment-hello.yaml', deployment('hello', 2));
      ws.write('gitops/stg/hello/service-hello.yaml', service('hello'));
      ws.write('apps/hello/values-stg.yaml', 'replicas: 2\n');
      ws.write('gitops/stg/other/deployment-other.yaml', deployment('other', 7));
      const error = await publishGitops({
        workspaceRoot: ws.root,
        apps: ['hello'],
        config: testConfig(remote.url),
      }).then(
        () => undefined,
        (e: unknown) => e as MaydayError,
      );
      expect(error?.diagnostics.map((d) => [d.file, d.rule])).toEqual([
        ['apps/hello/values-stg.yaml', 'gitops-uncommitted'],
        ['gitops/stg/hello/', 'gitops-uncommitted'],
      ]);
      expect(error?.diagnostics[0].message).toMatch(
        /^is not committed, so publishing under Source-Commit [0-9a-f]{7} would name a commit that does not contain it$/,
      );
      expect(error?.diagnostics[1].message).toMatch(/^deployment-hello\.yaml, service-hello\.yaml are not committed/);
      expect(error?.diagnostics[0].hint).toContain('--allow-dirty');
      expect(await git(remote.dir, ['rev-list', '--count', 'gitops'])).toBe('1');

      const forced = await publishGitops({
        workspaceRoot: ws.root,
        apps: ['hello'],
        config: testConfig(remote.url),
        allowDirty: true,
      });
      expect(forced.status).toBe('published');
      expect(await git(remote.dir, ['log', '-1', '--format=%(trailers:key=Uncommitted,valueonly)', 'gitops'])).toBe(
        'apps/hello/values-stg.yaml\ngitops/stg/hello/deployment-hello.yaml\ngitops/stg/hello/service-hello.yaml\n',
      );
    } finally {
      ws.cleanup();
      remote.cleanup();
    }
  });
});
