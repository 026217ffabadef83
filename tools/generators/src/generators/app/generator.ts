import { join } from 'node:path';
import { generateFiles, globAsync, logger, type GeneratorCallback, type Tree } from '@nx/devkit';
import { stringify } from 'yaml';
import {
  APPS_DIR,
  appDir,
  appEnvValuesFile,
  CHART_SCHEMA_FILE,
  DNS1123_LABEL,
  ENVIRONMENTS_FILE,
  findTeam,
  formatDiagnostic,
  imagePinBlock,
  isMaydayError,
  isPort,
  maxAppNameLength,
  namespaceFor,
  parseEnvironments,
  parseImage,
  parseTeams,
  parseYamlFile,
  POLICIES_DIR,
  resolveValues,
  TEAMS_FILE,
  type Diagnostic,
  type Environment,
  type ImageRef,
  type WorkspaceFiles,
} from '@mayday/model';
import { imageAdmission, loadPolicyText, type PolicySet } from '@mayday/policy/image-admission';
import { PLATFORM_PROJECTS } from '../../plugin/create-nodes.ts';

/** What `nx g mayday:app` accepts (see schema.json for the prompts). */
export interface AppGeneratorSchema {
  name: string;
  team: string;
  port?: number;
  image: string;
  description?: string;
}

interface NormalizedOptions {
  name: string;
  team: string;
  port: number;
  image: ImageRef;
  imageText: string;
  description: string;
  envs: Environment[];
}

/** `nx g mayday:app <name> --team --port --image`: refuses bad input before writing anything. */
export default async function appGenerator(tree: Tree, raw: AppGeneratorSchema): Promise<GeneratorCallback> {
  const options = normalizeOptions(tree, raw);
  await refuseExistingProject(tree, options.name);
  checkImageAgainstPolicies(tree, options);
  addAppFiles(tree, options);
  addEnvValuesFiles(tree, options);
  checkValuesAgainstChartSchema(tree, options);
  return () => logger.info(nextSteps(options));
}

/** What to do after CREATE, printed once the files are written. */
export function nextSteps(options: Pick<NormalizedOptions, 'name' | 'envs'>): string {
  const app = options.name;
  return [
    '',
    `Next steps for ${app}:`,
    `  nx run ${app}:render     # real Helm → ${options.envs.map((env) => `gitops/${env.name}/${app}/`).join(', ')}`,
    `  nx run ${app}:lint       # strict schemas and platform/policies, per env`,
    `  git add apps/${app} gitops && git commit -m "${app}: new app"`,
    `  nx run ${app}:push       # publish to the GitOps branch of platform/gitops.yaml (after the commit)`,
  ].join('\n');
}

/** Nx needs project names to be unique: an app named like a platform folder or a package breaks every nx command. */
async function refuseExistingProject(tree: Tree, name: string): Promise<void> {
  const taken = new Set(Object.keys(PLATFORM_PROJECTS));
  for (const file of await globAsync(tree, ['*/**/package.json', '**/project.json'])) {
    if (file.includes('node_modules/') || file.startsWith(`${APPS_DIR}/`)) continue;
    const projectName = (JSON.parse(tree.read(file, 'utf8') ?? '{}') as { name?: unknown }).name;
    if (typeof projectName === 'string') taken.add(projectName);
  }
  if (taken.has(name))
    fail(
      `app name "${name}" is taken by an Nx project of this workspace or one mayday reserves for platform/ (${[...taken]
        .filter((n) => !n.includes('/'))
        .sort()
        .join(', ')}): choose another name`,
    );
}

/** The image rules of platform/policies, evaluated now as lint and admission will: one rule, one place. */
function checkImageAgainstPolicies(tree: Tree, options: NormalizedOptions): void {
  if (!tree.exists(POLICIES_DIR)) return;
  const policies: PolicySet = { policies: new Map(), bindings: [], documents: [] };
  for (const file of tree
    .children(POLICIES_DIR)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort())
    loadPolicyText(policies, `${POLICIES_DIR}/${file}`, tree.read(`${POLICIES_DIR}/${file}`, 'utf8') ?? '');
  policies.bindings = policies.bindings.filter((b) => policies.policies.has(b.binding.spec.policyName));
  const denied: string[] = [];
  for (const env of options.envs) {
    for (const finding of imageAdmission(policies, options.name, env, options.imageText)) {
      const line = `${env.name} (${env.policyProfile}): ${finding.message} (policy ${finding.policy} in ${finding.policyFile})`;
      if (finding.severity === 'error') denied.push(line);
      else logger.warn(`--image ${options.imageText}: lint and admission will warn in ${line}`);
    }
  }
  if (denied.length)
    fail(
      `--image ${options.imageText} would be refused by lint and at admission in\n  ${denied.join('\n  ')}\nuse a semver tag or a digest, e.g. ghcr.io/acme/shop:1.4.2`,
    );
}

