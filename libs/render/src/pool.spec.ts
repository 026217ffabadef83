import { describe, expect, it } from '@jest/globals';
import { limitConcurrency, runPool } from './pool.ts';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('runPool', () => {
  it('never runs more than the limit at once and keeps the results in the items order', async () => {
    let running = 0;
    let most = 0;
    const results = await runPool([30, 5, 20, 1, 10], 2, async (ms, i) => {
      running++;
      most = Math.max(most, running);
      await tick(ms);
      running--;
      return `${i}:${ms}`;
    });
    expect(most).toBe(2);
    expect(results).toEqual(['0:30', '1:5', '2:20', '3:1', '4:10']);
  });

  it('rethrows the first failure and starts no new work after it', async () => {
    const started: number[] = [];
    const run = runPool([1, 2, 3, 4, 5], 1, async (n) => {
      started.push(n);
      if (n === 2) throw new Error('item 2 failed');
      return n;
    });
    await expect(run).rejects.toThrow('item 2 failed');
    expect(started).toEqual([1, 2]);
  });

  it('treats a limit below 1 as 1 and an empty list as nothing to do', async () => {
    expect(await runPool([1, 2], 0, async (n) => n * 2)).toEqual([2, 4]);
    expect(await runPool([], 4, async () => 1)).toEqual([]);
  });
});

describe('limitConcurrency', () => {
  it('holds every caller to one shared limit and lets the waiting ones in as calls finish, even after failures', async () => {
    let running = 0;
    let most = 0;
    const limited = limitConcurrency(2, async (ms: number) => {
      running++;
      most = Math.max(most, running);
      await tick(ms);
      running--;
      if (ms === 7) throw new Error('seven');
      return ms;
    });
    const settled = await Promise.allSettled([limited(20), limited(7), limited(5), limited(1), limited(3)]);
    expect(most).toBe(2);
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message))).toEqual([
      20,
      'seven',
      5,
      1,
      3,
    ]);
  });
});
