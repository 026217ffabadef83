// The render engine against `helm template`: the same bytes for every app in gitops/ and every chart ci/*-values.yaml
// case in every env, the same messages for a schema error and a template error, and a pin on the same Helm.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { REPO_ROOT } from '@mayday/testing';
import {
  appValuesFile,
  CHART_DIR,
  ENVIRONMENTS_FILE,
  loadEnvironments,
  MaydayError,
  namespaceFor,
  platformValues,
} from '@mayday/model';
import { ENGINE_MODULE, resolveEngine, startEngine, type RenderEngine } from './engine.ts';
import { HelmError, helmTemplateWith, resolveHelm, type HelmTemplateRequest } from './helm.ts';
import { helmRequestFor, renderApp } from './render-app.ts';

const ENVS = loadEnvironments(REPO_ROOT);
const CHART = join(REPO_ROOT, CHART_DIR);
const CI_DIR = join(CHART, 'ci');
const helm = helmTemplateWith(resolveHelm(REPO_ROOT));
const engineBinary = resolveEngine(REPO_ROOT);
let engine: RenderEngine;
let scratch: string;

beforeAll(() => {
  if (!existsSync(engineBinary))
    throw new Error(`no render engine at ${engineBinary}: run \`npm run setup\` (it builds ${ENGINE_MODULE})`);
  engine = startEngine(engineBinary, { parallel: 2 });
  scratch = mkdtempSync(join(tmpdir(), 'mayday-engine-'));
});
afterAll(async () => {
  await engine?.close();
  rmSync(scratch, { recursive: true, force: true });
});

/** Every app with a folder in gitops/, in every env of platform/environments.yaml. */
function gitopsCases(): [string, HelmTemplateRequest][] {
  const apps = new Set(
    ENVS.flatMap((env) => {
      const dir = join(REPO_ROOT, 'gitops', env.name);
      return existsSync(dir) ? readdirSync(dir) : [];
    }),
  );
  return [...apps]
    .filter((app) => existsSync(join(REPO_ROOT, appValuesFile(app))))
    .sort()
    .flatMap((app) =>
      ENVS.map((env): [string, HelmTemplateRequest] => [`${app} ${env.name}`, helmRequestFor(REPO_ROOT, app, env)]),
    );
}

/** Every ci/*-values.yaml case rendered as an app of every env (the env's namespace, Kubernetes and platform values). */
function chartCases(): [string, HelmTemplateRequest][] {
  return readdirSync(CI_DIR)
    .filter((file) => file.endsWith('-values.yaml'))
    .sort()
    .flatMap((file) =>
      ENVS.map((env): [string, HelmTemplateRequest] => [
        `${file} ${env.name}`,
        {
          release: 'checkout',
          chartDir: CHART,
          namespace: namespaceFor(env, 'checkout'),
          kubeVersion: env.kubernetesVersion,
          valuesFiles: [join(CI_DIR, file)],
          setJson: { platform: platformValues(env) },
        },
      ]),
    );
}

async function messageOf(render: Promise<string>): Promise<string> {
  try {
    await render;
  } catch (error) {
    if (error instanceof HelmError) return error.message;
    throw error;
  }
  throw new Error('expected Helm to fail');
}

describe('the render engine renders what `helm template` prints, byte for byte', () => {
  const cases = [...gitopsCases(), ...chartCases()];

  it('covers every app in gitops/ and every chart ci case, in every env', () => {
    expect(gitopsCases().length).toBeGreaterThanOrEqual(ENVS.length);
    expect(chartCases().length).toBe(
      readdirSync(CI_DIR).filter((f) => f.endsWith('-values.yaml')).length * ENVS.length,
    );
  });

  it.each(cases)('%s', async (_name, request) => {
    const [byHelm, byEngine] = await Promise.all([helm(request), engine.helmTemplate(request)]);
    expect(byEngine.length).toBeGreaterThan(0);
    expect(byEngine).toBe(byHelm);
  });

  it('gives the same bytes for every case rendered at once (parallel renders share one chart)', async () => {
    const expected = await Promise.all(cases.map(([, request]) => engine.helmTemplate(request)));
    const again = await Promise.all([...cases].reverse().map(([, request]) => engine.helmTemplate(request)));
    expect(again.reverse()).toEqual(expected);
  });
});

