/**
 * `npm run bench -- [--apps 100] [--reps 3] [--json file] [--keep]`: mayday's render against the
 * Helm floor, in a temporary copy of this workspace with N generated apps. See tools/bench/README.md.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadEnvironments } from '@mayday/model';
import { measure, type Measured } from './measure.ts';
import {
  costPerApp,
  fixedAndMarginalCost,
  formatMb,
  formatMs,
  formatRatio,
  formatTable,
  median,
  ratio,
} from './stats.ts';
import { renderedCount, renderedWithoutCache } from './nx-summary.ts';
import { commitAll, copyWorkspace, generateApps, git } from './workspace.ts';

const SOURCE_ROOT = resolve(import.meta.dirname, '../..');

const SCENARIOS = {
  cold: 'mayday cold (run-many, no cache)',
  floor: 'helm floor (same parallelism)',
  naive: 'naive loop (serial shell)',
  oneChanged: 'one app changed (affected)',
  noop: 'no-op (affected, cache on)',
  nxFloor: 'nx floor (show projects)',
} as const;
type Scenario = keyof typeof SCENARIOS;

interface Options {
  apps: number;
  reps: number;
  json?: string;
  keep: boolean;
  /** Copy this commit instead of the working tree. */
  ref?: string;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      apps: { type: 'string', default: '100' },
      reps: { type: 'string', default: '3' },
      json: { type: 'string' },
      keep: { type: 'boolean', default: false },
      ref: { type: 'string' },
    },
  });
  const apps = Number(values.apps);
  const reps = Number(values.reps);
  if (!Number.isInteger(apps) || apps < 1)
    throw new Error(`--apps ${values.apps}: pass a whole number of apps, e.g. --apps 20`);
  if (!Number.isInteger(reps) || reps < 1)
    throw new Error(`--reps ${values.reps}: pass a whole number of repetitions, e.g. --reps 3`);
  return { apps, reps, json: values.json ? resolve(values.json) : undefined, keep: values.keep, ref: values.ref };
}

const log = (message: string) => process.stderr.write(`${message}\n`);

