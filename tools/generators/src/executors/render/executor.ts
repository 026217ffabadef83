import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import pc from 'picocolors';
// only the tree writer: the rest of @mayday/gitops (Argo CD models, publishing) costs about a second to load
import { diffTree, writeAppTrees, type TreeChange } from '@mayday/gitops/tree-writer';
import { helmTemplateWith, limitConcurrency, renderAppEnvs, resolveHelm, type HelmTemplate } from '@mayday/render';
import { findEnvironment, loadEnvironments, MaydayError, type Environment } from '@mayday/model';
import { batchParallelism, streamTaskResults, type BatchTaskResult } from '../batch.ts';
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
  helmTemplate: HelmTemplate;
}

/** `nx run <app>:render`: every env rendered in memory first, then swapped into gitops/ together. */
export default async function renderExecutor(
  options: RenderExecutorOptions,
  context: ExecutorContext,
): Promise<{ success: boolean }> {
  return runReported(async () => {
    const app = requireProjectName(context);
    const session: RenderSession = {
      root: context.root,
      environments: loadEnvironments(context.root),
      helmTemplate: helmTemplateWith(resolveHelm(context.root)),
    };
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
): AsyncIterableIterator<BatchTaskResult> {
  const root = context.root;
  const helmSlots = batchParallelism(context);
  let session: RenderSession | Error;
  try {
    session = {
      root,
      environments: loadEnvironments(root),
      helmTemplate: limitConcurrency(helmSlots, helmTemplateWith(resolveHelm(root))),
    };
  } catch (error) {
    session = error as Error; // a broken environments.yaml fails every task, each with the diagnostics
  }

  yield* streamTaskResults(Object.values(taskGraph.tasks), helmSlots * 2, async (task, output) => {
    if (session instanceof Error) throw session;
    return renderProject(session, task.target.project, inputs[task.id] ?? {}, (line) => output.push(line));
  });
}

/** Renders one app (all its envs, or those in `options.env`), writes or checks gitops/, and reports each env. */
async function renderProject(
  session: RenderSession,
  app: string,
  options: RenderExecutorOptions,
  print: (line: string) => void,
): Promise<boolean> {
  const { root } = session;
  const envs = options.env?.length
    ? options.env.map((name) => findEnvironment(session.environments, name))
    : session.environments;
  const rendered = await renderAppEnvs({ workspaceRoot: root, helmTemplate: session.helmTemplate }, app, envs);
  if (options.check) {
    const changes = rendered.map((tree) => diffTree(root, app, tree));
    changes.forEach((change, i) => print(describe(change, rendered[i].files.length)));
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
