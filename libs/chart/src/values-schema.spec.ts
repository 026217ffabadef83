import { describe, it, expect } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CHART_SCHEMA_FILE, CHART_VALUES_FILE, parseYamlFile, validateValues, type ValuesLayer } from '@mayday/model';
import { chartReadme, CHART_README_FILE, readChartSchema } from './chart-readme.ts';
import { valueRows, type SchemaNode } from './values-table.ts';
import { appValues, findEnv, renderChart, WORKSPACE_ROOT } from './chart-fixtures.ts';

const schema = readChartSchema(WORKSPACE_ROOT);
const schemaText = readFileSync(join(WORKSPACE_ROOT, CHART_SCHEMA_FILE), 'utf8');
const chartValues = parse(readFileSync(join(WORKSPACE_ROOT, CHART_VALUES_FILE), 'utf8')) as Record<string, unknown>;

/** Nodes whose content is another project's object, deliberately open: a Kubernetes manifest, an Argo Rollouts step. */
const OPEN_BY_DESIGN = ['extraManifests[]', 'strategy.canary.steps[]'];

interface Visited {
  path: string;
  node: SchemaNode;
  isProperty: boolean;
}

function visit(node: SchemaNode, path: string, isProperty: boolean, out: Visited[]): Visited[] {
  out.push({ path, node, isProperty });
  for (const [name, child] of Object.entries(node.properties ?? {}))
    visit(child, path ? `${path}.${name}` : name, true, out);
  if (node.items) visit(node.items, `${path}[]`, false, out);
  return out;
}

/** Helm-style layers: the chart's values.yaml then an app's values (as `nx run <app>:render` checks them). */
function layers(values: Record<string, unknown>, file = 'apps/checkout/values.yaml'): ValuesLayer[] {
  const defaults = parseYamlFile(CHART_VALUES_FILE, readFileSync(join(WORKSPACE_ROOT, CHART_VALUES_FILE), 'utf8'));
  const source = parseYamlFile(file, JSON.stringify(values, null, 2));
  return [
    { source: defaults, data: defaults.data },
    { source, data: values },
  ];
}

const app = { team: 'payments', image: { repository: 'ghcr.io/mayday/checkout', tag: '1.4.2' }, port: 8080 };

