import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { helmTemplateWith, normalizeManifests, resolveHelm } from '@mayday/render';
import {
  CHART_DIR,
  findEnvironment,
  loadEnvironments,
  mergeValues,
  namespaceFor,
  platformValues,
  type Environment,
  type KubernetesObject,
} from '@mayday/model';

/** The repository this code lives in; chart tests render its real chart with its pinned Helm. */
export const WORKSPACE_ROOT = join(import.meta.dirname, '../../..');
export const CHART_PATH = join(WORKSPACE_ROOT, CHART_DIR);
export const CI_VALUES_DIR = join(CHART_PATH, 'ci');
export const HELM = resolveHelm(WORKSPACE_ROOT);
export const ENVIRONMENTS: Environment[] = loadEnvironments(WORKSPACE_ROOT);

export const STRATEGIES = ['rolling', 'canary', 'blueGreen'] as const;
export type StrategyType = (typeof STRATEGIES)[number];
export const PRESETS = ['fast', 'progressive', 'manual'] as const;

/** What `nx g mayday:app` writes into values.yaml (the app generator's template). */
export const GENERATED_APP_VALUES = {
  team: 'payments',
  image: { repository: 'ghcr.io/mayday/checkout', tag: '1.4.2' },
  port: 8080,
  probes: { liveness: { path: '/healthz' }, readiness: { path: '/readyz' } },
};

/** The ci/*-values.yaml files, chart-testing's convention: each is one lint and render case. */
export function ciValuesFiles(): string[] {
  return readdirSync(CI_VALUES_DIR)
    .filter((file) => file.endsWith('-values.yaml'))
    .sort();
}

export function readCiValues(file: string): Record<string, any> {
  return parse(readFileSync(join(CI_VALUES_DIR, file), 'utf8')) as Record<string, any>;
}

export interface RenderedCase {
  name: string;
  namespace: string;
  objects: KubernetesObject[];
}

/** Renders the base chart with real Helm for one app in one env; `values` are the app's merged values. */
export async function renderChart(
  name: string,
  env: Environment,
  values: Record<string, unknown>,
  app = 'checkout',
): Promise<RenderedCase> {
  const dir = mkdtempSync(join(tmpdir(), 'mayday-chart-'));
  try {
    const file = join(dir, 'values.yaml');
    writeFileSync(file, JSON.stringify(values));
    const namespace = namespaceFor(env, app);
    const output = await helmTemplateWith(HELM)({
      release: app,
      chartDir: CHART_PATH,
      namespace,
      kubeVersion: env.kubernetesVersion,
      valuesFiles: [file],
      setJson: { platform: platformValues(env) },
    });
    return { name, namespace, objects: normalizeManifests(output, { header: [], context: name }).map((f) => f.object) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Renders one ci/*-values.yaml file as it is (its platform block included). */
export async function renderCiValues(file: string, app = 'checkout'): Promise<RenderedCase> {
  const values = readCiValues(file);
  const namespace = `${app}-${values.platform.env}`;
  const output = await helmTemplateWith(HELM)({
    release: app,
    chartDir: CHART_PATH,
    namespace,
    kubeVersion: findEnv(values.platform.env).kubernetesVersion,
    valuesFiles: [join(CI_VALUES_DIR, file)],
    setJson: {},
  });
  return {
    name: file,
    namespace,
    objects: normalizeManifests(output, { header: [], context: file }).map((f) => f.object),
  };
}

export const findEnv = (name: string): Environment => findEnvironment(ENVIRONMENTS, name);

/** A generated app's values in an env (values.yaml + the env's appDefaults), with overrides on top. */
export function appValues(env: Environment, ...overrides: Record<string, unknown>[]): Record<string, unknown> {
  return [env.appDefaults, ...overrides].reduce<Record<string, unknown>>(
    (acc, layer) => mergeValues(acc, layer) as Record<string, unknown>,
    structuredClone(GENERATED_APP_VALUES),
  );
}

export const byKind = (objects: readonly KubernetesObject[], kind: string): any[] =>
  objects.filter((o) => o.kind === kind);
export const one = (objects: readonly KubernetesObject[], kind: string, name?: string): any => {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? `/${name}` : ''}, found ${found.length}`);
  return found[0];
};
