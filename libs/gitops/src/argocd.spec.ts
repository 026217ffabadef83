import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse, parseAllDocuments } from 'yaml';
import { loadEnvironments, namespaceLabels, parseEnvironments, parseYamlFile, type Environment } from '@mayday/model';
import { ARGOCD_DIR, argoCdFiles, buildArgoCdManifests } from './argocd.ts';
import { discoverApplications, listRepositoryFiles, renderGoTemplate } from './discovery.ts';
import { loadGitopsConfig, parseGitopsConfigText } from './gitops-config.ts';

const REPO = join(import.meta.dirname, '../../..');
const envs = loadEnvironments(REPO);
const config = loadGitopsConfig(REPO);
const appSetOf = (list: readonly Environment[]) =>
  buildArgoCdManifests(list, config).find((m) => m.object.kind === 'ApplicationSet')!.object;

interface App {
  metadata: { name: string; labels: Record<string, string>; finalizers: string[] };
  spec: {
    project: string;
    source: { repoURL: string; targetRevision: string; path: string };
    destination: { name: string; namespace: string };
    syncPolicy: { managedNamespaceMetadata: { labels: Record<string, string> } };
  };
}
const summary = (apps: ReturnType<typeof discoverApplications>) =>
  apps.map((a) => {
    const o = a.object as unknown as App;
    return [o.metadata.name, o.spec.source.path, o.spec.destination.namespace, o.spec.destination.name, o.spec.project];
  });

describe('platform/argocd', () => {
  it('is what the sync generator writes (nx sync has been run and committed)', () => {
    const read = (name: string) =>
      existsSync(join(REPO, ARGOCD_DIR, name)) ? readFileSync(join(REPO, ARGOCD_DIR, name), 'utf8') : undefined;
    const stale = [...argoCdFiles(envs, config)]
      .filter(([name, content]) => read(name) !== content)
      .map(([name]) => `${ARGOCD_DIR}/${name}`);
    // a failure here means: run `nx sync` and commit platform/argocd/
    expect({ stale, fix: 'nx sync' }).toEqual({ stale: [], fix: 'nx sync' });
  });

  it('has one AppProject per env limited to the app namespaces of that env, with no cluster-scoped resource but their Namespaces', () => {
    const projects = buildArgoCdManifests(envs, config)
      .filter((m) => m.object.kind === 'AppProject' && m.fileName !== 'appproject-platform.yaml')
      .map((m) => m.object as { metadata: { name: string }; spec: Record<string, unknown> });
    expect(projects.map((p) => p.metadata.name)).toEqual(['mayday-prd', 'mayday-stg']);
    const stg = projects.find((p) => p.metadata.name === 'mayday-stg')!;
    expect(stg.spec.destinations).toEqual([{ name: 'stg', namespace: '*-stg' }]);
    expect(stg.spec.clusterResourceWhitelist).toEqual([{ group: '', kind: 'Namespace', name: '*-stg' }]);
    expect(stg.spec.sourceRepos).toEqual([config.repository]);
  });

  it('has an ApplicationSet with goTemplate, missingkey=error and a directory generator per env on the gitops branch', () => {
    const spec = appSetOf(envs).spec as {
      goTemplate: boolean;
      goTemplateOptions: string[];
      generators: { git: { revision: string; directories: unknown[] } }[];
    };
    expect(spec.goTemplate).toBe(true);
    expect(spec.goTemplateOptions).toEqual(['missingkey=error']);
    expect(spec.generators.map((g) => [g.git.revision, g.git.directories])).toEqual([
      ['gitops', [{ path: 'gitops/stg/*' }, { path: 'gitops/stg/.*', exclude: true }]],
      ['gitops', [{ path: 'gitops/prd/*' }, { path: 'gitops/prd/.*', exclude: true }]],
    ]);
  });

  it('a third env in environments.yaml appears in projects and generators with no code change', () => {
    const text = readFileSync(join(REPO, 'platform/environments.yaml'), 'utf8');
    const qa = parseEnvironments(
      parseYamlFile(
        'platform/environments.yaml',
        `${text}\n  - name: qa\n    cluster: { name: qa, server: https://qa.k8s.example }\n    kubernetesVersion: 1.35.0\n    namespace: "team-{app}-{env}"\n    policyProfile: baseline\n    domain: qa.example\n`,
      ),
    );
    const files = argoCdFiles(qa, config);
    expect([...files.keys()]).toContain('appproject-qa.yaml');
    expect(parse(files.get('appproject-qa.yaml')!).spec.destinations).toEqual([{ name: 'qa', namespace: 'team-*-qa' }]);
    expect(parse(files.get('cluster-qa.yaml')!).stringData).toEqual({ name: 'qa', server: 'https://qa.k8s.example' });
    const apps = discoverApplications(appSetOf(qa), ['gitops/qa/shop/deployment-shop.yaml']);
    expect(summary(apps)).toEqual([['shop-qa', 'gitops/qa/shop', 'team-shop-qa', 'qa', 'mayday-qa']]);
  });

  it('repoURL and revision come from gitops.yaml', () => {
    const other = parseGitopsConfigText('repository: https://git.example/other.git\nbranch: deploy\n');
    const spec = buildArgoCdManifests(envs, other).find((m) => m.object.kind === 'ApplicationSet')!.object.spec as {
      generators: { git: { repoURL: string; revision: string } }[];
      template: App;
    };
    expect(spec.generators[0].git).toMatchObject({ repoURL: 'https://git.example/other.git', revision: 'deploy' });
    expect(spec.template.spec.source).toMatchObject({
      repoURL: 'https://git.example/other.git',
      targetRevision: 'deploy',
    });
  });
});

