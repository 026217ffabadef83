import type { ExecutorContext } from '@nx/devkit';
import { labUp } from '@mayday/lab';
import { runLab } from '../lab.ts';
import { checkOptions } from '../options.ts';

export interface LabUpOptions {
  dryRun?: boolean;
  buildImages?: boolean;
}

/** `nx run platform:up`: the kind lab from nothing, idempotent; `--dry-run` prints the plan and changes nothing. */
export default async function labUpExecutor(
  options: LabUpOptions,
  context: ExecutorContext,
): Promise<{ success: boolean }> {
  return runLab('up', async () => {
    checkOptions('lab-up', 'platform', options);
    const memory = process.env.MAYDAY_LAB_MEMORY_GIB;
    await labUp({
      root: context.root,
      dryRun: options.dryRun,
      buildImages: options.buildImages,
      memoryGiB: memory ? Number(memory) : undefined,
    });
    return true;
  });
}
