import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  appDir,
  appEnvValuesFile,
  closest,
  ENVIRONMENTS_FILE,
  type Diagnostic,
  appValuesFile,
  CHART_DIR,
  CHART_VALUES_FILE,
  hasErrors,
  MaydayError,
  namespaceFor,
  nullsOverChartMappings,
  readValuesSchema,
  validateValues,
  type Environment,
  type ValuesLayer,
} from '@mayday/model';
import { HelmError, type HelmTemplate, type HelmTemplateRequest } from './helm.ts';
import { normalizeManifests, type ManifestFile } from './normalize.ts';
import { readValuesFile } from './values-files.ts';

export interface RenderContext {
  workspaceRoot: string;
  helmTemplate: HelmTemplate;
}

/** What one app renders to in one env: the files of gitops/<env>/<app>/. */
export interface RenderedEnv {
  app: string;
  env: string;
  namespace: string;
  files: ManifestFile[];
}

/** The values mayday sets for an app in an env, from platform/environments.yaml. */
export function platformValues(env: Environment): Record<string, unknown> {
  return {
    env: env.name,
    cluster: env.cluster.name,
    domain: env.domain,
    gateway: env.gateway,
    rolloutPreset: env.rollout.preset,
    prometheus: env.observability.prometheus ?? { namespace: '', address: '' },
    otlpEndpoint: env.observability.otlpEndpoint ?? '',
    secretStore: env.secretStore ?? { kind: 'ClusterSecretStore', name: '' },
  };
}

/** The values files of an app for an env, in Helm's order: the env file is optional. */
export function appValuesFiles(workspaceRoot: string, app: string, env: string): string[] {
  return [appValuesFile(app), appEnvValuesFile(app, env)].filter(
    (file, i) => i === 0 || existsSync(join(workspaceRoot, file)),
  );
}

/**
 * Loads and checks an app's values for an env: YAML syntax and the chart's values.schema.json,
 * each problem reported at the file and line that set it (Helm would only say "values don't meet the schema").
 */
export function loadAppValues(
  workspaceRoot: string,
  app: string,
  env: Environment,
  files = appValuesFiles(workspaceRoot, app, env.name),
): ValuesLayer[] {
  const layers: ValuesLayer[] = [CHART_VALUES_FILE, ...files]
    .map((file) => readValuesFile(join(workspaceRoot, file), file))
    .map((source) => ({ source, data: source.data }));
  const appValues = layers[1];
  if (appValues && isMapping(appValues.data) && !('team' in appValues.data))
    throw new MaydayError({
      severity: 'error',
      file: appValues.source.file,
      line: 1,
      field: 'team',
      rule: 'values-schema',
      message: 'required field "team" is missing: every app names the team that owns it',
      hint: `set team: <team> in ${appValues.source.file} (and the image and port it runs)`,
    });
  const notMappings = layers.filter((l) => !isMapping(l.data));
  if (notMappings.length)
    throw new MaydayError(
      notMappings.map((l) => ({
        severity: 'error' as const,
        file: l.source.file,
        line: 1,
        field: '(root)',
        rule: 'values-schema',
        message: `must be a mapping of values (key: value), found ${Array.isArray(l.data) ? 'a list' : JSON.stringify(l.data)}`,
        hint: 'write the values as keys at the top level, e.g. `replicas: 2`; a list or a scalar is not a values file',
      })),
    );
  const platform = { platform: platformValues(env) };
  layers.push({
    source: { file: 'platform/environments.yaml', lineOf: () => undefined, has: () => false },
    data: platform,
  });
  const diagnostics = validateValues(readValuesSchema(workspaceRoot), layers);
  if (hasErrors(diagnostics)) throw new MaydayError(diagnostics);
  return layers;
}

/**
 * The one `helm template` call that renders an app in an env; the benchmark's Helm floor uses it
 * too, so both run exactly the same Helm work.
 */
