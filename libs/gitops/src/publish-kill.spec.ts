import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MaydayError } from '@mayday/model';
import { publishGitops } from './publish.ts';
import {
  bareRepository,
  deployment,
  git,
  gitopsWorkspace,
  isolateGit,
  remoteOver,
  testConfig,
  TRANSPORTS,
} from './test-support/git-remotes.ts';

const PUBLISH_ONCE = join(import.meta.dirname, 'test-support/publish-once.ts');
let home: string;
let scratchRoot: string;
beforeAll(() => {
  home = isolateGit();
  scratchRoot = mkdtempSync(join(tmpdir(), 'mayday-killed-'));
});
afterAll(() => {
  rmSync(home, { recursive: true, force: true });
  rmSync(scratchRoot, { recursive: true, force: true });
});

/**
 * Runs a publisher in its own process group and SIGKILLs the whole group (git push and the
 * receive-pack it starts too) `ms` after the push begins; `duration` is how long the push phase ran.
 */
function publishAndKill(root: string, url: string, ms: number): Promise<{ finished: boolean; duration: number }> {
  // a killed publisher cannot remove its scratch repository: keep those in a folder the test removes
  const env = { ...process.env, TMPDIR: scratchRoot };
  const child = spawn(process.execPath, [PUBLISH_ONCE, root, url, 'shop'], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  let out = '';
  let pushStarted = 0;
  let timer: NodeJS.Timeout | undefined;
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (!pushStarted && out.includes('pushing')) {
      pushStarted = Date.now();
      timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }, ms);
    }
  });
  return new Promise((resolve) =>
    child.on('exit', () => {
      clearTimeout(timer);
      resolve({ finished: out.includes('published'), duration: Date.now() - (pushStarted || Date.now()) });
    }),
  );
}

/** What a killed receive-pack can leave on a files-backend remote: the branch's lock file. */
const lockOf = (bareDir: string) => join(bareDir, 'refs/heads/gitops.lock');

describe('a publisher killed mid-push', () => {
  it('leaves the remote before or after its commit, never half; a lock it left is reported by name, and the next run publishes', async () => {
    const remote = await bareRepository();
    const ws = await gitopsWorkspace({ shop: { prd: { 'deployment-shop.yaml': deployment('shop', 1) } } });
    try {
      const full = await publishAndKill(ws.root, remote.url, 60_000);
      expect(full.finished).toBe(true);
      const outcomes: string[] = [];
      for (let replicas = 2; replicas <= 9; replicas++) {
        const before = await git(remote.dir, ['rev-parse', 'gitops']);
        ws.write('gitops/prd/shop/deployment-shop.yaml', deployment('shop', replicas));
        await ws.commit(`shop: ${replicas} replicas`);
        const delay = Math.floor(Math.random() * (full.duration + 10));
        const run = await publishAndKill(ws.root, remote.url, delay);
        const after = await git(remote.dir, ['rev-parse', 'gitops']);
        const content = await git(remote.dir, ['show', 'gitops:gitops/prd/shop/deployment-shop.yaml']);
        const locked = existsSync(lockOf(remote.dir));
        if (after === before) {
          expect(run.finished).toBe(false);
          expect(content).toBe(deployment('shop', replicas - 1).trimEnd());
        } else {
          expect(locked).toBe(false);
          expect(await git(remote.dir, ['rev-parse', 'gitops~1'])).toBe(before);
          expect(content).toBe(deployment('shop', replicas).trimEnd());
        }
        outcomes.push(`${delay}ms: ${after !== before ? 'after' : locked ? 'before, locked' : 'before'}`);
        await git(remote.dir, ['fsck', '--connectivity-only', '--no-dangling']);
        const next = () =>
          publishGitops({
            workspaceRoot: ws.root,
            apps: ['shop'],
            config: testConfig(remote.url),
            backoff: { baseMs: 5, maxMs: 20 },
          });
        if (locked) {
          // the lock blocks every push until an operator removes it: push says so at once, by name
          const refused = await next().then(
            () => undefined,
            (e: unknown) => e as MaydayError,
          );
          expect(refused).toBeInstanceOf(MaydayError);
          expect(refused!.diagnostics).toMatchObject([{ rule: 'gitops-ref-locked', file: 'platform/gitops.yaml' }]);
          expect(refused!.message).toContain(`${remote.dir}/refs/heads/gitops.lock exists`);
          expect(await git(remote.dir, ['rev-parse', 'gitops'])).toBe(before);
          rmSync(lockOf(remote.dir));
        }
        const published = await next();
        expect(await git(remote.dir, ['show', 'gitops:gitops/prd/shop/deployment-shop.yaml'])).toBe(
          deployment('shop', replicas).trimEnd(),
        );
        expect(published.status).toBe(after === before ? 'published' : 'unchanged');
        expect(published.attempts).toBe(1);
      }
      process.stdout.write(`killed publishers (push phase ${full.duration} ms): ${outcomes.join(', ')}\n`);
    } finally {
      ws.cleanup();
      remote.cleanup();
    }
    // nine publisher processes and nine follow-ups: at a load average of 20 on 2 cores this took over 60 s
  }, 300_000);
});

describe.each(TRANSPORTS)('a ref lock left on the remote, over %s', (transport) => {
  it("stops push at once with the remote's words and the lock file, instead of retrying as if the branch moved", async () => {
    const remote = await remoteOver(transport);
    const ws = await gitopsWorkspace({ shop: { prd: { 'deployment-shop.yaml': deployment('shop', 1) } } });
    try {
      await publishGitops({ workspaceRoot: ws.root, apps: ['shop'], config: testConfig(remote.url) });
      const tip = await git(remote.dir, ['rev-parse', 'gitops']);
      ws.write('gitops/prd/shop/deployment-shop.yaml', deployment('shop', 2));
      await ws.commit('shop: 2 replicas');
      // a receive-pack killed between taking and releasing the branch's lock leaves exactly this
      writeFileSync(lockOf(remote.dir), `${tip}\n`);
      const logs: string[] = [];
      const started = Date.now();
      const error = await publishGitops({
        workspaceRoot: ws.root,
        apps: ['shop'],
        config: testConfig(remote.url),
        log: (l) => logs.push(l),
      }).then(
        () => undefined,
        (e: unknown) => e as MaydayError,
      );
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(error).toBeInstanceOf(MaydayError);
      expect(error!.diagnostics).toHaveLength(1);
      const [d] = error!.diagnostics;
      expect(d).toMatchObject({ rule: 'gitops-ref-locked', file: 'platform/gitops.yaml', field: 'repository' });
      expect(d.message).toContain('the remote refused refs/heads/gitops');
      expect(d.message).toContain('[remote rejected] (failed to update ref)');
      expect(d.message).toContain(`lock file ${remote.dir}/refs/heads/gitops.lock exists`);
      expect(d.hint).toMatch(/remove .*gitops\.lock on the server/);
      expect(logs.join('\n')).not.toMatch(/moved while publishing/);
      expect(await git(remote.dir, ['rev-parse', 'gitops'])).toBe(tip);
      rmSync(lockOf(remote.dir));
      expect(
        (await publishGitops({ workspaceRoot: ws.root, apps: ['shop'], config: testConfig(remote.url) })).status,
      ).toBe('published');
    } finally {
      ws.cleanup();
      await remote.cleanup();
    }
  });
});
