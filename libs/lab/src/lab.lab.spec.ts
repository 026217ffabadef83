// The kind lab for real, on this machine: `nx run platform:up` from nothing in a temporary workspace, then every
// promise of the lab checked against the cluster, timed step by step (the table is printed at the end and written
// to .tools/lab/lab-test-times.json). A Docker engine is started when none answers, and stopped again.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse, stringify } from 'yaml';
import { execa } from 'execa';
import { createTempWorkspace, mustSucceed, REPO_ROOT, type CommandResult, type TempWorkspace } from '@mayday/testing';
import { ensureDockerEngine, type DockerEngine } from './docker-engine.ts';
import { leftovers } from './down.ts';
import { lockPath } from './lock.ts';
import { openLab, type Lab } from './lab.ts';
import type { LabStatus } from './status.ts';
import type { KubeObject } from './cluster/kubectl.ts';

const MINUTE = 60_000;
const PUSH = 'http://git.localhost/platform/mayday.git';
let ws: TempWorkspace;
let lab: Lab;
let engine: DockerEngine;
let env: Record<string, string>;
const times: { step: string; seconds: number; note?: string }[] = [];

/** Runs `body`, records how long it took under `step`. */
async function timed<T>(step: string, body: () => Promise<T>, note?: (value: T) => string): Promise<T> {
  const started = Date.now();
  const value = await body();
  times.push({ step, seconds: Math.round((Date.now() - started) / 100) / 10, note: note?.(value) });
  return value;
}

const nx = (args: string[], extra: Record<string, string> = {}) => ws.nx(args, { ...env, ...extra });
const kubectl = (args: string[]) =>
  execa(join(REPO_ROOT, '.tools/bin/kubectl'), ['--context', 'kind-mayday', ...args], {
    env,
    reject: false,
    all: true,
  });
const curl = async (host: string, path = '/') =>
  (await execa('curl', ['-sS', '-m', '10', '-H', `Host: ${host}`, `http://127.0.0.1${path}`], { reject: false }))
    .stdout;
/** The pod that answered podinfo's or go-httpbin's /hostname through the gateway ('' when none did). */
const hostnameOf = async (host: string): Promise<string> => {
  try {
    return String((JSON.parse(await curl(host, '/hostname')) as { hostname?: unknown }).hostname ?? '');
  } catch {
    return '';
  }
};

/** platform:status --json: the document is the lines from `{` to `}` at the start of a line (Nx frames it). */
async function status(): Promise<LabStatus> {
  const result = await mustSucceed(nx(['run', 'platform:status', '--json']));
  const lines = result.stdout.replace(/\r/g, '').split('\n');
  const json = lines.slice(lines.indexOf('{'), lines.lastIndexOf('}') + 1).join('\n');
  try {
    return JSON.parse(json) as LabStatus;
  } catch (error) {
    throw new Error(
      `platform:status --json printed no JSON document (${(error as Error).message}):\n${result.stdout}`,
      { cause: error },
    );
  }
}

