import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import { describeChange, loadGitopsConfig, publishGitops, refusalDiagnostic, type PublishResult } from '@mayday/gitops';
import { colours } from '@mayday/model';
import { runWholeBatch, type BatchTaskResult } from '../batch.ts';
import { checkOptions, requireProjectName } from '../options.ts';
import { colouredDiagnostic, printDiagnostics, runReported } from '../report.ts';

export interface PushExecutorOptions {
  /** Publish to this repository instead of platform/gitops.yaml's (a fork, a test remote). */
  remote?: string;
  /** Publish to this branch instead of platform/gitops.yaml's. */
  branch?: string;
  /** Replace renders of a source this run does not descend from (a rollback); logged in the commit. */
  force?: boolean;
  /** Publish files that differ from HEAD (a human trying something); logged in the commit. */
  allowDirty?: boolean;
}

/** `nx run <app>:push`: publishes one app's gitops folders. */
export default async function pushExecutor(
  options: PushExecutorOptions,
  context: ExecutorContext,
): Promise<{ success: boolean }> {
  const app = requireProjectName(context);
  return runReported(async () => {
    checkOptions('push', app, options);
    const result = await publish(context.root, [app], options, (line) => console.log(line));
    console.log(report(result));
    printDiagnostics(result.refused.map((r) => refusalDiagnostic(result.branch, r)));
    return result.refused.length === 0;
  });
}

/**
 * `nx affected -t push`: Nx hands every push task of the run to this one call (preferBatch), so the
 * run makes one commit for all its apps, and its tasks never race each other for the branch.
 */
export async function pushBatchExecutor(
  taskGraph: TaskGraph,
  inputs: Record<string, PushExecutorOptions>,
  overrides: PushExecutorOptions,
  context: ExecutorContext,
): Promise<Record<string, BatchTaskResult['result']>> {
  return runWholeBatch(taskGraph, inputs, overrides, async (apps, options, log) => {
    checkOptions('push', apps[0], options);
    const result = await publish(context.root, apps, options, log);
    log(report(result));
    for (const r of result.refused) log(colouredDiagnostic(refusalDiagnostic(result.branch, r)));
    return result.refused.length === 0;
  });
}

function publish(
  root: string,
  apps: string[],
  options: PushExecutorOptions,
  log: (line: string) => void,
): Promise<PublishResult> {
  return publishGitops({
    workspaceRoot: root,
    apps,
    config: loadGitopsConfig(root),
    remote: options.remote,
    branch: options.branch,
    force: options.force,
    allowDirty: options.allowDirty,
    log,
  });
}

function report(result: PublishResult): string {
  if (result.status === 'unchanged')
    return `  ${colours.green('✔')} ${result.branch}: ${colours.dim('nothing to publish')}`;
  const lines = result.changes.map((c) => `    ${c.path.padEnd(28)} ${describeChange(c)}`);
  const forced = result.forced.map((f) => `    ${colours.yellow('forced')} ${f.path} over ${f.published.slice(0, 7)}`);
  const attempts = result.attempts > 1 ? ` after ${result.attempts} attempts` : '';
  return [
    `  ${colours.green('✔')} published ${result.commit?.slice(0, 7)} to ${result.branch} (${result.remote})${attempts}`,
    ...lines,
    ...forced,
  ].join('\n');
}
