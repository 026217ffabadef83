import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

export interface Measured {
  ms: number;
  /** Peak of the summed RSS of the command's whole process tree (sampled from /proc), in KiB. */
  peakRssKb: number;
  /** Peak RSS of the render engine (the tree's `mayday-engine` processes), in KiB; 0 when none ran. */
  enginePeakRssKb: number;
  exitCode: number | null;
  output: string;
}

const PAGE_KB = 4;

const ENGINE = 'mayday-engine';

/** pid → [ppid, rss KiB, name] of every process, read from /proc (no `ps` process that would skew the timing). */
function processTable(): Map<number, [number, number, string]> {
  const table = new Map<number, [number, number, string]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      table.set(Number(entry), [Number(fields[1]), Number(fields[21]) * PAGE_KB, name]);
    } catch {
      // the process ended while we looked
    }
  }
  return table;
}

/** The summed RSS of a process tree, and the part of it that is the render engine. */
export function treeRssKb(rootPid: number, table = processTable()): { total: number; engine: number } {
  const children = new Map<number, number[]>();
  for (const [pid, [ppid]] of table) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  let total = 0;
  let engine = 0;
  const stack = [rootPid];
  while (stack.length) {
    const pid = stack.pop()!;
    const [, rss = 0, name] = table.get(pid) ?? [];
    total += rss;
    if (name === ENGINE) engine += rss;
    stack.push(...(children.get(pid) ?? []));
  }
  return { total, engine };
}

/** Runs a command (argument array, no shell), timing it wall-clock and sampling its tree's RSS. */
export function measure(
  command: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; sampleMs?: number },
): Promise<Measured> {
  return new Promise((resolve, reject) => {
    // output goes to a file, not a pipe: Nx exits without flushing a pipe, and the end of a long run would be lost
    const dir = mkdtempSync(join(tmpdir(), 'mayday-measure-'));
    const file = join(dir, 'output.log');
    const fd = openSync(file, 'w');
    const start = performance.now();
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const collect = () => {
      const output = readFileSync(file, 'utf8');
      rmSync(dir, { recursive: true, force: true });
      return output;
    };
    let peak = 0;
    let enginePeak = 0;
    const sample = () => {
      if (!child.pid) return;
      const rss = treeRssKb(child.pid);
      peak = Math.max(peak, rss.total);
      enginePeak = Math.max(enginePeak, rss.engine);
    };
    const timer = setInterval(sample, options.sampleMs ?? 100);
    child.on('error', (error) => {
      clearInterval(timer);
      reject(error);
    });
    child.on('close', (exitCode) => {
      const ms = performance.now() - start;
      clearInterval(timer);
      resolve({
        ms,
        peakRssKb: peak,
        enginePeakRssKb: enginePeak,
        exitCode,
        output: collect(),
      });
    });
  });
}
