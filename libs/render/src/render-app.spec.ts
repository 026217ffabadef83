import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTempWorkspace, type TempWorkspace } from '@mayday/testing';
import { loadEnvironments, MaydayError, type Environment } from '@mayday/model';
import { helmTemplateWith, resolveHelm } from './helm.ts';
import { renderApp, renderAppEnvs, strayEnvValuesFiles, type RenderContext } from './render-app.ts';

let ws: TempWorkspace;
let context: RenderContext;
let envs: Environment[];

const writeApp = (app: string, files: Record<string, string>) => {
  mkdirSync(join(ws.root, 'apps', app), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(ws.root, 'apps', app, name), text);
};
const baseValues = `team: payments
image:
  repository: ghcr.io/acme/shop
  tag: "1.4.2"
port: 8080
`;

async function diagnosticsOf(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    if (error instanceof MaydayError) return error.diagnostics;
    throw error;
  }
  throw new Error('expected a MaydayError');
}

beforeAll(async () => {
  ws = await createTempWorkspace({ git: false });
  context = { workspaceRoot: ws.root, helmTemplate: helmTemplateWith(resolveHelm(ws.root)) };
  envs = loadEnvironments(ws.root);
  writeApp('shop', {
    'values.yaml': baseValues,
    'values-prd.yaml': 'replicas: 3\npdb:\n  enabled: true\nautoscaling:\n  enabled: true\n  minReplicas: 3\n',
  });
});
afterAll(() => ws.cleanup());

describe('renderApp with the real Helm binary', () => {
  it('renders every env into its own namespace with the env-specific resources', async () => {
    const [stg, prd] = await renderAppEnvs(context, 'shop', envs);
    const kinds = (files: typeof stg.files) => files.map((f) => f.object.kind).sort();
    expect(kinds(stg.files)).toEqual(['Deployment', 'HTTPRoute', 'NetworkPolicy', 'Service', 'ServiceAccount']);
    expect(kinds(prd.files)).toEqual([
      'Deployment',
      'HTTPRoute',
      'HorizontalPodAutoscaler',
      'NetworkPolicy',
      'PodDisruptionBudget',
      'Service',
      'ServiceAccount',
    ]);
    expect(new Set(stg.files.map((f) => f.object.metadata.namespace))).toEqual(new Set(['shop-stg']));
    expect(new Set(prd.files.map((f) => f.object.metadata.namespace))).toEqual(new Set(['shop-prd']));
    const route = stg.files.find((f) => f.object.kind === 'HTTPRoute')!.object as unknown as {
      spec: { hostnames: string[] };
    };
    expect(route.spec.hostnames).toEqual(['shop.stg.mayday.example']);
    expect(prd.files[0].content).toMatch(
      /^# Rendered by mayday from apps\/shop\/values.yaml \+ apps\/shop\/values-prd.yaml/,
    );
  });

  it('uses only values.yaml when an env has no values file', async () => {
    const stg = await renderApp(context, 'shop', envs[0]);
    expect(stg.files[0].content).toMatch(/from apps\/shop\/values.yaml with platform/);
  });

  it('gives byte-identical output on every render', async () => {
    const first = await renderApp(context, 'shop', envs[1]);
    const second = await renderApp(context, 'shop', envs[1]);
    expect(second.files.map((f) => f.content)).toEqual(first.files.map((f) => f.content));
  });

  it('reports a misspelt key at its file and line before Helm runs', async () => {
    writeApp('typo', { 'values.yaml': `${baseValues}replicaz: 2\n` });
    const [d] = await diagnosticsOf(renderApp(context, 'typo', envs[0]));
    expect(d).toMatchObject({
      file: 'apps/typo/values.yaml',
      line: 6,
      field: 'replicaz',
      hint: 'did you mean "replicas"?',
    });
  });

  it('reports a YAML error (a duplicate key) with the file and line', async () => {
    writeApp('broken', { 'values.yaml': baseValues, 'values-prd.yaml': 'replicas: 3\nreplicas: 4\n' });
    const [d] = await diagnosticsOf(renderApp(context, 'broken', envs[1]));
    expect(d).toMatchObject({ file: 'apps/broken/values-prd.yaml', rule: 'yaml-syntax' });
    expect(d.line).toBe(2);
  });

  it("shows Helm's own message and the values files when Helm fails", async () => {
    const tooOld = { ...envs[1], kubernetesVersion: '1.29.0' };
    const [d] = await diagnosticsOf(renderApp(context, 'shop', tooOld));
    expect(d).toMatchObject({ file: 'apps/shop/values-prd.yaml', rule: 'helm' });
    expect(d.message).toMatch(/helm template failed for shop in prd:[\s\S]*kubeVersion/);
    expect(d.hint).toContain('apps/shop/values.yaml and apps/shop/values-prd.yaml');
  });

  it('says how to get Helm when the binary is missing', async () => {
    const noHelm = { ...context, helmTemplate: helmTemplateWith(join(ws.root, 'no-such-helm')) };
    const [d] = await diagnosticsOf(renderApp(noHelm, 'shop', envs[0]));
    expect(d.message).toMatch(/cannot run helm/);
    expect(d.hint).toMatch(/npm run setup/);
  });

  it('blames a values-<env>.yaml that is a list, not values.yaml', async () => {
    writeApp('listy', { 'values.yaml': baseValues, 'values-stg.yaml': '- replicas: 2\n' });
    const diagnostics = await diagnosticsOf(renderApp(context, 'listy', envs[0]));
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({
      file: 'apps/listy/values-stg.yaml',
      field: '(root)',
      rule: 'values-schema',
    });
    expect(diagnostics[0].message).toBe('must be a mapping of values (key: value), found a list');
  });

  it('says what it found for a wrong type and names a malformed quantity without a regex', async () => {
    writeApp('typed', {
      'values.yaml': baseValues.replace('port: 8080', 'port: "8080"') + 'resources:\n  requests:\n    cpu: lots\n',
    });
    const diagnostics = await diagnosticsOf(renderApp(context, 'typed', envs[0]));
    const port = diagnostics.find((d) => d.field === 'port')!;
    expect(port.message).toBe('must be integer, found string "8080"');
    expect(port.hint).toBe('write it without quotes: port: 8080');
    const cpu = diagnostics.filter((d) => d.field === 'resources.requests.cpu');
    expect(cpu.length).toBeGreaterThan(0);
    for (const d of cpu) expect(d.message).not.toMatch(/\^|\$|must match pattern/);
    expect(cpu.map((d) => d.message).join('\n')).toContain(
      'string "lots" is not valid here: expected a Kubernetes resource quantity',
    );
  });

  it('names a values file for an env that does not exist, with the envs there are', () => {
    writeApp('stray', {
      'values.yaml': baseValues,
      'values-prod.yaml': 'replicas: 3\n',
      'values-stg.yaml': 'replicas: 1\n',
    });
    expect(strayEnvValuesFiles(ws.root, 'stray', envs)).toEqual([
      expect.objectContaining({
        file: 'apps/stray/values-prod.yaml',
        rule: 'values-env',
        message:
          'is for env "prod", which platform/environments.yaml does not declare (envs: stg, prd), so nothing reads it',
        hint: 'rename it to values-prd.yaml',
      }),
    ]);
    expect(strayEnvValuesFiles(ws.root, 'shop', envs)).toEqual([]);
  });
});
