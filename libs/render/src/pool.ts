/**
 * Runs `work` over every item with at most `concurrency` in flight; results keep the items' order.
 * The first failure stops new work from starting and is rethrown once the running ones settle.
 */
export async function runPool<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const limit = Math.max(1, Math.floor(concurrency) || 1);
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (!failure && next < items.length) {
      const index = next++;
      try {
        results[index] = await work(items[index], index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
  return results;
}

/** Wraps async work so that at most `concurrency` calls run at once, across every caller; the rest wait in order. */
export function limitConcurrency<A extends unknown[], R>(
  concurrency: number,
  work: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  const limit = Math.max(1, Math.floor(concurrency) || 1);
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (...args: A) => {
    // a finishing call hands its slot straight to the next waiter, so a newcomer cannot slip in between
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
      return await work(...args);
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}