async function main(): Promise<void> {
  const options = parseOptions();
  const started = Date.now();
  log(`preparing a workspace copy (${options.ref ?? 'working tree'}) with ${options.apps} apps…`);
  const root = copyWorkspace(SOURCE_ROOT, options.ref);
  try {
    const apps = await generateApps(root, options.apps);
    commitAll(root, 'bench workspace');
    const envs = loadEnvironments(root);
    const nxJson = JSON.parse(readFileSync(join(root, 'nx.json'), 'utf8')) as { parallel?: number };
    const parallel = nxJson.parallel ?? availableParallelism();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: [
        join(root, 'node_modules/.bin'),
        join(root, '.tools/bin'),
        dirname(process.execPath),
        process.env.PATH,
      ].join(':'),
      NX_DAEMON: 'false',
      NX_NO_CLOUD: 'true',
      NX_TUI: 'false',
      NX_SKIP_NX_CACHE: undefined,
      FORCE_COLOR: '0',
    };
    const run = async (command: string, args: string[]): Promise<Measured> => {
      const result = await measure(command, args, { cwd: root, env });
      if (result.exitCode !== 0)
        throw new Error(
          `${command} ${args.join(' ')} failed (exit ${result.exitCode}):\n${result.output.slice(-4000)}`,
        );
      return result;
    };
    const nx = (...args: string[]) => run(join(root, 'node_modules/.bin/nx'), [...args, '--outputStyle=static']);

    log('warm-up: rendering every app once and committing gitops/ (the base for nx affected)…');
    const warm = await nx('run-many', '-t', 'render');
    expectRendered(warm, apps.length, 'warm-up');
    commitAll(root, 'rendered');

    const scaleSizes = [...new Set([10, 100])].filter((n) => n < apps.length);
    const samples: Record<Scenario, Measured[]> = {
      cold: [],
      floor: [],
      naive: [],
      oneChanged: [],
      noop: [],
      nxFloor: [],
    };
    const scaleSamples = new Map<number, Measured[]>(scaleSizes.map((n) => [n, []]));
    const renderedByOneChanged: number[] = [];
    const plan = (...args: string[]) => run(process.execPath, [join(root, 'tools/bench/helm-plan.ts'), ...args]);
    const naiveSpecs = (await plan('env-specs')).output.trim().split('\n');
    const planFile = join(root, 'tmp/helm-plan.json');
    mkdirSync(dirname(planFile), { recursive: true });
    await plan('calls', planFile);
    const changedApp = apps[0];
    const changedFile = join(root, 'apps', changedApp, 'values.yaml');
    const original = readFileSync(changedFile, 'utf8');

    for (let rep = 1; rep <= options.reps; rep++) {
      log(`repetition ${rep}/${options.reps}`);
      const cold = await nx('run-many', '-t', 'render', '--skip-nx-cache');
      expectRendered(cold, apps.length, SCENARIOS.cold);
      samples.cold.push(cold);
      samples.floor.push(
        await run(process.execPath, [join(root, 'tools/bench/helm-floor.ts'), planFile, String(parallel)]),
      );
      rmSync(join(root, 'tmp/naive'), { recursive: true, force: true });
      samples.naive.push(
        await run('bash', [join(root, 'tools/bench/naive-loop.sh'), join(root, 'tmp/naive'), ...naiveSpecs]),
      );
      for (const size of scaleSizes) {
        const subset = await nx(
          'run-many',
          '-t',
          'render',
          '--skip-nx-cache',
          `--projects=${apps.slice(0, size).join(',')}`,
        );
        expectRendered(subset, size, `mayday cold at ${size} apps`);
        scaleSamples.get(size)!.push(subset);
      }
      // a new image tag each repetition, so the edit is never a cache hit
      const tag = `1.0.${rep}-bench`;
      writeFileSync(changedFile, original.replace(/tag: "[^"]*"/, `tag: "${tag}"`));
      const one = await nx('affected', '-t', 'render');
      renderedByOneChanged.push(renderedWithoutCache(one.output));
      if (
        !readFileSync(join(root, 'gitops', envs[0].name, changedApp, `deployment-${changedApp}.yaml`), 'utf8').includes(
          tag,
        )
      ) {
        throw new Error(`one app changed: gitops/${envs[0].name}/${changedApp} does not carry the new tag ${tag}`);
      }
      samples.oneChanged.push(one);
      writeFileSync(changedFile, original);
      git(root, 'checkout', '-q', '--', 'gitops');
      const status = git(root, 'status', '--porcelain', '--', 'apps', 'gitops', 'platform');
      if (status.trim()) throw new Error(`the bench workspace should be clean before the no-op run:\n${status}`);
      const noop = await nx('affected', '-t', 'render');
      samples.noop.push(noop);
      samples.nxFloor.push(await run(join(root, 'node_modules/.bin/nx'), ['show', 'projects']));
    }

    const medians = Object.fromEntries(
      Object.entries(samples).map(([k, v]) => [k, median(v.map((m) => m.ms))]),
    ) as Record<Scenario, number>;
    const scale = [...scaleSamples].map(([apps, ms]) => ({ apps, medianMs: median(ms.map((m) => m.ms)) }));
    scale.push({ apps: apps.length, medianMs: medians.cold });
    const perApp = costPerApp(scale);
    const line = fixedAndMarginalCost(scale);
    const allMeasured = [...Object.values(samples).flat(), ...[...scaleSamples.values()].flat(), warm];
    const peakRssKb = Math.max(...allMeasured.map((m) => m.peakRssKb)) + process.resourceUsage().maxRSS;
    const perAppAt = (n: number) => perApp.find((p) => p.apps === n)?.perAppMs ?? Number.NaN;
    const ratios = {
      coldOverFloor: ratio(medians.cold, medians.floor),
      naiveOverCold: ratio(medians.naive, medians.cold),
      noopOverNxFloor: ratio(medians.noop, medians.nxFloor),
      perApp100OverPerApp10: ratio(perAppAt(100), perAppAt(10)),
    };
    const report = {
      apps: apps.length,
      envs: envs.map((e) => e.name),
      helmCalls: apps.length * envs.length,
      repetitions: options.reps,
      parallel,
      machine: { cpus: cpus().length, node: process.version, helm: helmVersion(root) },
      commit: gitHead(),
      scenarios: Object.fromEntries(
        (Object.keys(SCENARIOS) as Scenario[]).map((k) => [
          k,
          {
            label: SCENARIOS[k],
            medianMs: medians[k],
            samplesMs: samples[k].map((m) => Math.round(m.ms)),
            peakRssKb: Math.max(...samples[k].map((m) => m.peakRssKb)),
          },
        ]),
      ),
      ratios,
      oneAppChangedRendered: renderedByOneChanged,
      costPerApp: perApp,
      fixedAndMarginal: line,
      peakRssKb,
      totalSeconds: Math.round((Date.now() - started) / 1000),
    };
    console.log(formatReport(report));
    if (options.json) {
      writeFileSync(options.json, JSON.stringify(report, null, 2) + '\n');
      log(`figures written to ${options.json}`);
    }
  } finally {
    if (options.keep) log(`workspace kept at ${root}`);
    else rmSync(root, { recursive: true, force: true });
  }
}

