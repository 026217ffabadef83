import { availableParallelism } from 'node:os';
import { Writable } from 'node:stream';
import type { ExecutorContext, Task } from '@nx/devkit';
import { runPool } from '@mayday/render';
import { isMaydayError } from '@mayday/spec';
import { printDiagnostics } from './report.ts';

/** Nx's own parallelism (nx.json `parallel`), so a batch uses the cores a non-batch run would. */
export function batchParallelism(context: Pick<ExecutorContext, 'nxJsonConfiguration'>): number {
  const parallel = Number(context.nxJsonConfiguration?.parallel);
  return Number.isInteger(parallel) && parallel > 0 ? parallel : availableParallelism();
}

/**
 * runReported for one task of a batch: a user mistake becomes the task's diagnostics in `output`, and a
 * bug fails only its own task, with the stack, instead of ending the whole batch.
 */
export async function taskReported(body: () => Promise<boolean>, output: string[]): Promise<boolean> {
  try {
    return await body();
  } catch (error) {
    if (isMaydayError(error)) {
      printDiagnostics(error.diagnostics, linesOf(output));
    } else {
      output.push(error instanceof Error ? (error.stack ?? error.message) : String(error));
    }
    return false;
  }
}

const linesOf = (output: string[]): Writable =>
  new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      output.push(String(chunk).replace(/\n$/, ''));
      callback();
    },
  });

/** One task's result as a batch executor streams it to Nx (nx's BatchExecutorTaskResult, not re-exported by @nx/devkit). */
export interface BatchTaskResult {
  task: string;
  result: { success: boolean; terminalOutput: string; startTime: number; endTime: number };
}

/**
 * Runs a batch's tasks `concurrency` at a time and hands each result to Nx as soon as it is known
 * (Nx prints a task's output when its result arrives), while the others still run. `run` prints into
 * the lines it is given; a MaydayError fails only its own task.
 */
export async function* streamTaskResults(
  tasks: readonly Task[],
  concurrency: number,
  run: (task: Task, output: string[]) => Promise<boolean>,
): AsyncIterableIterator<BatchTaskResult> {
  const finished: BatchTaskResult[] = [];
  let wake: (() => void) | undefined;
  const done = runPool(tasks, concurrency, async (task) => {
    const startTime = Date.now();
    const output: string[] = [];
    const success = await taskReported(() => run(task, output), output);
    finished.push({ task: task.id, result: { success, terminalOutput: output.join('\n') + '\n', startTime, endTime: Date.now() } });
    wake?.();
  });
  let settled = false;
  void done.finally(() => {
    settled = true;
    wake?.();
  });
  for (let reported = 0; reported < tasks.length; ) {
    if (finished.length === reported && !settled) await new Promise<void>((resolve) => (wake = resolve));
    while (reported < finished.length) yield finished[reported++];
    if (settled && reported === finished.length) break;
  }
  await done;
}
