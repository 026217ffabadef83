import { execa } from 'execa';
import { parse, stringify } from 'yaml';
import { GITOPS_DIR, isRecord, MaydayError } from '@mayday/model';

/**
 * On the GitOps branch beside the env folders: app → env → the source commit that folder was
 * rendered from. Argo CD's directory generator only looks at gitops/<env>/*, so it never syncs it.
 */
export const SOURCES_FILE = `${GITOPS_DIR}/sources.yaml`;

/** app → env → source commit. */
export type PublishedSources = Map<string, Map<string, string>>;

const HEADER =
  '# The source commit each gitops/<env>/<app> folder on this branch was rendered from. Written by `nx run <app>:push`:\n' +
  '# a push whose source does not descend from the one recorded here is refused (--force records a rollback).\n';

export function parseSources(text: string | undefined, branch: string): PublishedSources {
  const sources: PublishedSources = new Map();
  if (text === undefined) return sources;
  let data: unknown;
  try {
    data = parse(text) ?? {};
  } catch (error) {
    throw sourcesError(branch, `does not parse: ${(error as Error).message.split('\n')[0]}`);
  }
  if (!isRecord(data)) throw sourcesError(branch, 'must map apps to envs to commits');
  for (const [app, envs] of Object.entries(data)) {
    if (!isRecord(envs)) throw sourcesError(branch, `${app} must map envs to commits`);
    const byEnv = new Map<string, string>();
    for (const [env, commit] of Object.entries(envs)) {
      if (typeof commit !== 'string' || !/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(commit))
        throw sourcesError(branch, `${app}.${env} must be a full commit id`);
      byEnv.set(env, commit);
    }
    sources.set(app, byEnv);
  }
  return sources;
}

/** Same sources, same bytes: apps and envs sorted. */
export function serializeSources(sources: PublishedSources): string {
  const data: Record<string, Record<string, string>> = {};
  for (const app of [...sources.keys()].sort()) {
    const envs = sources.get(app)!;
    if (envs.size === 0) continue;
    data[app] = Object.fromEntries([...envs.keys()].sort().map((env) => [env, envs.get(env)!]));
  }
  return HEADER + (Object.keys(data).length ? stringify(data) : '{}\n');
}

function sourcesError(branch: string, problem: string): MaydayError {
  return new MaydayError({
    severity: 'error',
    file: `${SOURCES_FILE} on ${branch}`,
    rule: 'gitops-sources',
    message: `${SOURCES_FILE} on the ${branch} branch ${problem}`,
    hint: `it is written by push only; restore it from the branch's history (git log -- ${SOURCES_FILE})`,
  });
}

/** How a published source relates to this run's source, read from the workspace's own history. */
export type SourceOrder = 'same' | 'older' | 'not-ancestor' | 'unknown-here';

export async function sourceOrder(workspaceRoot: string, published: string, ours: string): Promise<SourceOrder> {
  if (published === ours) return 'same';
  if (ours === 'unknown') return 'not-ancestor';
  const result = await execa('git', ['-C', workspaceRoot, 'merge-base', '--is-ancestor', published, ours], {
    reject: false,
  });
  if (result.exitCode === 0) return 'older';
  if (result.exitCode === 1) return 'not-ancestor';
  return 'unknown-here';
}
