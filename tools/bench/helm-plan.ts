/**
 * Plans the Helm floor and the naive loop from the workspace's own libs, outside the timed runs:
 *   node tools/bench/helm-plan.ts calls <file>   every `helm template` call mayday makes, as JSON
 *   node tools/bench/helm-plan.ts env-specs      one line per env for naive-loop.sh
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { helmRequestFor, helmTemplateArgs, resolveHelm } from '@mayday/render';
import { APPS_DIR, appValuesFile, loadEnvironments, platformValues, type Environment } from '@mayday/model';

export interface HelmPlan {
  helm: string;
  calls: { app: string; env: string; args: string[] }[];
}

/** Every `helm template` call for these apps in every env, with the exact arguments libs/render uses. */
export function helmPlan(workspaceRoot: string, apps: readonly string[], envs: readonly Environment[]): HelmPlan {
  return {
    helm: resolveHelm(workspaceRoot),
    calls: apps.flatMap((app) =>
      envs.map((env) => ({ app, env: env.name, args: helmTemplateArgs(helmRequestFor(workspaceRoot, app, env)) })),
    ),
  };
}

export function listApps(workspaceRoot: string): string[] {
  return readdirSync(join(workspaceRoot, APPS_DIR))
    .filter((app) => existsSync(join(workspaceRoot, appValuesFile(app))))
    .sort();
}

function main(): void {
  const [what, file] = process.argv.slice(2);
  const root = process.cwd();
  const envs = loadEnvironments(root);
  if (what === 'calls' && file) writeFileSync(file, JSON.stringify(helmPlan(root, listApps(root), envs)));
  else if (what === 'env-specs') {
    for (const env of envs)
      console.log([env.name, env.kubernetesVersion, env.namespace, JSON.stringify(platformValues(env))].join('|'));
  } else throw new Error('usage: helm-plan.ts calls <file> | env-specs');
}

if (import.meta.filename === process.argv[1]) main();
