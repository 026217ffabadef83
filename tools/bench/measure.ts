import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

export interface Measured {
  ms: number;
  /** Peak of the summed RSS of the command's whole process tree (sampled from /proc), in KiB. */
  peakRssKb: number;
  exitCode: number | null;
  output: string;
}

const PAGE_KB = 4;

/** pid → [ppid, rss KiB] of every process, read from /proc (no `ps` process that would skew the timing). */
function processTable(): Map<number, [number, number]> {
  const table = new Map<number, [number, number]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      table.set(Number(entry), [Number(fields[1]), Number(fields[21]) * PAGE_KB]);
    } catch {
      // the process ended while we looked
    }
  }
  return table;
}

export function treeRssKb(rootPid: number, table = processTable()): number {
  const children = new Map<number, number[]>();
  for (const [pid, [ppid]] of table) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  let total = 0;
  const stack = [rootPid];
  while (stack.length) {
    const pid = stack.pop()!;
    total += table.get(pid)?.[1] ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}

/** Runs a command (argument array, no shell), timing it wall-clock and sampling its tree's RSS. */
export function measure(
  command: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; sampleMs?: number },
): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    let peak = 0;
    const sample = () => {
      if (child.pid) peak = Math.max(peak, treeRssKb(child.pid));
    };
    const timer = setInterval(sample, options.sampleMs ?? 200);
    child.on('error', (error) => {
      clearInterval(timer);
      reject(error);
    });
    child.on('close', (exitCode) => {
      const ms = performance.now() - start;
      clearInterval(timer);
      resolve({ ms, peakRssKb: peak, exitCode, output: Buffer.concat(chunks).toString('utf8') });
    });
  });
}
