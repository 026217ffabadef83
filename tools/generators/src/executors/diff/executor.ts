import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import { diffGitops, formatDiffMarkdown, formatDiffText, loadGitopsConfig, type GitopsDiff } from '@mayday/gitops';
import { formatDiagnostic, isMaydayError } from '@mayday/spec';
import { runReported } from '../report.ts';

export interface DiffExecutorOptions {
  format?: 'text' | 'markdown';
  /** Also write the markdown summary to this file (for a pull-request comment). */
  output?: string;
  remote?: string;
  branch?: string;
}

type TaskResult = { success: boolean; terminalOutput: string; startTime?: number; endTime?: number };

/** `nx run <app>:diff`: what push would change for one app, per env, against the published branch. */
export default async function diffExecutor(options: DiffExecutorOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  if (!context.projectName) throw new Error('diff runs on a project: use `nx run <app>:diff`');
  const app = context.projectName;
  return runReported(async () => {
    process.stdout.write(await diffReport(context.root, [app], options));
    return true;
  });
}

/** `nx affected -t diff`: one fetch and one report (one PR comment) for every app of the run. */
export async function diffBatchExecutor(
  taskGraph: TaskGraph,
  inputs: Record<string, DiffExecutorOptions>,
  overrides: DiffExecutorOptions,
  context: ExecutorContext,
): Promise<Record<string, TaskResult>> {
  const startTime = Date.now();
  const tasks = Object.values(taskGraph.tasks);
  const apps = [...new Set(tasks.map((t) => t.target.project))].sort();
  const options = { ...(inputs[tasks[0]?.id] ?? {}), ...overrides };
  let terminalOutput: string;
  let success = true;
  try {
    terminalOutput = await diffReport(context.root, apps, options);
  } catch (error) {
    if (!isMaydayError(error)) throw error;
    terminalOutput = error.diagnostics.map(formatDiagnostic).join('\n') + '\n';
    success = false;
  }
  process.stdout.write(terminalOutput);
  return Object.fromEntries(tasks.map((t) => [t.id, { success, terminalOutput, startTime, endTime: Date.now() }]));
}

async function diffReport(root: string, apps: string[], options: DiffExecutorOptions): Promise<string> {
  const diff: GitopsDiff = await diffGitops({ workspaceRoot: root, apps, config: loadGitopsConfig(root), remote: options.remote, branch: options.branch });
  if (options.output) {
    const file = resolve(root, options.output);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, formatDiffMarkdown(diff));
  }
  return options.format === 'markdown' ? formatDiffMarkdown(diff) : formatDiffText(diff);
}
