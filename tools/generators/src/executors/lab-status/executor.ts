import type { ExecutorContext } from '@nx/devkit';
import { labStatus, printStatus } from '@mayday/lab';
import { runLab } from '../lab.ts';
import { checkOptions } from '../options.ts';

export interface LabStatusOptions {
  json?: boolean;
}

/** `nx run platform:status`: the cluster, each component's readiness, every Application, the URLs and the login. */
export default async function labStatusExecutor(
  options: LabStatusOptions,
  context: ExecutorContext,
): Promise<{ success: boolean }> {
  return runLab('status', async () => {
    checkOptions('lab-status', 'platform', options);
    // the whole document is flushed before the task ends: a reader pipes it to jq
    if (options.json) await writeFlushed(`${JSON.stringify(await labStatus(context.root), null, 2)}\n`);
    else await printStatus(context.root, (t) => process.stdout.write(t));
    return true;
  });
}

function writeFlushed(text: string): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write(text, (error) => (error ? reject(error) : resolve())));
}