describe('ApplicationSet discovery over the real gitops tree', () => {
  it('turns every gitops/<env>/<app> folder into an Application <app>-<env> with the env cluster and namespace', () => {
    const apps = discoverApplications(
      appSetOf(envs),
      listRepositoryFiles(REPO, 'gitops').filter((f) => !f.startsWith('gitops/.staging/')),
    );
    expect(summary(apps)).toEqual([
      ['hello-prd', 'gitops/prd/hello', 'hello-prd', 'prd', 'mayday-prd'],
      ['hello-stg', 'gitops/stg/hello', 'hello-stg', 'stg', 'mayday-stg'],
    ]);
    const hello = apps[1].object as unknown as App;
    expect(hello.metadata.labels).toMatchObject({ 'mayday.dev/app': 'hello', 'mayday.dev/env': 'stg' });
    expect(hello.spec.syncPolicy).toEqual({
      automated: { prune: true, selfHeal: true },
      syncOptions: ['CreateNamespace=true', 'RespectIgnoreDifferences=true'],
      // the labels the platform's admission policy bindings select on (strict in prd, baseline in stg)
      managedNamespaceMetadata: { labels: namespaceLabels('hello', envs[0]) },
    });
    expect(
      (apps[0].object as unknown as App).spec.syncPolicy.managedNamespaceMetadata.labels['mayday.dev/policy-profile'],
    ).toBe('strict');
    expect(hello.spec.source).toEqual({
      repoURL: config.repository,
      targetRevision: 'gitops',
      path: 'gitops/stg/hello',
    });
  });

  it('never discovers the renderer staging folder, hidden folders, files, nested folders or unknown envs', () => {
    const root = mkdtempSync(join(tmpdir(), 'mayday-discovery-'));
    try {
      cpSync(join(REPO, 'gitops'), join(root, 'gitops'), { recursive: true, filter: (s) => !s.includes('.staging') });
      const extra = [
        'gitops/.staging/hello-x1/new/stg/deployment-hello.yaml',
        'gitops/stg/.cache/hello/x.yaml',
        'gitops/stg/notes.yaml',
        'gitops/stg/hello/nested/extra.yaml',
        'gitops/dev/hello/deployment-hello.yaml',
      ];
      for (const file of extra) {
        mkdirSync(join(root, file, '..'), { recursive: true });
        writeFileSync(join(root, file), 'kind: ConfigMap\n');
      }
      const apps = discoverApplications(appSetOf(envs), listRepositoryFiles(root, 'gitops'));
      expect(apps.map((a) => a.name)).toEqual(['hello-prd', 'hello-stg']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('a template key that does not exist fails as with missingkey=error', () => {
    expect(() => renderGoTemplate('{{ .values.nope }}', { values: {} })).toThrow(/no entry for key "nope"/);
    expect(
      renderGoTemplate('{{ replace "{app}" .path.basename .values.rule }}', {
        path: { basename: 'shop' },
        values: { rule: 'x-{app}-prd' },
      }),
    ).toBe('x-shop-prd');
  });
});

describe('env clusters are declared to Argo CD', () => {
  const manifests = buildArgoCdManifests(envs, config);

  it('one cluster Secret per env cluster, with its name and server and no credential', () => {
    const secrets = manifests.filter((m) => m.object.kind === 'Secret').map((m) => m.object as Record<string, any>);
    expect(secrets.map((s) => [s.metadata.name, s.metadata.labels, s.stringData])).toEqual(
      [...envs]
        .sort((a, b) => a.cluster.name.localeCompare(b.cluster.name))
        .map((env) => [
          `mayday-cluster-${env.cluster.name}`,
          { 'argocd.argoproj.io/secret-type': 'cluster' },
          { name: env.cluster.name, server: env.cluster.server },
        ]),
    );
  });

  it('two envs on one cluster share its declaration; one name with two servers is an error naming environments.yaml', () => {
    const same = envs.map((env) => ({ ...env, cluster: { name: 'shared', server: 'https://k8s.example' } }));
    expect(
      buildArgoCdManifests(same, config)
        .filter((m) => m.object.kind === 'Secret')
        .map((m) => m.fileName),
    ).toEqual(['cluster-shared.yaml']);
    const clash = envs.map((env) => ({ ...env, cluster: { name: 'shared', server: `https://${env.name}.example` } }));
    expect(() => buildArgoCdManifests(clash, config)).toThrow(
      /platform\/environments.yaml.*name the cluster "shared" with different servers/,
    );
  });
});

describe('platform policies reach every cluster', () => {
  const manifests = buildArgoCdManifests(envs, config);
  const byName = (name: string) => manifests.find((m) => m.fileName === name)!.object as Record<string, any>;

  it('syncs platform/policies, without its tests/ folder, to each env cluster', () => {
    for (const env of envs) {
      const app = byName(`application-policies-${env.name}.yaml`);
      expect(app.spec.source).toMatchObject({
        path: 'platform/policies',
        targetRevision: 'main',
        directory: { recurse: false },
      });
      expect(app.spec.destination).toEqual({ name: env.cluster.name });
    }
    expect(existsSync(join(REPO, 'platform/policies/tests'))).toBe(true);
  });

  it('lets the platform project create exactly the kinds platform/policies holds', () => {
    const allowed = byName('appproject-platform.yaml')
      .spec.clusterResourceWhitelist.map((k: { group: string; kind: string }) => `${k.group}/${k.kind}`)
      .sort();
    const kinds = new Set<string>();
    for (const file of listRepositoryFiles(REPO, 'platform/policies').filter((f) =>
      /^platform\/policies\/[^/]+\.yaml$/.test(f),
    )) {
      for (const doc of parseAllDocuments(readFileSync(join(REPO, file), 'utf8'))) {
        const object = doc.toJS() as { apiVersion: string; kind: string } | null;
        if (object) kinds.add(`${object.apiVersion.split('/')[0]}/${object.kind}`);
      }
    }
    expect([...kinds].sort()).toEqual(allowed);
    expect(byName('appproject-platform.yaml').spec.namespaceResourceWhitelist).toEqual([]);
  });
});
