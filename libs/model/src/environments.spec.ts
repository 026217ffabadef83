import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { MaydayError } from './diagnostics.ts';
import { maxAppNameLength, namespaceFor, parseEnvironments } from './environments.ts';
import { ENVIRONMENTS_FILE } from './workspace.ts';
import { parseYamlFile } from './yaml-file.ts';

const REPO = join(import.meta.dirname, '../../..');
const parse = (text: string) => parseEnvironments(parseYamlFile(ENVIRONMENTS_FILE, text));
const minimal = (extra = '') => `environments:
  - name: stg
    cluster: { name: stg, server: https://stg.example.com }
    kubernetesVersion: 1.35.0
    policyProfile: baseline
    domain: stg.example.com
${extra}`;

function errorOf(fn: () => unknown): MaydayError {
  try {
    fn();
  } catch (error) {
    if (error instanceof MaydayError) return error;
    throw error;
  }
  throw new Error('expected a MaydayError');
}

describe('environments.yaml', () => {
  it('loads the repository file with stg and prd', () => {
    const envs = parse(readFileSync(join(REPO, ENVIRONMENTS_FILE), 'utf8'));
    expect(envs.map((e) => e.name)).toEqual(['stg', 'prd']);
    expect(envs.every((e) => /^1\.\d+\.\d+$/.test(e.kubernetesVersion))).toBe(true);
  });

  it('defaults the namespace rule to {app}-{env} and the gateway', () => {
    const [env] = parse(minimal());
    expect(namespaceFor(env, 'shop')).toBe('shop-stg');
    expect(env.gateway).toEqual({ name: 'mayday', namespace: 'gateway-system' });
  });

  it('accepts a third env with no code change', () => {
    const third = `  - name: qa
    cluster: { name: qa, server: https://qa.example.com }
    kubernetesVersion: 1.34.2
    namespace: "team-{app}-{env}"
    policyProfile: strict
    domain: qa.example.com
`;
    const envs = parse(minimal(third));
    expect(envs.map((e) => e.name)).toEqual(['stg', 'qa']);
    expect(namespaceFor(envs[1], 'shop')).toBe('team-shop-qa');
  });

  it('names the line and field of a bad version', () => {
    const error = errorOf(() => parse(minimal().replace('1.35.0', 'v1.35')));
    expect(error.diagnostics).toEqual([
      expect.objectContaining({ file: ENVIRONMENTS_FILE, line: 4, field: 'environments[0].kubernetesVersion' }),
    ]);
  });

  it('names an unknown key and a duplicate env', () => {
    const duplicate = minimal(`  - name: stg
    cluster: { name: stg, server: https://stg.example.com }
    kubernetesVersion: 1.35.0
    policyProfile: baseline
    domain: stg.example.com
    replicaz: 2
`);
    const fields = errorOf(() => parse(duplicate)).diagnostics.map((d) => d.field);
    expect(fields).toEqual(expect.arrayContaining(['environments[1].replicaz', 'environments[1].name']));
  });

  it('refuses a namespace rule without {app} or with an unknown placeholder', () => {
    expect(errorOf(() => parse(minimal().replace('domain:', 'namespace: "{env}"\n    domain:'))).message).toMatch(
      /must contain \{app\}/,
    );
    expect(
      errorOf(() => parse(minimal().replace('domain:', 'namespace: "{app}-{team}"\n    domain:'))).message,
    ).toMatch(/placeholders/);
  });

  it('reports YAML syntax errors with line and column', () => {
    const error = errorOf(() => parse('environments:\n  - name: stg\n   bad: [\n'));
    expect(error.diagnostics[0]).toMatchObject({ file: ENVIRONMENTS_FILE, rule: 'yaml-syntax' });
    expect(error.diagnostics[0].line).toBeGreaterThan(1);
  });
});

describe('maxAppNameLength', () => {
  it('keeps <app>-<env> within 63 and the release name within 53', () => {
    const [env] = parse(minimal());
    expect(maxAppNameLength([env])).toBe(53);
    const long = parse(minimal().replace('domain:', `namespace: "${'x'.repeat(20)}-{app}-{env}"\n    domain:`));
    expect(maxAppNameLength(long)).toBe(63 - 21 - 4);
  });
});
