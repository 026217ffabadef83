/** Reads what Nx did from the summary it prints with `--outputStyle=static`. */

/** How many render tasks Nx ran or restored, from its summary lines (`for project x` / `for N projects`). */
export function renderedCount(output: string): number {
  if (/No tasks were run/.test(output)) return 0;
  const many = /Successfully ran target render for (\d+) projects/.exec(output);
  if (many) return Number(many[1]);
  return /Successfully ran target render for project \S+/.test(output) ? 1 : Number.NaN;
}

/** Render tasks that really ran Helm: the tasks minus Nx's cache hits (`Cache: 2/5 hit`). */
export function renderedWithoutCache(output: string): number {
  const hits = /Cache:\s+(\d+)\/\d+ hit/.exec(output);
  return renderedCount(output) - (hits ? Number(hits[1]) : 0);
}
