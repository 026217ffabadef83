import type { ExecutorContext } from '@nx/devkit';
import pc from 'picocolors';
import { diffTree, writeAppTrees, type TreeChange } from '@mayday/gitops';
import { helmTemplateWith, renderAppEnvs, resolveHelm } from '@mayday/render';
import { findEnvironment, loadEnvironments, MaydayError } from '@mayday/spec';
import { runReported } from '../report.ts';

export interface RenderExecutorOptions {
  env?: string[];
  check?: boolean;
}

/** `nx run <app>:render`: every env rendered in memory first, then swapped into gitops/ together. */
export default async function renderExecutor(options: RenderExecutorOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  return runReported(async () => {
    const app = requireProjectName(context);
    const root = context.root;
    const all = loadEnvironments(root);
    const envs = options.env?.length ? options.env.map((name) => findEnvironment(all, name)) : all;
    const rendered = await renderAppEnvs({ workspaceRoot: root, helmTemplate: helmTemplateWith(resolveHelm(root)) }, app, envs);
    if (options.check) {
      const changes = rendered.map((tree) => diffTree(root, app, tree));
      changes.forEach((change, i) => console.log(describe(change, rendered[i].files.length)));
      const stale = changes.filter((c) => c.status !== 'unchanged');
      if (stale.length) {
        throw new MaydayError(
          stale.map((c) => ({ severity: 'error' as const, file: c.path, rule: 'render-check', message: 'is out of date with the app values', hint: `run \`nx run ${app}:render\` and commit gitops/` })),
        );
      }
      return true;
    }
    const changes = writeAppTrees(root, app, rendered);
    changes.forEach((change, i) => console.log(describe(change, rendered[i].files.length)));
    return true;
  });
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