/** Polls platform:status (no kubectl) until the named Applications are Synced and Healthy. */
async function untilHealthy(names: string[], timeoutMs = 10 * MINUTE): Promise<LabStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await status();
    const ok = names.every((n) =>
      s.applications.some((a) => a.name === n && a.sync === 'Synced' && a.health === 'Healthy'),
    );
    if (ok) return s;
    if (Date.now() > deadline)
      throw new Error(
        `waited for ${names.join(', ')} to be Synced and Healthy; last: ${JSON.stringify(s.applications)}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 3000));
  }
}

/** The lines `up` prints per step: `✓ <title>[: detail] (<seconds> s)`. */
function stepTimes(output: string): { step: string; seconds: number }[] {
  return [...output.matchAll(/✓ (.+?) \((\d+(?:\.\d+)?) s\)/g)].map((m) => ({ step: m[1], seconds: Number(m[2]) }));
}

/** Nothing of a lab on this machine: no kind cluster, no container, no context. */
async function expectNoLab(): Promise<void> {
  expect(await lab.kind.exists()).toBe(false);
  expect(await leftovers(lab)).toEqual([]);
}

async function commitAndPush(message: string): Promise<CommandResult> {
  await mustSucceed(ws.git(['add', '-A']));
  await mustSucceed(ws.git(['commit', '-q', '-m', message]));
  await mustSucceed(ws.git(['push', '-q', PUSH, 'HEAD:main'])); // the team's git push; the lab serves their remote
  return mustSucceed(nx(['affected', '-t', 'push', '--base=HEAD~1', `--remote=${PUSH}`]));
}

beforeAll(async () => {
  engine = await timed(
    'start a Docker engine (when none answers)',
    () => ensureDockerEngine(REPO_ROOT, (l) => console.log(l)),
    (e) => (e.started ? 'started dockerd' : 'one was answering'),
  );
  ws = await createTempWorkspace({ withApps: true });
  const kubeconfig = join(ws.root, 'tmp/kubeconfig');
  mkdirSync(join(ws.root, 'tmp'), { recursive: true });
  env = { KUBECONFIG: kubeconfig, NX_VERBOSE_LOGGING: 'false' };
  process.env.KUBECONFIG = kubeconfig;
  lab = openLab(ws.root);
  // from nothing: a lab left by an earlier run is removed first
  if ((await lab.kind.exists()) || (await leftovers(lab)).length > 0) await mustSucceed(nx(['run', 'platform:down']));
}, 30 * MINUTE);

afterAll(async () => {
  const width = Math.max(...times.map((t) => t.step.length));
  console.log(
    [
      'Lab test times:',
      ...times.map(
        (t) => `  ${t.step.padEnd(width)}  ${String(t.seconds).padStart(6)} s${t.note ? `  ${t.note}` : ''}`,
      ),
    ].join('\n'),
  );
  mkdirSync(join(REPO_ROOT, '.tools/lab'), { recursive: true });
  writeFileSync(join(REPO_ROOT, '.tools/lab/lab-test-times.json'), JSON.stringify(times, null, 2));
  if (lab && ((await lab.kind.exists()) || (await leftovers(lab)).length > 0)) await nx(['run', 'platform:down']);
  ws?.cleanup();
  await engine?.stop();
}, 10 * MINUTE);

describe('bad input: a clear message, a non-zero exit, nothing created', () => {
  const fakeTools = () => {
    const bin = join(ws.root, 'tmp/fake-bin');
    mkdirSync(bin, { recursive: true });
    const tool = (name: string, script: string) => {
      writeFileSync(join(bin, name), `#!/bin/sh\n${script}\n`);
      chmodSync(join(bin, name), 0o755);
    };
    tool('kind', 'echo "kind v0.20.0 go1.20.4 linux/amd64"');
    tool('kubectl', `echo '{"clientVersion":{"gitVersion":"v1.28.0"}}'`);
    tool('helm', 'echo "v3.15.0+g1234567"');
    return bin;
  };

  it(
    'down with no lab says there is none',
    async () => {
      const result = await timed('down with no lab', () => nx(['run', 'platform:down']));
      expect(result.exitCode).not.toBe(0);
      expect(result.all).toContain('there is no lab: the kind cluster mayday does not exist');
      expect(result.all).not.toMatch(/\n\s+at /); // no stack trace
    },
    5 * MINUTE,
  );

  it(
    'each preflight failure names what to do, and up creates nothing',
    async () => {
      const bin = fakeTools();
      const path = `${bin}:${process.env.PATH}`;
      const cases: [string, Record<string, string>, RegExp][] = [
        [
          'no Docker engine',
          { DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
          /no Docker engine answers.*\n.*start Docker/,
        ],
        ['kind of another version', { PATH: path }, /kind v0\.20\.0 at .*, the lab pins v0\.33\.0/],
        [
          'kubectl too old',
          { PATH: path },
          /kubectl v1\.28\.0 at .* is more than one minor away from Kubernetes v1\.35\.4/,
        ],
        ['helm not Helm 4', { PATH: path }, /helm at .* is not Helm 4/],
        [
          'too little memory',
          { MAYDAY_LAB_MEMORY_GIB: '4096' },
          /too little memory: Docker can use [\d.]+ GiB, the lab needs 4096 GiB/,
        ],
      ];
      for (const [name, extra, message] of cases) {
        const result = await timed(`preflight: ${name}`, () => nx(['run', 'platform:up'], extra));
        expect({ name, exitCode: result.exitCode }).toEqual({ name, exitCode: 1 });
        expect(result.all).toMatch(message);
        await expectNoLab();
      }
    },
    10 * MINUTE,
  );

  it(
    'port 80 taken on 127.0.0.1: up names it and creates nothing',
    async () => {
      const server: Server = createServer();
      await new Promise<void>((resolve) => server.listen(80, '127.0.0.1', () => resolve()));
      try {
        const result = await timed('preflight: port 80 taken', () => nx(['run', 'platform:up']));
        expect(result.exitCode).toBe(1);
        expect(result.all).toContain("port 80 on 127.0.0.1 is taken: the lab's gateway listens there");
        await expectNoLab();
        const s = await status();
        expect(s.cluster.exists).toBe(false);
      } finally {
        server.close();
      }
    },
    5 * MINUTE,
  );

  it(
    '--dry-run prints the plan and creates nothing',
    async () => {
      const result = await timed('up --dry-run', () => mustSucceed(nx(['run', 'platform:up', '--dry-run'])));
      expect(result.all).toContain('nothing is changed. The plan:');
      expect(result.all).toMatch(/cluster mayday \(kind v0\.33\.0, kindest\/node:v1\.35\.4\): to create/);
      for (const component of ['traefik v3.6.12', 'argo-rollouts v1.9.3', 'argocd v3.6.1'])
        expect(result.all).toContain(component);
      await expectNoLab();
    },
    10 * MINUTE,
  );
});

