// The bad-input corpus: every row puts one mistake into a real workspace, runs the real command, and
// checks the exit code, that the message names the file and field, that no stack trace is printed, and
// that nothing changed (git status, a snapshot of gitops/, the published branch).
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTempWorkspace, mustSucceed, type TempWorkspace } from '@mayday/testing';
import { bareRepository } from '../../libs/gitops/src/test-support/git-remotes.ts';

interface BadInput {
  /** What is wrong, as a person would say it. */
  input: string;
  /** Puts the mistake into the workspace (the state "nothing changed" is measured from). */
  setup?: (ws: TempWorkspace) => void | Promise<void>;
  /** nx arguments. */
  command: string[];
  env?: Record<string, string>;
  exitCode?: number;
  /** What the message must name: the file, and the field or option. */
  names: string[];
  /** Undoes what setup did outside git's reach (mounts, permissions). */
  teardown?: (ws: TempWorkspace) => void;
}

const APP = 'hello';
const goodApp = ['--team=payments', '--port=8080', '--image=ghcr.io/acme/shop:1.4.2', '--no-interactive'];
const generate = (name: string, ...override: string[]) => {
  const keys = new Set(override.map((o) => o.split('=')[0]));
  return ['g', 'mayday:app', name, ...override, ...goodApp.filter((o) => !keys.has(o.split('=')[0]))];
};
const render = ['run', `${APP}:render`, '--skip-nx-cache'];
const lint = ['run', `${APP}:lint`, '--skip-nx-cache'];
const push = ['run', `${APP}:push`, '--exclude-task-dependencies'];
const write = (path: string, text: string | Buffer) => (ws: TempWorkspace) => {
  mkdirSync(dirname(join(ws.root, path)), { recursive: true });
  writeFileSync(join(ws.root, path), text);
};
const append = (path: string, text: string) => (ws: TempWorkspace) =>
  writeFileSync(join(ws.root, path), ws.read(path) + text);
const replace = (path: string, from: string | RegExp, to: string) => (ws: TempWorkspace) => {
  const before = ws.read(path);
  const after = before.replace(from, to);
  if (after === before) throw new Error(`${path}: ${String(from)} not found`);
  writeFileSync(join(ws.root, path), after);
};
const VALUES = `apps/${APP}/values.yaml`;
const STG = `apps/${APP}/values-stg.yaml`;
const PRD = `apps/${APP}/values-prd.yaml`;
const ENVS = 'platform/environments.yaml';
const GITOPS = 'platform/gitops.yaml';
const WAIVERS = `apps/${APP}/policy-waivers.yaml`;
const waiver = (policy: string, env: string, reason: string) =>
  `waivers:\n  - policy: ${policy}\n    env: ${env}\n    reason: ${reason}\n`;
const aliasBomb =
  [
    'a: &a ["x","x","x","x","x","x","x","x","x","x"]',
    ...'bcdefghi'.split('').map((k, i) => `${k}: &${k} [${Array(10).fill(`*${'abcdefghi'[i]}`).join(',')}]`),
  ].join('\n') + '\n';

/** Mounts a filesystem over a workspace folder for one row; `mount` is as root on this machine's kind. */
const mounts: string[] = [];
function mountOver(dir: string, args: string[]): void {
  execFileSync('mount', [...args, dir]);
  mounts.push(dir);
}
function unmountAll(): void {
  while (mounts.length) execFileSync('umount', [mounts.pop()!]);
}

let remote: Awaited<ReturnType<typeof bareRepository>>;
let noGitPath: string;

