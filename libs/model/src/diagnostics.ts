/** A finding about a user's file: where it is, what is wrong, and what to do. */
export type Severity = 'error' | 'warning' | 'info';

export interface Diagnostic {
  severity: Severity;
  /** Path relative to the workspace root, e.g. `apps/shop/values-prd.yaml`. */
  file: string;
  line?: number;
  column?: number;
  /** The field, as a dotted path (`service.port`) where known. */
  field?: string;
  /** The rule or policy that produced the finding (`values-schema`, `image-tag`, …). */
  rule?: string;
  message: string;
  /** What the user should do about it. */
  hint?: string;
}

/**
 * An error caused by user input. Commands print its diagnostics, without a stack trace,
 * and exit non-zero; anything else is a bug in mayday and keeps its stack.
 */
export class MaydayError extends Error {
  readonly diagnostics: Diagnostic[];
  constructor(diagnostics: Diagnostic[] | Diagnostic, summary?: string) {
    const list = Array.isArray(diagnostics) ? diagnostics : [diagnostics];
    super(summary ?? list.map(formatDiagnostic).join('\n'));
    this.name = 'MaydayError';
    this.diagnostics = list;
  }
}

export function isMaydayError(error: unknown): error is MaydayError {
  return error instanceof MaydayError;
}

/** `file:line:col: severity [rule] field: message (hint)`: the shape editors and CI logs link. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = [d.file, d.line, d.line !== undefined ? d.column : undefined].filter((p) => p !== undefined).join(':');
  const rule = d.rule ? ` ${d.rule}` : '';
  const field = d.field ? ` ${d.field}:` : '';
  const hint = d.hint ? `\n    ↳ ${d.hint}` : '';
  return `${where}: ${d.severity}${rule}:${field} ${d.message}${hint}`;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}
