import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A server process the harness started: its log file, and how to stop it. */
export interface ServerProcess {
  name: string;
  log: string;
  readonly exited: boolean;
  /** The last lines of its log, for error messages. */
  tail(lines?: number): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once, as a crash. */
  kill(): Promise<void>;
}

const running = new Set<ChildProcess>();
// A test process that ends without calling stop() (a crash, a timeout) still takes its servers with it.
process.once('exit', () => {
  for (const child of running) if (child.exitCode === null) killGroup(child, 'SIGKILL');
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

/** Starts `program args` in its own process group, output to `<logDir>/<name>.log`, environment `env` added. */
export function startProcess(
  name: string,
  program: string,
  args: readonly string[],
  options: { logDir: string; env?: Record<string, string>; cwd?: string },
): ServerProcess {
  const log = join(options.logDir, `${name}.log`);
  const fd = openSync(log, 'a');
  const child = spawn(program, [...args], {
    cwd: options.cwd ?? options.logDir,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', fd, fd],
    detached: true,
  });
  closeSync(fd);
  running.add(child);
  let spawnError: Error | undefined;
  child.once('error', (error) => (spawnError = error));
  const gone = new Promise<void>((resolve) => child.once('close', () => (running.delete(child), resolve())));
  const stop = async (graceMs = 5000) => {
    if (child.exitCode !== null || child.signalCode !== null || spawnError) return;
    killGroup(child, 'SIGTERM');
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
    await gone;
    clearTimeout(timer);
  };
  return {
    name,
    log,
    get exited() {
      return child.exitCode !== null || child.signalCode !== null || spawnError !== undefined;
    },
    tail: (lines = 15) => {
      if (spawnError) return `${program} could not start: ${spawnError.message}`;
      return existsSync(log) ? readFileSync(log, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '';
    },
    stop,
    kill: () => stop(0),
  };
}

/** A TCP port free on 127.0.0.1 now. */
export { freePort } from '@mayday/testing';

/**
 * Polls `check` until it returns a value other than undefined, or fails after `timeoutMs` saying what it waited
 * for and, if given, what the server last logged.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  options: { timeoutMs: number; intervalMs?: number; context?: () => string; gone?: ServerProcess },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    // a server that exited will not become ready: say so at once, with its last words
    if (options.gone?.exited)
      throw new Error(`${options.gone.name} exited while waiting for ${what}:\n${options.gone.tail()}`);
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const last = lastError instanceof Error ? `\nlast error: ${lastError.message}` : '';
      const context = options.context ? `\n${options.context()}` : '';
      throw new Error(`timed out after ${Math.round(options.timeoutMs / 1000)} s waiting for ${what}${last}${context}`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 200));
  }
}
