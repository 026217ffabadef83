import { execFile } from 'node:child_process';

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** git with an argument array (never a shell string), in `cwd`; resolves with the exit code instead of throwing. */
export function git(
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<GitResult> {
  return new Promise(resolvePromise => {
    execFile(
      'git',
      args,
      {
        cwd,
        env: { ...process.env, GIT_TERMINAL_PROMPT: '0', ...env },
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error
          ? typeof error.code === 'number'
            ? error.code
            : 1
          : 0;
        resolvePromise({ code, stdout, stderr });
      },
    );
  });
}

/** The remote's own words, one line, without git's "hint:" lines. */
export function gitMessage(result: GitResult): string {
  return (
    result.stderr
      .split('\n')
      .map(line => line.trim())
      .filter(line => line && !line.startsWith('hint:'))
      .join('; ') || `git exited with ${result.code}`
  );
}
