import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { GITOPS_DIR, MaydayError } from '@mayday/model';
import { Git } from './git.ts';
import { GITOPS_CONFIG_FILE, type GitopsConfig } from './gitops-config.ts';

/** A file of a git tree: its mode and blob id. */
export interface TreeEntry {
  mode: string;
  sha: string;
}

/** Repository path → entry, for everything under gitops/. */
export type TreeSnapshot = Map<string, TreeEntry>;

export interface RemoteOptions {
  workspaceRoot: string;
  config: GitopsConfig;
  /** Publish to or compare with this repository instead of gitops.yaml's (a fork, a test remote). */
  remote?: string;
  branch?: string;
  /** Where a token named by gitops.yaml's credentials.tokenEnv is read (default: process.env). */
  environment?: NodeJS.ProcessEnv;
}

/**
 * The GitOps branch as seen from a private scratch repository in a temp folder: fetching,
 * building and pushing happen there, so the user's working tree, index and refs are never
 * touched and concurrent runs never share an index or a lock.
 */
export class GitopsRemote {
  readonly git: Git;
  readonly url: string;
  readonly branch: string;
  readonly scratch: string;
  /** The URL as it may appear in logs. */
  readonly displayUrl: string;

  private constructor(git: Git, url: string, branch: string, scratch: string) {
    this.git = git;
    this.url = url;
    this.branch = branch;
    this.scratch = scratch;
    this.displayUrl = git.redact(url);
  }

  static async open(options: RemoteOptions): Promise<GitopsRemote> {
    const { config } = options;
    const url =
      options.remote ??
      (config.mode === 'commit' ? pathToFileURL(resolve(options.workspaceRoot)).href : config.repository);
    const scratch = mkdtempSync(join(tmpdir(), 'mayday-gitops-'));
    const gitDir = join(scratch, 'repo.git');
    // no template: no sample hooks to copy, and none to run
    const init = await execa('git', ['init', '--bare', '--quiet', '--template=', gitDir], {
      env: { GIT_CONFIG_NOSYSTEM: '1' },
      reject: false,
    });
    if (init.exitCode !== 0) {
      rmSync(scratch, { recursive: true, force: true });
      const missing = (init as { code?: string }).code === 'ENOENT';
      throw new MaydayError({
        severity: 'error',
        file: GITOPS_CONFIG_FILE,
        field: 'repository',
        rule: 'gitops-remote',
        message: missing
          ? 'git is not on PATH: push and diff run git to reach the GitOps repository'
          : `git init failed: ${init.stderr.trim() || init.message}`,
        hint: missing ? 'install git (2.31 or newer) and put it on PATH' : 'check that the temp folder is writable',
      });
    }
    const token = config.credentials
      ? (options.environment?.[config.credentials.tokenEnv] ?? process.env[config.credentials.tokenEnv])
      : undefined;
    const secrets: string[] = [];
    let auth: Record<string, string> = {};
    if (token && config.credentials) {
      const basic = Buffer.from(`${config.credentials.username}:${token}`).toString('base64');
      secrets.push(token, basic);
      // a header through the environment: the token is never in argv, a URL, a file or a log
      auth = { 'http.extraHeader': `Authorization: Basic ${basic}` };
    }
    const password = passwordOf(url);
    if (password) secrets.push(password);
    const git = new Git(gitDir, { config: auth, secrets });
    return new GitopsRemote(git, url, options.branch ?? config.branch, scratch);
  }

  get ref(): string {
    return `refs/heads/${this.branch}`;
  }

  /** Fetches the branch tip (only the tip: its history is not needed); undefined when the branch does not exist yet. */
  async fetchTip(): Promise<string | undefined> {
    const local = `refs/remotes/published/${this.branch}`;
    const result = await this.git.run(
      ['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--depth=1', this.url, `+${this.ref}:${local}`],
      { allowFailure: true },
    );
    if (!result.ok) {
      if (/couldn't find remote ref/i.test(result.stderr)) return undefined;
      if (isPlaceholder(this.url)) {
        throw new MaydayError({
          severity: 'error',
          file: GITOPS_CONFIG_FILE,
          field: 'repository',
          rule: 'gitops-remote',
          message: `repository is still the placeholder ${this.displayUrl} (a reserved .example host, which never resolves)`,
          hint: 'set repository in platform/gitops.yaml to the URL of your Git repository (the one Argo CD clones), then run the command again',
        });
      }
      throw new MaydayError({
        severity: 'error',
        file: GITOPS_CONFIG_FILE,
        field: 'repository',
        rule: 'gitops-remote',
        message: `cannot fetch ${this.branch} from ${this.displayUrl}: ${result.stderr.trim().split('\n').pop()}`,
        hint: 'check the repository URL and, for HTTPS, that the variable named by credentials.tokenEnv holds a valid token',
      });
    }
    return this.readLocalRef(local) ?? this.git.text(['rev-parse', '--verify', `${local}^{commit}`]);
  }

  /** A fresh scratch repository keeps fetched refs as loose files: reading one saves a git process per attempt. */
  private readLocalRef(ref: string): string | undefined {
    try {
      const value = readFileSync(join(this.git.gitDir, ref), 'utf8').trim();
      return /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(value) ? value : undefined;
    } catch {
      return undefined;
    }
  }

  /** Every file under gitops/ in a commit. */
  async snapshot(commit: string | undefined): Promise<TreeSnapshot> {
    const snapshot: TreeSnapshot = new Map();
    if (!commit) return snapshot;
    const out = await this.git.text(['ls-tree', '-r', '-z', '--full-tree', commit, '--', GITOPS_DIR]);
    for (const record of out.split('\0')) {
      if (!record) continue;
      const tab = record.indexOf('\t');
      const [mode, , sha] = record.slice(0, tab).split(' ');
      snapshot.set(record.slice(tab + 1), { mode, sha });
    }
    return snapshot;
  }

  /** Blob contents by id, in one `cat-file --batch`. */
  async readBlobs(shas: Iterable<string>): Promise<Map<string, string>> {
    const wanted = [...new Set(shas)];
    const contents = new Map<string, string>();
    if (wanted.length === 0) return contents;
    const { bytes } = await this.git.run(['cat-file', '--batch'], { input: wanted.join('\n') + '\n', binary: true });
    let at = 0;
    const data = bytes ?? Buffer.alloc(0);
    for (const sha of wanted) {
      const headerEnd = data.indexOf(0x0a, at);
      const [, , size] = data.subarray(at, headerEnd).toString('utf8').split(' ');
      const start = headerEnd + 1;
      const end = start + Number(size);
      contents.set(sha, data.subarray(start, end).toString('utf8'));
      at = end + 1;
    }
    return contents;
  }

  close(): void {
    rmSync(this.scratch, { recursive: true, force: true });
  }
}

/** A host under .example (RFC 2606), as the repository's shipped placeholder uses. */
function isPlaceholder(url: string): boolean {
  try {
    return /\.example$/i.test(new URL(url).hostname);
  } catch {
    return false;
  }
}

function passwordOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.password ? decodeURIComponent(parsed.password) : undefined;
  } catch {
    return undefined;
  }
}
