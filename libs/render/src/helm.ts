import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MaydayError } from '@mayday/model';

/** Arguments of one `helm template` call; every path is absolute. */
export interface HelmTemplateRequest {
  release: string;
  chartDir: string;
  namespace: string;
  kubeVersion: string;
  valuesFiles: readonly string[];
  /** Values set by the platform, passed as `--set-json key=<json>` (highest precedence). */
  setJson: Record<string, unknown>;
}

/** Runs `helm template` and returns its stdout. A seam for tests that must not spawn Helm. */
export type HelmTemplate = (request: HelmTemplateRequest) => Promise<string>;

/** The helm binary: $MAYDAY_HELM, else the pinned one in .tools/bin, else `helm` on PATH. */
export function resolveHelm(workspaceRoot: string): string {
  if (process.env.MAYDAY_HELM) return process.env.MAYDAY_HELM;
  const pinned = join(workspaceRoot, '.tools/bin/helm');
  return existsSync(pinned) ? pinned : 'helm';
}

export function helmTemplateArgs(request: HelmTemplateRequest): string[] {
  return [
    'template',
    request.release,
    request.chartDir,
    '--namespace',
    request.namespace,
    '--kube-version',
    request.kubeVersion,
    ...request.valuesFiles.flatMap((file) => ['--values', file]),
    ...setJsonValues(request.setJson).flatMap((value) => ['--set-json', value]),
  ];
}

/** `key=<json>` for each platform value, as `--set-json` takes them. */
export function setJsonValues(setJson: Record<string, unknown>): string[] {
  return Object.entries(setJson).map(([key, value]) => `${key}=${JSON.stringify(value)}`);
}

/** A HelmTemplate backed by the real binary, run with an argument array (never a shell string). */
export function helmTemplateWith(helmBinary: string): HelmTemplate {
  return async (request) => {
    const { execa } = await import('execa'); // loaded only where the helm binary runs: render and lint use the engine
    const result = await execa(helmBinary, helmTemplateArgs(request), { reject: false, stripFinalNewline: false });
    if (result.failed && result.exitCode === undefined) {
      throw new MaydayError({
        severity: 'error',
        file: helmBinary,
        message: `cannot run helm: ${result.code ?? result.shortMessage}`,
        hint: 'run `npm run setup` (it installs the pinned Helm into .tools/bin) or set MAYDAY_HELM',
      });
    }
    if (result.failed) throw new HelmError(String(result.stderr).trim() || `helm exited with code ${result.exitCode}`);
    return String(result.stdout);
  };
}

/** Helm's own message, kept whole so the renderer can say which app, env and files caused it. */
export class HelmError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HelmError';
  }
}