describe('values.schema.json', () => {
  const nodes = visit(schema, '', false, []).filter((v) => !OPEN_BY_DESIGN.some((open) => v.path.startsWith(open)));

  it('is strict: every object node forbids unknown keys (except the deliberately open ones)', () => {
    const loose = nodes
      .filter(({ node }) => node.properties && node.additionalProperties !== false)
      .map((v) => v.path || '(root)');
    expect(loose).toEqual([]);
  });

  it('describes every key and gives it a default, so the schema is the documentation', () => {
    const undocumented = nodes
      .filter((v) => v.isProperty && (!v.node.description || v.node.default === undefined))
      .map((v) => v.path);
    expect(undocumented).toEqual([]);
  });

  it("has defaults equal to the chart's values.yaml, key for key", () => {
    const defaults = Object.fromEntries(Object.entries(schema.properties!).map(([key, node]) => [key, node.default]));
    expect(chartValues).toEqual(defaults);
  });

  it('is draft 2020-12 and accepts a generated app in every env', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    for (const env of ['stg', 'prd']) expect(validateValues(schemaText, layers(appValues(findEnv(env))))).toEqual([]);
  });

  it.each([
    [
      'a misspelt key, with a suggestion',
      { ...app, strategy: { typ: 'canary' } },
      'strategy.typ',
      /did you mean "type"/,
    ],
    [
      'an unknown strategy',
      { ...app, strategy: { type: 'canry' } },
      'strategy.type',
      /"rolling", "canary", "blueGreen"/,
    ],
    [
      'an unknown preset',
      { ...app, strategy: { type: 'canary', preset: 'slow' } },
      'strategy.preset',
      /must be one of/,
    ],
    [
      'a sealedSecret without ciphertext',
      { ...app, secrets: [{ name: 'db', source: 'sealedSecret' }] },
      'secrets[0].encryptedData',
      /required/,
    ],
    ['an externalSecret without data', { ...app, secrets: [{ name: 'db' }] }, 'secrets[0].data', /required/],
    [
      'a secret mounted in an unknown way',
      { ...app, secrets: [{ name: 'db', data: [{ key: 'A', remoteKey: 'b' }], mount: { as: 'volume' } }] },
      'secrets[0].mount.as',
      /"env", "file", "none"/,
    ],
    [
      'a plaintext Secret smuggled in extraManifests',
      { ...app, extraManifests: [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } }] },
      'extraManifests[0].kind',
      /must NOT be valid/,
    ],
    [
      'a success rate above 1',
      { ...app, strategy: { analysis: { successRate: 99 } } },
      'strategy.analysis.successRate',
      /<= 1/,
    ],
  ])('rejects %s at the field that set it', (_name, values, field, message) => {
    const diagnostics = validateValues(schemaText, layers(values));
    const found = diagnostics.find((d) => d.field === field);
    expect(found).toBeDefined();
    expect(`${found!.message} ${found!.hint ?? ''}`).toMatch(message);
    expect(found!.file).toBe('apps/checkout/values.yaml');
  });

  it.each([
    [
      'an HPA whose minimum is above its maximum',
      { autoscaling: { enabled: true, minReplicas: 5, maxReplicas: 3 } },
      'autoscaling.minReplicas (5) is above autoscaling.maxReplicas (3)',
    ],
    [
      'an analysis without metrics',
      { strategy: { type: 'canary', analysis: { enabled: true } }, metrics: { enabled: false } },
      'strategy.analysis.enabled needs metrics.enabled',
    ],
    [
      'a grace period shorter than the preStop sleep',
      { termination: { preStopSleepSeconds: 30, gracePeriodSeconds: 10 } },
      'termination.gracePeriodSeconds (10) must be more than termination.preStopSleepSeconds (30)',
    ],
  ])('makes Helm refuse %s (a rule across fields, which JSON Schema cannot say)', async (_name, values, message) => {
    await expect(renderChart('cross-field', findEnv('stg'), { ...app, ...values })).rejects.toThrow(message);
  });

  it('is enforced by Helm itself too: a misspelt key fails `helm template`', async () => {
    await expect(renderChart('typo', findEnv('stg'), { ...app, strategy: { typ: 'canary' } })).rejects.toThrow(
      "at '/strategy': additional properties 'typ' not allowed",
    );
  });
});

describe(`${CHART_README_FILE}`, () => {
  it('is generated from the schema and up to date (run `npm run docs -w @mayday/chart`)', () => {
    expect(readFileSync(join(WORKSPACE_ROOT, CHART_README_FILE), 'utf8')).toBe(chartReadme(schema));
  });

  it('shows an example that passes the schema and renders a canary Rollout with its ExternalSecret', async () => {
    const example = /```yaml\n([\s\S]*?)```/.exec(readFileSync(join(WORKSPACE_ROOT, CHART_README_FILE), 'utf8'))![1];
    const values = appValues(findEnv('prd'), parse(example));
    expect(validateValues(schemaText, layers(values))).toEqual([]);
    const { objects } = await renderChart('readme example', findEnv('prd'), values);
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(
      expect.arrayContaining([
        'Rollout/checkout',
        'ExternalSecret/checkout-db',
        'AnalysisTemplate/checkout-success-rate',
      ]),
    );
  });

  it('lists every value an app can set, with its default', () => {
    const rows = valueRows(schema);
    const keys = rows.map((r) => r.key);
    expect(keys).toEqual(
      expect.arrayContaining([
        'strategy.type',
        'strategy.preset',
        'metrics.serviceMonitor.enabled',
        'secrets[].mount.as',
        'probes.startup.failureThreshold',
        'platform.rolloutPreset',
      ]),
    );
    expect(rows.find((r) => r.key === 'strategy.type')).toEqual({
      key: 'strategy.type',
      type: '"rolling" | "canary" | "blueGreen"',
      default: '"rolling"',
      description: expect.stringContaining('Argo Rollouts Rollout'),
    });
  });
});
