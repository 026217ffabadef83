import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import { loadGitopsConfig } from '@mayday/gitops';
import {
  applyPromotion,
  formatPromotion,
  openPromotionContext,
  planPromotion,
  promotionTargets,
  type PromotionContext,
} from '@mayday/promote';
import { resolveEngine, startEngine, type HelmTemplate } from '@mayday/render';
import { colours, loadEnvironments } from '@mayday/model';
import { batchParallelism, streamTaskResults, type BatchTaskResult } from '../batch.ts';
import { camelCaseOptions, checkOptions, requireProjectName } from '../options.ts';
import { runReported } from '../report.ts';

export interface PromoteExecutorOptions {
  from?: string;
  to?: string;
  dryRun?: boolean;
  remote?: string;
  branch?: string;
}

/** `nx run <app>:promote --from=stg --to=prd [--dry-run]`. */
export default async function promoteExecutor(
  raw: PromoteExecutorOptions,
  context: ExecutorContext,
): Promise<{ success: boolean }> {
  const options = camelCaseOptions(raw);
  const app = requireProjectName(context);
  return runReported(async () => {
    checkOptions('promote', app, options);
    const engine = startEngine(resolveEngine(context.root));
    try {
      const promotion = await openContext(context.root, options, engine.helmTemplate);
      return await promoteProject(promotion, app, options, (line) => console.log(line));
    } finally {
      await engine.close();
    }
  });
}

/** `nx affected -t promote`: the published branch is read once and one render engine serves every app. */
export async function* promoteBatchExecutor(
  taskGraph: TaskGraph,
  inputs: Record<string, PromoteExecutorOptions>,
  overrides: PromoteExecutorOptions,
  context: ExecutorContext,
): AsyncIterableIterator<BatchTaskResult> {
  const tasks = Object.values(taskGraph.tasks);
  const options = camelCaseOptions({ ...(inputs[tasks[0]?.id] ?? {}), ...overrides });
  const engine = startEngine(resolveEngine(context.root), { parallel: batchParallelism(context) });
  let promotion: Promise<PromotionContext> | undefined;
  try {
    // one app at a time: each prints its diffs as one block
    yield* streamTaskResults(tasks, 1, async (task, output) => {
      checkOptions('promote', task.target.project, options);
      promotion ??= openContext(context.root, options, engine.helmTemplate);
      return promoteProject(await promotion, task.target.project, options, (line) =>
        output.push(line.replace(/\n$/, '')),
      );
    });
  } finally {
    await engine.close();
  }
}

function openContext(
  root: string,
  options: PromoteExecutorOptions,
  helmTemplate: HelmTemplate,
): Promise<PromotionContext> {
  return openPromotionContext({
    workspaceRoot: root,
    config: loadGitopsConfig(root),
    envs: loadEnvironments(root),
    remote: options.remote,
    branch: options.branch,
    helmTemplate,
  });
}

async function promoteProject(
  promotion: PromotionContext,
  app: string,
  options: PromoteExecutorOptions,
  print: (text: string) => void,
): Promise<boolean> {
  for (const { from, to } of promotionTargets(promotion.envs, options)) {
    const plan = await planPromotion(promotion, app, from, to);
    if (!plan) {
      print(`${colours.green('✔')} ${app}: ${to.name} already runs what ${from.name} runs; nothing to promote`);
      continue;
    }
    print(formatPromotion(plan));
    if (options.dryRun) print(colours.dim('dry run: nothing written'));
    else {
      applyPromotion(promotion.workspaceRoot, plan);
      print(
        `${colours.green('✔')} wrote ${plan.valuesFile} and gitops/${to.name}/${app}/: commit, open a pull request; once merged, push publishes ${to.name}`,
      );
    }
  }
  return true;
}
