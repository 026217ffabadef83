import { renderValues, type ManifestFile, type RenderContext } from '@mayday/render';
import {
  CHART_VALUES_FILE,
  dotted,
  ENVIRONMENTS_FILE,
  gitopsPath,
  hasErrors,
  isMaydayError,
  namespaceFor,
  parseYamlFile,
  resolveValues,
  type Diagnostic,
  type Environment,
  type ResolvedValues,
  type ValuesLayer,
  type YamlFile,
} from '@mayday/model';
import { evaluatePolicies, loadPolicies, type PolicySet } from './admission-policy.ts';
import { appNamespaceLabels, VALUES_FIELDS_ANNOTATION } from './policy-labels.ts';
import { manifestSchemas } from './manifest-schema.ts';
import { isClusterScoped } from './resource-scope.ts';
import { imagePinDiagnostics, valuesRuleDiagnostics } from './values-rules.ts';
import { loadWaivers, type Waiver } from './waivers.ts';

/** Where in the app's values a finding in a rendered object comes from. */
export interface ValuesSource {
  file: string;
  line?: number;
  field: string;
}

export interface LintFinding extends Diagnostic {
  app: string;
  env: string;
  source?: ValuesSource;
  /** Set when an app waiver turned this finding off. */
  waiver?: { reason: string; file: string; line?: number };
}

export interface EnvLintResult {
  app: string;
  env: string;
  namespace: string;
  policyProfile: string;
  /** Rendered resources checked (0 when the values did not render). */
  resources: number;
  findings: LintFinding[];
  waived: LintFinding[];
}

export interface AppLintResult {
  app: string;
  envs: EnvLintResult[];
  /** Findings about the app as a whole (its waiver file). */
  findings: LintFinding[];
}

export interface LintContext extends RenderContext {
  /** Loaded once per process when linting many apps. */
  policies?: PolicySet;
}

export { appNamespaceLabels, VALUES_FIELDS_ANNOTATION } from './policy-labels.ts';

/**
 * Lints one app in the given envs, in memory: values (syntax, chart schema, mayday rules), then the
 * manifests Helm renders (strict Kubernetes/CRD schemas, then the platform's admission policies).
 * Reads the workspace, writes nothing.
 */
export async function lintApp(context: LintContext, app: string, envs: readonly Environment[]): Promise<AppLintResult> {
  const policies = context.policies ?? loadPolicies(context.workspaceRoot);
  const policyNames = [...policies.policies.keys()];
  const waivers = loadWaivers(
    context.workspaceRoot,
    app,
    policyNames,
    envs.map((e) => e.name),
  );
  const results: EnvLintResult[] = [];
  for (const env of envs)
    results.push(
      await lintAppEnv(
        context,
        policies,
        app,
        env,
        waivers.filter((w) => w.env === env.name),
      ),
    );
  const findings: LintFinding[] = waivers
    .filter((w) => !results.some((r) => r.env === w.env && r.waived.some((f) => f.rule === w.policy)))
    .map((w) => ({
      app,
      env: w.env,
      severity: 'warning',
      file: w.file,
      line: w.line,
      field: 'policy',
      rule: 'policy-waiver',
      message: `waiver for ${w.policy} in ${w.env} matches no finding`,
      hint: 'remove it, so the policy applies again',
    }));
  return { app, envs: results, findings };
}

async function lintAppEnv(
  context: LintContext,
  policies: PolicySet,
  app: string,
  env: Environment,
  waivers: readonly Waiver[],
): Promise<EnvLintResult> {
  const result: EnvLintResult = {
    app,
    env: env.name,
    namespace: namespaceFor(env, app),
    policyProfile: env.policyProfile,
    resources: 0,
    findings: [],
    waived: [],
  };
  const add = (d: Diagnostic & { source?: ValuesSource }) => {
    const finding: LintFinding = { ...d, app, env: env.name };
    const waiver = d.rule ? waivers.find((w) => w.policy === d.rule) : undefined;
    if (waiver)
      result.waived.push({ ...finding, waiver: { reason: waiver.reason, file: waiver.file, line: waiver.line } });
    else result.findings.push(finding);
  };
  const rendered = await renderCheckedValues(context, app, env, add);
  if (!rendered) return result;
  result.resources = rendered.files.length;
  const schemas = manifestSchemas(env.kubernetesVersion);
  const objects = rendered.files.map((f) => f.object as unknown as Record<string, unknown>);
  for (const file of rendered.files) {
    const linted = lintedFile(rendered.values, file);
    for (const issue of await schemas.validate(linted.object)) {
      const source = linted.extraSource(issue.path);
      add({
        severity: 'error',
        file: linted.gitopsFile,
        line: linted.yaml.lineOf(issue.path),
        field: dotted(issue.path),
        rule: 'kubernetes-schema',
        message: `${linted.title}: ${issue.message} (Kubernetes ${env.kubernetesVersion} schema)`,
        hint: withSource(issue.hint, source),
        source,
      });
    }
    policyDiagnostics(policies, rendered.values, linted, objects).forEach(add);
  }
  return result;
}

/** The values checked (chart schema, mayday's rules) and, when they hold, rendered from that one reading. */
async function renderCheckedValues(
  context: LintContext,
  app: string,
  env: Environment,
  add: (d: Diagnostic) => void,
): Promise<{ values: ResolvedValues; files: ManifestFile[] } | undefined> {
  try {
    const values = resolveValues(context.workspaceRoot, app, env);
    const valueProblems = [...valuesDiagnostics(values), ...imagePinDiagnostics(app, env, values.layers)];
    valueProblems.forEach(add);
    if (hasErrors(valueProblems)) return undefined;
    return { values, files: (await renderValues(context, values)).files };
  } catch (error) {
    if (!isMaydayError(error)) throw error;
    error.diagnostics.forEach(add);
    return undefined;
  }
}

