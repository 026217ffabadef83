import { availableParallelism } from 'node:os';
import { Writable } from 'node:stream';
import type { ExecutorContext, Task, TaskGraph } from '@nx/devkit';
import { runPool } from '@mayday/render';
import { isMaydayError } from '@mayday/model';
import { colouredDiagnostic, printDiagnostics } from './report.ts';

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
    finished.push({
      task: task.id,
      result: { success, terminalOutput: output.join('\n') + '\n', startTime, endTime: Date.now() },
    });
    wake?.();
  });
  let settled = false;
  void done.finally(() => {
    settled = true;
    wake?.();
  });
  for (let reported = 0; reported < tasks.length;) {
    if (finished.length === reported && !settled) await new Promise<void>((resolve) => (wake = resolve));
    while (reported < finished.length) yield finished[reported++];
    if (settled && reported === finished.length) break;
  }
  await done;
}

/**
 * For targets that act on a whole run at once (push: one commit; diff: one report): the batch's apps,
 * the options they share, and one result for every task. `body` logs lines, printed as they come;
 * a MaydayError fails the whole batch with its diagnostics, a bug keeps its stack.
 */
export async function runWholeBatch<O extends object>(
  taskGraph: TaskGraph,
  inputs: Record<string, O>,
  overrides: O,
  body: (apps: string[], options: O, log: (line: string) => void) => Promise<boolean>,
): Promise<Record<string, BatchTaskResult['result']>> {
  const startTime = Date.now();
  const tasks = Object.values(taskGraph.tasks);
  const apps = [...new Set(tasks.map((t) => t.target.project))].sort();
  const options = { ...(inputs[tasks[0]?.id] ?? {}), ...overrides } as O;
  const lines: string[] = [];
  const log = (line: string) => {
    lines.push(line);
    process.stdout.write(`${line}\n`);
  };
  let success: boolean;
  try {
    success = await body(apps, options, log);
  } catch (error) {
    if (!isMaydayError(error)) throw error;
    for (const d of error.diagnostics) log(colouredDiagnostic(d));
    success = false;
  }
  const terminalOutput = lines.join('\n') + '\n';
  return Object.fromEntries(tasks.map((t) => [t.id, { success, terminalOutput, startTime, endTime: Date.now() }]));
}

/** `load`'s result, computed at the first call and kept; a load that throws is tried again at the next call. */
export function once<T>(load: () => T): () => T {
  let loaded: { value: T } | undefined;
  return () => (loaded ??= { value: load() }).value;
}
