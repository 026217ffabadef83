import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadEnvironments, parseEnvironments, parseYamlFile } from '@mayday/model';
import {
  applicationChangeLines,
  argoCdApplications,
  compareApplications,
  formatApplicationsMarkdown,
  previewApplications,
  workspaceArgoCdObjects,
} from './application-preview.ts';
import { buildArgoCdManifests } from './argocd.ts';
import { loadGitopsConfig, parseGitopsConfigText } from './gitops-config.ts';
import { diffGitops, formatDiffMarkdown, formatDiffText } from './gitops-diff.ts';
import { publishGitops } from './publish.ts';
import {
  bareRepository,
  deployment,
  gitopsWorkspace,
  isolateGit,
  service,
  testConfig,
} from './test-support/git-remotes.ts';

const REPO = join(import.meta.dirname, '../../..');
const ENVIRONMENTS = readFileSync(join(REPO, 'platform/environments.yaml'), 'utf8');
const objectsOf = (environments = ENVIRONMENTS, gitops = readFileSync(join(REPO, 'platform/gitops.yaml'), 'utf8')) =>
  buildArgoCdManifests(
    parseEnvironments(parseYamlFile('platform/environments.yaml', environments)),
    parseGitopsConfigText(gitops),
  ).map((m) => m.object);
const tree = (apps: Record<string, string[]>) =>
  Object.entries(apps).flatMap(([app, envs]) =>
    envs.flatMap((env) => [`gitops/${env}/${app}/deployment-${app}.yaml`, `gitops/${env}/${app}/service-${app}.yaml`]),
  );
const summary = (preview: ReturnType<typeof compareApplications>) =>
  preview.changes.map((c) => `${c.change} ${c.name}${c.fields.length ? ` ${c.fields.join(',')}` : ''}`);

