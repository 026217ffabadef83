import type { ExecutorContext } from '@nx/devkit';
import pc from 'picocolors';
import { formatLintJson, formatLintText, lintApp, totals, type AppLintResult } from '@mayday/policy';
import { helmTemplateWith, resolveHelm } from '@mayday/render';
import { findEnvironment, isMaydayError, loadEnvironments } from '@mayday/spec';
import { runReported } from '../report.ts';

export interface LintExecutorOptions {
  env?: string[];
  format?: 'text' | 'json';
}

/** `nx run <app>:lint`: renders in memory and checks values, schemas and policies; writes nothing. */
export default async function lintExecutor(options: LintExecutorOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  return runReported(async () => {
    if (!context.projectName) throw new Error('mayday executors run on a project: use `nx run <app>:lint`');
    const root = context.root;
    const all = loadEnvironments(root);
    const envs = options.env?.length ? options.env.map((name) => findEnvironment(all, name)) : all;
    const app = context.projectName;
    let result: AppLintResult;
    try {
      result = await lintApp({ workspaceRoot: root, helmTemplate: helmTemplateWith(resolveHelm(root)) }, app, envs);
    } catch (error) {
      // A broken waiver or policy file stops lint before any env; machines still get JSON.
      if (options.format !== 'json' || !isMaydayError(error)) throw error;
      result = { app, envs: [], findings: error.diagnostics.map((d) => ({ ...d, app, env: '' })) };
    }
    if (options.format === 'json') process.stdout.write(formatLintJson([result]));
    else process.stdout.write(colour(formatLintText([result])));
    return totals([result]).errors === 0;
  });
}

function colour(text: string): string {
  return text
    .replace(/: error /g, `: ${pc.red('error')} `)
    .replace(/: warning /g, `: ${pc.yellow('warning')} `)
    .replace(/^✖/gm, pc.red('✖'))
    .replace(/^✔/gm, pc.green('✔'));
}
