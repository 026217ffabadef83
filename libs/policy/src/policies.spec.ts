import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
import { isMaydayError, loadEnvironments, POLICIES_DIR } from '@mayday/model';
import { REPO_ROOT } from '@mayday/testing';
import { compileCel, loadPolicies, loadPolicyText, type PolicySet } from './admission-policy.ts';
import { manifestSchemas } from './manifest-schema.ts';
import { policyFiles, runPolicyCases } from './policy-cases.ts';

const files = policyFiles(REPO_ROOT);

describe('platform/policies', () => {
  it('has policy files', () => {
    expect(files.length).toBeGreaterThanOrEqual(8);
  });

  it('loads every policy and binding, and every binding names a defined policy', () => {
    const set = loadPolicies(REPO_ROOT);
    expect(set.policies.size).toBeGreaterThanOrEqual(10);
    for (const { binding } of set.bindings) expect(set.policies.has(binding.spec.policyName)).toBe(true);
    for (const name of set.policies.keys())
      expect(set.bindings.some((b) => b.binding.spec.policyName === name)).toBe(true);
  });

  it.each(files)(
    '%s holds valid admissionregistration.k8s.io/v1 objects (real Kubernetes schema, unknown fields rejected)',
    async (file) => {
      const versions = [...new Set(loadEnvironments(REPO_ROOT).map((e) => e.kubernetesVersion))];
      const documents = parseAllDocuments(readFileSync(join(REPO_ROOT, POLICIES_DIR, file), 'utf8')).map(
        (d) => d.toJS() as Record<string, unknown>,
      );
      expect(documents.length).toBeGreaterThanOrEqual(2);
      for (const version of versions) {
        for (const object of documents) {
          expect(object.apiVersion).toBe('admissionregistration.k8s.io/v1');
          expect(['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']).toContain(object.kind);
          expect(await manifestSchemas(version).validate(object)).toEqual([]);
        }
      }
    },
  );

  it('the schema check it relies on rejects a misspelt policy field', async () => {
    const issues = await manifestSchemas('1.35.0').validate({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: 'x' },
      spec: { validations: [{ expresion: 'true' }] },
    });
    expect(issues.map((i) => i.path.join('.'))).toEqual(
      expect.arrayContaining(['spec.validations.0.expresion', 'spec.validations.0.expression']),
    );
  });

  it.each(files)(
    '%s: every policy has a passing and a failing case, and every case gives the expected findings',
    (file) => {
      const results = runPolicyCases(REPO_ROOT, file);
      const set: PolicySet = { policies: new Map(), bindings: [], documents: [] };
      loadPolicyText(set, file, readFileSync(join(REPO_ROOT, POLICIES_DIR, file), 'utf8'));
      for (const policy of set.policies.keys()) {
        expect(results.some((r) => !(policy in r.expected))).toBe(true);
        expect(results.some((r) => r.expected[policy] !== undefined)).toBe(true);
      }
      for (const r of results)
        expect({ name: r.name, findings: r.actual }).toEqual({ name: r.name, findings: r.expected });
    },
  );
});

describe('CEL compatibility', () => {
  it('refuses syntax @bufbuild/cel cannot parse, naming the file and field', () => {
    let error: unknown;
    try {
      compileCel('object.?spec.orValue({})', {
        file: 'platform/policies/x.yaml',
        line: 3,
        field: 'spec.validations[0].expression',
      });
    } catch (e) {
      error = e;
    }
    expect(isMaydayError(error) && error.diagnostics[0]).toMatchObject({
      file: 'platform/policies/x.yaml',
      field: 'spec.validations[0].expression',
      rule: 'policy-cel',
    });
  });
});
