import { formatDiagnostic } from '@mayday/model';
import type { AppLintResult, EnvLintResult, LintFinding } from './lint-app.ts';

export interface LintTotals {
  errors: number;
  warnings: number;
  waived: number;
}

/** Counts each finding once per app: an error in a values file every env shares is one mistake, printed once. */
export function totals(results: readonly AppLintResult[]): LintTotals {
  const all = results.flatMap((r) => distinct([...r.findings, ...r.envs.flatMap((e) => e.findings)]));
  return {
    errors: all.filter((f) => f.severity === 'error').length,
    warnings: all.filter((f) => f.severity === 'warning').length,
    waived: results.reduce((n, r) => n + r.envs.reduce((m, e) => m + e.waived.length, 0), 0),
  };
}

/** The findings of one app, each once: the same file, line, rule and message found in several envs is one. */
function distinct(findings: readonly LintFinding[]): LintFinding[] {
  const seen = new Map<string, LintFinding>();
  for (const f of findings) if (!seen.has(formatDiagnostic(f))) seen.set(formatDiagnostic(f), f);
  return [...seen.values()];
}

const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function envSummary(e: EnvLintResult): string {
  const errors = e.findings.filter((f) => f.severity === 'error').length;
  const warnings = e.findings.filter((f) => f.severity === 'warning').length;
  const parts = [count(e.resources, 'resource'), count(errors, 'error'), count(warnings, 'warning')];
  if (e.waived.length) parts.push(`${e.waived.length} waived`);
  return `${errors ? '✖' : '✔'} ${e.app} ${e.env} (${e.policyProfile}, ${e.namespace}): ${parts.join(', ')}`;
}

/** One line per finding (`path:line: severity rule field: message`), the waivers in force, then a summary per app and env. */
export function formatLintText(results: readonly AppLintResult[]): string {
  const lines: string[] = [];
  for (const result of results) {
    // A values file shared by every env gives the same finding once per env: print it once.
    for (const f of distinct([...result.findings, ...result.envs.flatMap((e) => e.findings)]))
      lines.push(formatDiagnostic(f));
    for (const f of result.envs.flatMap((e) => e.waived)) {
      const where = `${f.waiver!.file}${f.waiver!.line ? `:${f.waiver!.line}` : ''}`;
      lines.push(
        `${formatDiagnostic({ ...f, severity: 'info', hint: undefined })}\n    ↳ waived in ${f.env} by ${where}: ${f.waiver!.reason}`,
      );
    }
    for (const e of result.envs) lines.push(envSummary(e));
  }
  const t = totals(results);
  lines.push(
    `${count(results.length, 'app')} linted: ${count(t.errors, 'error')}, ${count(t.warnings, 'warning')}${t.waived ? `, ${t.waived} waived` : ''}`,
  );
  return lines.join('\n') + '\n';
}

/** Machine-readable report for `--format=json`. */
export function formatLintJson(results: readonly AppLintResult[]): string {
  const apps = results.map((r) => ({
    app: r.app,
    findings: r.findings,
    envs: r.envs.map((e) => ({
      env: e.env,
      namespace: e.namespace,
      policyProfile: e.policyProfile,
      resources: e.resources,
      errors: e.findings.filter((f) => f.severity === 'error').length,
      warnings: e.findings.filter((f) => f.severity === 'warning').length,
      findings: e.findings,
      waived: e.waived,
    })),
  }));
  return JSON.stringify({ ...totals(results), apps }, null, 2) + '\n';
}
