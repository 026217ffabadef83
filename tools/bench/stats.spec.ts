import { describe, expect, it } from '@jest/globals';
import {
  costPerApp,
  fixedAndMarginalCost,
  marginalCosts,
  formatMs,
  formatRatio,
  formatTable,
  median,
  ratio,
} from './stats.ts';
import { renderedCount, renderedWithoutCache } from './nx-summary.ts';

describe('bench statistics', () => {
  it('takes the median of odd and even sample counts without reordering the input', () => {
    const samples = [9, 1, 5];
    expect(median(samples)).toBe(5);
    expect(samples).toEqual([9, 1, 5]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('gives NaN instead of Infinity when a ratio has nothing to divide by', () => {
    expect(ratio(12, 10)).toBeCloseTo(1.2);
    expect(ratio(1, 0)).toBeNaN();
    expect(ratio(Number.NaN, 2)).toBeNaN();
  });

  it('gives the cost each added app has between sizes, without the fixed start-up cost', () => {
    const points = [
      { apps: 1000, medianMs: 14_000 },
      { apps: 10, medianMs: 1_300 },
      { apps: 100, medianMs: 2_500 },
    ];
    expect(marginalCosts(points).map((m) => [m.fromApps, m.toApps, Math.round(m.perAppMs * 10) / 10])).toEqual([
      [10, 100, 13.3],
      [100, 1000, 12.8],
    ]);
    expect(marginalCosts([points[0]])).toEqual([]);
  });

  it('reports the cost per app relative to the smallest size, and the fixed cost apart', () => {
    const points = [
      { apps: 100, medianMs: 12_000 },
      { apps: 10, medianMs: 3_000 },
    ];
    const cost = costPerApp(points);
    expect(cost.map((c) => [c.apps, c.perAppMs])).toEqual([
      [10, 300],
      [100, 120],
    ]);
    expect(cost[1].relativeToSmallest).toBeCloseTo(0.4);
    expect(fixedAndMarginalCost(points)).toEqual({ fixedMs: 2_000, marginalMs: 100 });
    expect(fixedAndMarginalCost([points[0]])).toBeUndefined();
  });

  it('formats durations and ratios for people, and n/a for missing figures', () => {
    expect(formatMs(850.4)).toBe('850 ms');
    expect(formatMs(2_345)).toBe('2.35 s');
    expect(formatMs(61_000)).toBe('61.0 s');
    expect(formatMs(Number.NaN)).toBe('n/a');
    expect(formatRatio(1.234)).toBe('1.23×');
    expect(formatRatio(Number.NaN)).toBe('n/a');
  });

  it('aligns a table: first column left, the others right', () => {
    expect(
      formatTable(
        ['scenario', 'median'],
        [
          ['helm floor', '9.1 s'],
          ['no-op', '850 ms'],
        ],
      ),
    ).toBe(['scenario    median', '----------  ------', 'helm floor   9.1 s', 'no-op       850 ms'].join('\n'));
  });
});

describe('reading the Nx summary', () => {
  it('counts render tasks for one project, many projects or none, and subtracts cache hits', () => {
    const one = ' NX   Successfully ran target render for project svc-001\n\n  Cache:             0/1 hit (0%)';
    expect(renderedCount(one)).toBe(1);
    expect(renderedWithoutCache(one)).toBe(1);
    const many = ' NX   Successfully ran target render for 20 projects (4s)\n  Cache:             19/20 hit (95%)';
    expect(renderedCount(many)).toBe(20);
    expect(renderedWithoutCache(many)).toBe(1);
    expect(
      renderedWithoutCache(
        ' NX   Successfully ran target render for 3 projects\n  Cache:             Skipped (--skip-nx-cache)',
      ),
    ).toBe(3);
    expect(renderedCount(' NX   No tasks were run')).toBe(0);
    expect(renderedCount('something else')).toBeNaN();
  });
});