let home: string;
beforeAll(() => {
  home = isolateGit();
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe("Argo CD's Applications over a gitops tree (mayday's discovery)", () => {
  it('are the ApplicationSet apps of every env folder plus the policy Applications, with the cluster names resolved to servers', () => {
    const apps = argoCdApplications(workspaceArgoCdObjects(REPO), tree({ hello: ['stg', 'prd'] }));
    expect(apps.map((a) => [a.name, a.project, a.cluster, a.server, a.namespace, a.resources])).toEqual([
      ['hello-prd', 'mayday-prd', 'prd', 'https://prd.k8s.mayday.example', 'hello-prd', 2],
      ['hello-stg', 'mayday-stg', 'stg', 'https://stg.k8s.mayday.example', 'hello-stg', 2],
      ['platform-policies-prd', 'mayday-platform', 'prd', 'https://prd.k8s.mayday.example', '', undefined],
      ['platform-policies-stg', 'mayday-platform', 'stg', 'https://stg.k8s.mayday.example', '', undefined],
    ]);
    expect(apps[0].source).toBe(`${loadGitopsConfig(REPO).repository}@gitops:gitops/prd/hello`);
  });

  it('a change that adds one app and removes another creates the one and deletes the other, in every env', () => {
    const objects = objectsOf();
    const preview = compareApplications(
      argoCdApplications(objects, tree({ hello: ['stg', 'prd'], cart: ['stg', 'prd'] })),
      argoCdApplications(objects, tree({ hello: ['stg', 'prd'], shop: ['stg', 'prd'] })),
    );
    expect(summary(preview)).toEqual(['deleted cart-prd', 'deleted cart-stg', 'created shop-prd', 'created shop-stg']);
    expect(preview.unchanged).toBe(4);
    const lines = applicationChangeLines({ ...preview, before: 'platform/argocd at main (1234567)' });
    expect(lines[0]).toBe(
      '- cart-prd  project mayday-prd  cluster prd (https://prd.k8s.mayday.example)  namespace cart-prd  prunes 2 resources',
    );
    expect(lines[3]).toBe(
      '+ shop-stg  project mayday-stg  cluster stg (https://stg.k8s.mayday.example)  namespace shop-stg  2 resources',
    );
  });

  it("a change to environments.yaml shows on every Application it moves: a new namespace rule, a cluster's new server, a new env", () => {
    const files = tree({ hello: ['stg', 'prd'], shop: ['stg', 'prd'] });
    const before = argoCdApplications(objectsOf(), files);
    const prdEnv = /(- name: prd[\s\S]*)$/;
    const renamed = ENVIRONMENTS.replace(prdEnv, (prd) =>
      prd.replace('namespace: "{app}-{env}"', 'namespace: "{app}-production"'),
    );
    expect(summary(compareApplications(before, argoCdApplications(objectsOf(renamed), files)))).toEqual([
      'retargeted hello-prd namespace',
      'retargeted shop-prd namespace',
    ]);

    const moved = ENVIRONMENTS.replace(
      'server: https://prd.k8s.mayday.example',
      'server: https://prd-2.k8s.mayday.example',
    );
    const preview = compareApplications(before, argoCdApplications(objectsOf(moved), files));
    expect(summary(preview)).toEqual([
      'retargeted hello-prd server',
      'retargeted platform-policies-prd server',
      'retargeted shop-prd server',
    ]);
    expect(applicationChangeLines({ ...preview, before: '' })[0]).toBe(
      '~ hello-prd              server https://prd.k8s.mayday.example → https://prd-2.k8s.mayday.example',
    );
    const markdown = formatApplicationsMarkdown({ ...preview, before: 'platform/argocd at main (1234567)' }).join('\n');
    expect(markdown).toContain(
      '**Argo CD Applications**: 0 created, 0 deleted, 3 re-targeted, 3 unchanged (compared with platform/argocd at main (1234567))',
    );
    expect(markdown).toContain(
      '| re-targeted | `hello-prd` | mayday-prd | ~~prd (https://prd.k8s.mayday.example)~~ → prd (https://prd-2.k8s.mayday.example) | hello-prd | 2 |',
    );

    const qa = `${ENVIRONMENTS}\n  - name: qa\n    cluster: { name: qa, server: https://qa.k8s.example }\n    kubernetesVersion: 1.35.0\n    policyProfile: baseline\n    domain: qa.example\n`;
    const withQa = argoCdApplications(objectsOf(qa), [...files, ...tree({ hello: ['qa'], shop: ['qa'] })]);
    expect(summary(compareApplications(before, withQa))).toEqual([
      'created hello-qa',
      'created platform-policies-qa',
      'created shop-qa',
    ]);
  });

  it('a change to gitops.yaml (another GitOps branch) re-targets the source of every app Application', () => {
    const files = tree({ hello: ['stg', 'prd'] });
    const gitops = readFileSync(join(REPO, 'platform/gitops.yaml'), 'utf8');
    const after = argoCdApplications(
      objectsOf(ENVIRONMENTS, gitops.replace(/^branch: gitops$/m, 'branch: deploy')),
      files,
    );
    const preview = compareApplications(argoCdApplications(objectsOf(), files), after);
    expect(summary(preview)).toEqual(['retargeted hello-prd source', 'retargeted hello-stg source']);
    const markdown = formatApplicationsMarkdown({ ...preview, before: 'x' }).join('\n');
    expect(markdown).toContain(
      '`hello-prd` source: `https://git.mayday.example/platform/mayday.git@gitops:gitops/prd/hello` → `https://git.mayday.example/platform/mayday.git@deploy:gitops/prd/hello`',
    );
  });
});

describe('diffGitops leads with the Applications', () => {
  it('compares the published branch and platform/argocd at the base with what push would publish and the workspace declares', async () => {
    const remote = await bareRepository();
    const ws = await gitopsWorkspace({
      hello: {
        stg: { 'deployment-hello.yaml': deployment('hello', 1) },
        prd: { 'deployment-hello.yaml': deployment('hello', 3) },
      },
      cart: { stg: { 'service-cart.yaml': service('cart') } },
    });
    try {
      const config = testConfig(remote.url);
      for (const file of readdirSync(join(REPO, 'platform/argocd')))
        ws.write(`platform/argocd/${file}`, readFileSync(join(REPO, 'platform/argocd', file), 'utf8'));
      await ws.commit('platform/argocd');
      await publishGitops({ workspaceRoot: ws.root, apps: ['hello', 'cart'], config });
      // the change: cart removed (not committed yet), shop added, prd moved to another namespace rule
      rmSync(join(ws.root, 'apps/cart'), { recursive: true });
      rmSync(join(ws.root, 'gitops/stg/cart'), { recursive: true });
      ws.write('apps/shop/values.yaml', 'team: t\n');
      ws.write('gitops/stg/shop/deployment-shop.yaml', deployment('shop', 1));
      ws.write(
        'platform/environments.yaml',
        ENVIRONMENTS.replace(/(- name: prd[\s\S]*)$/, (prd) =>
          prd.replace('namespace: "{app}-{env}"', 'namespace: "{app}-live"'),
        ),
      );

      const diff = await diffGitops({ workspaceRoot: ws.root, apps: ['hello', 'shop'], config });
      expect(diff.applications.before).toMatch(/^platform\/argocd at main \([0-9a-f]{7}\)$/);
      expect(summary(diff.applications)).toEqual([
        'deleted cart-stg',
        'retargeted hello-prd namespace',
        'created shop-stg',
      ]);
      expect(
        diff.folders.map((f) => `${f.app} ${f.env} ${f.resources.map((r) => `${r.status} ${r.resource}`).join(',')}`),
      ).toEqual(['cart stg removed Service/cart', 'hello prd ', 'hello stg ', 'shop stg added Deployment/shop']);

      const text = formatDiffText(diff, { color: false }).split('\n');
      expect(text.slice(2, 6)).toEqual([
        expect.stringMatching(
          /^Argo CD Applications {2}1 created, 1 deleted, 1 re-targeted, 3 unchanged {2}\(compared with platform\/argocd at main \([0-9a-f]{7}\)\)$/,
        ),
        '  - cart-stg   project mayday-stg  cluster stg (https://stg.k8s.mayday.example)  namespace cart-stg  prunes 1 resource',
        '  ~ hello-prd  namespace hello-prd → hello-live',
        '  + shop-stg   project mayday-stg  cluster stg (https://stg.k8s.mayday.example)  namespace shop-stg  1 resource',
      ]);
      const markdown = formatDiffMarkdown(diff);
      expect(markdown.indexOf('**Argo CD Applications**')).toBeLessThan(markdown.indexOf('| App | Env |'));
      expect(markdown).toContain(
        '| deleted | `cart-stg` | mayday-stg | stg (https://stg.k8s.mayday.example) | cart-stg | 1 pruned |',
      );
      expect(markdown).toContain(
        '| re-targeted | `hello-prd` | mayday-prd | prd (https://prd.k8s.mayday.example) | ~~hello-prd~~ → hello-live | 1 |',
      );
      expect(markdown).toContain(
        '| created | `shop-stg` | mayday-stg | stg (https://stg.k8s.mayday.example) | shop-stg | 1 |',
      );
    } finally {
      ws.cleanup();
      remote.cleanup();
    }
  });

  it('previews against the workspace itself when nothing of platform/argocd is committed at the base', async () => {
    const ws = await gitopsWorkspace({ hello: { stg: { 'deployment-hello.yaml': deployment('hello', 1) } } });
    try {
      const preview = await previewApplications({
        workspaceRoot: ws.root,
        base: 'main',
        beforeFiles: [],
        afterFiles: ['gitops/stg/hello/deployment-hello.yaml'],
      });
      expect(preview.before).toBe('platform/argocd of this workspace (none committed at main)');
      expect(summary(preview)).toEqual(['created hello-stg']);
      expect(loadEnvironments(ws.root).length).toBe(2);
    } finally {
      ws.cleanup();
    }
  });
});
