import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse, stringify } from 'yaml';
import { helmTemplateWith, resolveHelm } from '@mayday/render';
import { findEnvironment, imagePinBlock, loadEnvironments } from '@mayday/model';
import { createTempWorkspace, REPO_ROOT, type TempWorkspace } from '@mayday/testing';
import { formatLintText } from './lint-report.ts';
import { lintApp, type AppLintResult } from './lint-app.ts';
import { loadPolicies } from './admission-policy.ts';

const CI_DIR = 'platform/charts/app/ci';
/** The chart's own test values (`<case>-<env>-values.yaml`), each linted as an app in its env with the env's app defaults. */
const ciCases = readdirSync(join(REPO_ROOT, CI_DIR))
  .map((file) => /^(.+)-(stg|prd)-values\.yaml$/.exec(file))
  .filter((m): m is RegExpExecArray => m !== null)
  .map(([file, name, env]) => ({ file, app: `ci-${name}`.slice(0, 30), env }));

let ws: TempWorkspace;
beforeAll(async () => {
  ws = await createTempWorkspace({ withApps: true, git: false });
  for (const c of ciCases) {
    const values = parse(readFileSync(join(REPO_ROOT, CI_DIR, c.file), 'utf8')) as Record<string, unknown>;
    delete values.platform; // set by mayday from platform/environments.yaml
    mkdirSync(join(ws.root, 'apps', c.app), { recursive: true });
    writeFileSync(join(ws.root, 'apps', c.app, 'values.yaml'), stringify(values));
    // As the generator does: the env's appDefaults (prd: replicas, autoscaling, PDB) in values-<env>.yaml, and
    // the image pinned where the env takes it by promotion.
    const env = findEnvironment(loadEnvironments(ws.root), c.env);
    const pin = env.promotion
      ? imagePinBlock(c.app, env.promotion.from, values.image as { tag?: string; digest?: string })
      : '';
    writeFileSync(join(ws.root, 'apps', c.app, `values-${c.env}.yaml`), stringify(env.appDefaults) + pin);
  }
}, 60_000);
afterAll(() => ws?.cleanup());

const clean = (result: AppLintResult) => {
  const text = formatLintText([result]);
  return {
    errors: result.envs.flatMap((e) => e.findings).filter((f) => f.severity !== 'info').length === 0 ? 'none' : text,
  };
};

describe('the base chart passes its own policies and the strict schemas', () => {
  it('the sample app lints clean in every env', async () => {
    const envs = loadEnvironments(ws.root);
    const result = await lintApp(
      { workspaceRoot: ws.root, helmTemplate: helmTemplateWith(resolveHelm(ws.root)) },
      'hello',
      envs,
    );
    expect(result.envs.map((e) => e.env)).toEqual(envs.map((e) => e.name));
    expect(result.envs.every((e) => e.resources > 0)).toBe(true);
    expect(clean(result)).toEqual({ errors: 'none' });
  });

  it.each(ciCases)('chart test values $file lint clean in $env', async ({ app, env }) => {
    const context = {
      workspaceRoot: ws.root,
      helmTemplate: helmTemplateWith(resolveHelm(ws.root)),
      policies: loadPolicies(ws.root),
    };
    const result = await lintApp(context, app, [findEnvironment(loadEnvironments(ws.root), env)]);
    expect(result.envs[0].resources).toBeGreaterThan(0);
    expect(clean(result)).toEqual({ errors: 'none' });
  });
});
