import { execa } from 'execa';

/** What a program returned; `ok` is exit code 0. */
export interface RunResult {
  ok: boolean;
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string | Buffer;
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Milliseconds before the program is killed (default: none). */
  timeout?: number;
}

/** A program that failed where mayday needed it to succeed: its command line and what it said. */
export class CommandFailed extends Error {
  readonly result: RunResult;
  constructor(command: string, result: RunResult) {
    const said = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-12).join('\n');
    super(`${command} failed (exit ${result.exitCode})${said ? `:\n${said}` : ''}`);
    this.name = 'CommandFailed';
    this.result = result;
  }
}

/** Runs a program with an argument array (never a shell string); never throws on a non-zero exit. */
export async function run(program: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  try {
    const r = await execa(program, [...args], {
      input: options.input,
      env: options.env,
      cwd: options.cwd,
      timeout: options.timeout,
      reject: false,
      stripFinalNewline: false,
    });
    return { ok: r.exitCode === 0, exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
  } catch (error) {
    // a program that cannot start at all (ENOENT)
    return { ok: false, exitCode: 127, stdout: '', stderr: (error as Error).message };
  }
}

/** Runs a program and returns its stdout; a failure throws CommandFailed with what the program said. */
export async function output(program: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  const result = await run(program, args, options);
  if (!result.ok) throw new CommandFailed([program, ...args].join(' '), result);
  return result.stdout;
}

/** Runs a program and streams its output to `log` line by line (long builds show progress). */
export async function stream(
  program: string,
  args: readonly string[],
  log: (line: string) => void,
  options: RunOptions = {},
): Promise<void> {
  const child = execa(program, [...args], {
    env: options.env,
    cwd: options.cwd,
    input: options.input,
    reject: false,
    all: true,
    buffer: { all: true },
  });
  const tail: string[] = [];
  child.all?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (!line.trim()) continue;
      tail.push(line);
      if (tail.length > 40) tail.shift();
      log(line);
    }
  });
  const r = await child;
  if (r.exitCode !== 0) {
    throw new CommandFailed([program, ...args].join(' '), {
      ok: false,
      exitCode: r.exitCode ?? -1,
      stdout: '',
      stderr: tail.join('\n'),
    });
  }
}
