// A real kube-apiserver (with etcd and kube-controller-manager) on 127.0.0.1 judges what mayday renders: every file is
// sent as a server-side apply (dryRun=All, fieldValidation=Strict) with platform/policies installed, and every policy
// case is sent to admission and its verdict compared with lint's. No kubelet runs here: no Pod ever starts.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ciValuesFiles, findEnv, renderCiValues } from '@mayday/chart/fixtures';
import { loadEnvironments, namespaceLabels, POLICIES_DIR } from '@mayday/model';
import { loadPolicies } from '@mayday/policy';
import { policyFiles, runPolicyCases } from '@mayday/policy/policy-cases';
import { runPool } from '@mayday/render/pool';
import {
  admissionVerdict,
  describeVerdict,
  ensureNamespace,
  expectedVerdict,
  installPlatformPolicies,
  verdictsAgree,
  yamlObjects,
} from './admission.ts';
import { startControlPlane, WORKSPACE_ROOT, type Cluster } from './control-plane.ts';
import { messageOf, type KubeClient, type KubeObject } from './kube-client.ts';

const ROOT = WORKSPACE_ROOT;
let cluster: Cluster;

beforeAll(async () => {
  cluster = await startControlPlane();
  const crds = await cluster.installCrds();
  await installPlatformPolicies(cluster.argocdClient, ROOT);
  console.log(`control plane ready in ${cluster.startupMs} ms; ${crds} pinned CRDs installed`);
}, 180_000);

afterAll(async () => {
  await cluster?.stop();
});

interface Submission {
  file: string;
  object: KubeObject;
  namespace?: string;
  client: KubeClient;
}

/** Sends every submission as a strict server-side dry-run apply; returns the refusals, each naming its file. */
async function submitAll(submissions: readonly Submission[]): Promise<string[]> {
  const refused = await runPool(submissions, 8, async ({ file, object, namespace, client }) => {
    const res = await client.apply(object, { namespace, dryRun: true });
    return res.status < 300
      ? undefined
      : `${file}: ${object.kind} ${object.metadata.name}: ${res.status} ${messageOf(res)}`;
  });
  return refused.filter((r): r is string => r !== undefined);
}

describe('the real API server accepts every manifest mayday makes (server-side apply, dryRun=All, fieldValidation=Strict, platform/policies installed)', () => {
  it('every file in gitops/, every chart ci case in every env, platform/argocd and platform/policies', async () => {
    const submissions: Submission[] = [];
    const envs = loadEnvironments(ROOT);
    // gitops/<env>/<app>/*.yaml, into the namespace Argo CD creates with the labels the policy bindings select
    for (const env of envs) {
      const envDir = join(ROOT, 'gitops', env.name);
      if (!existsSync(envDir)) continue;
      for (const app of readdirSync(envDir).filter((d) => !d.startsWith('.'))) {
        for (const file of readdirSync(join(envDir, app)).filter((f) => f.endsWith('.yaml'))) {
          for (const object of yamlObjects(join(envDir, app, file))) {
            if (object.metadata.namespace)
              await ensureNamespace(cluster.client, object.metadata.namespace, namespaceLabels(app, env));
            submissions.push({ file: `gitops/${env.name}/${app}/${file}`, object, client: cluster.argocdClient });
          }
        }
      }
    }
    // every ci/*-values.yaml case of the chart, rendered with real Helm for its env
    const cases = await runPool(ciValuesFiles(), 2, (file) => renderCiValues(file));
    for (const rendered of cases) {
      const env = findEnv(rendered.namespace.replace(/^checkout-/, ''));
      await ensureNamespace(cluster.client, rendered.namespace, namespaceLabels('checkout', env));
      for (const object of rendered.objects)
        submissions.push({
          file: `platform/charts/app/ci/${rendered.name}`,
          object: object as unknown as KubeObject,
          client: cluster.argocdClient,
        });
    }
    // platform/argocd is applied by the bootstrap (kubectl apply -k); platform/policies is synced by Argo CD
    await ensureNamespace(cluster.client, 'argocd');
    for (const file of readdirSync(join(ROOT, 'platform/argocd')).filter(
      (f) => f.endsWith('.yaml') && f !== 'kustomization.yaml',
    ))
      for (const object of yamlObjects(join(ROOT, 'platform/argocd', file)))
        submissions.push({ file: `platform/argocd/${file}`, object, client: cluster.client });
    for (const file of policyFiles(ROOT))
      for (const object of yamlObjects(join(ROOT, POLICIES_DIR, file)))
        submissions.push({ file: `${POLICIES_DIR}/${file}`, object, client: cluster.argocdClient });

    const refused = await submitAll(submissions);
    const files = new Set(submissions.map((s) => s.file));
    const refusedFiles = new Set(refused.map((r) => r.split(':')[0]));
    console.log(
      `${files.size - refusedFiles.size} files (${submissions.length - refused.length} objects) accepted by the real API server, ${refusedFiles.size} refused`,
    );
    expect(refused).toEqual([]);
    expect(files.size).toBeGreaterThan(30);
  }, 180_000);

  it('a misspelt field is refused by name (fieldValidation=Strict is in force)', async () => {
    const refused = await submitAll([
      {
        file: 'typo.yaml',
        object: {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'x', namespace: 'default' },
          dataa: { a: 'b' },
        },
        client: cluster.client,
      },
    ]);
    expect(refused).toEqual([
      expect.stringMatching(/^typo\.yaml: ConfigMap x: \d+ .*\.dataa: field not declared in schema/),
    ]);
  });
});

