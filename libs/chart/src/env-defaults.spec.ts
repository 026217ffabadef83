import { describe, it, expect } from '@jest/globals';
import { stringify } from 'yaml';
import { parseEnvironments, platformValues, parseYamlFile, type Environment } from '@mayday/model';
import { renderedAppProblems } from './rendered-app-checks.ts';
import { appValues, byKind, one, renderChart } from './chart-fixtures.ts';

/** A new env with only the required fields: adding it to environments.yaml needs no code change. */
const minimalEnv: Environment = parseEnvironments(
  parseYamlFile(
    'platform/environments.yaml',
    stringify({
      environments: [
        {
          name: 'qa',
          cluster: { name: 'qa', server: 'https://qa.k8s.example' },
          kubernetesVersion: '1.35.0',
          policyProfile: 'baseline',
          domain: 'qa.example',
        },
      ],
    }),
  ),
)[0];

describe('an env that declares no rollout, observability or secret store', () => {
  it('gets the fast preset and empty telemetry settings', () => {
    expect(platformValues(minimalEnv)).toMatchObject({
      rolloutPreset: 'fast',
      prometheus: { namespace: '', address: '' },
      otlpEndpoint: '',
      secretStore: { kind: 'ClusterSecretStore', name: '' },
    });
  });

  it('still renders every strategy consistently, with no OTLP endpoint and no Prometheus rule', async () => {
    for (const type of ['rolling', 'canary', 'blueGreen']) {
      const { objects, namespace } = await renderChart(
        `${type} in qa`,
        minimalEnv,
        appValues(minimalEnv, { strategy: { type } }),
      );
      expect(renderedAppProblems(objects, namespace)).toEqual([]);
      const pod = [...byKind(objects, 'Deployment'), ...byKind(objects, 'Rollout')][0].spec.template.spec;
      expect(pod.containers[0].env.map((e: any) => e.name)).not.toContain('OTEL_EXPORTER_OTLP_ENDPOINT');
      expect(one(objects, 'NetworkPolicy').spec.ingress).toHaveLength(1);
    }
  });

  it('fails the render with what to set when an app needs the secret store or Prometheus', async () => {
    await expect(
      renderChart(
        'secrets in qa',
        minimalEnv,
        appValues(minimalEnv, { secrets: [{ name: 'db', data: [{ key: 'A', remoteKey: 'a' }] }] }),
      ),
    ).rejects.toThrow('give the env secretStore.name in platform/environments.yaml');
    await expect(
      renderChart(
        'analysis in qa',
        minimalEnv,
        appValues(minimalEnv, { strategy: { type: 'canary', analysis: { enabled: true } } }),
      ),
    ).rejects.toThrow('give the env observability.prometheus.address in platform/environments.yaml');
  });
});