const cases: BadInput[] = [
  // the generator
  { input: 'an uppercase app name', command: generate('Shop'), names: ['app name "Shop"', 'DNS-1123 label'] },
  { input: 'an app name with an underscore', command: generate('shop_1'), names: ['app name "shop_1"'] },
  {
    input: 'an app name starting with a digit',
    command: generate('1shop'),
    names: ['app name "1shop"', 'must start with a letter'],
  },
  { input: 'a 300-character app name', command: generate('a'.repeat(300)), names: ['is 300 characters', 'at most'] },
  { input: 'an app name of ..', command: generate('..'), names: ['app name ".."'] },
  { input: 'a unicode app name', command: generate('café'), names: ['app name "café"'] },
  {
    input: 'an app name reserved by Kubernetes (kube-)',
    command: generate('kube-system'),
    names: ['app name "kube-system"', 'kube-'],
  },
  {
    input: 'an app named like the platform project',
    command: generate('platform'),
    names: ['app name "platform"', 'Nx project'],
  },
  {
    input: 'an app named like the base chart project',
    command: generate('base-chart'),
    names: ['app name "base-chart"', 'Nx project'],
  },
  {
    input: 'an app named like the plugin package',
    command: generate('mayday'),
    names: ['app name "mayday"', 'Nx project'],
  },
  {
    input: 'an app that already exists',
    command: generate(APP),
    names: [`app "${APP}" already exists at apps/${APP}/`],
  },
  {
    input: 'a team that is not a DNS label',
    command: generate('shop', '--team=Payments Team'),
    names: ['--team "Payments Team"'],
  },
  { input: 'an empty team', command: generate('shop', '--team='), names: ['--team ""'] },
  { input: 'port 0', command: generate('shop', '--port=0'), names: ['--port 0'] },
  { input: 'port 70000', command: generate('shop', '--port=70000'), names: ['--port 70000'] },
  { input: 'port in exponent notation', command: generate('shop', '--port=1e3'), names: ['--port 1e3', 'digits'] },
  {
    input: 'port with a leading zero',
    command: generate('shop', '--port', '08080'),
    names: ['--port 08080', 'digits'],
  },
  { input: 'a port that is not a number', command: generate('shop', '--port=abc'), names: ["'port'", "'abc'"] },
  { input: 'an empty image', command: generate('shop', '--image='), names: ['--image is required'] },
  {
    input: 'an image without a tag',
    command: generate('shop', '--image=ghcr.io/acme/shop'),
    names: ['--image', 'has no tag'],
  },
  {
    input: 'an image tagged latest',
    command: generate('shop', '--image=ghcr.io/acme/shop:latest'),
    names: ['--image', '"latest"'],
  },
  {
    input: 'an uppercase image repository',
    command: generate('shop', '--image=ghcr.io/Acme/shop:1.0.0'),
    names: ['--image', 'must be lowercase'],
  },
  {
    input: 'an image prd refuses (not semver)',
    command: generate('shop', '--image=nginx:1.27'),
    names: ['--image nginx:1.27', 'prd (strict)', 'mayday-image-pinned', 'platform/policies/image.yaml'],
  },
  {
    input: 'an image with a broken digest',
    command: generate('shop', '--image=ghcr.io/acme/shop@sha256:abc'),
    names: ['--image', 'invalid digest'],
  },
  {
    input: 'an option the generator does not have',
    command: [...generate('shop'), '--replicas=3'],
    names: ['replicas'],
  },
  // values files
  {
    input: 'a typo at the top of values.yaml',
    setup: append(VALUES, 'replicaz: 2\n'),
    command: render,
    names: [VALUES, 'replicaz', 'did you mean "replicas"'],
  },
  {
    input: 'a typo two levels deep',
    setup: replace(VALUES, '    path: /healthz', '    pathh: /healthz'),
    command: render,
    names: [VALUES, 'probes.liveness.pathh'],
  },
  {
    input: 'a typo three levels deep',
    setup: append(VALUES, 'resources:\n  requests:\n    cpux: 100m\n'),
    command: render,
    names: [VALUES, 'resources.requests.cpux'],
  },
  {
    input: 'a typo in an env file',
    setup: replace(PRD, 'minReplicas: 3', 'minReplica: 3'),
    command: render,
    names: [PRD, 'autoscaling.minReplica'],
  },
  {
    input: 'a port written as a string',
    setup: replace(VALUES, 'port: 9898', 'port: "9898"'),
    command: render,
    names: [VALUES, 'port', 'found string "9898"'],
  },
  {
    input: 'replicas as a word',
    setup: replace(STG, /^replicas: .*$/m, 'replicas: many'),
    command: render,
    names: [STG, 'replicas', 'found string "many"'],
  },
  {
    input: 'a malformed cpu quantity',
    setup: append(VALUES, 'resources:\n  requests:\n    cpu: lots\n'),
    command: render,
    names: [VALUES, 'resources.requests.cpu', 'Kubernetes resource quantity'],
  },
  {
    input: 'a YAML syntax error',
    setup: append(VALUES, 'extra: [unclosed\n'),
    command: render,
    names: [VALUES, 'yaml-syntax'],
  },
  { input: 'a duplicate key', setup: append(PRD, 'replicas: 4\n'), command: render, names: [PRD, 'yaml-syntax'] },
  {
    input: 'a tab for indentation',
    setup: append(VALUES, 'service:\n\tport: 80\n'),
    command: render,
    names: [VALUES, 'yaml-syntax'],
  },
  { input: 'a YAML alias bomb', setup: write(STG, aliasBomb), command: render, names: [STG, 'alias'] },
  {
    input: 'a 20 MB values file',
    setup: write(STG, `# ${'x'.repeat(78)}\n`.repeat(256 * 1024)),
    command: render,
    names: [STG, 'MiB', 'at most 1 MiB'],
  },
  {
    input: 'non-UTF-8 bytes',
    setup: write(STG, Buffer.from([0x72, 0x65, 0x70, 0x6c, 0x69, 0x63, 0x61, 0x73, 0x3a, 0x20, 0xff, 0xfe, 0x0a])),
    command: render,
    names: [STG, 'not UTF-8'],
  },
  { input: 'an empty values.yaml', setup: write(VALUES, ''), command: render, names: [VALUES, 'team', 'required'] },
  {
    input: 'a values file that is a symlink out of the repository',
    setup: (ws) => {
      const outside = join(mkdtempSync(join(tmpdir(), 'mayday-outside-')), 'values.yaml');
      writeFileSync(outside, 'replicas: 2\n');
      rmSync(join(ws.root, STG));
      symlinkSync(outside, join(ws.root, STG));
    },
    command: render,
    names: [STG, 'outside the workspace'],
  },
  {
    input: 'a values file that is a directory',
    setup: (ws) => {
      rmSync(join(ws.root, STG));
      mkdirSync(join(ws.root, STG, 'x'), { recursive: true });
      writeFileSync(join(ws.root, STG, 'x', 'keep'), '');
    },
    command: render,
    names: [STG, 'is a directory'],
  },
  {
    input: 'an env values file that is a list',
    setup: write(STG, '- replicas: 2\n'),
    command: render,
    names: [STG, 'must be a mapping'],
  },
  {
    input: 'a values file for an env that does not exist',
    setup: write(`apps/${APP}/values-prod.yaml`, 'replicas: 3\n'),
    command: render,
    names: [`apps/${APP}/values-prod.yaml`, 'envs: stg, prd', 'values-prd.yaml'],
  },
  {
    input: 'probes: null',
    setup: replace(VALUES, /^probes:\n( {2}.*\n)+/m, 'probes: null\n'),
    command: render,
    names: [VALUES, 'probes', 'null removes'],
  },
  {
    input: 'readiness: null',
    setup: append(STG, 'probes:\n  readiness: null\n'),
    command: render,
    names: [STG, 'probes.readiness', 'null removes'],
  },
  {
    input: 'a values typo caught by lint',
    setup: append(STG, 'replicaz: 2\n'),
    command: lint,
    names: [STG, 'replicaz'],
  },
  { input: 'an unknown lint format', command: [...lint, '--format=xml'], names: ['--format', 'text, json'] },
  {
    input: 'a misspelt lint option',
    command: [...lint, '--fromat=json'],
    names: ['--fromat', 'did you mean --format'],
  },
  { input: 'render of an env that does not exist', command: [...render, '--env=qa'], names: ['qa'] },
  // platform/environments.yaml
  {
    input: 'environments.yaml with a syntax error',
    setup: append(ENVS, '  - name: [\n'),
    command: render,
    names: [ENVS, 'yaml-syntax'],
  },
  {
    input: 'environments.yaml with a misspelt field',
    setup: replace(ENVS, 'kubernetesVersion:', 'kubernetesVersoin:'),
    command: render,
    names: [ENVS, 'kubernetesVersoin', 'did you mean "kubernetesVersion"'],
  },
  {
    input: 'environments.yaml declaring an env twice',
    setup: replace(ENVS, /name: prd$/m, 'name: stg'),
    command: render,
    names: [ENVS, 'declared twice'],
  },
  {
    input: 'environments.yaml with an uppercase env name',
    setup: replace(ENVS, /name: prd$/m, 'name: Prd'),
    command: render,
    names: [ENVS, 'environments[1].name'],
  },
  {
    input: 'a namespace rule without {app}',
    setup: replace(ENVS, 'namespace: "{app}-{env}"', 'namespace: "shared-{env}"'),
    command: render,
    names: [ENVS, 'namespace', '{app}'],
  },
  {
    input: 'environments.yaml missing',
    setup: (ws) => rmSync(join(ws.root, ENVS)),
    command: render,
    names: [ENVS, 'not found'],
  },
  // platform/gitops.yaml
  {
    input: 'gitops.yaml with a misspelt field',
    setup: replace(GITOPS, 'branch: gitops', 'brnach: gitops'),
    command: push,
    names: [GITOPS, 'brnach', 'did you mean "branch"'],
  },
  {
    input: 'gitops.yaml repository that is not a URL',
    setup: replace(GITOPS, /^repository: .*$/m, 'repository: "not a url:"'),
    command: push,
    names: [GITOPS, 'repository', 'must be a git URL'],
  },
  {
    input: 'gitops.yaml still pointing at the placeholder',
    setup: replace(GITOPS, /^repository: .*$/m, 'repository: https://git.mayday.example/platform/mayday.git'),
    command: push,
    names: [GITOPS, 'repository', 'placeholder'],
  },
  {
    input: 'gitops.yaml attempts 0',
    setup: replace(GITOPS, 'attempts: 10', 'attempts: 0'),
    command: push,
    names: [GITOPS, 'attempts'],
  },
  {
    input: 'gitops.yaml branch with ..',
    setup: replace(GITOPS, 'branch: gitops', 'branch: a..b'),
    command: push,
    names: [GITOPS, 'branch'],
  },
  {
    input: 'gitops.yaml token variable in lowercase',
    setup: replace(GITOPS, 'tokenEnv: MAYDAY_GITOPS_TOKEN', 'tokenEnv: my_token'),
    command: push,
    names: [GITOPS, 'credentials.tokenEnv'],
  },
  // waivers and policies
  {
    input: 'a waiver naming an unknown policy',
    setup: write(WAIVERS, waiver('mayday-replica', 'prd', 'a singleton consumer of one queue')),
    command: lint,
    names: [WAIVERS, 'waivers[0].policy', 'did you mean "mayday-replicas"'],
  },
  {
    input: 'a waiver naming an unknown env',
    setup: write(WAIVERS, waiver('mayday-replicas', 'prod', 'a singleton consumer of one queue')),
    command: lint,
    names: [WAIVERS, 'waivers[0].env', 'stg, prd'],
  },
  {
    input: 'a short waiver reason next to an unknown policy',
    setup: write(
      WAIVERS,
      `${waiver('mayday-replicas', 'prd', 'short')}  - policy: mayday-nope\n    env: prd\n    reason: a long enough reason for this\n`,
    ),
    command: lint,
    names: [WAIVERS, 'waivers[0].reason', 'waivers[1].policy'],
  },
  {
    input: 'a waiver file with a syntax error',
    setup: write(WAIVERS, 'waivers: [\n'),
    command: lint,
    names: [WAIVERS, 'yaml-syntax'],
  },
  {
    input: 'a policy whose CEL does not compile',
    setup: replace(
      'platform/policies/replicas.yaml',
      `- expression: "object.kind != 'HorizontalPodAutoscaler' ||`,
      `- expression: "object.kind !=== 'HorizontalPodAutoscaler' ||`,
    ),
    command: lint,
    names: ['platform/policies/replicas.yaml', 'CEL does not compile'],
  },
  {
    input: 'a policy file with a YAML error',
    setup: append('platform/policies/replicas.yaml', 'spec: [\n'),
    command: lint,
    names: ['platform/policies/replicas.yaml', 'yaml-syntax'],
  },
  {
    input: 'a binding to a policy that does not exist',
    setup: replace('platform/policies/replicas.yaml', /policyName: mayday-replicas/, 'policyName: mayday-replicaz'),
    command: lint,
    names: ['platform/policies/replicas.yaml', 'spec.policyName', 'mayday-replicaz'],
  },
  // the chart, the tools, the disk
  {
    input: 'a chart template that fails',
    setup: write('platform/charts/app/templates/broken.yaml', '{{ fail "this chart is broken on purpose" }}\n'),
    command: render,
    names: ['broken.yaml', 'this chart is broken on purpose'],
  },
  {
    input: 'the render engine missing',
    command: render,
    env: { MAYDAY_ENGINE: '/nonexistent/mayday-render' },
    names: ['/nonexistent/mayday-render'],
  },
  {
    input: 'git missing from PATH',
    command: push,
    env: { PATH: 'NO_GIT_PATH' },
    names: [GITOPS, 'git is not on PATH'],
  },
  {
    input: 'a read-only gitops/ folder',
    setup: (ws) => {
      write(STG, 'replicas: 2\n')(ws);
      mountOver(join(ws.root, 'gitops'), ['--bind', join(ws.root, 'gitops')]);
      execFileSync('mount', ['-o', 'remount,bind,ro', join(ws.root, 'gitops')]);
    },
    teardown: unmountAll,
    command: render,
    names: [`gitops/stg/${APP}`, 'read-only', 'EROFS'],
  },
  {
    input: 'a full disk under gitops/ (a 1 MiB tmpfs, filled)',
    setup: async (ws) => {
      write(STG, 'replicas: 2\n')(ws);
      const saved = mkdtempSync(join(tmpdir(), 'mayday-gitops-copy-'));
      execFileSync('cp', ['-a', join(ws.root, 'gitops/.'), saved]);
      mountOver(join(ws.root, 'gitops'), ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs']);
      execFileSync('cp', ['-a', `${saved}/.`, join(ws.root, 'gitops')]);
      rmSync(saved, { recursive: true, force: true });
      mkdirSync(join(ws.root, 'gitops/.staging'), { recursive: true });
      // fill what is left; gitops/.staging is ignored by git and by the snapshot
      try {
        execFileSync('dd', ['if=/dev/zero', `of=${join(ws.root, 'gitops/.staging/fill')}`, 'bs=4k'], {
          stdio: 'ignore',
        });
      } catch {
        // dd stops with "no space left": that is the point
      }
    },
    teardown: unmountAll,
    command: render,
    names: [`gitops/stg/${APP}`, 'disk is full', 'ENOSPC'],
  },
  // push
  {
    input: 'push of an uncommitted render',
    setup: append(`gitops/stg/${APP}/service-${APP}.yaml`, '# edited by hand\n'),
    command: push,
    names: [`gitops/stg/${APP}/service-${APP}.yaml`, 'is not committed', '--allow-dirty'],
  },
  {
    input: 'push of an uncommitted values change',
    setup: append(STG, 'replicas: 2\n'),
    command: push,
    names: [STG, 'not committed'],
  },
  {
    input: 'push of an app that was never rendered',
    setup: (ws) => {
      rmSync(join(ws.root, `gitops/stg/${APP}`), { recursive: true });
      rmSync(join(ws.root, `gitops/prd/${APP}`), { recursive: true });
    },
    command: push,
    names: [`gitops/<env>/${APP}`, 'no rendered folder'],
  },
  {
    input: 'push to a remote that does not exist',
    command: [...push, '--remote=file:///nonexistent/gitops.git'],
    names: [GITOPS, 'cannot fetch'],
  },
  {
    input: 'push while the remote branch is locked',
    setup: (ws) => {
      append(`gitops/stg/${APP}/service-${APP}.yaml`, '# a change to publish\n')(ws);
      writeFileSync(join(remote.dir, 'refs/heads/gitops.lock'), '');
    },
    teardown: () => rmSync(join(remote.dir, 'refs/heads/gitops.lock'), { force: true }),
    command: [...push, '--allow-dirty'],
    names: [GITOPS, 'refs/heads/gitops.lock'],
  },
  { input: 'a misspelt push option', command: [...push, '--froce'], names: ['--froce', 'did you mean --force'] },
  {
    input: 'diff with an unknown format',
    command: ['run', `${APP}:diff`, '--exclude-task-dependencies', '--format=html'],
    names: ['--format', 'text, markdown'],
  },
  {
    input: 'remove of an app that does not exist',
    command: ['g', 'mayday:remove', 'shpo', '--no-interactive'],
    names: ['there is no app "shpo"', `apps here: ${APP}`],
  },
  {
    input: 'remove of an app in prd without --confirm',
    command: ['g', 'mayday:remove', APP, '--no-interactive'],
    names: [`${APP} runs in prd`, `deletionProtection in ${ENVS}`, 'nothing was removed', `--confirm=${APP}`],
  },
  {
    input: 'remove with a --confirm that names another app',
    command: ['g', 'mayday:remove', APP, '--confirm=helo', '--no-interactive'],
    names: ['--confirm=helo does not match', `--confirm=${APP}`],
  },
  // promote (hello is published in stg and prd from the committed values)
  {
    input: 'promote into an env that declares no promotion',
    command: ['run', `${APP}:promote`, '--to=stg'],
    names: [ENVS, 'stg.promotion', 'stg declares no promotion'],
  },
  {
    input: 'promote from an env that is not the declared source',
    command: ['run', `${APP}:promote`, '--from=qa', '--to=prd'],
    names: [ENVS, 'prd.promotion', 'prd takes its image from stg, not from qa'],
  },
  {
    input: 'promote into an unknown env',
    command: ['run', `${APP}:promote`, '--to=production'],
    names: [ENVS, 'unknown environment "production"'],
  },
  {
    input: 'promote while stg is published from other values than the current ones',
    setup: replace(STG, 'replicas: 1', 'replicas: 2'),
    command: ['run', `${APP}:promote`],
    names: [`gitops/stg/${APP} on gitops`, `stg's published render of ${APP} is not the render of its current values`],
  },
  {
    input: 'promote that would take the image backwards',
    setup: replace(PRD, 'tag: "6.9.2"', 'tag: "7.0.0"'),
    command: ['run', `${APP}:promote`],
    names: [PRD, 'image.tag', 'would take hello backwards'],
  },
  {
    input: 'a misspelt promote option',
    command: ['run', `${APP}:promote`, '--form=stg'],
    names: ['--form', 'did you mean --from'],
  },
  // migrations
  {
    input: 'migrations from something that is not a version',
    command: ['g', 'mayday:migrations', '--from=latest'],
    names: ['--from=latest is not a version'],
  },
  {
    input: 'migrations while a migrations.json waits to be run',
    setup: write('migrations.json', '{ "migrations": [] }\n'),
    command: ['g', 'mayday:migrations', '--from=0.1.0'],
    names: ['migrations.json exists', 'nx migrate --run-migrations'],
  },
];

const STACK = /\n\s+at [^\n]*:\d+:\d+\)?\n|UnhandledPromiseRejection|node:internal\//;
let ws: TempWorkspace;

