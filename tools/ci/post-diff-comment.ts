// Posts mayday's markdown diff on the pull request (GitHub) or merge request (GitLab) that CI runs for, as one
// comment that every later run of the same request updates instead of adding another.
//   node tools/ci/post-diff-comment.ts tmp/gitops-diff.md
// GitHub Actions: GITHUB_TOKEN (pull-requests: write), GITHUB_API_URL, GITHUB_REPOSITORY, GITHUB_EVENT_PATH.
// GitLab CI: GITLAB_TOKEN (a project access token with the api scope), CI_API_V4_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID.
import { readFileSync } from 'node:fs';

/** The first line of mayday's comment: how a later run finds the comment to update. */
export const COMMENT_MARKER = '<!-- mayday:gitops-diff -->';

export interface ReviewTarget {
  forge: 'github' | 'gitlab';
  /** The request's comments (GitHub issue comments, GitLab notes). */
  listUrl: string;
  /** The URL of one of them, to update it. */
  itemUrl(id: number): string;
  headers: Record<string, string>;
  /** GitHub updates with PATCH, GitLab with PUT. */
  updateMethod: 'PATCH' | 'PUT';
}

/** Where to comment, from the variables the CI host sets; an error names the variable that is missing. */
export function reviewTarget(env: NodeJS.ProcessEnv): ReviewTarget {
  const need = (name: string) => {
    const value = env[name];
    if (!value)
      throw new Error(
        `${name} is not set: run this in the CI job of a pull or merge request (see platform/ci/README.md)`,
      );
    return value;
  };
  if (env.GITHUB_ACTIONS === 'true') {
    const api = (env.GITHUB_API_URL ?? 'https://api.github.com').replace(/\/$/, '');
    const event = JSON.parse(readFileSync(need('GITHUB_EVENT_PATH'), 'utf8')) as { pull_request?: { number?: number } };
    const number = event.pull_request?.number;
    if (!number) throw new Error('GITHUB_EVENT_PATH holds no pull_request: run this on pull_request events only');
    const repo = `${api}/repos/${need('GITHUB_REPOSITORY')}`;
    return {
      forge: 'github',
      listUrl: `${repo}/issues/${number}/comments`,
      itemUrl: (id) => `${repo}/issues/comments/${id}`,
      headers: {
        Authorization: `Bearer ${need('GITHUB_TOKEN')}`,
        Accept: 'application/vnd.github+json',
        'X-GitHub-Api-Version': '2022-11-28',
      },
      updateMethod: 'PATCH',
    };
  }
  if (env.GITLAB_CI === 'true') {
    const project = `${need('CI_API_V4_URL').replace(/\/$/, '')}/projects/${encodeURIComponent(need('CI_PROJECT_ID'))}`;
    const notes = `${project}/merge_requests/${need('CI_MERGE_REQUEST_IID')}/notes`;
    return {
      forge: 'gitlab',
      listUrl: notes,
      itemUrl: (id) => `${notes}/${id}`,
      headers: { 'PRIVATE-TOKEN': need('GITLAB_TOKEN') },
      updateMethod: 'PUT',
    };
  }
  throw new Error(
    'neither GITHUB_ACTIONS nor GITLAB_CI is true: this posts from a CI job of GitHub Actions or GitLab CI',
  );
}

/** Creates mayday's comment, or updates the one an earlier run left. Returns what it did and the comment's id. */
export async function upsertComment(
  target: ReviewTarget,
  markdown: string,
  request: typeof fetch = fetch,
): Promise<{ action: 'created' | 'updated'; id: number }> {
  const body = `${COMMENT_MARKER}\n${markdown}`;
  const json = { ...target.headers, 'Content-Type': 'application/json' };
  const existing = await findComment(target, request);
  const response = existing
    ? await request(target.itemUrl(existing), {
        method: target.updateMethod,
        headers: json,
        body: JSON.stringify({ body }),
      })
    : await request(target.listUrl, { method: 'POST', headers: json, body: JSON.stringify({ body }) });
  if (!response.ok)
    throw new Error(
      `${existing ? target.updateMethod : 'POST'} ${response.url || target.listUrl}: ${response.status} ${await response.text()}`,
    );
  const { id } = (await response.json()) as { id: number };
  return { action: existing ? 'updated' : 'created', id };
}

async function findComment(target: ReviewTarget, request: typeof fetch): Promise<number | undefined> {
  for (let page = 1; page <= 20; page++) {
    const response = await request(`${target.listUrl}?per_page=100&page=${page}`, { headers: target.headers });
    if (!response.ok) throw new Error(`GET ${target.listUrl}: ${response.status} ${await response.text()}`);
    const comments = (await response.json()) as { id: number; body?: string }[];
    const ours = comments.find((c) => c.body?.startsWith(COMMENT_MARKER));
    if (ours) return ours.id;
    if (comments.length < 100) return undefined;
  }
  return undefined;
}

if (import.meta.main) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node tools/ci/post-diff-comment.ts <markdown file>\n');
    process.exit(2);
  }
  try {
    const target = reviewTarget(process.env);
    const { action, id } = await upsertComment(target, readFileSync(file, 'utf8'));
    process.stdout.write(`mayday diff comment ${action} (${target.forge} comment ${id})\n`);
  } catch (error) {
    process.stderr.write(`post-diff-comment: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
