import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { createTwoFilesPatch } from 'diff';
import { parse } from 'yaml';
import { GitopsRemote, resourceName, writeAppTrees, type RemoteOptions, type TreeSnapshot } from '@mayday/gitops';
import { lintApp, totals, type AppLintResult } from '@mayday/policy';
import { renderApp, type HelmTemplate, type RenderedEnv } from '@mayday/render';
import {
  appDir,
  appEnvValuesFile,
  editValuesText,
  ENVIRONMENTS_FILE,
  findEnvironment,
  gitopsPath,
  hasErrors,
  MaydayError,
  mergeLayers,
  namespaceFor,
  parseImage,
  resolveValues,
  validValues,
  valueAt,
  type Diagnostic,
  type Environment,
  type ImageRef,
  type ValuesEdit,
} from '@mayday/model';
import { imageOrder, imageText } from './image-order.ts';

/** What one promotion run shares: the published branch read once, one render engine. */
export interface PromotionContext {
  workspaceRoot: string;
  envs: readonly Environment[];
  helmTemplate: HelmTemplate;
  branch: string;
  tip?: string;
  published: TreeSnapshot;
  /** Content of a published file by repository path. */
  publishedFile(path: string): string | undefined;
}

/** Reads the GitOps branch once (its gitops/ tree and every blob) for a run of promotions. */
export async function openPromotionContext(
  options: RemoteOptions & { envs: readonly Environment[]; helmTemplate: HelmTemplate },
): Promise<PromotionContext> {
  const remote = await GitopsRemote.open(options);
  try {
    const tip = await remote.fetchTip();
    const published = await remote.snapshot(tip);
    const blobs = await remote.readBlobs([...published.values()].map((e) => e.sha));
    return {
      workspaceRoot: options.workspaceRoot,
      envs: options.envs,
      helmTemplate: options.helmTemplate,
      branch: remote.branch,
      tip,
      published,
      publishedFile: (path) => {
        const entry = published.get(path);
        return entry ? blobs.get(entry.sha) : undefined;
      },
    };
  } finally {
    remote.close();
  }
}

export interface PromotedKey {
  path: string;
  before: unknown;
  after: unknown;
}

/** Everything a promotion changes, worked out in memory; `applyPromotion` writes it. */
export interface PromotionPlan {
  app: string;
  from: string;
  to: string;
  image: { before: ImageRef; after: ImageRef; order: ReturnType<typeof imageOrder> };
  keys: PromotedKey[];
  valuesFile: string;
  valuesBefore: string;
  valuesAfter: string;
  /** The target env rendered with the promoted values, and how it differs from gitops/<to>/<app> on disk. */
  rendered: RenderedEnv;
  renderedChanges: { file: string; resource: string; status: 'added' | 'changed' | 'removed'; patch: string }[];
  lint: AppLintResult;
}

/** The env pair of a promotion: `to` defaults to the envs that declare one, `from` to what `to` declares. */
export function promotionTargets(
  envs: readonly Environment[],
  options: { from?: string; to?: string },
): { from: Environment; to: Environment }[] {
  const targets = options.to ? [findEnvironment(envs, options.to)] : envs.filter((env) => env.promotion);
  if (targets.length === 0)
    throw promotionError(
      `no env declares promotion.from`,
      'add promotion: { from: stg } to the env that runs what another ran first',
    );
  return targets.map((to) => {
    if (!to.promotion)
      throw promotionError(
        `${to.name} declares no promotion`,
        `add promotion: { from: <env> } to ${to.name}, naming the env whose image it takes`,
        to.name,
      );
    if (options.from && options.from !== to.promotion.from)
      throw promotionError(
        `${to.name} takes its image from ${to.promotion.from}, not from ${options.from}`,
        `run with --from=${to.promotion.from}, or change promotion.from of ${to.name}`,
        to.name,
      );
    return { from: findEnvironment(envs, to.promotion.from), to };
  });
}

function promotionError(message: string, hint: string, env?: string): MaydayError {
  return new MaydayError({
    severity: 'error',
    file: ENVIRONMENTS_FILE,
    field: env ? `${env}.promotion` : 'promotion',
    rule: 'promotion',
    message,
    hint,
  });
}

/**
 * Works out what promoting `app` from one env to the next writes: the image the source env runs as
 * published on the GitOps branch, and the promotable keys of its values, into values-<to>.yaml.
 * Refuses, naming why, when the source env's published render is not the render of the current
 * values, when the image would go backwards, or when the target env's lint fails with the result.
 * Returns undefined when the target already runs what the source runs.
 */
