import { join } from 'node:path';
import { z } from 'zod';
import { MaydayError } from './diagnostics.ts';
import { dnsLabel, DNS1123_LABEL_MAX, HELM_RELEASE_NAME_MAX } from './naming.ts';
import { readYamlFile, type YamlFile } from './yaml-file.ts';
import { ENVIRONMENTS_FILE } from './workspace.ts';
import { zodDiagnostics } from './zod-diagnostics.ts';

const kubernetesVersion = z
  .string()
  .regex(/^1\.\d+\.\d+$/, 'kubernetesVersion must be a full Kubernetes version such as "1.35.0"');

const namespaceRule = z
  .string()
  .regex(/^[a-z0-9{}-]+$/, 'namespace may use lowercase letters, digits, "-" and the placeholders {app} and {env}')
  .refine(
    (rule) => rule.replace(/\{(app|env)\}/g, '').indexOf('{') === -1,
    'namespace knows only the placeholders {app} and {env}',
  )
  .refine((rule) => rule.includes('{app}'), 'namespace must contain {app}, so that every app gets its own namespace');

export const environmentSchema = z.strictObject({
  name: dnsLabel('an environment name').max(12, 'an environment name must be at most 12 characters'),
  description: z.string().optional(),
  cluster: z.strictObject({
    name: dnsLabel('cluster.name'),
    server: z.url({ message: 'cluster.server must be the cluster API URL, e.g. https://kubernetes.default.svc' }),
  }),
  kubernetesVersion,
  namespace: namespaceRule.default('{app}-{env}'),
  policyProfile: z.enum(['baseline', 'strict']),
  /** Base domain for app hostnames: `<app>.<domain>`. */
  domain: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'domain must be a DNS name such as stg.example.com'),
  /** The shared Gateway (Gateway API) that apps' HTTPRoutes attach to. */
  gateway: z
    .strictObject({ name: dnsLabel('gateway.name'), namespace: dnsLabel('gateway.namespace') })
    .default({ name: 'mayday', namespace: 'gateway-system' }),
  /** How canary and blueGreen rollouts proceed here unless an app picks its own preset (the chart defines the presets). */
  rollout: z
    .strictObject({
      preset: z.enum(['fast', 'progressive', 'manual'], {
        message: 'rollout.preset must be fast, progressive or manual',
      }),
    })
    .default({ preset: 'fast' }),
  /** Where apps' telemetry goes: Prometheus (scrapes, analysis queries) and the OpenTelemetry collector. */
  observability: z
    .strictObject({
      prometheus: z
        .strictObject({
          namespace: dnsLabel('observability.prometheus.namespace'),
          address: z.url({
            message:
              'observability.prometheus.address must be the Prometheus URL, e.g. http://prometheus-operated.monitoring.svc:9090',
          }),
        })
        .optional(),
      otlpEndpoint: z
        .url({
          message:
            'observability.otlpEndpoint must be the collector URL, e.g. http://otel-collector.observability.svc:4317',
        })
        .optional(),
    })
    .default({}),
  /** The External Secrets Operator store apps' ExternalSecrets read from. */
  secretStore: z
    .strictObject({
      kind: z.enum(['ClusterSecretStore', 'SecretStore']).default('ClusterSecretStore'),
      name: dnsLabel('secretStore.name'),
    })
    .optional(),
  /** Values every new app starts with in this env (written by the generator into values-<env>.yaml). */
  appDefaults: z.record(z.string(), z.unknown()).default({}),
  /** Removing an app that runs here (`nx g mayday:remove`) needs `--confirm=<app>`. */
  deletionProtection: z.boolean().default(false),
  /** This env runs what another env ran first: `nx run <app>:promote` copies the image and these values keys. */
  promotion: z
    .strictObject({
      from: dnsLabel('promotion.from'),
      keys: z
        .array(
          z
            .string()
            .regex(
              /^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*$/,
              'promotion.keys are dotted values paths such as probes.readiness.path',
            ),
        )
        .default([]),
    })
    .optional(),
});

export const environmentsFileSchema = z.strictObject({
  environments: z
    .array(environmentSchema)
    .min(1, 'declare at least one environment')
    .superRefine((envs, ctx) => {
      const seen = new Set<string>();
      envs.forEach((env, i) => {
        if (seen.has(env.name))
          ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `environment "${env.name}" is declared twice` });
        seen.add(env.name);
      });
      envs.forEach((env, i) => {
        const from = env.promotion?.from;
        if (from !== undefined && (from === env.name || !envs.some((e) => e.name === from)))
          ctx.addIssue({
            code: 'custom',
            path: [i, 'promotion', 'from'],
            message: `promotion.from "${from}" must name another declared environment (${envs
              .filter((e) => e.name !== env.name)
              .map((e) => e.name)
              .join(', ')})`,
          });
      });
    }),
});

export type Environment = z.infer<typeof environmentSchema>;
export type EnvironmentsFile = z.infer<typeof environmentsFileSchema>;

/** Reads and validates platform/environments.yaml; errors name the file, line and field. */
export function loadEnvironments(workspaceRoot: string): Environment[] {
  return parseEnvironments(readYamlFile(join(workspaceRoot, ENVIRONMENTS_FILE), ENVIRONMENTS_FILE));
}

export function parseEnvironments(source: YamlFile): Environment[] {
  const parsed = environmentsFileSchema.safeParse(source.data);
  if (!parsed.success) {
    throw new MaydayError(
      zodDiagnostics(
        source,
        parsed.error.issues,
        'environments',
        `fix ${source.file}; see the comments at its top`,
        environmentsFileSchema,
      ),
    );
  }
  return parsed.data.environments;
}

/** The namespace an app runs in, in one env (the env's namespace rule, default `<app>-<env>`). */
export function namespaceFor(env: Pick<Environment, 'name' | 'namespace'>, app: string): string {
  return env.namespace.replaceAll('{app}', app).replaceAll('{env}', env.name);
}

/** The longest app name whose namespaces (and `<app>-<env>` Application names) stay valid DNS labels. */
export function maxAppNameLength(envs: readonly Environment[]): number {
  const overhead = Math.max(...envs.map((env) => Math.max(namespaceFor(env, '').length, `-${env.name}`.length)));
  return Math.min(HELM_RELEASE_NAME_MAX, DNS1123_LABEL_MAX - overhead);
}

export function findEnvironment(envs: readonly Environment[], name: string): Environment {
  const env = envs.find((e) => e.name === name);
  if (!env) {
    throw new MaydayError({
      severity: 'error',
      file: ENVIRONMENTS_FILE,
      message: `unknown environment "${name}"`,
      hint: `use one of: ${envs.map((e) => e.name).join(', ')}`,
    });
  }
  return env;
}

/** Labels mayday puts on app namespaces (Argo CD sets them; admission policy bindings select on them). */
export const APP_LABEL = 'mayday.dev/app';
export const ENV_LABEL = 'mayday.dev/env';
export const POLICY_PROFILE_LABEL = 'mayday.dev/policy-profile';
/** Kubernetes' own Pod Security admission: app namespaces enforce the restricted level the chart's pods meet. */
export const POD_SECURITY_LABEL = 'pod-security.kubernetes.io/enforce';

/** `env` may hold template placeholders (the ApplicationSet fills them per app). */
export function namespaceLabels(app: string, env: { name: string; policyProfile: string }): Record<string, string> {
  return {
    [APP_LABEL]: app,
    [ENV_LABEL]: env.name,
    [POLICY_PROFILE_LABEL]: env.policyProfile,
    [POD_SECURITY_LABEL]: 'restricted',
  };
}
