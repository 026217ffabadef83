import { execa } from 'execa';

/** What a git run returned; `ok` is exit code 0. */
export interface GitResult {
  ok: boolean;
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout as bytes, when asked for with `binary`. */
  bytes?: Buffer;
}

export interface GitOptions {
  input?: string | Buffer;
  /** Extra environment for this call (GIT_INDEX_FILE, author …). */
  env?: Record<string, string>;
  /** Return a failed result instead of throwing. */
  allowFailure?: boolean;
  /** Keep stdout as bytes (cat-file --batch). */
  binary?: boolean;
}

/** Thrown when git fails unexpectedly; its message is already free of credentials. */
export class GitCommandError extends Error {
  readonly result: GitResult;
  constructor(message: string, result: GitResult) {
    super(message);
    this.name = 'GitCommandError';
    this.result = result;
  }
}

/**
 * Runs git as a program with an argument array in one repository. Every message that leaves
 * this object (errors, stderr) has the given secrets and any URL user-info replaced by `***`.
 */
export class Git {
  readonly gitDir: string;
  private readonly baseEnv: Record<string, string>;
  private readonly secrets: string[];

  constructor(
    gitDir: string,
    options: { env?: Record<string, string>; config?: Record<string, string>; secrets?: readonly string[] } = {},
  ) {
    this.gitDir = gitDir;
    this.baseEnv = {
      ...QUIET_GIT_ENV,
      ...configEnv({ 'gc.auto': '0', 'maintenance.auto': 'false', ...options.config }),
      ...options.env,
    };
    this.secrets = (options.secrets ?? []).filter((s) => s.length >= 4);
  }

  async run(args: readonly string[], options: GitOptions = {}): Promise<GitResult> {
    const result = await execa('git', ['--git-dir', this.gitDir, ...args], {
      env: { ...this.baseEnv, ...options.env },
      input: options.input,
      reject: false,
      stripFinalNewline: false,
      encoding: options.binary ? 'buffer' : 'utf8',
    });
    const out: GitResult = {
      ok: result.exitCode === 0,
      exitCode: result.exitCode ?? -1,
      stdout: options.binary ? '' : asText(result.stdout),
      stderr: this.redact(asText(result.stderr)),
      bytes: options.binary ? Buffer.from(result.stdout as unknown as Uint8Array) : undefined,
    };
    if (!out.ok && !options.allowFailure) {
      throw new GitCommandError(
        `git ${this.redact(args.join(' '))} failed (exit ${out.exitCode}): ${out.stderr.trim() || 'no message'}`,
        out,
      );
    }
    return out;
  }

  /** stdout without the final newline. */
  async text(args: readonly string[], options: GitOptions = {}): Promise<string> {
    return (await this.run(args, options)).stdout.replace(/\n$/, '');
  }

  redact(text: string): string {
    return redactSecrets(text, this.secrets);
  }
}

const asText = (value: unknown): string =>
  typeof value === 'string' ? value : Buffer.from(value as Uint8Array).toString('utf8');

/** Removes secrets and `user:password@` parts of URLs from text meant for logs. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, '$1***@');
  for (const secret of secrets) if (secret) out = out.split(secret).join('***');
  return out;
}

/** No prompts, no pagers, no machine or user config surprises in parsing, no background gc. */
const QUIET_GIT_ENV: Record<string, string> = {
  GIT_TERMINAL_PROMPT: '0',
  GIT_ASKPASS: 'true',
  SSH_ASKPASS: 'true',
  GIT_PAGER: 'cat',
  LC_ALL: 'C',
};

/** Config given through the environment (git ≥ 2.31), so values such as tokens never appear in argv. */
export function configEnv(entries: Record<string, string>): Record<string, string> {
  const keys = Object.keys(entries);
  const env: Record<string, string> = { GIT_CONFIG_COUNT: String(keys.length) };
  keys.forEach((key, i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = entries[key];
  });
  return env;
}
