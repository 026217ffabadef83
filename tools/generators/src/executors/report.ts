import { colours, type Diagnostic, formatDiagnostic, isMaydayError } from '@mayday/model';

const SEVERITY_COLOURS = { error: colours.red, warning: colours.yellow, info: colours.cyan } as const;

/** Colours diagnostics as formatDiagnostic (and lint's report, made of them) prints them: severities, ✖ and ✔. */
export function colourDiagnostics(text: string): string {
  return text
    .replace(
      /: (error|warning|info)(?=[ :])/g,
      (_, severity: keyof typeof SEVERITY_COLOURS) => `: ${SEVERITY_COLOURS[severity](severity)}`,
    )
    .replace(/^✖/gm, colours.red('✖'))
    .replace(/^✔/gm, colours.green('✔'));
}

/** One diagnostic the way linters print it: `file:line:col: severity rule field: message`, coloured. */
export const colouredDiagnostic = (d: Diagnostic): string => colourDiagnostics(formatDiagnostic(d));

/** Prints diagnostics the way linters do, one a line. */
export function printDiagnostics(
  diagnostics: readonly Diagnostic[],
  stream: NodeJS.WritableStream = process.stderr,
): void {
  for (const d of diagnostics) stream.write(colouredDiagnostic(d) + '\n');
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
