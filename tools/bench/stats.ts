/** The benchmark's arithmetic and its table: pure, so it is tested without running anything. */

export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** `a / b`, NaN when either side is missing or b is zero (never Infinity in a report). */
export function ratio(a: number, b: number): number {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : Number.NaN;
}

export interface ScalePoint {
  apps: number;
  medianMs: number;
}

export interface CostPerApp extends ScalePoint {
  perAppMs: number;
  /** perAppMs relative to the smallest measured size: 1.0 is perfectly linear, above 1 grows faster than linear. */
  relativeToSmallest: number;
}

/** Cost per app at each size, and how it compares with the smallest size (the linearity check). */
export function costPerApp(points: readonly ScalePoint[]): CostPerApp[] {
  const sorted = [...points].sort((a, b) => a.apps - b.apps);
  const base = sorted.length ? sorted[0].medianMs / sorted[0].apps : Number.NaN;
  return sorted.map((p) => ({
    ...p,
    perAppMs: p.medianMs / p.apps,
    relativeToSmallest: ratio(p.medianMs / p.apps, base),
  }));
}

/**
 * Fixed and per-app cost from the smallest and largest size (two-point line): tells a fixed
 * start-up cost (Nx, Node) apart from the work that grows with the number of apps.
 */
export function fixedAndMarginalCost(
  points: readonly ScalePoint[],
): { fixedMs: number; marginalMs: number } | undefined {
  const sorted = [...points].sort((a, b) => a.apps - b.apps);
  if (sorted.length < 2) return undefined;
  const [small, large] = [sorted[0], sorted[sorted.length - 1]];
  const marginalMs = (large.medianMs - small.medianMs) / (large.apps - small.apps);
  return { fixedMs: small.medianMs - marginalMs * small.apps, marginalMs };
}

export interface MarginalCost {
  fromApps: number;
  toApps: number;
  /** What each app added between the two sizes: the fixed start-up cost cancels out. */
  perAppMs: number;
}

/** The cost of each added app between consecutive sizes; equal values mean rendering scales linearly. */
export function marginalCosts(points: readonly ScalePoint[]): MarginalCost[] {
  const sorted = [...points].sort((a, b) => a.apps - b.apps);
  return sorted.slice(1).map((p, i) => ({
    fromApps: sorted[i].apps,
    toApps: p.apps,
    perAppMs: (p.medianMs - sorted[i].medianMs) / (p.apps - sorted[i].apps),
  }));
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  return ms >= 10_000
    ? `${(ms / 1000).toFixed(1)} s`
    : ms >= 1000
      ? `${(ms / 1000).toFixed(2)} s`
      : `${Math.round(ms)} ms`;
}

export function formatRatio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a';
}

export function formatMb(kb: number): string {
  return Number.isFinite(kb) && kb > 0 ? `${Math.round(kb / 1024)} MiB` : 'n/a';
}

/** A plain-text table: the first column left-aligned, the others right-aligned, like `nx` and `kubectl` print. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
