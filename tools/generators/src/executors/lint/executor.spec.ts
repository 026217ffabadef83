import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { stripVTControlCharacters } from 'node:util';
import { join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { createTempWorkspace, mustSucceed, type TempWorkspace } from '@mayday/testing';
import lintExecutor from './executor.ts';

const APP = 'shop';
let ws: TempWorkspace;
let pristine: Map<string, string>;

beforeAll(async () => {
  ws = await createTempWorkspace();
  await mustSucceed(
    ws.nx(['g', 'mayday:app', APP, '--team=payments', '--port=8080', '--image=ghcr.io/acme/shop:1.4.2']),
  );
  await mustSucceed(
    ws.nx(['g', 'mayday:app', 'cart', '--team=payments', '--port=8080', '--image=ghcr.io/acme/cart:2.0.1']),
  );
  await mustSucceed(ws.git(['add', '-A']));
  await mustSucceed(ws.git(['commit', '-q', '-m', 'shop and cart']));
  pristine = ws.snapshot('apps');
}, 120_000);

afterAll(() => ws?.cleanup());

/** Puts the generated app's files back after a case changed them. */
function restoreApps(): void {
  for (const [path, content] of pristine) writeFileSync(join(ws.root, path), content);
  rmSync(join(ws.root, 'apps', APP, 'policy-waivers.yaml'), { force: true });
}

function append(file: string, text: string): void {
  writeFileSync(join(ws.root, file), readFileSync(join(ws.root, file), 'utf8') + text);
}

/** Runs the real lint executor in-process on the temp workspace; returns its result and what it printed. */
async function lint(options: { format?: 'text' | 'json' } = {}): Promise<{ success: boolean; out: string }> {
  let out = '';
  const capture = (chunk: string | Uint8Array): boolean => {
    out += String(chunk);
    return true;
  };
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(capture as typeof process.stdout.write);
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(capture as typeof process.stderr.write);
  try {
    const before = ws.snapshot();
    const { success } = await lintExecutor(options, {
      root: ws.root,
      cwd: ws.root,
      projectName: APP,
      isVerbose: false,
    } as unknown as ExecutorContext);
    expect(ws.snapshot()).toEqual(before);
    // colours are on wherever CI is set (picocolors): assert on the text a reader sees
    return { success, out: stripVTControlCharacters(out) };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

describe('nx run <app>:lint', () => {
  it('a freshly generated app lints clean in stg and prd (nx run, exit code 0, nothing written)', async () => {
    const before = ws.snapshot();
    const result = await ws.nx(['run', `${APP}:lint`, '--skip-nx-cache']);
    expect(result.exitCode).toBe(0);
    expect(result.all).toMatch(/✔ shop stg \(baseline, shop-stg\): \d+ resources, 0 errors, 0 warnings/);
    expect(result.all).toMatch(/✔ shop prd \(strict, shop-prd\): \d+ resources, 0 errors, 0 warnings/);
    expect(ws.snapshot()).toEqual(before);
    expect(ws.exists(`gitops/stg/${APP}`)).toBe(false);
  }, 60_000);

  it('fails through nx with a non-zero exit code and names file, field and policy (image tag latest in prd)', async () => {
    // prd pins its image (promotion): the pin becomes latest
    const prd = `apps/${APP}/values-prd.yaml`;
    writeFileSync(join(ws.root, prd), ws.read(prd).replace('tag: "1.4.2"', 'tag: latest'));
    try {
      const before = ws.snapshot();
      const result = await ws.nx(['run', `${APP}:lint`, '--skip-nx-cache']);
      expect(result.exitCode).not.toBe(0);
      expect(result.all).toMatch(/apps\/shop\/values-prd\.yaml:\d+: error mayday-image-tag: image\.tag: .*latest/);
      expect(result.all).toContain('✔ shop stg');
      expect(result.all).toContain('✖ shop prd');
      expect(ws.snapshot()).toEqual(before);
    } finally {
      restoreApps();
    }
  }, 60_000);

  it('a typo in a values key names the values file, line and key, with a suggestion, printed and counted once', async () => {
    append(`apps/${APP}/values.yaml`, 'replicaz: 2\n');
    try {
      const { success, out } = await lint();
      expect(success).toBe(false);
      expect(
        out.match(/apps\/shop\/values\.yaml:\d+: error values-schema: replicaz: unknown field "replicaz"/g),
      ).toHaveLength(1);
      expect(out).toContain('did you mean "replicas"?');
      // values.yaml is every env's: each env fails, and the summary counts the one mistake once
      expect(out).toMatch(/✖ shop stg .*1 error/);
      expect(out).toMatch(/✖ shop prd .*1 error/);
      expect(out).toContain('1 app linted: 1 error, 0 warnings');
    } finally {
      restoreApps();
    }
  });

  it('a misspelt container field in an extra manifest fails the strict Kubernetes schema', async () => {
    append(
      `apps/${APP}/values.yaml`,
      [
        'extraManifests:',
        '  - apiVersion: batch/v1',
        '    kind: Job',
        '    metadata: { name: migrate }',
        '    spec:',
        '      template:',
        '        spec:',
        '          restartPolicy: Never',
        '          containers:',
        '            - name: migrate',
        '              imagee: ghcr.io/acme/shop:1.4.2',
        '',
      ].join('\n'),
    );
    try {
      const { success, out } = await lint();
      expect(success).toBe(false);
      expect(out).toMatch(
        /gitops\/prd\/shop\/job-migrate\.yaml:\d+: error kubernetes-schema: spec\.template\.spec\.containers\[0\]\.imagee: Job migrate: unknown field "imagee"/,
      );
      expect(out).toMatch(
        /from apps\/shop\/values\.yaml:\d+ \(extraManifests\[0\]\.spec\.template\.spec\.containers\[0\]\.imagee\); did you mean "image"\?/,
      );
    } finally {
      restoreApps();
    }
  });

  it('resources removed fails mayday-resources in prd and points at the values that removed them', async () => {
    append(`apps/${APP}/values.yaml`, 'resources: null\n');
    writeFileSync(join(ws.root, `apps/${APP}/values-stg.yaml`), 'replicas: 1\nresources: null\n');
    try {
      const { success, out } = await lint();
      expect(success).toBe(false);
      expect(out).toMatch(
        /gitops\/prd\/shop\/deployment-shop\.yaml:\d+: error mayday-resources: spec\.template\.spec\.containers: Deployment shop: container\(s\) app must set resources/,
      );
      expect(out).toMatch(/gitops\/stg\/shop\/deployment-shop\.yaml:\d+: warning mayday-resources:/);
      expect(out).toMatch(/from apps\/shop\/values\.yaml:\d+ \(resources\)/);
    } finally {
      restoreApps();
    }
  });

  it('prd replicas 1 fails mayday-replicas (and, without a PDB, mayday-pdb) at the rendered Deployment', async () => {
    writeFileSync(join(ws.root, `apps/${APP}/values-prd.yaml`), 'replicas: 1\nautoscaling:\n  enabled: false\n');
    try {
      const { success, out } = await lint();
      expect(success).toBe(false);
      expect(out).toMatch(
        /gitops\/prd\/shop\/deployment-shop\.yaml:\d+: error mayday-replicas: spec\.replicas: Deployment shop: runs 1 replica\(s\)/,
      );
      expect(out).toMatch(/from apps\/shop\/values-prd\.yaml:1 \(replicas\)/);
      expect(out).toMatch(/error mayday-pdb: metadata.annotations: Deployment shop names no PodDisruptionBudget/);
      expect(out).not.toMatch(/gitops\/stg\/shop\/.*mayday-replicas/);
    } finally {
      restoreApps();
    }
  });

  it('replicas beside an enabled autoscaler is a warning saying the autoscaler owns the count, at the file that set it', async () => {
    const prd = `apps/${APP}/values-prd.yaml`;
    writeFileSync(join(ws.root, prd), ws.read(prd).replace(/^replicas: \d+$/m, 'replicas: 2'));
    try {
      const { success, out } = await lint();
      expect(success).toBe(true);
      expect(out).toMatch(
        /apps\/shop\/values-prd\.yaml:\d+: warning values-autoscaling: replicas: replicas: 2 has no effect while autoscaling\.enabled is true: the HorizontalPodAutoscaler keeps 3 to \d+ pods/,
      );
      expect(out).not.toMatch(/apps\/shop\/values-stg\.yaml.*values-autoscaling/);
    } finally {
      restoreApps();
    }
  });

  it('a plaintext Secret fails mayday-no-plaintext-secret at the values file that adds it', async () => {
    append(
      `apps/${APP}/values.yaml`,
      'extraManifests:\n  - apiVersion: v1\n    kind: Secret\n    metadata: { name: db }\n    stringData: { password: hunter2 }\n',
    );
    try {
      const { success, out } = await lint();
      expect(success).toBe(false);
      expect(out).toMatch(
        /apps\/shop\/values\.yaml:\d+: error mayday-no-plaintext-secret: extraManifests\[0\]\.kind: a plaintext Secret/,
      );
    } finally {
      restoreApps();
    }
  });

  it('a resource in another namespace and a ClusterRole fail mayday-app-namespace', async () => {
    append(
      `apps/${APP}/values.yaml`,
      [
        'extraManifests:',
        '  - apiVersion: v1',
        '    kind: ConfigMap',
        '    metadata: { name: settings, namespace: kube-system }',
        '    data: { LOG_LEVEL: info }',
        '  - apiVersion: rbac.authorization.k8s.io/v1',
        '    kind: ClusterRole',
        '    metadata: { name: shop-reader }',
        '    rules: [{ apiGroups: [""], resources: [pods], verbs: [get] }]',
        '',
      ].join('\n'),
    );
    try {
      const { success, out } = await lint();
      expect(success).toBe(false);
      expect(out).toMatch(
        /gitops\/prd\/shop\/configmap-settings\.yaml:\d+: error mayday-app-namespace: metadata\.namespace: ConfigMap settings is in namespace kube-system/,
      );
      expect(out).toMatch(/from apps\/shop\/values\.yaml:\d+ \(extraManifests\[0\]\.metadata\.namespace\)/);
      expect(out).toMatch(
        /gitops\/stg\/shop\/clusterrole-shop-reader\.yaml:\d+: error mayday-app-namespace: kind: ClusterRole shop-reader is cluster-scoped/,
      );
      expect(out).toMatch(/from apps\/shop\/values\.yaml:\d+ \(extraManifests\[1\]\.kind\)/);
    } finally {
      restoreApps();
    }
  });

  it('a waiver turns one policy off for one env, with its reason printed', async () => {
    writeFileSync(
      join(ws.root, `apps/${APP}/values-prd.yaml`),
      'replicas: 1\nautoscaling:\n  enabled: false\npdb:\n  enabled: true\nimage:\n  tag: "1.4.2"\n',
    );
    writeFileSync(
      join(ws.root, `apps/${APP}/policy-waivers.yaml`),
      'waivers:\n  - policy: mayday-replicas\n    env: prd\n    reason: a singleton consumer; two replicas would double-process the queue\n',
    );
    try {
      const { success, out } = await lint();
      expect(success).toBe(true);
      expect(out).toMatch(
        /info mayday-replicas: spec\.replicas: .*\n {4}↳ waived in prd by apps\/shop\/policy-waivers\.yaml:2: a singleton consumer/,
      );
      expect(out).toMatch(/✔ shop prd \(strict, shop-prd\): \d+ resources, 0 errors, 0 warnings, 1 waived/);
    } finally {
      restoreApps();
    }
  });

  it('a waiver needs a reason and a real policy name', async () => {
    writeFileSync(
      join(ws.root, `apps/${APP}/policy-waivers.yaml`),
      'waivers:\n  - policy: mayday-replica\n    env: prd\n    reason: short\n',
    );
    try {
      const { success, out } = await lint();
      expect(success).toBe(false);
      expect(out).toMatch(
        /apps\/shop\/policy-waivers\.yaml:\d+: error policy-waiver: waivers\.0\.reason|apps\/shop\/policy-waivers\.yaml:\d+: error policy-waiver: waivers\[0\]\.reason/,
      );
    } finally {
      restoreApps();
    }
  });

  it.each([
    [['--format=xml'], /--format: --format=xml is not one of text, json/],
    [['--fromat=json'], /--fromat: lint has no option --fromat\n\s+↳ did you mean --format\?/],
  ])('%j is a plain error, not an UnhandledPromiseRejection with a stack', async (args, message) => {
    const result = await ws.nx(['run', `${APP}:lint`, '--skip-nx-cache', ...args]);
    expect(result.exitCode).not.toBe(0);
    expect(result.all).toMatch(message);
    expect(result.all).not.toMatch(/UnhandledPromiseRejection|\n\s+at /);
  });

  it('a values file for an env that does not exist fails lint, naming it and the known envs', async () => {
    writeFileSync(join(ws.root, `apps/${APP}/values-prod.yaml`), 'replicas: 3\n');
    try {
      const result = await ws.nx(['run', `${APP}:lint`, '--skip-nx-cache']);
      expect(result.exitCode).not.toBe(0);
      expect(result.all).toContain(
        `apps/${APP}/values-prod.yaml: error values-env: is for env "prod", which platform/environments.yaml does not declare (envs: stg, prd)`,
      );
      expect(result.all).toContain('rename it to values-prd.yaml');
    } finally {
      rmSync(join(ws.root, `apps/${APP}/values-prod.yaml`));
    }
  });

  it("--format=json --output writes one clean JSON report for every app of the run, outside Nx's banners", async () => {
    const result = await ws.nx([
      'run-many',
      '-t',
      'lint',
      '--skip-nx-cache',
      '--format=json',
      '--output=tmp/lint.json',
    ]);
    expect(result.exitCode).toBe(0);
    const report = JSON.parse(ws.read('tmp/lint.json')) as { errors: number; apps: { app: string }[] };
    expect(report.apps.map((a) => a.app)).toEqual(['cart', APP]);
    expect(report.errors).toBe(0);
    expect(result.all).not.toContain('"apps"');
    rmSync(join(ws.root, 'tmp'), { recursive: true, force: true });
  });

  it('--format=json gives the same findings for machines', async () => {
    append(`apps/${APP}/values.yaml`, 'replicaz: 2\n');
    try {
      const { success, out } = await lint({ format: 'json' });
      expect(success).toBe(false);
      const report = JSON.parse(out) as {
        errors: number;
        apps: {
          app: string;
          envs: {
            env: string;
            errors: number;
            findings: { file: string; line: number; field: string; rule: string }[];
          }[];
        }[];
      };
      expect(report.errors).toBe(1); // one mistake in the shared values.yaml, found in each env
      expect(report.apps[0].envs.map((e) => [e.env, e.errors])).toEqual([
        ['stg', 1],
        ['prd', 1],
      ]);
      expect(report.apps[0].envs[1].findings[0]).toMatchObject({
        file: 'apps/shop/values.yaml',
        field: 'replicaz',
        rule: 'values-schema',
      });
    } finally {
      restoreApps();
    }
  });
});

describe('nx affected -t lint', () => {
  const lintedApps = (output: string | undefined): string[] =>
    [...new Set([...(output ?? '').matchAll(/nx run ([a-z0-9-]+):lint/g)].map((m) => m[1]))].sort();

  it('a change to one app lints only that app; a change to a policy lints every app', async () => {
    append(`apps/${APP}/values.yaml`, 'podAnnotations:\n  example.com/touched: "yes"\n');
    try {
      const result = await ws.nx(['affected', '-t', 'lint', '--base=HEAD', '--skip-nx-cache']);
      expect(result.exitCode).toBe(0);
      expect(lintedApps(result.all)).toEqual([APP]);
    } finally {
      restoreApps();
    }
    const policy = 'platform/policies/probes.yaml';
    const original = ws.read(policy);
    append(policy, '# touched\n');
    try {
      const result = await ws.nx(['affected', '-t', 'lint', '--base=HEAD', '--skip-nx-cache']);
      expect(result.exitCode).toBe(0);
      expect(lintedApps(result.all)).toEqual(['cart', APP]);
    } finally {
      writeFileSync(join(ws.root, policy), original);
    }
  }, 120_000);
});
