import pc from 'picocolors';
import { isMaydayError } from '@mayday/model';
import { printDiagnostics } from './report.ts';

/**
 * Runs a lab command: a user mistake or a failed preflight prints its diagnostics; a failure of the machine or the
 * cluster (a build, kubectl, a wait that timed out) prints what failed, without a stack trace unless
 * NX_VERBOSE_LOGGING=true, and what to do next. Either way the target fails.
 */
export async function runLab(command: string, body: () => Promise<boolean>): Promise<{ success: boolean }> {
  try {
    return { success: await body() };
  } catch (error) {
    if (isMaydayError(error)) printDiagnostics(error.diagnostics);
    else {
      const e = error as Error;
      process.stderr.write(`${pc.red('error')} platform:${command}: ${e.message}\n`);
      if (process.env.NX_VERBOSE_LOGGING === 'true') process.stderr.write(`${e.stack ?? ''}\n`);
      if (command === 'up')
        process.stderr.write(
          `    ↳ what was created stays: \`nx run platform:status\` shows it, \`nx run platform:up\` continues from there, \`nx run platform:down\` removes it\n`,
        );
    }
    return { success: false };
  }
}