describe('lint and admission agree on every policy case (platform/policies/tests, both profiles)', () => {
  it('prints the table: cases, agreements, disagreements (0)', async () => {
    const rows: string[] = [];
    const disagreements: string[] = [];
    let total = 0;
    // lint judges a request with every policy in platform/policies, as the cluster does
    const everyPolicy = loadPolicies(ROOT);
    for (const file of policyFiles(ROOT)) {
      const results = runPolicyCases(ROOT, file, everyPolicy);
      let agreed = 0;
      for (const result of results) {
        if (result.namespaceLabels)
          await ensureNamespace(
            cluster.client,
            result.namespace,
            result.namespace === 'kube-system' || result.namespace === 'argocd' ? {} : result.namespaceLabels,
          );
        // a case's params would be read from the API server's informer cache: not deterministic, so there are none
        expect({ case: result.name, clusterObjects: result.clusterObjects }).toEqual({
          case: result.name,
          clusterObjects: [],
        });
        const res = await cluster.argocdClient.apply(result.object as KubeObject, {
          namespace: result.namespace || undefined,
          dryRun: true,
        });
        const server = admissionVerdict(res);
        const lint = expectedVerdict(result.actual);
        if (verdictsAgree(lint, server)) agreed++;
        else
          disagreements.push(
            `${result.file} "${result.name}": lint ${describeVerdict(lint)}, API server ${describeVerdict(server)}${server.message ? ` (${server.message})` : ''}`,
          );
      }
      total += results.length;
      rows.push(
        `${file.padEnd(18)} ${String(results.length).padStart(5)} ${String(agreed).padStart(10)} ${String(results.length - agreed).padStart(13)}`,
      );
    }
    console.log(
      [
        'policy file          cases agreements disagreements',
        ...rows,
        `${'total'.padEnd(18)} ${String(total).padStart(5)} ${String(total - disagreements.length).padStart(10)} ${String(disagreements.length).padStart(13)}`,
        ...disagreements,
      ].join('\n'),
    );
    expect(disagreements).toEqual([]);
    expect(total).toBeGreaterThan(30);
  }, 120_000);
});

describe('the PodDisruptionBudget gate is deterministic', () => {
  it('a workload gets the same verdict whether its PDB was created or deleted a moment ago, or never existed', async () => {
    const namespace = 'gate-prd';
    await ensureNamespace(cluster.client, namespace, namespaceLabels('gate', { name: 'prd', policyProfile: 'strict' }));
    const deployment = yamlObjects(join(ROOT, 'gitops/prd/hello/deployment-hello.yaml'))[0];
    const declared = {
      ...deployment,
      metadata: {
        ...deployment.metadata,
        namespace,
        labels: { ...deployment.metadata.labels, 'app.kubernetes.io/instance': 'gate' },
      },
    };
    const undeclared = {
      ...declared,
      metadata: { ...declared.metadata, annotations: { 'mayday.dev/autoscaler': 'hello' } },
    };
    const pdb = {
      ...yamlObjects(join(ROOT, 'gitops/prd/hello/poddisruptionbudget-hello.yaml'))[0],
      metadata: { name: 'hello', namespace, labels: declared.metadata.labels },
    };
    const verdicts = new Set<string>();
    const judge = async (when: string) => {
      for (const [name, object] of [
        ['declared', declared],
        ['undeclared', undeclared],
      ] as const) {
        const verdict = admissionVerdict(await cluster.argocdClient.apply(object as KubeObject, { dryRun: true }));
        verdicts.add(
          `${name}: ${describeVerdict(verdict)}${verdict.denied?.startsWith('(') ? ` ${when}: ${verdict.message}` : ''}`,
        );
      }
    };
    await judge('no PDB ever');
    for (let round = 0; round < 5; round++) {
      await cluster.argocdClient.applyOrThrow(pdb as KubeObject);
      await judge('PDB just created');
      await cluster.argocdClient.delete('policy/v1', 'PodDisruptionBudget', 'hello', namespace);
      await judge('PDB just deleted');
    }
    expect([...verdicts].sort()).toEqual(['declared: allowed', 'undeclared: denied (mayday-pdb)']);
  }, 60_000);
});
