import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import { diffGitops, formatDiffMarkdown, formatDiffText, loadGitopsConfig, type GitopsDiff } from '@mayday/gitops';
import { runWholeBatch, type BatchTaskResult } from '../batch.ts';
import { checkOptions, requireProjectName } from '../options.ts';
import { runReported } from '../report.ts';

export interface DiffExecutorOptions {
  format?: 'text' | 'markdown';
  /** Also write the markdown summary to this file (for a pull-request comment). */
  output?: string;
  remote?: string;
  branch?: string;
  /** The ref the change forks from, whose platform/argocd/ the Applications are compared with. */
  base?: string;
}

/** `nx run <app>:diff`: what push would change for one app, per env, against the published branch. */
export default async function diffExecutor(
  options: DiffExecutorOptions,
  context: ExecutorContext,
): Promise<{ success: boolean }> {
  const app = requireProjectName(context);
  return runReported(async () => {
    checkOptions('diff', app, options);
    process.stdout.write(await diffReport(context, [app], options));
    return true;
  });
}

/** `nx affected -t diff`: one fetch and one report (one PR comment) for every app of the run. */
export async function diffBatchExecutor(
  taskGraph: TaskGraph,
  inputs: Record<string, DiffExecutorOptions>,
  overrides: DiffExecutorOptions,
  context: ExecutorContext,
): Promise<Record<string, BatchTaskResult['result']>> {
  return runWholeBatch(taskGraph, inputs, overrides, async (apps, options, log) => {
    checkOptions('diff', apps[0], options);
    log((await diffReport(context, apps, options)).replace(/\n$/, ''));
    return true;
  });
}

async function diffReport(context: ExecutorContext, apps: string[], options: DiffExecutorOptions): Promise<string> {
  const root = context.root;
  const diff: GitopsDiff = await diffGitops({
    workspaceRoot: root,
    apps,
    config: loadGitopsConfig(root),
    remote: options.remote,
    branch: options.branch,
    // as `nx affected` picks its base: the option, then NX_BASE (CI), then nx.json
    base: options.base ?? process.env.NX_BASE ?? context.nxJsonConfiguration?.defaultBase ?? 'main',
  });
  if (options.output) {
    const file = resolve(root, options.output);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, formatDiffMarkdown(diff));
  }
  return options.format === 'markdown' ? formatDiffMarkdown(diff) : formatDiffText(diff);
}
