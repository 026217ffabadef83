import { execFile } from 'node:child_process';
import { join } from 'node:path';

export interface GeneratorChange {
  path: string;
  type: 'CREATE' | 'UPDATE' | 'DELETE';
}
export type GeneratorResult =
  | { ok: true; changes: GeneratorChange[] }
  | { ok: false; message: string };

/** The workspace's own runner of its Nx generators (tools/generators/src/run-generator.ts), the way `nx g` runs them. */
export const RUN_GENERATOR = 'tools/generators/src/run-generator.ts';

/**
 * Runs `mayday:<generator>` on `folder` in a Node process of its own: the workspace is native ESM TypeScript run by
 * Node's type stripping, which neither the backend's CommonJS module system nor its Jest transform can load as is.
 */
export function runMaydayGenerator(
  workspace: string,
  generator: string,
  folder: string,
  options: Record<string, unknown>,
  dryRun: boolean,
): Promise<GeneratorResult> {
  const args = [
    join(workspace, RUN_GENERATOR),
    generator,
    folder,
    JSON.stringify(options),
  ];
  if (dryRun) args.push('--dry-run');
  // Only what Node needs: no NODE_OPTIONS from a test runner, no loader hooks of the backend's dev mode.
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    NX_DAEMON: 'false',
  };
  return new Promise((resolvePromise, reject) => {
    execFile(
      process.execPath,
      args,
      { cwd: workspace, env, timeout: 120_000 },
      (error, stdout, stderr) => {
        const line = stdout.trim().split('\n').pop() ?? '';
        try {
          resolvePromise(JSON.parse(line) as GeneratorResult);
        } catch {
          reject(
            new Error(
              `${RUN_GENERATOR} in ${workspace} failed${
                error ? ` (${error.message})` : ''
              }: ${stderr.trim() || stdout.trim()}`,
            ),
          );
        }
      },
    );
  });
}
