/**
 * The Helm floor: the bare `helm template` calls mayday makes for the same apps and envs, with the
 * same arguments (libs/render helmRequestFor) and the same parallelism, output kept in memory and
 * dropped. mayday cannot render faster than this.
 *
 *   node tools/bench/helm-floor.ts --concurrency 2 [--apps a,b,c]
 */
import { execFile } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { helmRequestFor, helmTemplateArgs, resolveHelm, runPool } from '@mayday/render';
import { APPS_DIR, appValuesFile, loadEnvironments, type Environment } from '@mayday/spec';

export interface HelmCall {
  app: string;
  env: string;
  args: string[];
}

/** Every `helm template` call for these apps in every env, in a stable order. */
export function helmCalls(workspaceRoot: string, apps: readonly string[], envs: readonly Environment[]): HelmCall[] {
  return apps.flatMap((app) => envs.map((env) => ({ app, env: env.name, args: helmTemplateArgs(helmRequestFor(workspaceRoot, app, env)) })));
}

export function listApps(workspaceRoot: string): string[] {
  return readdirSync(join(workspaceRoot, APPS_DIR))
    .filter((app) => existsSync(join(workspaceRoot, appValuesFile(app))))
    .sort();
}

function runHelm(helm: string, args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile(helm, args, { maxBuffer: 256 * 1024 * 1024 }, (error, stdout) => (error ? reject(error) : resolve(stdout.length)));
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { concurrency: { type: 'string', default: '2' }, apps: { type: 'string' } } });
  const root = process.cwd();
  const apps = values.apps ? values.apps.split(',') : listApps(root);
  const calls = helmCalls(root, apps, loadEnvironments(root));
  const helm = resolveHelm(root);
  const bytes = await runPool(calls, Number(values.concurrency), (call) => runHelm(helm, call.args));
  console.log(`${calls.length} helm template calls, ${bytes.reduce((a, b) => a + b, 0)} bytes`);
}

if (import.meta.filename === process.argv[1]) await main();
