import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MaydayError, type Diagnostic } from './diagnostics.ts';
import type { Environment } from './environments.ts';
import { isRecord, validateValues, type Values, type ValuesLayer } from './values.ts';
import {
  appEnvValuesFile,
  appValuesFile,
  CHART_SCHEMA_FILE,
  CHART_VALUES_FILE,
  ENVIRONMENTS_FILE,
} from './workspace.ts';
import { parseYamlFile, readUserFile, type YamlFile } from './yaml-file.ts';

/** Where the values pipeline reads: the workspace on disk, or an Nx Tree while a generator writes. */
export interface WorkspaceFiles {
  exists(file: string): boolean;
  /** The text of a workspace-relative file; a missing or unreadable one is a MaydayError naming it. */
  read(file: string): string;
}

/** The workspace at `root` on disk, read as a user's files are (no directories, links out or non-UTF-8). */
export function workspaceFiles(root: string): WorkspaceFiles {
  return {
    exists: (file) => existsSync(join(root, file)),
    read: (file) => readUserFile(join(root, file), file),
  };
}

/** An app's values for one env as Helm merges them, read, merged and checked once. */
export interface ResolvedValues {
  app: string;
  env: Environment;
  /** The app's values files Helm reads, in its order; values-<env>.yaml only where it exists. */
  files: string[];
  /** Chart defaults, the app's files, then the platform's values: later layers win. */
  layers: ValuesLayer[];
  /** The chart schema's verdict on the merged values, each at the file and line that set the field. */
  diagnostics: Diagnostic[];
}

/** The values mayday sets for an app in an env, from platform/environments.yaml. */
export function platformValues(env: Environment): Values {
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
export function appValuesFiles(workspace: string | WorkspaceFiles, app: string, env: string): string[] {
  const files = typeof workspace === 'string' ? workspaceFiles(workspace) : workspace;
  return [appValuesFile(app), appEnvValuesFile(app, env)].filter((file, i) => i === 0 || files.exists(file));
}

/**
 * Reads an app's values for an env (YAML syntax, each file a mapping, the app's team named), merges
 * them in Helm's order and checks the result against the chart's values.schema.json. A file that
 * cannot be read as values throws a MaydayError; the schema's findings are returned, for the caller
 * to refuse (render) or report beside its own rules (lint).
 */
export function resolveValues(workspace: string | WorkspaceFiles, app: string, env: Environment): ResolvedValues {
  const reader = typeof workspace === 'string' ? workspaceFiles(workspace) : workspace;
  const files = appValuesFiles(reader, app, env.name);
  const layers: ValuesLayer[] = [CHART_VALUES_FILE, ...files]
    .map((file) => parseValuesFile(file, reader.read(file)))
    .map((source) => ({ source, data: source.data }));
  refuseUnreadableLayers(layers);
  layers.push({
    source: { file: ENVIRONMENTS_FILE, lineOf: () => undefined, has: () => false },
    data: { platform: platformValues(env) },
  });
  return { app, env, files, layers, diagnostics: validateValues(reader.read(CHART_SCHEMA_FILE), layers) };
}

/** The resolved values, or a MaydayError with the schema's errors: what render and promote need. */
export function validValues(resolved: ResolvedValues): ResolvedValues {
  if (resolved.diagnostics.some((d) => d.severity === 'error')) throw new MaydayError(resolved.diagnostics);
  return resolved;
}

function refuseUnreadableLayers(layers: readonly ValuesLayer[]): void {
  const appValues = layers[1];
  if (appValues && isRecord(appValues.data) && !('team' in appValues.data))
    throw new MaydayError({
      severity: 'error',
      file: appValues.source.file,
      line: 1,
      field: 'team',
      rule: 'values-schema',
      message: 'required field "team" is missing: every app names the team that owns it',
      hint: `set team: <team> in ${appValues.source.file} (and the image and port it runs)`,
    });
  const notMappings = layers.filter((l) => !isRecord(l.data));
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
}

const parsed = new Map<string, YamlFile>();
const MAX_PARSED = 1024;

/**
 * A values file parsed once per content: a batch renders every app in every env, and each reads the
 * chart's values.yaml (and the app's values.yaml once per env). Keyed by the text, so an edited file
 * is parsed again; the parsed data is shared, so callers must not mutate it.
 */
function parseValuesFile(file: string, text: string): YamlFile {
  const key = `${file}\0${text}`;
  let yaml = parsed.get(key);
  if (!yaml) {
    yaml = parseYamlFile(file, text);
    if (parsed.size >= MAX_PARSED) parsed.clear();
    parsed.set(key, yaml);
  }
  return yaml;
}
