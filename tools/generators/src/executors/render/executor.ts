import type { ExecutorContext, TaskGraph } from '@nx/devkit';
// only the tree writer: the rest of @mayday/gitops (Argo CD models, publishing) costs about a second to load
import { changeCounts, diffTree, fileCounts, writeAppTrees, type TreeChange } from '@mayday/gitops/tree-writer';
import {
  renderAppEnvs,
  resolveEngine,
  runPool,
  startEngine,
  strayEnvValuesFiles,
  type RenderedEnv,
  type RenderEngine,
} from '@mayday/render';
import { colours, type Environment, findEnvironment, loadEnvironments, MaydayError } from '@mayday/model';
import { batchParallelism, streamTaskResults, type BatchTaskResult } from '../batch.ts';
import { checkOptions, requireProjectName } from '../options.ts';
import { runReported } from '../report.ts';

export type { BatchTaskResult as RenderTaskResult } from '../batch.ts';

export interface RenderExecutorOptions {
  env?: string[];
  check?: boolean;
}

/** What one render needs besides the app: loaded once per process, shared by every app of a batch. */
interface RenderSession {
  root: string;
  environments: Environment[];
  engine: RenderEngine;
}

function openSession(root: string, parallel?: number): RenderSession {
  const environments = loadEnvironments(root);
  return { root, environments, engine: startEngine(resolveEngine(root), { parallel, eager: true }) };
}

/** `nx run <app>:render`: every env rendered in memory first, then swapped into gitops/ together. */
export default async function renderExecutor(
  options: RenderExecutorOptions,
  context: ExecutorContext,
): Promise<{ success: boolean }> {
  return runReported(async () => {
    const app = requireProjectName(context);
    const session = openSession(context.root);
    try {
      const rendered = await renderProject(session, app, options);
      return publishProject(session, app, rendered, options, (line) => console.log(line));
    } finally {
      await session.engine.close();
    }
  });
}

/**
 * `nx affected -t render` with many apps: Nx hands every render task to one process (executors.json
 * `preferBatch`), so Node, Nx and the libs load once instead of once per app, and one render engine serves
 * every render at Nx's parallelism (nx.json `parallel`, else the CPU count). Every app is rendered in memory
 * first, then written: an engine that dies mid-batch fails the batch with nothing written. Each app still
 * swaps its envs in together and reports its own result, as the single-task executor does.
 */
export async function* renderBatchExecutor(
  taskGraph: TaskGraph,
  inputs: Record<string, RenderExecutorOptions>,
  _overrides: RenderExecutorOptions,
  context: ExecutorContext,
): AsyncIterableIterator<BatchTaskResult> {
  const parallel = batchParallelism(context);
  const tasks = Object.values(taskGraph.tasks);
  let session: RenderSession | Error;
  try {
    session = openSession(context.root, parallel);
  } catch (error) {
    session = error as Error; // a broken environments.yaml fails every task, each with the diagnostics
  }
  const rendered = new Map<string, { trees: RenderedEnv[] } | { error: unknown }>();
  try {
    if (!(session instanceof Error)) {
      const open = session;
      // enough apps in flight that the engine never waits for Node's normalising of the previous ones
      await runPool(tasks, parallel * 4, async (task) => {
        try {
          rendered.set(task.id, { trees: await renderProject(open, task.target.project, inputs[task.id] ?? {}) });
        } catch (error) {
          rendered.set(task.id, { error });
        }
      });
      await open.engine.close();
    }
    yield* streamTaskResults(tasks, 1, async (task, output) => {
      if (session instanceof Error) throw session;
      const result = rendered.get(task.id)!;
      if ('error' in result) throw result.error;
      if (session.engine.failure) throw session.engine.failure;
      return publishProject(session, task.target.project, result.trees, inputs[task.id] ?? {}, (line) =>
        output.push(line),
      );
    });
  } finally {
    if (!(session instanceof Error)) await session.engine.close();
  }
}

/** Renders one app in memory: all its envs, or those in `options.env`. */
async function renderProject(
  session: RenderSession,
  app: string,
  options: RenderExecutorOptions,
): Promise<RenderedEnv[]> {
  checkOptions('render', app, options);
  const envs = options.env?.length
    ? options.env.map((name) => findEnvironment(session.environments, name))
    : session.environments;
  const stray = strayEnvValuesFiles(session.root, app, session.environments);
  if (stray.length) throw new MaydayError(stray);
  return renderAppEnvs({ workspaceRoot: session.root, helmTemplate: session.engine.helmTemplate }, app, envs);
}

/** Writes (or with `--check` only compares) an app's rendered envs into gitops/, and reports each env. */
function publishProject(
  session: RenderSession,
  app: string,
  rendered: RenderedEnv[],
  options: RenderExecutorOptions,
  print: (line: string) => void,
): boolean {
  const { root } = session;
  if (options.check) {
    const changes = rendered.map((tree) => diffTree(root, app, tree));
    changes.forEach((change, i) => print(describeCheck(change, rendered[i].files.length)));
    const stale = changes.filter((c) => c.status !== 'unchanged');
    if (stale.length) {
      throw new MaydayError(
        stale.map((c) => ({
          severity: 'error' as const,
          file: c.path,
          rule: 'render-check',
          message: 'is out of date with the app values',
          hint: `run \`nx run ${app}:render\` and commit gitops/`,
        })),
      );
    }
    return true;
  }
  const changes = writeAppTrees(root, app, rendered);
  changes.forEach((change, i) => print(describe(change, rendered[i].files.length)));
  return true;
}

function describe(change: TreeChange, resources: number): string {
  const detail =
    change.status === 'unchanged'
      ? colours.dim('unchanged')
      : change.status === 'created'
        ? colours.green('created')
        : colours.yellow(`updated: ${counts(change)}`);
  return `  ${colours.green('✔')} ${change.env.padEnd(4)} ${change.path}  ${resources} resources  ${detail}`;
}

/** --check writes nothing: a stale env is a failure (✖, what would change), never a ✔. */
function describeCheck(change: TreeChange, resources: number): string {
  if (change.status === 'unchanged')
    return `  ${colours.green('✔')} ${change.env.padEnd(4)} ${change.path}  ${resources} resources  ${colours.dim('up to date')}`;
  const detail = change.status === 'created' ? 'missing' : `out of date: ${counts(change)}`;
  return `  ${colours.red('✖')} ${change.env.padEnd(4)} ${change.path}  ${resources} resources  ${colours.red(detail)}`;
}

const counts = (change: TreeChange): string => changeCounts(fileCounts(change));
