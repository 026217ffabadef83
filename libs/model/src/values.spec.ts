import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { mergeValues, validateValues, type ValuesLayer } from './values.ts';
import { CHART_SCHEMA_FILE, CHART_VALUES_FILE } from './workspace.ts';
import { parseYamlFile } from './yaml-file.ts';

const REPO = join(import.meta.dirname, '../../..');
const schema = readFileSync(join(REPO, CHART_SCHEMA_FILE), 'utf8');
const layer = (file: string, text: string): ValuesLayer => {
  const source = parseYamlFile(file, text);
  return { source, data: source.data };
};
const chartDefaults = layer(CHART_VALUES_FILE, readFileSync(join(REPO, CHART_VALUES_FILE), 'utf8'));
const app = `team: payments
image:
  repository: ghcr.io/acme/shop
  tag: "1.4.2"
port: 8080
`;

describe('mergeValues (Helm coalescing)', () => {
  it('merges maps deeply, replaces lists and deletes null keys', () => {
    const merged = mergeValues({ a: { b: 1, c: 2 }, list: [1, 2], gone: 1 }, { a: { c: 3 }, list: [9], gone: null });
    expect(merged).toEqual({ a: { b: 1, c: 3 }, list: [9] });
  });
});

describe('validateValues against the chart schema', () => {
  it('accepts a generated app', () => {
    expect(validateValues(schema, [chartDefaults, layer('apps/shop/values.yaml', app)])).toEqual([]);
  });

  it('names the file, line and field of a misspelt key, with a suggestion', () => {
    const env = layer('apps/shop/values-prd.yaml', 'replicas: 3\nreplicaz: 4\n');
    const [d, ...rest] = validateValues(schema, [chartDefaults, layer('apps/shop/values.yaml', app), env]);
    expect(rest).toEqual([]);
    expect(d).toMatchObject({
      file: 'apps/shop/values-prd.yaml',
      line: 2,
      field: 'replicaz',
      rule: 'values-schema',
      message: 'unknown field "replicaz"',
    });
    expect(d.hint).toBe('did you mean "replicas"?');
  });

  it('blames the env file that overrides a field with a wrong type', () => {
    const env = layer('apps/shop/values-stg.yaml', 'pdb:\n  enabled: true\n  maxUnavailable: "one"\n');
    const [d] = validateValues(schema, [chartDefaults, layer('apps/shop/values.yaml', app), env]);
    expect(d).toMatchObject({ file: 'apps/shop/values-stg.yaml', line: 3, field: 'pdb.maxUnavailable' });
  });

  it('reports a port out of range at the app values file', () => {
    const [d] = validateValues(schema, [chartDefaults, layer('apps/shop/values.yaml', app.replace('8080', '70000'))]);
    expect(d).toMatchObject({ file: 'apps/shop/values.yaml', line: 5, field: 'port' });
  });
});
