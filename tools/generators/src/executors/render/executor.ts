import { availableParallelism } from 'node:os';
import { Writable } from 'node:stream';
import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import pc from 'picocolors';
// only the tree writer: the rest of @mayday/gitops (Argo CD models, publishing) costs about a second to load
import { diffTree, writeAppTrees, type TreeChange } from '@mayday/gitops/tree-writer';
import { helmTemplateWith, limitConcurrency, renderAppEnvs, resolveHelm, runPool, type HelmTemplate } from '@mayday/render';
import { findEnvironment, isMaydayError, loadEnvironments, MaydayError, type Environment } from '@mayday/spec';
import { printDiagnostics, runReported } from '../report.ts';

/** One task's result as a batch executor streams it to Nx (nx's BatchExecutorTaskResult, not re-exported by @nx/devkit). */
export interface RenderTaskResult {
  task: string;
  result: { success: boolean; terminalOutput: string; startTime: number; endTime: number };
}

export interface RenderExecutorOptions {
  env?: string[];
  check?: boolean;
}

/** What one render needs besides the app: loaded once per process, shared by every app of a batch. */
interface RenderSession {
  root: string;
  environments: Environment[];
  helmTemplate: HelmTemplate;
}

/** `nx run <app>:render`: every env rendered in memory first, then swapped into gitops/ together. */
export default async function renderExecutor(options: RenderExecutorOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  return runReported(async () => {
    const app = requireProjectName(context);
    const session: RenderSession = { root: context.root, environments: loadEnvironments(context.root), helmTemplate: helmTemplateWith(resolveHelm(context.root)) };
    return renderProject(session, app, options, (line) => console.log(line));
  });
}

/**
 * `nx affected -t render` with many apps: Nx hands every render task to one process (executors.json
 * `preferBatch`), so Node, Nx and the libs load once instead of once per app. At most `parallel`
 * (nx.json, else the CPU count) Helm processes run at a time; each app still swaps its envs in
 * together and reports its own result, as the single-task executor does.
 */
export async function* renderBatchExecutor(
  taskGraph: TaskGraph,
  inputs: Record<string, RenderExecutorOptions>,
  _overrides: RenderExecutorOptions,
  context: ExecutorContext,
): AsyncIterableIterator<RenderTaskResult> {
  const root = context.root;
  const helmSlots = renderParallelism(context);
  const tasks = Object.values(taskGraph.tasks);
  let session: RenderSession | Error;
  try {
    session = { root, environments: loadEnvironments(root), helmTemplate: limitConcurrency(helmSlots, helmTemplateWith(resolveHelm(root))) };
  } catch (error) {
    session = error as Error; // a broken environments.yaml fails every task, each with the diagnostics
  }

  const finished: RenderTaskResult[] = [];
  let wake: (() => void) | undefined;
  const done = runPool(tasks, helmSlots * 2, async (task) => {
    const startTime = Date.now();
    const output: string[] = [];
    const success = await renderReported(async () => {
      if (session instanceof Error) throw session;
      return renderProject(session, task.target.project, inputs[task.id] ?? {}, (line) => output.push(line));
    }, output);
    finished.push({ task: task.id, result: { success, terminalOutput: output.join('\n') + '\n', startTime, endTime: Date.now() } });
    wake?.();
  });
  // hand each app's result to Nx as soon as it is known, while the others still render
  let settled = false;
  void done.finally(() => {
    settled = true;
    wake?.();
  });
  for (let reported = 0; reported < tasks.length; ) {
    if (finished.length === reported && !settled) await new Promise<void>((resolve) => (wake = resolve));
    while (reported < finished.length) yield finished[reported++];
    if (settled && reported === finished.length) break;
  }
  await done;
}

/** Renders one app (all its envs, or those in `options.env`), writes or checks gitops/, and reports each env. */
async function renderProject(session: RenderSession, app: string, options: RenderExecutorOptions, print: (line: string) => void): Promise<boolean> {
  const { root } = session;
  const envs = options.env?.length ? options.env.map((name) => findEnvironment(session.environments, name)) : session.environments;
  const rendered = await renderAppEnvs({ workspaceRoot: root, helmTemplate: session.helmTemplate }, app, envs);
  if (options.check) {
    const changes = rendered.map((tree) => diffTree(root, app, tree));
    changes.forEach((change, i) => print(describe(change, rendered[i].files.length)));
    const stale = changes.filter((c) => c.status !== 'unchanged');
    if (stale.length) {
      throw new MaydayError(
        stale.map((c) => ({ severity: 'error' as const, file: c.path, rule: 'render-check', message: 'is out of date with the app values', hint: `run \`nx run ${app}:render\` and commit gitops/` })),
      );
    }
    return true;
  }
  const changes = writeAppTrees(root, app, rendered);
  changes.forEach((change, i) => print(describe(change, rendered[i].files.length)));
  return true;
}

/**
 * runReported for one task of a batch: a user mistake becomes the task's diagnostics, and a bug
 * fails only its own task, with the stack, instead of ending the whole batch.
 */
async function renderReported(body: () => Promise<boolean>, output: string[]): Promise<boolean> {
  try {
    return await body();
  } catch (error) {
    if (isMaydayError(error)) {
      printDiagnostics(error.diagnostics, linesOf(output));
    } else {
      output.push(error instanceof Error ? (error.stack ?? error.message) : String(error));
    }
    return false;
  }
}

const linesOf = (output: string[]): Writable =>
  new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      output.push(String(chunk).replace(/\n$/, ''));
      callback();
    },
  });

/** Nx's own parallelism (nx.json `parallel`), so a batch uses the cores a non-batch run would. */
export function renderParallelism(context: Pick<ExecutorContext, 'nxJsonConfiguration'>): number {
  const parallel = Number(context.nxJsonConfiguration?.parallel);
  return Number.isInteger(parallel) && parallel > 0 ? parallel : availableParallelism();
}

function describe(change: TreeChange, resources: number): string {
  const detail =
    change.status === 'unchanged'
      ? pc.dim('unchanged')
      : change.status === 'created'
        ? pc.green('created')
        : pc.yellow(
            `updated: ${[
              change.added.length && `${change.added.length} added`,
              change.changed.length && `${change.changed.length} changed`,
              change.removed.length && `${change.removed.length} removed`,
            ]
              .filter(Boolean)
              .join(', ')}`,
          );
  return `  ${pc.green('✔')} ${change.env.padEnd(4)} ${change.path}  ${resources} resources  ${detail}`;
}

export function requireProjectName(context: ExecutorContext): string {
  if (!context.projectName) throw new Error('mayday executors run on a project: use `nx run <app>:<target>`');
  return context.projectName;
}