/** One rendered file as lint reports on it: its gitops/ path and lines, and the values an extraManifest came from. */
interface LintedFile {
  gitopsFile: string;
  yaml: YamlFile;
  object: Record<string, unknown>;
  file: ManifestFile;
  /** `Deployment shop`, as messages name the object. */
  title: string;
  extraSource(path?: readonly (string | number)[]): ValuesSource | undefined;
}

function lintedFile(values: ResolvedValues, file: ManifestFile): LintedFile {
  const { app, env, layers } = values;
  const gitopsFile = `${gitopsPath(env.name, app)}/${file.fileName}`;
  const object = file.object as unknown as Record<string, unknown>;
  const extraManifests = (mergedValue(layers, ['extraManifests']) ?? []) as {
    kind?: unknown;
    metadata?: { name?: unknown };
  }[];
  const extraIndex = file.template.endsWith('extra-manifests.yaml')
    ? extraManifests.findIndex((m) => m?.kind === object.kind && m?.metadata?.name === file.object.metadata.name)
    : -1;
  return {
    gitopsFile,
    yaml: parseYamlFile(gitopsFile, file.content),
    object,
    file,
    title: `${String(object.kind)} ${file.object.metadata.name}`,
    extraSource: (path = []) =>
      extraIndex < 0
        ? undefined
        : (sourceOf(layers, ['extraManifests', extraIndex, ...path]) ??
          sourceOf(layers, ['extraManifests', extraIndex])),
  };
}

/** The platform's admission policies on one rendered object, in the namespace the app's namespace will be. */
function policyDiagnostics(
  policies: PolicySet,
  values: ResolvedValues,
  linted: LintedFile,
  clusterObjects: Record<string, unknown>[],
): (Diagnostic & { source?: ValuesSource })[] {
  const { app, env, layers } = values;
  const namespace = namespaceFor(env, app);
  const { object } = linted;
  const clusterScoped = isClusterScoped(String(object.apiVersion), String(object.kind));
  const objectNamespace = clusterScoped ? '' : (linted.file.object.metadata.namespace ?? namespace);
  const namespaceObject = clusterScoped
    ? undefined
    : {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name: objectNamespace,
          labels:
            objectNamespace === namespace
              ? appNamespaceLabels(app, env)
              : { 'kubernetes.io/metadata.name': objectNamespace },
        },
      };
  return evaluatePolicies(policies, { object, namespace: objectNamespace, namespaceObject, clusterObjects }).map(
    (finding) => {
      const path = finding.fieldPath ? parseFieldPath(finding.fieldPath) : [];
      const valuesFields = (
        policies.policies.get(finding.policy)?.policy.metadata.annotations?.[VALUES_FIELDS_ANNOTATION] ?? ''
      )
        .split(',')
        .map((f) => f.trim())
        .filter(Boolean);
      const source =
        linted.extraSource(path) ??
        valuesFields.map((f) => sourceOf(layers, parseFieldPath(f), true)).find((s) => s !== undefined);
      return {
        severity: finding.severity,
        file: linted.gitopsFile,
        line: linted.yaml.lineOf(path),
        field: finding.fieldPath,
        rule: finding.policy,
        message: finding.message.includes(linted.title) ? finding.message : `${linted.title}: ${finding.message}`,
        hint: withSource(
          `policy ${finding.policy} in ${finding.policyFile} (binding ${finding.binding}, ${env.policyProfile} profile)`,
          source,
        ),
        source,
      };
    },
  );
}

/** Chart schema and mayday's own rules; where a rule names a field, it replaces the schema's generic message there. */
function valuesDiagnostics(values: ResolvedValues): Diagnostic[] {
  const rules = valuesRuleDiagnostics(values.layers);
  const covered = new Set(rules.map((d) => `${d.file}|${d.field}`));
  const schema = values.diagnostics.filter((d) => !covered.has(`${d.file}|${d.field}`));
  return [...rules, ...schema];
}

function sourceOf(
  layers: readonly ValuesLayer[],
  path: readonly (string | number)[],
  appOnly = false,
): ValuesSource | undefined {
  const candidates = layers.filter(
    (l) => l.source.file !== ENVIRONMENTS_FILE && (!appOnly || l.source.file !== CHART_VALUES_FILE),
  );
  const layer = [...candidates].reverse().find((l) => l.source.has(path));
  return layer ? { file: layer.source.file, line: layer.source.lineOf(path), field: dotted(path) } : undefined;
}

function mergedValue(layers: readonly ValuesLayer[], path: readonly string[]): unknown {
  const layer = [...layers].reverse().find((l) => l.source.has(path));
  return path.reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], layer?.data);
}

function withSource(hint: string | undefined, source: ValuesSource | undefined): string | undefined {
  if (!source) return hint;
  const from = `from ${source.file}${source.line ? `:${source.line}` : ''} (${source.field})`;
  return hint ? `${from}; ${hint}` : from;
}

/** `spec.template.spec.containers[0].image` → `['spec', 'template', 'spec', 'containers', 0, 'image']`. */
export function parseFieldPath(fieldPath: string): (string | number)[] {
  return fieldPath
    .split(/\.|(?=\[)/)
    .filter(Boolean)
    .map((part) => (/^\[\d+\]$/.test(part) ? Number(part.slice(1, -1)) : part.replace(/^\[['"]?|['"]?\]$/g, '')));
}
