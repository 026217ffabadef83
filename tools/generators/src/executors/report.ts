import pc from 'picocolors';
import { formatDiagnostic, isMaydayError, type Diagnostic } from '@mayday/model';

/** Prints diagnostics the way linters do: `file:line:col: severity rule field: message`. */
export function printDiagnostics(
  diagnostics: readonly Diagnostic[],
  stream: NodeJS.WritableStream = process.stderr,
): void {
  for (const d of diagnostics) {
    const text = formatDiagnostic(d);
    const colour = d.severity === 'error' ? pc.red : d.severity === 'warning' ? pc.yellow : pc.cyan;
    stream.write(text.replace(` ${d.severity}`, ` ${colour(d.severity)}`) + '\n');
  }
}

/**
 * Runs an executor body; a user mistake (MaydayError) is printed without a stack trace and
 * turns into `{ success: false }`, anything else is a bug and is rethrown with its stack.
 */
export async function runReported(body: () => Promise<boolean>): Promise<{ success: boolean }> {
  try {
    return { success: await body() };
  } catch (error) {
    if (!isMaydayError(error)) throw error;
    printDiagnostics(error.diagnostics);
    return { success: false };
  }
}