beforeAll(async () => {
  remote = await bareRepository();
  ws = await createTempWorkspace({ withApps: true });
  replace(GITOPS, /^repository: .*$/m, `repository: ${remote.url}`)(ws);
  await mustSucceed(ws.git(['commit', '-qam', 'publish to a test remote']));
  await mustSucceed(ws.nx(['run', `${APP}:push`]));
  noGitPath = mkdtempSync(join(tmpdir(), 'mayday-no-git-'));
  symlinkSync(process.execPath, join(noGitPath, 'node'));
  chmodSync(noGitPath, 0o755);
}, 120_000);
afterAll(() => {
  unmountAll();
  ws?.cleanup();
  remote?.cleanup();
  rmSync(noGitPath, { recursive: true, force: true });
});

const state = async () => ({
  status: (await ws.git(['status', '--porcelain', '--untracked-files=all'])).stdout,
  gitops: ws.snapshot('gitops'),
  published: (await ws.run('git', ['--git-dir', remote.dir, 'rev-parse', 'gitops'])).stdout,
});

describe('the bad-input corpus', () => {
  it(`refuses ${cases.length} bad inputs, each naming file and field, without a stack trace, changing nothing`, async () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
    const wrong: string[] = [];
    let changed = 0;
    for (const row of cases) {
      try {
        await row.setup?.(ws);
        const before = await state();
        const env =
          row.env?.PATH === 'NO_GIT_PATH'
            ? { ...row.env, PATH: `${noGitPath}:${join(ws.root, '.tools/bin')}` }
            : row.env;
        const result = await ws.nx(row.command, env);
        const after = await state();
        const problems: string[] = [];
        if (result.exitCode !== (row.exitCode ?? 1))
          problems.push(`exit code ${result.exitCode}, expected ${row.exitCode ?? 1}`);
        for (const name of row.names)
          if (!result.all.includes(name)) problems.push(`does not name ${JSON.stringify(name)}`);
        if (STACK.test(result.all)) problems.push('prints a stack trace');
        if (
          JSON.stringify([...after.gitops]) !== JSON.stringify([...before.gitops]) ||
          after.status !== before.status ||
          after.published !== before.published
        ) {
          changed++;
          problems.push('changed the workspace, gitops/ or the published branch');
        }
        if (problems.length)
          wrong.push(
            `${row.input} (nx ${row.command.join(' ')}): ${problems.join('; ')}\n${result.all.replace(/^/gm, '    | ')}`,
          );
      } finally {
        row.teardown?.(ws);
        await mustSucceed(ws.git(['checkout', '--', '.']));
        await mustSucceed(ws.git(['clean', '-fdq']));
      }
    }
    process.stdout.write(`${cases.length - wrong.length} bad inputs refused, ${changed} changed anything\n`);
    expect(wrong).toEqual([]);
  }, 900_000);
});