export async function planPromotion(
  context: PromotionContext,
  app: string,
  from: Environment,
  to: Environment,
): Promise<PromotionPlan | undefined> {
  const root = context.workspaceRoot;
  const published = publishedRender(context, app, from);
  await refuseStaleSource(context, app, from, published);
  const fromValues = mergeLayers(validValues(resolveValues(root, app, from)).layers);
  const toValues = mergeLayers(validValues(resolveValues(root, app, to)).layers);
  const image = { before: imageOf(toValues), after: publishedImage(context, app, from, published) };
  const order = imageOrder(image.before, image.after);
  const valuesFile = appEnvValuesFile(app, to.name);
  if (order === 'backward') {
    throw new MaydayError({
      severity: 'error',
      file: valuesFile,
      field: 'image.tag',
      rule: 'promotion',
      message: `${to.name} runs ${imageText(image.before)}; promoting ${from.name}'s ${imageText(image.after)} would take ${app} backwards`,
      hint: `promote once ${from.name} runs a newer version; to roll back on purpose, set image.tag in ${valuesFile} yourself`,
    });
  }
  const keys = (to.promotion?.keys ?? [])
    .map((path) => ({ path, before: valueAt(toValues, path.split('.')), after: valueAt(fromValues, path.split('.')) }))
    .filter((k) => k.after !== undefined && !isDeepStrictEqual(k.before, k.after));
  const edits: ValuesEdit[] = [
    ...imageEdits(image.before, image.after),
    ...keys.map((k) => ({ path: k.path.split('.'), value: k.after })),
  ];
  if (edits.length === 0) return undefined;
  const valuesBefore = existsSync(join(root, valuesFile)) ? readFileSync(join(root, valuesFile), 'utf8') : '';
  const valuesAfter = editValuesText(
    valuesFile,
    valuesBefore || `# ${app} in ${to.name}: overrides of values.yaml for this env only.\n{}\n`,
    edits,
  );
  const { rendered, lint } = await renderAndLintWith(context, app, to, valuesFile, valuesAfter);
  if (hasErrors(lint.envs.flatMap((e) => e.findings))) throw lintRefusal(app, to, lint);
  return {
    app,
    from: from.name,
    to: to.name,
    image: { ...image, order },
    keys,
    valuesFile,
    valuesBefore,
    valuesAfter,
    rendered,
    renderedChanges: renderedChanges(root, app, rendered),
    lint,
  };
}

/** The published files of gitops/<env>/<app>, by file name. */
function publishedRender(context: PromotionContext, app: string, env: Environment): Map<string, string> {
  const folder = gitopsPath(env.name, app);
  const files = new Map<string, string>();
  for (const path of context.published.keys()) {
    if (path.startsWith(`${folder}/`) && path.endsWith('.yaml'))
      files.set(path.slice(folder.length + 1), context.publishedFile(path) ?? '');
  }
  if (files.size === 0) {
    throw new MaydayError({
      severity: 'error',
      file: `${folder} on ${context.branch}`,
      rule: 'promotion',
      message: `${app} is not published in ${env.name} yet: there is nothing it runs there to promote`,
      hint: `publish ${env.name} first (\`nx run ${app}:push\`), let it run, then promote`,
    });
  }
  return files;
}

/** What is published for the source env must be what its current values render: else it is not what they say. */
async function refuseStaleSource(
  context: PromotionContext,
  app: string,
  env: Environment,
  published: Map<string, string>,
): Promise<void> {
  const current = await renderApp(
    { workspaceRoot: context.workspaceRoot, helmTemplate: context.helmTemplate },
    app,
    env,
  );
  const rendered = new Map(current.files.map((f) => [f.fileName, f.content]));
  const differ = [...new Set([...rendered.keys(), ...published.keys()])]
    .filter((f) => rendered.get(f) !== published.get(f))
    .sort();
  if (differ.length === 0) return;
  throw new MaydayError({
    severity: 'error',
    file: `${gitopsPath(env.name, app)} on ${context.branch}`,
    rule: 'promotion',
    message: `${env.name}'s published render of ${app} is not the render of its current values (${differ.join(', ')} differ${context.tip ? ` at ${context.tip.slice(0, 7)}` : ''}): what ${env.name} runs is not what ${appDir(app)}/ says`,
    hint: `push ${env.name} first (\`nx affected -t push\` on the main branch) and let it run there, then promote`,
  });
}

const WORKLOAD_KINDS = new Set(['Deployment', 'Rollout']);

