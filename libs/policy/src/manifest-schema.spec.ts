import { describe, expect, it } from '@jest/globals';
import { isMaydayError } from '@mayday/model';
import { manifestSchemas } from './manifest-schema.ts';
import { strictSchema } from './strict-schema.ts';

const schemas = manifestSchemas('1.35.0');
const paths = (issues: { path: (string | number)[] }[]) => issues.map((i) => i.path.join('.'));

const deployment = (
  container: Record<string, unknown>,
  strategy: unknown = { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'shop', labels: { a: 'b' } },
  spec: {
    replicas: 2,
    strategy,
    selector: { matchLabels: { a: 'b' } },
    template: {
      metadata: { labels: { a: 'b' } },
      spec: {
        containers: [{ name: 'app', image: 'x:1', resources: { limits: { cpu: '1', memory: '1Gi' } }, ...container }],
      },
    },
  },
});

describe('strictSchema', () => {
  it('closes objects that declare properties, and leaves maps, free-form and preserve-unknown-fields objects open', () => {
    const strict = strictSchema({
      type: 'object',
      properties: {
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        raw: { type: 'object' },
        values: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { a: { type: 'string' } } },
        port: { 'x-kubernetes-int-or-string': true },
        nested: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } },
      },
    });
    expect(strict).toMatchObject({
      additionalProperties: false,
      properties: {
        labels: { additionalProperties: { type: 'string' } },
        port: { anyOf: [{ type: 'integer' }, { type: 'string' }] },
        nested: { items: { additionalProperties: false } },
      },
    });
    expect(strict.properties.raw).not.toHaveProperty('additionalProperties');
    expect(strict.properties.values).not.toHaveProperty('additionalProperties');
  });
});

describe('manifestSchemas (Kubernetes 1.35 OpenAPI, strict)', () => {
  it('accepts a valid Deployment, with int-or-string and quantities in both spellings', async () => {
    expect(await schemas.validate(deployment({}))).toEqual([]);
    expect(
      await schemas.validate(
        deployment({}, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: '10%' } }),
      ),
    ).toEqual([]);
  });

  it('rejects an unknown container field with a suggestion', async () => {
    const issues = await schemas.validate(deployment({ imagee: 'x:1' }));
    expect(issues).toEqual([
      expect.objectContaining({
        path: ['spec', 'template', 'spec', 'containers', 0, 'imagee'],
        kind: 'unknown-field',
        hint: 'did you mean "image"?',
      }),
    ]);
  });

  it('rejects wrong types and missing required fields', async () => {
    const issues = await schemas.validate(deployment({ ports: [{ containerPort: 'http' }], name: undefined }));
    expect(paths(issues).sort()).toEqual([
      'spec.template.spec.containers.0.name',
      'spec.template.spec.containers.0.ports.0.containerPort',
    ]);
    expect(issues.find((i) => i.kind === 'type')?.message).toBe('must be integer, found string "http"');
  });

  it('names the served apiVersion for a kind in a wrong one, and refuses unknown kinds', async () => {
    expect(await schemas.validate({ apiVersion: 'apps/v1beta1', kind: 'Deployment', metadata: { name: 'x' } })).toEqual(
      [expect.objectContaining({ kind: 'unknown-kind', hint: 'Deployment is served as apiVersion apps/v1' })],
    );
    expect((await schemas.validate({ apiVersion: 'v1', kind: 'Secrett', metadata: { name: 'x' } }))[0]).toMatchObject({
      kind: 'unknown-kind',
    });
  });

  it('has no schema for a Kubernetes version it does not vendor, and says how to add it', () => {
    let error: unknown;
    try {
      manifestSchemas('1.20.0');
    } catch (e) {
      error = e;
    }
    expect(isMaydayError(error) && error.diagnostics[0]).toMatchObject({
      file: 'platform/environments.yaml',
      field: 'kubernetesVersion',
    });
  });
});

describe('manifestSchemas (CRDs from the pinned @kubernetes-models packages, strict)', () => {
  const route = {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'shop' },
    spec: {
      parentRefs: [{ name: 'mayday', namespace: 'gateway-system' }],
      hostnames: ['shop.example'],
      rules: [{ backendRefs: [{ name: 'shop', port: 80 }] }],
    },
  };

  it('accepts a valid HTTPRoute and rejects an unknown field in it', async () => {
    expect(await schemas.validate(route)).toEqual([]);
    const typo = {
      ...route,
      spec: { ...route.spec, rules: [{ backendRefs: [{ name: 'shop', port: 80 }], matchez: [] }] },
    };
    expect(paths(await schemas.validate(typo))).toEqual(['spec.rules.0.matchez']);
  });

  it('rejects wrong types in a ServiceMonitor', async () => {
    const monitor = {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: { name: 'shop' },
      spec: { selector: { matchLabels: { a: 'b' } }, endpoints: [{ port: 'metrics', interval: 30 }] },
    };
    expect(paths(await schemas.validate(monitor))).toEqual(['spec.endpoints.0.interval']);
  });

  it('checks a Rollout strictly, its pod template against the core PodTemplateSpec, and a misspelt step among valid ones', async () => {
    const rollout = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'shop' },
      spec: {
        selector: { matchLabels: { a: 'b' } },
        strategy: { canary: { steps: [{ setWeight: 20 }, { pausee: {} }] } },
        template: {
          metadata: { labels: { a: 'b' } },
          spec: { containers: [{ name: 'app', image: 'x:1', imagee: 'x' }] },
        },
      },
    };
    expect(paths(await schemas.validate(rollout)).sort()).toEqual([
      'spec.strategy.canary.steps.1.pausee',
      'spec.template.spec.containers.0.imagee',
    ]);
  });

  it('leaves free-form fields (Argo CD helm valuesObject) open but catches typos around them', async () => {
    const app = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'shop' },
      spec: {
        project: 'payments',
        destination: { server: 'https://kubernetes.default.svc', namespace: 'shop' },
        source: {
          repoURL: 'https://git.example/repo.git',
          path: 'gitops',
          targetRevision: 'main',
          helm: { valuesObject: { anything: { goes: 1 } } },
        },
        syncPolicy: { automated: { prune: true, selfHeall: true } },
      },
    };
    expect(paths(await schemas.validate(app))).toEqual(['spec.syncPolicy.automated.selfHeall']);
  });
});
