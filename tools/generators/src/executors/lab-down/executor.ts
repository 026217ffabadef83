import type { ExecutorContext } from '@nx/devkit';
import { labDown } from '@mayday/lab';
import { runLab } from '../lab.ts';
import { checkOptions } from '../options.ts';

/** `nx run platform:down`: removes the cluster and everything up created, and checks that nothing is left. */
export default async function labDownExecutor(
  options: object,
  context: ExecutorContext,
): Promise<{ success: boolean }> {
  return runLab('down', async () => {
    checkOptions('lab-down', 'platform', options);
    await labDown(context.root);
    return true;
  });
}