describe('nx run platform:up from nothing', () => {
  let up: CommandResult;

  it(
    'creates the lab and ends with hello serving in both envs',
    async () => {
      up = await timed(
        'platform:up from nothing to hello serving',
        () => nx(['run', 'platform:up']),
        (r) => {
          const images = /✓ Ensuring images: (.*) \(/.exec(r.all)?.[1] ?? '';
          return images.includes('built') ? 'images built (cold)' : 'images cached (warm)';
        },
      );
      if (up.exitCode !== 0) throw new Error(`platform:up failed:\n${up.all}`);
      for (const step of stepTimes(up.all))
        times.push({ step: `  up: ${step.step.replace(/:.*$/, '')}`, seconds: step.seconds });
      expect(up.all).toContain('The lab is up.');
      expect(up.all).toMatch(/Argo CD +http:\/\/argocd\.localhost +\(user admin, password \S+\)/);
      const memory = (
        await execa('docker', ['stats', '--no-stream', '--format', '{{.MemUsage}}', 'mayday-control-plane'])
      ).stdout;
      times.push({ step: 'lab memory after up (docker stats)', seconds: 0, note: memory });
    },
    90 * MINUTE,
  );

  it(
    'hello is Synced and Healthy in both envs, its pods Ready under restricted Pod Security',
    async () => {
      const s = await timed('check hello Synced/Healthy', () => untilHealthy(['hello-stg', 'hello-prd']));
      expect(s.components.every((c) => c.installed && c.workloads.every((w) => w.ok))).toBe(true);
      for (const namespace of ['hello-stg', 'hello-prd']) {
        const ns = JSON.parse((await kubectl(['get', 'namespace', namespace, '-o', 'json'])).stdout);
        expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
        const pods = JSON.parse((await kubectl(['get', 'pods', '-n', namespace, '-o', 'json'])).stdout).items;
        expect(pods.length).toBeGreaterThan(0);
        for (const pod of pods) {
          expect(pod.status.phase).toBe('Running');
          expect(pod.status.conditions.find((c: { type: string }) => c.type === 'Ready').status).toBe('True');
        }
      }
      // the restricted level is enforced for real: a root pod is refused in the same namespace
      const root = await kubectl([
        'run',
        'root-probe',
        '-n',
        'hello-stg',
        '--image=ghcr.io/stefanprodan/podinfo:6.9.2',
        '--dry-run=server',
        '--overrides={"spec":{"securityContext":{"runAsUser":0}}}',
      ]);
      expect(root.exitCode).not.toBe(0);
      expect(root.all).toMatch(/violates PodSecurity "restricted:latest"/);
    },
    15 * MINUTE,
  );

  it(
    "curl to 127.0.0.1 with the Host of hello's stg and prd routes gets podinfo's answer through the gateway",
    async () => {
      await timed('curl hello stg and prd', async () => {
        for (const host of ['hello.stg.mayday.example', 'hello.mayday.example']) {
          const answer = JSON.parse(await curl(host));
          expect(answer).toMatchObject({ version: '6.9.2', message: 'greetings from podinfo v6.9.2' });
          expect(answer.hostname).toMatch(/^hello-/);
        }
      });
    },
    5 * MINUTE,
  );

  it(
    'a manifest that breaks a platform policy is denied at admission with the policy message',
    async () => {
      // hello's own prd Deployment as rendered, but naming no PodDisruptionBudget: it breaks that one policy only
      const deployment = parse(
        readFileSync(join(ws.root, 'gitops/prd/hello/deployment-hello.yaml'), 'utf8'),
      ) as KubeObject;
      deployment.metadata.name = 'lonely';
      delete deployment.metadata.annotations?.['mayday.dev/pdb'];
      const file = join(ws.root, 'tmp/lonely.yaml');
      writeFileSync(file, stringify(deployment));
      const result = await timed('policy denied at admission', () =>
        kubectl(['apply', '--dry-run=server', '-f', file]),
      );
      expect(result.exitCode).not.toBe(0);
      expect(result.all).toContain(
        "ValidatingAdmissionPolicy 'mayday-pdb' with binding 'mayday-pdb-strict' denied request",
      );
      expect(result.all).toContain(
        'Deployment lonely names no PodDisruptionBudget (annotation mayday.dev/pdb): production workloads need one',
      );
    },
    5 * MINUTE,
  );

  it(
    'a new app made with nx g mayday:app, rendered and pushed, appears in Argo CD and serves, with no kubectl',
    async () => {
      await timed('new app: generate, render, push', async () => {
        await mustSucceed(
          nx([
            'g',
            'mayday:app',
            'shop',
            '--team=payments',
            '--port=9898',
            '--image=ghcr.io/stefanprodan/podinfo:6.9.2',
            '--no-interactive',
          ]),
        );
        await mustSucceed(nx(['run', 'shop:render']));
        await commitAndPush('shop');
      });
      await timed('new app: Synced and Healthy in both envs', () => untilHealthy(['shop-stg', 'shop-prd']));
      for (const host of ['shop.stg.mayday.example', 'shop.mayday.example'])
        expect(JSON.parse(await curl(host)).hostname).toMatch(/^shop-/);
    },
    20 * MINUTE,
  );

  it(
    'a canary app rolls a new image through its steps, the traffic split by the HTTPRoute weights',
    async () => {
      await timed('canary app: generate, render, push, Healthy', async () => {
        await mustSucceed(
          nx([
            'g',
            'mayday:app',
            'canary',
            '--team=payments',
            '--port=8080',
            '--image=ghcr.io/mccutchen/go-httpbin:v2.25.0',
            '--no-interactive',
          ]),
        );
        const values = parse(ws.read('apps/canary/values.yaml')) as Record<string, unknown>;
        values.strategy = {
          type: 'canary',
          canary: { steps: [{ setWeight: 30 }, { pause: { duration: '120s' } }, { setWeight: 100 }] },
        };
        values.env = [{ name: 'USE_REAL_HOSTNAME', value: 'true' }];
        values.probes = {
          startup: { path: '/status/200' },
          liveness: { path: '/status/200' },
          readiness: { path: '/status/200' },
        };
        // the node has this machine's 2 cores and the platform, hello and shop request 1.7 of them: the canary (and its
        // surge pods while it rolls) asks for little so that every pod is scheduled
        values.resources = { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '250m', memory: '128Mi' } };
        writeFileSync(join(ws.root, 'apps/canary/values.yaml'), stringify(values));
        const stg = parse(ws.read('apps/canary/values-stg.yaml')) as Record<string, unknown>;
        delete stg.resources;
        writeFileSync(join(ws.root, 'apps/canary/values-stg.yaml'), stringify(stg));
        await mustSucceed(nx(['run', 'canary:render']));
        await commitAndPush('canary');
        await untilHealthy(['canary-stg', 'canary-prd']);
      });
      const rollout = async () =>
        JSON.parse((await kubectl(['get', 'rollout', 'canary', '-n', 'canary-stg', '-o', 'json'])).stdout);
      const weights = async () => {
        const route = JSON.parse(
          (await kubectl(['get', 'httproute', 'canary', '-n', 'canary-stg', '-o', 'json'])).stdout,
        );
        return Object.fromEntries(
          route.spec.rules[0].backendRefs.map((r: { name: string; weight: number }) => [r.name, r.weight]),
        );
      };
      const stableHash = (await rollout()).status.stableRS;
      expect(await weights()).toEqual({ canary: 100, 'canary-canary': 0 });

      const values = ws.read('apps/canary/values.yaml').replace('tag: v2.25.0', 'tag: v2.26.0');
      writeFileSync(join(ws.root, 'apps/canary/values.yaml'), values);
      await mustSucceed(nx(['run', 'canary:render']));
      await timed('canary: push v2.26.0 until the first step (30%)', async () => {
        await commitAndPush('canary v2.26.0');
        const deadline = Date.now() + 10 * MINUTE;
        while (JSON.stringify(await weights()) !== JSON.stringify({ canary: 70, 'canary-canary': 30 })) {
          if (Date.now() > deadline)
            throw new Error(
              `the canary never reached 30%: ${JSON.stringify(await weights())}, ${JSON.stringify((await rollout()).status)}`,
            );
          await new Promise((resolve) => setTimeout(resolve, 2000));
        }
      });
      const canaryHash = (await rollout()).status.currentPodHash;
      expect(canaryHash).not.toBe(stableHash);
      // The HTTPRoute says 70/30 before the gateway routes by it: count only once the canary has answered once.
      await timed('canary: the gateway routes to the canary', async () => {
        const deadline = Date.now() + 90_000;
        while (!(await hostnameOf('canary.stg.mayday.example')).startsWith(`canary-${canaryHash}-`)) {
          if (Date.now() > deadline)
            throw new Error(`the HTTPRoute says 70/30 but no request reached the canary (${canaryHash}) in 90 s`);
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      });
      const answers = await timed('canary: 60 requests at 30%', async () => {
        const seen: string[] = [];
        for (let i = 0; i < 60; i++)
          seen.push(JSON.parse(await curl('canary.stg.mayday.example', '/hostname')).hostname);
        return seen;
      });
      const toCanary = answers.filter((h) => h.startsWith(`canary-${canaryHash}-`)).length;
      const toStable = answers.filter((h) => h.startsWith(`canary-${stableHash}-`)).length;
      times.push({
        step: 'canary: split seen at 30%',
        seconds: 0,
        note: `${toCanary} canary / ${toStable} stable of 60`,
      });
      expect(toCanary + toStable).toBe(60);
      expect(toCanary).toBeGreaterThanOrEqual(6); // 30% of 60 is 18; the bounds leave room for chance
      expect(toCanary).toBeLessThanOrEqual(36);
      await timed('canary: through its steps to 100%', async () => {
        const deadline = Date.now() + 10 * MINUTE;
        for (;;) {
          const r = await rollout();
          if (r.status.stableRS === canaryHash && r.status.phase === 'Healthy') break;
          if (Date.now() > deadline) throw new Error(`the rollout did not complete: ${JSON.stringify(r.status)}`);
          await new Promise((resolve) => setTimeout(resolve, 3000));
        }
      });
      expect(await weights()).toEqual({ canary: 100, 'canary-canary': 0 });
      for (let i = 0; i < 10; i++)
        expect(JSON.parse(await curl('canary.stg.mayday.example', '/hostname')).hostname).toMatch(
          new RegExp(`^canary-${canaryHash}-`),
        );
      await untilHealthy(['canary-stg', 'canary-prd']);
    },
    40 * MINUTE,
  );

  it(
    'platform:up again changes nothing and says so; a second up while it runs is refused',
    async () => {
      const first = nx(['run', 'platform:up']);
      const lock = lockPath('mayday');
      const deadline = Date.now() + 2 * MINUTE;
      while (!existsQuietly(lock)) {
        if (Date.now() > deadline) throw new Error('the first up never took the lock');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const second = await nx(['run', 'platform:up']);
      expect(second.exitCode).toBe(1);
      expect(second.all).toMatch(/platform:up is already running for the lab mayday \(pid \d+/);
      const again = await timed('platform:up again (nothing to change)', () => first);
      if (again.exitCode !== 0) throw new Error(`the second platform:up failed:\n${again.all}`);
      expect(again.all).toContain('The lab was already up: nothing changed.');
    },
    30 * MINUTE,
  );

  it(
    'platform:down leaves nothing: no container, network or context',
    async () => {
      await timed('platform:down', () => mustSucceed(nx(['run', 'platform:down'])));
      await expectNoLab();
      const contexts = await execa(join(REPO_ROOT, '.tools/bin/kubectl'), ['config', 'get-contexts', '-o', 'name'], {
        env,
        reject: false,
      });
      expect(contexts.stdout.split('\n')).not.toContain('kind-mayday');
      expect((await execa('docker', ['network', 'ls', '--format', '{{.Name}}'])).stdout.split('\n')).not.toContain(
        'kind',
      );
      expect((await status()).cluster.exists).toBe(false);
    },
    10 * MINUTE,
  );
});

function existsQuietly(path: string): boolean {
  try {
    readFileSync(path);
    return true;
  } catch {
    return false;
  }
}
