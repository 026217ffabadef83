import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { diffGitops } from './gitops-diff.ts';
import { publishGitops } from './publish.ts';
import {
  bareRepository,
  deployment,
  gitopsWorkspace,
  isolateGit,
  startGitHttpServer,
  testConfig,
} from './test-support/git-remotes.ts';

const TOKEN = 'tok-9f3c2e71d5a84b06';
const CREDENTIALS = 'credentials: { tokenEnv: MAYDAY_TEST_GITOPS_TOKEN, username: robot }\n';
let home: string;
beforeAll(() => {
  home = isolateGit();
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('publishGitops over smart HTTP on 127.0.0.1', () => {
  it('smart HTTP with Basic auth: a token from the environment works and appears in no log, result or error', async () => {
    const remote = await bareRepository();
    const server = await startGitHttpServer(dirname(remote.dir), { username: 'robot', password: TOKEN });
    const ws = await gitopsWorkspace({ hello: { stg: { 'deployment-hello.yaml': deployment('hello', 1) } } });
    const basic = Buffer.from(`robot:${TOKEN}`).toString('base64');
    try {
      const config = testConfig(server.urlFor('gitops.git'), CREDENTIALS);
      const logs: string[] = [];
      const result = await publishGitops({
        workspaceRoot: ws.root,
        apps: ['hello'],
        config,
        environment: { MAYDAY_TEST_GITOPS_TOKEN: TOKEN },
        log: (l) => logs.push(l),
      });
      expect(result.status).toBe('published');
      expect(server.requests).toContain('POST /gitops.git/git-receive-pack');
      const diff = await diffGitops({
        workspaceRoot: ws.root,
        apps: ['hello'],
        config,
        environment: { MAYDAY_TEST_GITOPS_TOKEN: TOKEN },
      });
      expect(diff.tip).toBe(result.commit);
      const visible = JSON.stringify({ logs, result, diff });
      expect(visible).not.toContain(TOKEN);
      expect(visible).not.toContain(basic);

      const wrong = await publishGitops({
        workspaceRoot: ws.root,
        apps: ['hello'],
        config,
        environment: { MAYDAY_TEST_GITOPS_TOKEN: `${TOKEN}-revoked` },
      }).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(wrong?.message).toMatch(/cannot fetch gitops from http:\/\/127\.0\.0\.1:\d+\/gitops\.git/);
      expect(wrong?.message).not.toContain(TOKEN);
    } finally {
      await server.stop();
      ws.cleanup();
      remote.cleanup();
    }
  });
});
