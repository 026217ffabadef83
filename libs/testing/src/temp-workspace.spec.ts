import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { createTempWorkspace } from './temp-workspace.ts';

describe('createTempWorkspace', () => {
  it("copies only the sample app, never the user's own apps, so tests do not depend on them", async () => {
    const user = mkdtempSync(join(tmpdir(), 'mayday-user-ws-'));
    const write = (path: string, text: string) => {
      mkdirSync(dirname(join(user, path)), { recursive: true });
      writeFileSync(join(user, path), text);
    };
    for (const app of ['hello', 'cart']) {
      write(`apps/${app}/values.yaml`, `team: ${app}\n`);
      write(`gitops/stg/${app}/deployment-${app}.yaml`, `kind: Deployment\n`);
    }
    write('platform/environments.yaml', 'environments: []\n');
    const withApps = await createTempWorkspace({ from: user, withApps: true, git: false });
    const empty = await createTempWorkspace({ from: user, git: false });
    try {
      expect([...withApps.snapshot('apps').keys(), ...withApps.snapshot('gitops').keys()]).toEqual([
        'apps/hello/values.yaml',
        'gitops/stg/hello/deployment-hello.yaml',
      ]);
      expect(withApps.read('platform/environments.yaml')).toBe('environments: []\n');
      expect([...empty.snapshot('apps').keys(), ...empty.snapshot('gitops').keys()]).toEqual([]);
      expect(empty.exists('gitops/stg')).toBe(false);
    } finally {
      withApps.cleanup();
      empty.cleanup();
      rmSync(user, { recursive: true, force: true });
    }
  });
});
