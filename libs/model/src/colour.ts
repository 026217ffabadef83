import { readlinkSync } from 'node:fs';
import { isatty } from 'node:tty';
import pc from 'picocolors';

export interface ColourContext {
  env: NodeJS.ProcessEnv;
  /** Whether this process writes to a terminal. */
  stdoutIsTerminal: boolean;
  /** Whether the process that started this one (Nx, for a task) writes to a terminal. */
  parentIsTerminal: () => boolean;
}

/**
 * Whether mayday colours what it prints: `NO_COLOR` (no-color.org) and `FORCE_COLOR` as every CLI reads them, colours
 * in CI logs (they render them), otherwise only where a person reads a terminal. Nx sets `FORCE_COLOR=true` in every
 * task process unless the user set it (nx's task-env), so inside an Nx task that value says nothing about the reader:
 * what counts is where Nx itself writes. A pipe (`nx run shop:render | less`, a log file) gets plain text.
 */
export function colourWanted(context: ColourContext = currentProcess()): boolean {
  const { env } = context;
  if (env.NO_COLOR) return false;
  const nxDefault = env.FORCE_COLOR === 'true' && env.NX_FORKED_TASK_EXECUTOR === 'true';
  if (env.FORCE_COLOR !== undefined && !nxDefault) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  if (env.CI !== undefined && env.CI !== 'false') return true;
  if (context.stdoutIsTerminal) return true;
  return nxDefault && context.parentIsTerminal();
}

function currentProcess(): ColourContext {
  return {
    env: process.env,
    stdoutIsTerminal: isatty(1),
    parentIsTerminal: () => {
      try {
        return /^\/dev\/(pts\/\d+|tty)/.test(readlinkSync(`/proc/${process.ppid}/fd/1`));
      } catch {
        return true; // no /proc (macOS): keep Nx's choice
      }
    },
  };
}

/** picocolors, on or off by `colourWanted()`: what mayday's commands colour their output with. */
export const colours = pc.createColors(colourWanted());
export type Colours = typeof colours;
