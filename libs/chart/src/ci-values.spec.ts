import { runPool } from '@mayday/render/pool';
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { helmTemplateWith, renderAppEnvs, type RenderedEnv } from '@mayday/render';
import { CHART_DIR, ENVIRONMENTS_FILE, mergeValues, platformValues } from '@mayday/model';
import { renderedAppProblems } from './rendered-app-checks.ts';
import { modelProblems } from './model-validation.ts';
import {
  CHART_PATH,
  CI_VALUES_DIR,
  ciValuesFiles,
  ENVIRONMENTS,
  findEnv,
  GENERATED_APP_VALUES,
  HELM,
  one,
  readCiValues,
  renderCiValues,
  STRATEGIES,
  WORKSPACE_ROOT,
  byKind,
} from './chart-fixtures.ts';

const files = ciValuesFiles();

describe('platform/charts/app/ci/*-values.yaml (helm lint cases)', () => {
  it('has a case for every strategy in every env', () => {
    const cases = files.map((file) => {
      const values = readCiValues(file);
      return `${values.strategy?.type ?? 'rolling'}/${values.platform.env}`;
    });
    for (const env of ENVIRONMENTS)
      for (const strategy of STRATEGIES) expect(cases).toContain(`${strategy}/${env.name}`);
  });

  it.each(files)('%s: its platform block is what mayday sets from platform/environments.yaml', (file) => {
    const { platform } = readCiValues(file);
    expect(platform).toEqual(platformValues(findEnv(platform.env)));
  });

  it.each(files.filter((file) => /^[a-z]+-[a-z0-9]+-values\.yaml$/.test(file)))(
    '%s: holds what the generator seeds from its env (appDefaults)',
    (file) => {
      const values = readCiValues(file);
      expect(mergeValues(values, findEnv(values.platform.env).appDefaults)).toEqual(values);
    },
  );

  it('`helm lint --strict` passes for every case', async () => {
    const results = await runPool(files, 4, async (file) => {
      const env = findEnv(readCiValues(file).platform.env);
      const result = await execa(
        HELM,
        [
          'lint',
          '--strict',
          CHART_PATH,
          '--values',
          join(CI_VALUES_DIR, file),
          '--kube-version',
          env.kubernetesVersion,
        ],
        { reject: false },
      );
      return {
        file,
        exitCode: result.exitCode,
        output: result.exitCode === 0 ? '' : `${result.stdout}\n${result.stderr}`,
      };
    });
    expect(results.filter((r) => r.exitCode !== 0)).toEqual([]);
  });

  it('every case renders consistent objects that pass their schemas', async () => {
    const rendered = await runPool(files, 4, (file) => renderCiValues(file));
    const problems = rendered.flatMap((r) =>
      [...renderedAppProblems(r.objects, r.namespace), ...r.objects.map(modelProblems).filter(Boolean)].map(
        (p) => `${r.name}: ${p}`,
      ),
    );
    expect(problems).toEqual([]);
  });

  it('renders the same bytes twice (no random, no timestamps)', async () => {
    const render = () =>
      helmTemplateWith(HELM)({
        release: 'checkout',
        chartDir: CHART_PATH,
        namespace: 'checkout-prd',
        kubeVersion: findEnv('prd').kubernetesVersion,
        valuesFiles: [join(CI_VALUES_DIR, 'canary-analysis-prd-values.yaml')],
        setJson: {},
      });
    const [first, second] = await Promise.all([render(), render()]);
    expect(second).toBe(first);
  });
});

describe('a generated app that asks for canary in prd only (issue acceptance, through renderApp)', () => {
  let workspace: string;
  let envs: RenderedEnv[];

  beforeAll(async () => {
    workspace = mkdtempSync(join(tmpdir(), 'mayday-chart-app-'));
    cpSync(join(WORKSPACE_ROOT, CHART_DIR), join(workspace, CHART_DIR), { recursive: true });
    cpSync(join(WORKSPACE_ROOT, ENVIRONMENTS_FILE), join(workspace, ENVIRONMENTS_FILE));
    mkdirSync(join(workspace, 'apps/checkout'), { recursive: true });
    writeFileSync(join(workspace, 'apps/checkout/values.yaml'), stringify(GENERATED_APP_VALUES));
    // What the generator writes (the env's appDefaults), then the one line the team adds for prd.
    for (const env of ENVIRONMENTS) {
      const values = env.name === 'prd' ? { ...env.appDefaults, strategy: { type: 'canary' } } : env.appDefaults;
      writeFileSync(join(workspace, `apps/checkout/values-${env.name}.yaml`), stringify(values));
    }
    envs = await renderAppEnvs(
      { workspaceRoot: workspace, helmTemplate: helmTemplateWith(HELM) },
      'checkout',
      ENVIRONMENTS,
    );
  });
  afterAll(() => rmSync(workspace, { recursive: true, force: true }));

  const objectsIn = (env: string) => envs.find((e) => e.env === env)!.files.map((f) => f.object);

  it('renders a Rollout, not a Deployment, in prd with the prd step preset (10 → 25 → 50 → 100)', () => {
    const objects = objectsIn('prd');
    expect(byKind(objects, 'Deployment')).toHaveLength(0);
    const steps = one(objects, 'Rollout').spec.strategy.canary.steps;
    expect(steps.filter((s: any) => 'setWeight' in s).map((s: any) => s.setWeight)).toEqual([10, 25, 50, 100]);
    expect(steps.filter((s: any) => 'pause' in s)).toHaveLength(3);
    expect(one(objects, 'HorizontalPodAutoscaler').spec.scaleTargetRef).toEqual({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      name: 'checkout',
    });
  });

  it('renders a Deployment in stg', () => {
    const objects = objectsIn('stg');
    expect(one(objects, 'Deployment').spec.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 },
    });
    expect(byKind(objects, 'Rollout')).toHaveLength(0);
  });

  it('writes one gitops file per object, canary Service included', () => {
    expect(envs.find((e) => e.env === 'prd')!.files.map((f) => f.fileName)).toEqual([
      'horizontalpodautoscaler-checkout.yaml',
      'httproute-checkout.yaml',
      'networkpolicy-checkout.yaml',
      'poddisruptionbudget-checkout.yaml',
      'rollout-checkout.yaml',
      'service-checkout-canary.yaml',
      'service-checkout.yaml',
      'serviceaccount-checkout.yaml',
    ]);
  });
});

describe('blueGreen', () => {
  it('renders the active and the preview Service, both selecting the pods', async () => {
    const { objects, namespace } = await renderCiValues('bluegreen-prd-values.yaml');
    const blueGreen = one(objects, 'Rollout').spec.strategy.blueGreen;
    expect(one(objects, 'Service', blueGreen.activeService).spec.ports).toEqual([
      { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
    ]);
    expect(one(objects, 'Service', blueGreen.previewService).metadata.labels['mayday.dev/service-role']).toBe(
      'preview',
    );
    expect(renderedAppProblems(objects, namespace)).toEqual([]);
  });
});