export function normalizeOptions(tree: Tree, raw: AppGeneratorSchema): NormalizedOptions {
  const envs = readEnvironments(tree);
  const name = String(raw.name ?? '').trim();
  const team = String(raw.team ?? '').trim();
  const port = Number(raw.port ?? 8080);
  const maxLength = maxAppNameLength(envs);
  if (!DNS1123_LABEL.test(name)) {
    fail(
      `app name "${name}" is not a DNS-1123 label: use lowercase letters, digits and '-', starting and ending with a letter or digit (e.g. shop or order-api)`,
    );
  }
  if (!/^[a-z]/.test(name))
    fail(`app name "${name}" must start with a letter (it becomes an Nx project and Helm release name)`);
  if (name.startsWith('kube-'))
    fail(
      `app name "${name}" starts with "kube-": Kubernetes reserves namespaces beginning with kube- for itself; choose another name`,
    );
  if (name.length > maxLength) {
    const longest = envs.map((env) => namespaceFor(env, name)).sort((a, b) => b.length - a.length)[0];
    fail(
      `app name "${name}" is ${name.length} characters; at most ${maxLength} fit, so that namespaces such as "${longest}" stay within 63 characters and the Helm release name within 53`,
    );
  }
  if (tree.exists(appDir(name)))
    fail(`app "${name}" already exists at ${appDir(name)}/: choose another name, or edit its values files`);
  if (!DNS1123_LABEL.test(team) || team.length > 63)
    fail(`--team "${team}" must be a DNS label such as payments (lowercase letters, digits and '-')`);
  const owner = findTeam(readTeams(tree), team);
  if ('error' in owner) fail(`--team: ${owner.error}`);
  const typed = typedOption('port');
  if (typed !== undefined && !/^[1-9][0-9]*$/.test(typed))
    fail(
      `--port ${typed}: write the port in plain digits, e.g. --port=8080 (Nx reads "${typed}" as the number ${port})`,
    );
  if (!isPort(port)) fail(`--port ${raw.port} must be a whole number from 1 to 65535`);
  if (port < 1024)
    logger.warn(
      `--port ${port} is below 1024: the container runs as non-root with every capability dropped, so it can listen there only where the runtime sets net.ipv4.ip_unprivileged_port_start=0 (containerd 2 and Docker do); 8080 works everywhere`,
    );
  const imageText = String(raw.image ?? '').trim();
  if (!imageText)
    fail('--image is required: a container image with a pinned tag or digest, e.g. ghcr.io/acme/shop:1.4.2');
  const image = parseImage(imageText);
  if ('error' in image) fail(`--image: ${image.error}`);
  return {
    name,
    team,
    port,
    image,
    imageText: String(raw.image).trim(),
    description: raw.description?.trim() || `${name}, a service of the ${team} team.`,
    envs,
  };
}

function addAppFiles(tree: Tree, options: NormalizedOptions): void {
  const envs = options.envs.map((env) => ({
    name: env.name,
    domain: env.domain,
    namespace: namespaceFor(env, options.name),
  }));
  generateFiles(tree, join(import.meta.dirname, 'files'), appDir(options.name), { ...options, envs, tmpl: '' });
}

/** values-<env>.yaml for every env, seeded from the env's appDefaults (prd: replicas, PDB, autoscaling). */
function addEnvValuesFiles(tree: Tree, options: NormalizedOptions): void {
  for (const env of options.envs) {
    const header = [
      `# ${options.name} in ${env.name}: overrides of values.yaml for this env only.`,
      `# Seeded from appDefaults of ${env.name} in ${ENVIRONMENTS_FILE}; namespace ${namespaceFor(env, options.name)}.`,
    ].join('\n');
    const defaults = Object.keys(env.appDefaults).length ? stringify(env.appDefaults, { lineWidth: 0 }) : '';
    const body =
      defaults + (env.promotion ? imagePinBlock(options.name, env.promotion.from, options.image) : '') || '{}\n';
    tree.write(appEnvValuesFile(options.name, env.name), `${header}\n${body}`);
  }
}

/** The chart's values.schema.json is the one schema: what the generator writes must pass it, as render reads it. */
function checkValuesAgainstChartSchema(tree: Tree, options: NormalizedOptions): void {
  if (!tree.exists(CHART_SCHEMA_FILE))
    fail(`${CHART_SCHEMA_FILE} is missing: the generator checks new apps against the base chart's schema`);
  const files: WorkspaceFiles = {
    exists: (file) => tree.exists(file),
    read: (file) => tree.read(file, 'utf8') ?? fail(`${file} is missing`),
  };
  for (const env of options.envs) {
    let diagnostics: Diagnostic[];
    try {
      diagnostics = resolveValues(files, options.name, env).diagnostics;
    } catch (error) {
      if (!isMaydayError(error)) throw error;
      diagnostics = error.diagnostics;
    }
    if (diagnostics.length)
      fail(
        `the values generated for ${env.name} do not pass ${CHART_SCHEMA_FILE}:\n${diagnostics.map(formatDiagnostic).join('\n')}`,
      );
  }
}

function readEnvironments(tree: Tree): Environment[] {
  const text = tree.read(ENVIRONMENTS_FILE, 'utf8');
  if (text === null)
    fail(`${ENVIRONMENTS_FILE} not found: run the generator in a mayday workspace (apps go in ${APPS_DIR}/)`);
  try {
    return parseEnvironments(parseYamlFile(ENVIRONMENTS_FILE, text));
  } catch (error) {
    fail((error as Error).message);
  }
}

/** platform/teams.yaml is the one list of teams: an app's owner must be one of them. */
function readTeams(tree: Tree) {
  const text = tree.read(TEAMS_FILE, 'utf8');
  if (text === null) fail(`${TEAMS_FILE} not found: it lists the teams that can own apps`);
  try {
    return parseTeams(parseYamlFile(TEAMS_FILE, text));
  } catch (error) {
    fail((error as Error).message);
  }
}

function fail(message: string): never {
  throw new Error(message);
}

/**
 * The text of `--<name>` as typed on the command line, before Nx turns it into a number (`1e3` is 1000, `08080` is
 * 8080 by then). Undefined when the option was not typed (a prompt's answer, the portal, a test).
 */
export function typedOption(name: string, argv: readonly string[] = process.argv): string | undefined {
  for (let i = argv.length - 1; i >= 0; i--) {
    const arg = argv[i]!;
    if (arg.startsWith(`--${name}=`)) return arg.slice(name.length + 3);
    if (arg === `--${name}` && i + 1 < argv.length) return argv[i + 1];
  }
  return undefined;
}
