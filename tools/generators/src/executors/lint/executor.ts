import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import {
  formatLintJson,
  formatLintText,
  lintApp,
  loadPolicies,
  totals,
  type AppLintResult,
  type PolicySet,
} from '@mayday/policy';
import { resolveEngine, startEngine, strayEnvValuesFiles, type HelmTemplate } from '@mayday/render';
import { findEnvironment, isMaydayError, loadEnvironments, MaydayError, type Environment } from '@mayday/model';
import { batchParallelism, once, streamTaskResults, type BatchTaskResult } from '../batch.ts';
import { checkOptions, requireProjectName } from '../options.ts';
import { colourDiagnostics, runReported } from '../report.ts';

export interface LintExecutorOptions {
  env?: string[];
  format?: 'text' | 'json';
  /** Write the report (in `format`) to this file, and only the text summary to the terminal. */
  output?: string;
}

/** `nx run <app>:lint`: renders in memory and checks values, schemas and policies; writes nothing. */
export default async function lintExecutor(
  options: LintExecutorOptions,
  context: ExecutorContext,
): Promise<{ success: boolean }> {
  return runReported(async () => {
    const app = requireProjectName(context);
    const engine = startEngine(resolveEngine(context.root), { eager: true });
    try {
      const results: AppLintResult[] = [];
      const session = openSession(context.root, engine.helmTemplate);
      const ok = await lintProject(session, app, options, (text) => process.stdout.write(text), results);
      writeReport(context.root, options, results);
      return ok;
    } finally {
      await engine.close();
    }
  });
}

/**
 * `nx affected -t lint` with many apps: one process lints them all (executors.json `preferBatch`), one render
 * engine at Nx's parallelism. It also keeps `push` (which depends on lint) to one batch, so one run is one commit.
 */
export async function* lintBatchExecutor(
  taskGraph: TaskGraph,
  inputs: Record<string, LintExecutorOptions>,
  _overrides: LintExecutorOptions,
  context: ExecutorContext,
): AsyncIterableIterator<BatchTaskResult> {
  const parallel = batchParallelism(context);
  const engine = startEngine(resolveEngine(context.root), { parallel, eager: true });
  const results: AppLintResult[] = [];
  const session = openSession(context.root, engine.helmTemplate);
  try {
    yield* streamTaskResults(Object.values(taskGraph.tasks), parallel * 2, (task, output) =>
      lintProject(
        session,
        task.target.project,
        inputs[task.id] ?? {},
        (text) => output.push(text.replace(/\n$/, '')),
        results,
      ),
    );
    const first = Object.values(taskGraph.tasks)[0];
    if (first) writeReport(context.root, inputs[first.id] ?? {}, results);
  } finally {
    await engine.close();
  }
}

/**
 * What lint needs besides the app, read once per process and shared by every app of a batch: the envs,
 * and the policies with their CEL compiled. A file that fails to load fails each app that asks for it.
 */
interface LintSession {
  root: string;
  helmTemplate: HelmTemplate;
  environments: () => Environment[];
  policies: () => PolicySet;
}

function openSession(root: string, helmTemplate: HelmTemplate): LintSession {
  return {
    root,
    helmTemplate,
    environments: once(() => loadEnvironments(root)),
    policies: once(() => loadPolicies(root)),
  };
}

async function lintProject(
  session: LintSession,
  app: string,
  options: LintExecutorOptions,
  print: (text: string) => void,
  results: AppLintResult[],
): Promise<boolean> {
  checkOptions('lint', app, options);
  const { root, helmTemplate } = session;
  const all = session.environments();
  const envs = options.env?.length ? options.env.map((name) => findEnvironment(all, name)) : all;
  let result: AppLintResult;
  try {
    const stray = strayEnvValuesFiles(root, app, all);
    if (stray.length) throw new MaydayError(stray);
    result = await lintApp({ workspaceRoot: root, helmTemplate, policies: session.policies() }, app, envs);
  } catch (error) {
    // A broken waiver or policy file stops lint before any env; machines still get JSON.
    if (options.format !== 'json' || !isMaydayError(error)) throw error;
    result = { app, envs: [], findings: error.diagnostics.map((d) => ({ ...d, app, env: '' })) };
  }
  results.push(result);
  print(
    options.format === 'json' && !options.output
      ? formatLintJson([result])
      : colourDiagnostics(formatLintText([result])),
  );
  return totals([result]).errors === 0;
}

/** --output: one report for every app of the run, so machines read a file without Nx's banners. */
function writeReport(root: string, options: LintExecutorOptions, results: AppLintResult[]): void {
  if (!options.output) return;
  const sorted = [...results].sort((a, b) => a.app.localeCompare(b.app));
  const file = resolve(root, options.output);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, options.format === 'json' ? formatLintJson(sorted) : formatLintText(sorted));
}
