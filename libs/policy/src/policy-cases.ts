import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { MaydayError, mergeValues, namespaceFor, POLICIES_DIR } from '@mayday/model';
import { evaluatePolicies, loadPolicyText, type PolicySet } from './admission-policy.ts';
import { appNamespaceLabels } from './policy-labels.ts';
import { isClusterScoped } from './resource-scope.ts';

/** The app every policy case is admitted for: namespace `shop-stg` (baseline) or `shop-prd` (strict). */
export const CASE_APP = 'shop';
const ENV_OF_PROFILE = { baseline: 'stg', strict: 'prd' } as const;
/** The env a case's app runs in, as platform/environments.yaml would declare it for the case's profile. */
const caseEnv = (profile: keyof typeof ENV_OF_PROFILE) => ({
  name: ENV_OF_PROFILE[profile],
  namespace: '{app}-{env}',
  policyProfile: profile,
});

const kubernetesObject = z
  .object({ apiVersion: z.string(), kind: z.string(), metadata: z.object({ name: z.string() }).loose() })
  .loose();

const policyCase = z.strictObject({
  name: z.string(),
  profile: z.enum(['baseline', 'strict']),
  /** The object, or a patch over the file's `base`, merged as Helm merges values (`null` deletes a key). */
  object: kubernetesObject.optional(),
  patch: z.record(z.string(), z.unknown()).optional(),
  /** Other objects in the cluster (where params such as PodDisruptionBudgets are found). */
  clusterObjects: z.array(kubernetesObject).default([]),
  /** The findings expected from this file's policies: policy name → severity. `{}` means admitted cleanly. */
  expect: z.record(z.string(), z.enum(['error', 'warning', 'info'])),
});

export const policyCasesFileSchema = z.strictObject({
  base: kubernetesObject.optional(),
  cases: z.array(policyCase).min(2, 'give each policy file at least one passing and one failing case'),
});

export type PolicyCase = z.infer<typeof policyCase>;

export interface PolicyCaseResult {
  file: string;
  policyFile: string;
  name: string;
  expected: Record<string, string>;
  actual: Record<string, string>;
  messages: string[];
  /** The request lint judged, so a real API server can be sent the same one. */
  object: Record<string, unknown>;
  /** Its namespace ('' when cluster-scoped) and that namespace's labels. */
  namespace: string;
  namespaceLabels?: Record<string, string>;
  clusterObjects: Record<string, unknown>[];
}

/**
 * Runs tests/<file>.yaml against <file>.yaml alone, so each file proves its own policies; with `policies`, against
 * that set instead (every policy, as lint and a cluster judge a request).
 */
export function runPolicyCases(workspaceRoot: string, policyFile: string, policies?: PolicySet): PolicyCaseResult[] {
  const casesFile = `${POLICIES_DIR}/tests/${policyFile}`;
  if (!existsSync(join(workspaceRoot, casesFile))) {
    throw new MaydayError({
      severity: 'error',
      file: `${POLICIES_DIR}/${policyFile}`,
      rule: 'policy-tests',
      message: `has no test cases`,
      hint: `add ${casesFile} with a passing and a failing case per policy`,
    });
  }
  const set: PolicySet = policies ?? { policies: new Map(), bindings: [], documents: [] };
  if (!policies)
    loadPolicyText(
      set,
      `${POLICIES_DIR}/${policyFile}`,
      readFileSync(join(workspaceRoot, POLICIES_DIR, policyFile), 'utf8'),
    );
  const parsed = policyCasesFileSchema.parse(parse(readFileSync(join(workspaceRoot, casesFile), 'utf8')));
  return parsed.cases.map((c) => {
    const object = (c.object ?? mergeValues(parsed.base, c.patch ?? {})) as Record<string, unknown>;
    const env = caseEnv(c.profile);
    const appNamespace = namespaceFor(env, CASE_APP);
    const clusterScoped = isClusterScoped(String(object.apiVersion), String(object.kind));
    const namespace = clusterScoped ? '' : ((object.metadata as { namespace?: string }).namespace ?? appNamespace);
    const labels: Record<string, string> =
      namespace === appNamespace ? appNamespaceLabels(CASE_APP, env) : { 'kubernetes.io/metadata.name': namespace };
    const clusterObjects = c.clusterObjects.map((o) => ({
      ...o,
      metadata: { namespace: appNamespace, ...o.metadata },
    }));
    const findings = evaluatePolicies(set, {
      object,
      namespace,
      namespaceObject: clusterScoped
        ? undefined
        : { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels } },
      clusterObjects,
    });
    const actual: Record<string, string> = {};
    for (const f of findings)
      actual[f.policy] = f.severity === 'error' || actual[f.policy] === 'error' ? 'error' : f.severity;
    return {
      file: casesFile,
      policyFile,
      name: c.name,
      expected: c.expect,
      actual,
      messages: findings.map((f) => `${f.policy}: ${f.message}`),
      object,
      namespace,
      namespaceLabels: clusterScoped ? undefined : labels,
      clusterObjects,
    };
  });
}

export function policyFiles(workspaceRoot: string): string[] {
  return readdirSync(join(workspaceRoot, POLICIES_DIR))
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
}