type Report = {
  apps: number;
  helmCalls: number;
  repetitions: number;
  parallel: number;
  machine: { cpus: number; node: string; helm: string };
  scenarios: Record<string, { label: string; medianMs: number; samplesMs: number[]; peakRssKb: number }>;
  ratios: { coldOverFloor: number; naiveOverCold: number; noopOverNxFloor: number; perApp100OverPerApp10: number };
  oneAppChangedRendered: number[];
  costPerApp: ReturnType<typeof costPerApp>;
  fixedAndMarginal?: { fixedMs: number; marginalMs: number };
  peakRssKb: number;
  totalSeconds: number;
};

export function formatReport(r: Report): string {
  const verdict = (ok: boolean | undefined) => (ok === undefined ? 'n/a' : ok ? 'ok' : 'MISSED');
  const finite = (n: number) => (Number.isFinite(n) ? n : undefined);
  const one = r.oneAppChangedRendered;
  const scenarios = formatTable(
    ['scenario', 'median', 'min', 'max', 'peak RSS'],
    Object.values(r.scenarios).map((s) => [
      s.label,
      formatMs(s.medianMs),
      formatMs(Math.min(...s.samplesMs)),
      formatMs(Math.max(...s.samplesMs)),
      formatMb(s.peakRssKb),
    ]),
  );
  const check = (value: number, test: (v: number) => boolean) =>
    verdict(finite(value) === undefined ? undefined : test(value));
  // cheaper per app at 100 than at 10 is not superlinear growth: a fixed start-up cost spread over more apps
  const linearity = (v: number) =>
    !Number.isFinite(v) ? 'n/a' : v > 1.25 ? 'MISSED' : v < 0.75 ? 'MISSED (fixed cost)' : 'ok';
  const ratios = formatTable(
    ['ratio', 'value', 'target', ''],
    [
      [
        'mayday cold / helm floor',
        formatRatio(r.ratios.coldOverFloor),
        '≤ 1.20×',
        check(r.ratios.coldOverFloor, (v) => v <= 1.2),
      ],
      [
        'naive loop / mayday cold',
        formatRatio(r.ratios.naiveOverCold),
        '≥ 1.50×',
        check(r.ratios.naiveOverCold, (v) => v >= 1.5),
      ],
      [
        'no-op / nx floor',
        formatRatio(r.ratios.noopOverNxFloor),
        '≤ 1.50×',
        check(r.ratios.noopOverNxFloor, (v) => v <= 1.5),
      ],
      ['one app changed renders', `${[...new Set(one)].join('/')} app(s)`, '= 1', verdict(one.every((n) => n === 1))],
      [
        'cost per app, 100 / 10 apps',
        formatRatio(r.ratios.perApp100OverPerApp10),
        '0.75–1.25×',
        linearity(r.ratios.perApp100OverPerApp10),
      ],
    ],
  );
  const scale = formatTable(
    ['apps', 'mayday cold', 'per app', 'vs smallest'],
    r.costPerApp.map((p) => [
      String(p.apps),
      formatMs(p.medianMs),
      formatMs(p.perAppMs),
      formatRatio(p.relativeToSmallest),
    ]),
  );
  const fit = r.fixedAndMarginal
    ? `fixed cost ≈ ${formatMs(r.fixedAndMarginal.fixedMs)} + ${formatMs(r.fixedAndMarginal.marginalMs)} per app`
    : 'one size only: pass --apps ≥ 11 for a second point';
  return [
    `mayday render benchmark: ${r.apps} apps, ${r.helmCalls} helm template calls, ${r.repetitions} repetitions (interleaved), parallel ${r.parallel}`,
    `${r.machine.cpus} CPUs, Node ${r.machine.node}, Helm ${r.machine.helm}; whole run ${r.totalSeconds} s, peak RSS ${formatMb(r.peakRssKb)}`,
    '',
    scenarios,
    '',
    ratios,
    '',
    scale,
    fit,
  ].join('\n');
}

function expectRendered(result: Measured, count: number, what: string): void {
  const rendered = renderedCount(result.output);
  if (rendered !== count)
    throw new Error(
      `${what}: expected ${count} apps rendered, Nx reported ${rendered}:\n${result.output.slice(-3000)}`,
    );
}

function helmVersion(root: string): string {
  try {
    return execFileSyncText('bash', [join(root, 'tools/toolchain/helm-version.sh')], root);
  } catch {
    return 'unknown';
  }
}

function execFileSyncText(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8' }).trim();
}

function gitHead(): string {
  try {
    return execFileSyncText('git', ['rev-parse', '--short', 'HEAD'], SOURCE_ROOT);
  } catch {
    return 'unknown';
  }
}

if (import.meta.filename === process.argv[1]) {
  main().catch((error: Error) => {
    log(`bench failed: ${error.message}`);
    process.exitCode = 1;
  });
}