/** The image of the app's container in the source env's published workload. */
function publishedImage(
  context: PromotionContext,
  app: string,
  env: Environment,
  published: Map<string, string>,
): ImageRef {
  for (const [file, content] of published) {
    const object = parse(content) as {
      kind?: string;
      spec?: { template?: { spec?: { containers?: { name: string; image: string }[] } } };
    } | null;
    if (!object?.kind || !WORKLOAD_KINDS.has(object.kind)) continue;
    const container = object.spec?.template?.spec?.containers?.find((c) => c.name === 'app');
    const image = container ? parseImage(container.image) : undefined;
    if (image && !('error' in image)) return image;
    throw new MaydayError({
      severity: 'error',
      file: `${gitopsPath(env.name, app)}/${file} on ${context.branch}`,
      rule: 'promotion',
      message: `${resourceName(content, file)} has no container "app" with a pinned image`,
      hint: 'render and push it again with mayday',
    });
  }
  throw new MaydayError({
    severity: 'error',
    file: `${gitopsPath(env.name, app)} on ${context.branch}`,
    rule: 'promotion',
    message: `${app} publishes no Deployment or Rollout in ${env.name}: there is no image to promote`,
    hint: 'promote apps that run a workload',
  });
}

function imageOf(values: Record<string, unknown>): ImageRef {
  const image = (values.image ?? {}) as { repository?: string; tag?: string; digest?: string };
  return {
    repository: image.repository ?? '',
    ...(image.tag && { tag: image.tag }),
    ...(image.digest && { digest: image.digest }),
  };
}

/** Only the image fields that differ; an empty tag or digest overrides what values.yaml sets. */
function imageEdits(before: ImageRef, after: ImageRef): ValuesEdit[] {
  const edits: ValuesEdit[] = [];
  if (before.repository !== after.repository) edits.push({ path: ['image', 'repository'], value: after.repository });
  if ((before.tag ?? '') !== (after.tag ?? '')) edits.push({ path: ['image', 'tag'], value: after.tag ?? '' });
  if ((before.digest ?? '') !== (after.digest ?? ''))
    edits.push({ path: ['image', 'digest'], value: after.digest ?? '' });
  return edits;
}

/**
 * Renders and lints the target env with the promoted values file, in a scratch workspace that holds
 * the app with that file and links platform/: the workspace itself is not touched until it all passes.
 */
async function renderAndLintWith(
  context: PromotionContext,
  app: string,
  env: Environment,
  valuesFile: string,
  text: string,
): Promise<{ rendered: RenderedEnv; lint: AppLintResult }> {
  const scratch = mkdtempSync(join(tmpdir(), 'mayday-promote-'));
  try {
    symlinkSync(join(context.workspaceRoot, 'platform'), join(scratch, 'platform'));
    mkdirSync(join(scratch, 'apps'));
    cpSync(join(context.workspaceRoot, appDir(app)), join(scratch, appDir(app)), { recursive: true });
    writeFileSync(join(scratch, valuesFile), text);
    const renderContext = { workspaceRoot: scratch, helmTemplate: context.helmTemplate };
    return { rendered: await renderApp(renderContext, app, env), lint: await lintApp(renderContext, app, [env]) };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function lintRefusal(app: string, env: Environment, lint: AppLintResult): MaydayError {
  const errors = lint.envs.flatMap((e) => e.findings).filter((f) => f.severity === 'error');
  const lead: Diagnostic = {
    severity: 'error',
    file: appEnvValuesFile(app, env.name),
    rule: 'promotion',
    message: `not promoted: ${app} fails lint in ${env.name} (${namespaceFor(env, app)}, ${env.policyProfile}) with the promoted values (${totals([lint]).errors} errors below)`,
    hint: `fix what lint reports in ${appDir(app)}/, then promote again; nothing was written`,
  };
  return new MaydayError([lead, ...errors]);
}

function renderedChanges(root: string, app: string, rendered: RenderedEnv): PromotionPlan['renderedChanges'] {
  const folder = gitopsPath(rendered.env, app);
  const next = new Map(rendered.files.map((f) => [f.fileName, f.content]));
  const current = new Map<string, string>();
  for (const file of existsSync(join(root, folder)) ? readdirYaml(join(root, folder)) : [])
    current.set(file, readFileSync(join(root, folder, file), 'utf8'));
  return [...new Set([...current.keys(), ...next.keys()])]
    .sort()
    .filter((file) => current.get(file) !== next.get(file))
    .map((file) => {
      const before = current.get(file);
      const after = next.get(file);
      const status = before === undefined ? 'added' : after === undefined ? 'removed' : 'changed';
      const patch = createTwoFilesPatch(
        `a/${folder}/${file}`,
        `b/${folder}/${file}`,
        before ?? '',
        after ?? '',
        undefined,
        undefined,
        { context: 2 },
      ).replace(/^=+\n/, '');
      return { file, resource: resourceName(after ?? before ?? '', file), status, patch };
    });
}

const readdirYaml = (dir: string): string[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort();

/** Writes the promoted values file and the target env's folder in gitops/: a normal change to commit and review. */
export function applyPromotion(root: string, plan: PromotionPlan): void {
  writeFileSync(join(root, plan.valuesFile), plan.valuesAfter);
  writeAppTrees(root, plan.app, [{ env: plan.rendered.env, files: plan.rendered.files }]);
}
