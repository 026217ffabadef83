import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  appDir,
  appValuesFiles,
  closest,
  ENVIRONMENTS_FILE,
  type Diagnostic,
  CHART_DIR,
  CHART_FILE,
  CHART_SCHEMA_FILE,
  MaydayError,
  namespaceFor,
  nullsOverChartMappings,
  platformValues,
  resolveValues,
  validValues,
  type Environment,
  type ResolvedValues,
} from '@mayday/model';
import { HelmError, type HelmTemplate, type HelmTemplateRequest } from './helm.ts';
import { normalizeManifests, type ManifestFile } from './normalize.ts';

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
  return renderValues(context, validValues(resolveValues(context.workspaceRoot, app, env)));
}

/** Renders values already resolved (and checked by the caller): Helm reads the same files, nothing is validated again. */
export async function renderValues(context: RenderContext, values: ResolvedValues): Promise<RenderedEnv> {
  const { workspaceRoot } = context;
  const { app, env, files, layers } = values;
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
      hint: `check ${files.join(' and ')} against ${CHART_SCHEMA_FILE}`,
    });
  }
  const chartVersion =
    /^version:\s*(\S+)/m.exec(readFileSync(join(workspaceRoot, CHART_FILE), 'utf8'))?.[1] ?? 'unknown';
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