describe('the render engine fails as `helm template` fails', () => {
  const request = (values: string): HelmTemplateRequest => {
    const file = join(scratch, `values-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, values);
    return {
      ...helmRequestFor(REPO_ROOT, 'hello', ENVS[0]),
      valuesFiles: [join(REPO_ROOT, appValuesFile('hello')), file],
    };
  };

  it('a schema error: the same message', async () => {
    const bad = request('replicas: "three"\n');
    const message = await messageOf(engine.helmTemplate(bad));
    expect(message).toMatch(/values don't meet the specifications of the schema/);
    expect(message).toBe(await messageOf(helm(bad)));
  });

  it('a template error: the same message, and the same diagnostics from renderApp', async () => {
    const bad = request('autoscaling:\n  enabled: true\n  minReplicas: 5\n  maxReplicas: 2\n');
    const message = await messageOf(engine.helmTemplate(bad));
    expect(message).toMatch(/execution error at \(app\/templates\/hpa\.yaml:\d+:\d+\): autoscaling\.minReplicas \(5\)/);
    expect(message).toBe(await messageOf(helm(bad)));

    const workspace = mkdtempSync(join(scratch, 'ws-'));
    // what renderApp reads: the chart, the env list and the app
    cpSync(CHART, join(workspace, CHART_DIR), { recursive: true });
    cpSync(join(REPO_ROOT, ENVIRONMENTS_FILE), join(workspace, ENVIRONMENTS_FILE));
    cpSync(join(REPO_ROOT, 'apps/hello'), join(workspace, 'apps/hello'), { recursive: true });
    writeFileSync(
      join(workspace, `apps/hello/values-${ENVS[0].name}.yaml`),
      'autoscaling:\n  enabled: true\n  minReplicas: 5\n  maxReplicas: 2\n',
    );
    const diagnostics = async (helmTemplate: typeof helm) => {
      try {
        await renderApp({ workspaceRoot: workspace, helmTemplate }, 'hello', ENVS[0]);
      } catch (error) {
        if (error instanceof MaydayError) return error.diagnostics;
        throw error;
      }
      throw new Error('expected renderApp to fail');
    };
    const byEngine = await diagnostics(engine.helmTemplate);
    expect(byEngine[0].message).toContain('autoscaling.minReplicas (5) is above autoscaling.maxReplicas (2)');
    expect(byEngine).toEqual(await diagnostics(helm));
  });

  it('a chart edited while the engine runs is loaded again', async () => {
    const chart = join(scratch, 'chart');
    cpSync(CHART, chart, { recursive: true });
    const edited: HelmTemplateRequest = { ...helmRequestFor(REPO_ROOT, 'hello', ENVS[0]), chartDir: chart };
    const before = await engine.helmTemplate(edited);
    const service = join(chart, 'templates/service.yaml');
    writeFileSync(service, readFileSync(service, 'utf8').replace(/^kind: Service$/m, 'kind: Service\n# edited'));
    const after = await engine.helmTemplate(edited);
    expect(after).not.toBe(before);
    expect(after).toBe(await helm(edited));
  });
});

describe('the engine is pinned to the Helm setup installs', () => {
  const pinnedHelm = () =>
    /^HELM_VERSION=(\S+)/m.exec(readFileSync(join(REPO_ROOT, 'tools/toolchain/versions.sh'), 'utf8'))?.[1];

  it('its go.mod requires helm.sh/helm/v4 at HELM_VERSION of tools/toolchain/versions.sh', () => {
    const goMod = readFileSync(join(REPO_ROOT, ENGINE_MODULE, 'go.mod'), 'utf8');
    expect(pinnedHelm()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(/^require helm\.sh\/helm\/v4 (v\S+)$/m.exec(goMod)?.[1]).toBe(`v${pinnedHelm()}`);
  });

  it('the built engine reports that Helm, as the render inputs hash it', async () => {
    const { stdout } = await execa('bash', [join(REPO_ROOT, 'tools/toolchain/engine-version.sh')]);
    expect(stdout).toMatch(new RegExp(`^mayday-engine helm v${pinnedHelm()!.replace(/\./g, '\\.')} go\\d`));
  });
});