export function helmRequestFor(
  workspaceRoot: string,
  app: string,
  env: Environment,
  files = appValuesFiles(workspaceRoot, app, env.name),
): HelmTemplateRequest {
  return {
    release: app,
    chartDir: join(workspaceRoot, CHART_DIR),
    namespace: namespaceFor(env, app),
    kubeVersion: env.kubernetesVersion,
    valuesFiles: files.map((file) => join(workspaceRoot, file)),
    setJson: { platform: platformValues(env) },
  };
}

/** Renders one app in one env with the base chart and real Helm, then normalises the output. */
export async function renderApp(context: RenderContext, app: string, env: Environment): Promise<RenderedEnv> {
  const { workspaceRoot } = context;
  const files = appValuesFiles(workspaceRoot, app, env.name);
  const layers = loadAppValues(workspaceRoot, app, env, files);
  const request = helmRequestFor(workspaceRoot, app, env, files);
  let output: string;
  try {
    output = await context.helmTemplate(request);
  } catch (error) {
    if (!(error instanceof HelmError)) throw error;
    const nulls = /nil pointer evaluating/.test(error.message) ? nullsOverChartMappings(layers) : [];
    if (nulls.length) throw new MaydayError(nulls);
    throw new MaydayError({
      severity: 'error',
      file: files[files.length - 1],
      rule: 'helm',
      message: `helm template failed for ${app} in ${env.name}:\n${indent(error.message)}`,
      hint: `check ${files.join(' and ')} against ${CHART_DIR}/values.schema.json`,
    });
  }
  const chartVersion =
    /^version:\s*(\S+)/m.exec(readFileSync(join(workspaceRoot, CHART_DIR, 'Chart.yaml'), 'utf8'))?.[1] ?? 'unknown';
  const header = [
    `Rendered by mayday from ${files.join(' + ')} with ${CHART_DIR} ${chartVersion} for env ${env.name}.`,
    `Do not edit: change the app's values and run \`nx run ${app}:render\`.`,
  ];
  return {
    app,
    env: env.name,
    namespace: request.namespace,
    files: normalizeManifests(output, { header, context: `${app} in ${env.name}` }),
  };
}

/**
 * apps/<app>/values-<name>.yaml files whose <name> is no env of platform/environments.yaml (a typo
 * such as values-prod.yaml): Helm would never read them, so they are an error, not a silent ignore.
 */
export function strayEnvValuesFiles(
  workspaceRoot: string,
  app: string,
  envs: readonly Pick<Environment, 'name'>[],
): Diagnostic[] {
  const dir = join(workspaceRoot, appDir(app));
  if (!existsSync(dir)) return [];
  const known = envs.map((e) => e.name);
  return readdirSync(dir)
    .map((file) => [file, /^values-(.+)\.ya?ml$/.exec(file)?.[1]] as const)
    .filter((entry): entry is readonly [string, string] => entry[1] !== undefined && !known.includes(entry[1]))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([file, name]) => {
      const guess = closest(name, known);
      return {
        severity: 'error' as const,
        file: `${appDir(app)}/${file}`,
        rule: 'values-env',
        message: `is for env "${name}", which ${ENVIRONMENTS_FILE} does not declare (envs: ${known.join(', ')}), so nothing reads it`,
        hint: guess
          ? `rename it to values-${guess}.yaml`
          : `rename it to values-<env>.yaml for one of ${known.join(', ')}, or declare "${name}" in ${ENVIRONMENTS_FILE}`,
      };
    });
}

/** Renders every env of an app; nothing is returned unless all envs rendered. */
export async function renderAppEnvs(
  context: RenderContext,
  app: string,
  envs: readonly Environment[],
): Promise<RenderedEnv[]> {
  return Promise.all(envs.map((env) => renderApp(context, app, env)));
}

const indent = (text: string): string =>
  text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');

const isMapping = (value: unknown): value is object =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
