import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { diffGitops, formatDiffMarkdown, formatDiffText } from './gitops-diff.ts';
import { publishGitops } from './publish.ts';
import {
  bareRepository,
  deployment,
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

const changedLines = (patch: string) => patch.split('\n').filter((l) => /^[+-]/.test(l) && !/^(\+\+\+|---)/.test(l));

describe.each(TRANSPORTS)('diffGitops against the branch published over %s', (transport) => {
  it('a changed replica count shows exactly that change, per env, in text and markdown', async () => {
    const remote = await remoteOver(transport);
    const ws = await gitopsWorkspace({
      hello: {
        stg: { 'deployment-hello.yaml': deployment('hello', 1), 'service-hello.yaml': service('hello') },
        prd: { 'deployment-hello.yaml': deployment('hello', 3) },
      },
    });
    try {
      const config = testConfig(remote.url);
      const published = await publishGitops({ workspaceRoot: ws.root, apps: ['hello'], config });
      ws.write('gitops/stg/hello/deployment-hello.yaml', deployment('hello', 2));

      const diff = await diffGitops({ workspaceRoot: ws.root, apps: ['hello'], config });
      expect(diff.tip).toBe(published.commit);
      expect(diff.folders.map((f) => [f.env, f.resources.map((r) => [r.status, r.resource, r.file])])).toEqual([
        ['prd', []],
        ['stg', [['changed', 'Deployment/hello', 'deployment-hello.yaml']]],
      ]);
      expect(changedLines(diff.folders[1].resources[0].patch)).toEqual(['-  replicas: 1', '+  replicas: 2']);

      const text = formatDiffText(diff, { color: false });
      expect(text).toContain('hello · stg  gitops/stg/hello  1 changed');
      expect(text).toContain('  ~ Deployment/hello  deployment-hello.yaml');
      expect(text).toContain('hello · prd  gitops/prd/hello  no changes');
      expect(changedLines(text)).toEqual(['-  replicas: 1', '+  replicas: 2']);
      // every app/env summary comes before the first file's diff
      const lines = text.split('\n');
      expect(lines.findIndex((l) => l.startsWith('hello · prd'))).toBeLessThan(
        lines.findIndex((l) => l.startsWith('---')),
      );
      expect(lines.indexOf('File by file:')).toBeLessThan(lines.findIndex((l) => l.startsWith('---')));
      const coloured = formatDiffText(diff, { color: true });
      expect(coloured).toContain('\u001b[32m+  replicas: 2\u001b[39m');
      expect(coloured).toContain('\u001b[31m-  replicas: 1\u001b[39m');

      const markdown = formatDiffMarkdown(diff);
      expect(markdown).toContain('| hello | prd | 0 | 0 | 0 |');
      expect(markdown).toContain('| hello | stg | 0 | 1 | 0 |');
      expect(markdown).toContain('<details><summary><b>hello · stg</b>: ~ Deployment/hello</summary>');
      expect(markdown).not.toContain('<b>hello · prd</b>');
      expect(changedLines(markdown)).toEqual(['-  replicas: 1', '+  replicas: 2']);
    } finally {
      ws.cleanup();
      await remote.cleanup();
    }
  });
});

describe('diffGitops against the published branch', () => {
  it('shows added and removed resources, and everything as added before the first publish', async () => {
    const remote = await bareRepository();
    const ws = await gitopsWorkspace({
      shop: { prd: { 'deployment-shop.yaml': deployment('shop', 2), 'service-shop.yaml': service('shop') } },
    });
    try {
      const config = testConfig(remote.url);
      const before = await diffGitops({ workspaceRoot: ws.root, apps: ['shop'], config });
      expect(before.tip).toBeUndefined();
      expect(before.folders[0].resources.map((r) => `${r.status} ${r.resource}`)).toEqual([
        'added Deployment/shop',
        'added Service/shop',
      ]);
      expect(formatDiffMarkdown(before)).toContain('(not published yet)');

      await publishGitops({ workspaceRoot: ws.root, apps: ['shop'], config });
      rmSync(`${ws.root}/gitops/prd/shop/service-shop.yaml`);
      ws.write('gitops/prd/shop/configmap-shop.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shop\n');
      const after = await diffGitops({ workspaceRoot: ws.root, apps: ['shop'], config });
      expect(after.folders[0].resources.map((r) => `${r.status} ${r.resource}`)).toEqual([
        'added ConfigMap/shop',
        'removed Service/shop',
      ]);
      expect(formatDiffMarkdown(after)).toContain('| shop | prd | 1 | 0 | 1 |');
      // a comment too long for a pull request keeps its table and says which diffs it left out
      const short = formatDiffMarkdown(after, 400);
      expect(short.length).toBeLessThan(600);
      expect(short).toContain('| shop | prd | 1 | 0 | 1 |');
      expect(short).not.toContain('```diff');
      expect(short).toContain('Diffs left out to keep this comment short: shop · prd.');
    } finally {
      ws.cleanup();
      remote.cleanup();
    }
  });
});
