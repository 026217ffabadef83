import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { POLICIES_DIR } from '@mayday/model';
import { messageOf, type KubeClient, type KubeObject, type KubeResponse } from './kube-client.ts';
import { waitFor } from './processes.ts';

/** Every object of a YAML file (all its documents), for applying. */
export function yamlObjects(path: string): KubeObject[] {
  return parseAllDocuments(readFileSync(path, 'utf8'))
    .map((doc) => doc.toJS() as KubeObject | null)
    .filter((object): object is KubeObject => object !== null && typeof object === 'object');
}

/** Creates (or updates) a namespace with these labels. */
export async function ensureNamespace(
  client: KubeClient,
  name: string,
  labels: Record<string, string> = {},
): Promise<void> {
  await client.applyOrThrow({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
}

const SENTINEL = 'mayday-test-policies-active';

/**
 * Applies platform/policies/*.yaml (not tests/) as real ValidatingAdmissionPolicies and bindings, then waits until
 * admission enforces them. The API server reads policies and bindings from informers: a sentinel policy and binding
 * created after all of them is enforced only once every earlier one has been seen (watch events arrive in order).
 */
export async function installPlatformPolicies(client: KubeClient, root: string): Promise<KubeObject[]> {
  const objects = readdirSync(join(root, POLICIES_DIR))
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .flatMap((f) => yamlObjects(join(root, POLICIES_DIR, f)));
  const policies = objects.filter((o) => o.kind === 'ValidatingAdmissionPolicy');
  for (const object of [...policies, ...objects.filter((o) => o.kind !== 'ValidatingAdmissionPolicy')])
    await client.applyOrThrow(object, { fieldManager: 'mayday-policies' });
  await awaitPoliciesActive(client);
  return objects;
}

/** Waits until every policy and binding applied so far is enforced (see installPlatformPolicies). */
export async function awaitPoliciesActive(client: KubeClient): Promise<void> {
  const policy = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name: SENTINEL },
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: {
        resourceRules: [
          {
            apiGroups: [''],
            apiVersions: ['v1'],
            operations: ['CREATE'],
            resources: ['configmaps'],
            resourceNames: [SENTINEL],
          },
        ],
      },
      validations: [{ expression: 'false', message: 'sentinel' }],
    },
  };
  const binding = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name: SENTINEL },
    spec: { policyName: SENTINEL, validationActions: ['Deny'] },
  };
  await client.applyOrThrow(policy);
  await client.applyOrThrow(binding);
  const probe = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: SENTINEL, namespace: 'default' } };
  await waitFor(
    'the admission policies to be enforced (a sentinel policy applied last to deny)',
    async () => ((await client.apply(probe, { dryRun: true })).status >= 400 ? true : undefined),
    { timeoutMs: 30_000 },
  );
  await client.delete('admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicyBinding', SENTINEL);
  await client.delete('admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicy', SENTINEL);
}

/** What admission decided about one request: the policy that denied it, and those that warned. */
export interface AdmissionVerdict {
  denied?: string;
  warned: string[];
  message?: string;
}

const POLICY_IN_MESSAGE = /ValidatingAdmissionPolicy '([^']+)'/;

/** Reads the API server's answer to an apply as an admission verdict (policy names from its messages). */
export function admissionVerdict(res: KubeResponse): AdmissionVerdict {
  const warned = [
    ...new Set(res.warnings.map((w) => POLICY_IN_MESSAGE.exec(w)?.[1]).filter((p): p is string => p !== undefined)),
  ].sort();
  if (res.status < 300) return { warned };
  const message = messageOf(res);
  return { denied: POLICY_IN_MESSAGE.exec(message)?.[1] ?? `(not a policy: ${res.status})`, warned, message };
}

/** lint's findings for one case (policy → severity) as the verdict admission should give. */
export function expectedVerdict(findings: Record<string, string>): { errors: string[]; warnings: string[] } {
  const by = (severity: string) =>
    Object.entries(findings)
      .filter(([, s]) => s === severity)
      .map(([p]) => p)
      .sort();
  return { errors: by('error'), warnings: by('warning') };
}

/**
 * Whether lint and the API server agree: denied exactly when lint has an error (by one of lint's erring policies:
 * the server names the first that denied), and when admitted, warned by exactly lint's warning policies.
 */
export function verdictsAgree(lint: { errors: string[]; warnings: string[] }, server: AdmissionVerdict): boolean {
  if (lint.errors.length > 0) return server.denied !== undefined && lint.errors.includes(server.denied);
  return server.denied === undefined && lint.warnings.join(',') === server.warned.join(',');
}

export function describeVerdict(
  verdict: { denied?: string; warned: string[] } | { errors: string[]; warnings: string[] },
): string {
  if ('errors' in verdict)
    return verdict.errors.length
      ? `denied (${verdict.errors.join(', ')})`
      : verdict.warnings.length
        ? `warned (${verdict.warnings.join(', ')})`
        : 'allowed';
  return verdict.denied
    ? `denied (${verdict.denied})`
    : verdict.warned.length
      ? `warned (${verdict.warned.join(', ')})`
      : 'allowed';
}
