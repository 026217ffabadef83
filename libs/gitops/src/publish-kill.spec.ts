import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { publishGitops } from './publish.ts';
import { bareRepository, deployment, git, gitopsWorkspace, isolateGit, testConfig } from './test-support/git-remotes.ts';

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
  const child = spawn(process.execPath, [PUBLISH_ONCE, root, url, 'shop'], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env });
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

describe('a publisher killed mid-push', () => {
  it('leaves the remote either before or after its commit, never half, and the next run publishes', async () => {
    const remote = await bareRepository();
    const ws = await gitopsWorkspace({ shop: { prd: { 'deployment-shop.yaml': deployment('shop', 1) } } });
    try {
      const full = await publishAndKill(ws.root, remote.url, 60_000);
      expect(full.finished).toBe(true);
      const outcomes: string[] = [];
      for (let replicas = 2; replicas <= 9; replicas++) {
        const before = await git(remote.dir, ['rev-parse', 'gitops']);
        ws.write('gitops/prd/shop/deployment-shop.yaml', deployment('shop', replicas));
        const delay = Math.floor(Math.random() * (full.duration + 10));
        const run = await publishAndKill(ws.root, remote.url, delay);
        const after = await git(remote.dir, ['rev-parse', 'gitops']);
        const content = await git(remote.dir, ['show', 'gitops:gitops/prd/shop/deployment-shop.yaml']);
        if (after === before) {
          expect(run.finished).toBe(false);
          expect(content).toBe(deployment('shop', replicas - 1).trimEnd());
          outcomes.push(`${delay}ms: before`);
        } else {
          expect(await git(remote.dir, ['rev-parse', 'gitops~1'])).toBe(before);
          expect(content).toBe(deployment('shop', replicas).trimEnd());
          outcomes.push(`${delay}ms: after`);
        }
        await git(remote.dir, ['fsck', '--connectivity-only', '--no-dangling']);
        // whatever was left behind (a lock, a quarantine folder) does not block the next publisher
        const next = await publishGitops({ workspaceRoot: ws.root, apps: ['shop'], config: testConfig(remote.url), backoff: { baseMs: 5, maxMs: 20 } });
        expect(await git(remote.dir, ['show', 'gitops:gitops/prd/shop/deployment-shop.yaml'])).toBe(deployment('shop', replicas).trimEnd());
        expect(next.status).toBe(after === before ? 'published' : 'unchanged');
      }
      process.stdout.write(`killed publishers (push phase ${full.duration} ms): ${outcomes.join(', ')}\n`);
    } finally {
      ws.cleanup();
      remote.cleanup();
    }
  }, 60_000);
});
