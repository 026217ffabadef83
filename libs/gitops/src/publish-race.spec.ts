import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { publishGitops, type PublishResult } from './publish.ts';
import {
  bareRepository,
  deployment,
  git,
  gitopsWorkspace,
  isolateGit,
  startGitDaemon,
  testConfig,
} from './test-support/git-remotes.ts';

// sized for a loaded 2-core machine: every publisher still races every other one several times
const PUBLISHERS = 6;
const PUSHES = 6;
let home: string;
beforeAll(() => {
  home = isolateGit();
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('publishGitops races through a git daemon on 127.0.0.1', () => {
  it(`${PUBLISHERS} publishers × ${PUSHES} pushes: every change lands, history is linear, no success is reported for a change that is not there`, async () => {
    const remote = await bareRepository();
    const daemon = await startGitDaemon(dirname(remote.dir));
    const workspaces = await Promise.all(
      Array.from({ length: PUBLISHERS }, (_, i) =>
        gitopsWorkspace({ [`app${i}`]: { stg: { 'deployment.yaml': deployment(`app${i}`, 0) } } }),
      ),
    );
    try {
      const config = testConfig(daemon.urlFor('gitops.git'), 'attempts: 40\n');
      const started = Date.now();
      const results = await Promise.all(
        workspaces.map(async (ws, i) => {
          const mine: { replicas: number; result: PublishResult }[] = [];
          for (let n = 1; n <= PUSHES; n++) {
            ws.write(`gitops/stg/app${i}/deployment.yaml`, deployment(`app${i}`, n));
            await ws.commit(`app${i}: ${n} replicas`);
            mine.push({
              replicas: n,
              result: await publishGitops({ workspaceRoot: ws.root, apps: [`app${i}`], config }),
            });
          }
          return mine;
        }),
      );
      const elapsed = Date.now() - started;
      const history = (await git(remote.dir, ['rev-list', 'gitops'])).split('\n');
      expect(history).toHaveLength(PUBLISHERS * PUSHES);
      expect(await git(remote.dir, ['rev-list', '--merges', 'gitops'])).toBe('');
      expect(await git(remote.dir, ['rev-list', '--max-parents=0', 'gitops'])).toBe(history.at(-1));
      const onRemote = new Set(history);
      for (const [i, mine] of results.entries()) {
        for (const { replicas, result } of mine) {
          expect(result.status).toBe('published');
          expect(onRemote.has(result.commit!)).toBe(true);
          expect(await git(remote.dir, ['show', `${result.commit}:gitops/stg/app${i}/deployment.yaml`])).toBe(
            deployment(`app${i}`, replicas).trimEnd(),
          );
        }
      }
      const retries = results.flat().reduce((sum, r) => sum + r.result.attempts - 1, 0);
      process.stdout.write(`race: ${PUBLISHERS * PUSHES} publishes in ${elapsed} ms, ${retries} retries\n`);
    } finally {
      await daemon.stop();
      for (const ws of workspaces) ws.cleanup();
      remote.cleanup();
    }
  }, 300_000);
});
