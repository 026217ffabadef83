/**
 * `npm run bench -- [--apps 100] [--scale 1000] [--reps 3] [--json file] [--keep]`: mayday's render against the
 * Helm floor, in a temporary copy of this workspace with N generated apps. See tools/bench/README.md.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadEnvironments } from '@mayday/model';
import { startMinio, startNxCacheServer, type NxCacheServer } from '@mayday/testing';
import { measure, type Measured } from './measure.ts';
import {
  costPerApp,
  fixedAndMarginalCost,
  formatMb,
  formatMs,
  formatRatio,
  formatTable,
  marginalCosts,
  median,
  ratio,
} from './stats.ts';
import { renderedCount, renderedWithoutCache } from './nx-summary.ts';
import { commitAll, copyWorkspace, generateApps, git } from './workspace.ts';

const SOURCE_ROOT = resolve(import.meta.dirname, '../..');

const SCENARIOS = {
  cold: 'mayday cold (run-many, no cache)',
  floor: 'helm floor (same calls, same parallelism)',
  naive: 'naive loop (serial shell)',
  remoteHit: 'remote cache hit (empty local cache)',
  oneChanged: 'one app changed (affected)',
  noop: 'no-op (affected, cache on)',
  nxFloor: 'nx floor (show projects)',
} as const;
type Scenario = keyof typeof SCENARIOS;

interface Options {
  apps: number;
  /** A second, larger workspace size for the cost per app (0: none). */
  scale: number;
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
      scale: { type: 'string', default: '1000' },
      reps: { type: 'string', default: '3' },
      json: { type: 'string' },
      keep: { type: 'boolean', default: false },
      ref: { type: 'string' },
    },
  });
  const whole = (name: string, value: string | undefined, min: number, example: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} ${value}: pass a whole number, e.g. ${example}`);
    return n;
  };
  const apps = whole('apps', values.apps, 1, '--apps 20');
  const scale = whole('scale', values.scale, 0, '--scale 1000 (0: no scale run)');
  if (scale && scale <= apps) throw new Error(`--scale ${scale}: pass more apps than --apps ${apps}, or 0`);
  return {
    apps,
    scale,
    reps: whole('reps', values.reps, 1, '--reps 3'),
    json: values.json ? resolve(values.json) : undefined,
    keep: values.keep,
    ref: values.ref,
  };
}

const log = (message: string) => process.stderr.write(`${message}\n`);

type Run = (command: string, args: string[], env?: NodeJS.ProcessEnv) => Promise<Measured>;

async function main(): Promise<void> {
  const options = parseOptions();
  const started = Date.now();
  const loadAtStart = loadavg()[0];
  log(`preparing a workspace copy (${options.ref ?? 'working tree'}) with ${options.apps} apps…`);
  const root = copyWorkspace(SOURCE_ROOT, options.ref);
  const stops: (() => Promise<void>)[] = [];
  try {
    const apps = await generateApps(root, options.apps);
    commitAll(root, 'bench workspace');
    const envs = loadEnvironments(root);
    const nxJson = JSON.parse(readFileSync(join(root, 'nx.json'), 'utf8')) as { parallel?: number };
    const parallel = nxJson.parallel ?? availableParallelism();
    const { run, nxWith, nx } = commandsIn(root);

    log('warm-up: rendering every app once and committing gitops/ (the base for nx affected)…');
    const warm = await nx('run-many', '-t', 'render');
    expectRendered(warm, apps.length, 'warm-up');
    commitAll(root, 'rendered');

    const { cache, remote } = await startSharedCache(nxWith, apps.length, stops);

    const smallSizes = options.scale ? [] : [10].filter((n) => n < apps.length);
    const samples = Object.fromEntries(Object.keys(SCENARIOS).map((s) => [s, []])) as unknown as Record<
      Scenario,
      Measured[]
    >;
    const scaleSamples = new Map<number, Measured[]>(smallSizes.map((n) => [n, []]));
    const renderedByOneChanged: number[] = [];
    const remoteHits: number[] = [];
    const { naiveSpecs, planFile } = await planHelmCalls(run, root);
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
      samples.remoteHit.push(await remoteHitRun(nxWith, remote, cache, apps.length, remoteHits, root));
      for (const size of smallSizes) scaleSamples.get(size)!.push(await coldSubset(nx, apps, size));
      samples.oneChanged.push(await oneChangedRun(nx, root, changedFile, original, rep, envs[0].name, changedApp));
      renderedByOneChanged.push(renderedWithoutCache(samples.oneChanged.at(-1)!.output));
      const status = git(root, 'status', '--porcelain', '--', 'apps', 'gitops', 'platform');
      if (status.trim()) throw new Error(`the bench workspace should be clean before the no-op run:\n${status}`);
      samples.noop.push(await nx('affected', '-t', 'render'));
      samples.nxFloor.push(await run(join(root, 'node_modules/.bin/nx'), ['show', 'projects']));
    }

    const scaleWarm = options.scale ? await scaleRuns(options, root, nx, apps, scaleSamples) : undefined;
    const report = buildReport(options, {
      apps: apps.length,
      envs: envs.map((e) => e.name),
      parallel,
      samples,
      scaleSamples,
      extra: [warm, ...(scaleWarm ? [scaleWarm] : [])],
      renderedByOneChanged,
      remoteHits,
      root,
      started,
      load: [loadAtStart, loadavg()[0]],
    });
    console.log(formatReport(report));
    if (options.json) {
      writeFileSync(options.json, JSON.stringify(report, null, 2) + '\n');
      log(`figures written to ${options.json}`);
    }
  } finally {
    for (const stop of stops.reverse()) await stop();
    if (options.keep) log(`workspace kept at ${root}`);
    else rmSync(root, { recursive: true, force: true });
  }
}

/** MinIO and the Nx cache server on 127.0.0.1, the shared cache filled by one render of every app. */
async function startSharedCache(
  nxWith: (env: NodeJS.ProcessEnv, ...args: string[]) => Promise<Measured>,
  apps: number,
  stops: (() => Promise<void>)[],
) {
  log('starting MinIO and the Nx cache server on 127.0.0.1, filling the shared cache…');
  const s3 = await startMinio();
  stops.push(s3.stop);
  const cache = await startNxCacheServer(s3);
  stops.push(cache.stop);
  const remote = (token: string) => ({
    ...cache.nxEnv(token),
    NX_CACHE_DIRECTORY: mkdtempSync(join(tmpdir(), 'nx-')),
  });
  const filling = remote(cache.token);
  expectRendered(await nxWith(filling, 'run-many', '-t', 'render'), apps, 'filling the cache');
  rmSync(filling.NX_CACHE_DIRECTORY!, { recursive: true, force: true });
  return { cache, remote };
}

/** The Helm floor's calls and the naive loop's env lines, planned outside the timed runs. */
async function planHelmCalls(run: Run, root: string): Promise<{ naiveSpecs: string[]; planFile: string }> {
  const plan = (...args: string[]) => run(process.execPath, [join(root, 'tools/bench/helm-plan.ts'), ...args]);
  const naiveSpecs = (await plan('env-specs')).output.trim().split('\n');
  const planFile = join(root, 'tmp/helm-plan.json');
  mkdirSync(dirname(planFile), { recursive: true });
  await plan('calls', planFile);
  return { naiveSpecs, planFile };
}

/** How the bench runs commands in its workspace copy: its own tools first on PATH, no daemon, no colours. */
function commandsIn(root: string) {
  const baseEnv: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: [join(root, 'node_modules/.bin'), join(root, '.tools/bin'), dirname(process.execPath), process.env.PATH].join(
      ':',
    ),
    NX_DAEMON: 'false',
    NX_NO_CLOUD: 'true',
    NX_TUI: 'false',
    NX_SKIP_NX_CACHE: undefined,
    FORCE_COLOR: '0',
  };
  const run: Run = async (command, args, env = {}) => {
    const result = await measure(command, args, { cwd: root, env: { ...baseEnv, ...env } });
    if (result.exitCode !== 0)
      throw new Error(`${command} ${args.join(' ')} failed (exit ${result.exitCode}):\n${result.output.slice(-4000)}`);
    return result;
  };
  const nxWith = (env: NodeJS.ProcessEnv, ...args: string[]) =>
    run(join(root, 'node_modules/.bin/nx'), [...args, '--outputStyle=static'], env);
  const nx = (...args: string[]) => nxWith({}, ...args);
  return { run, nxWith, nx };
}

/** The scale run: more apps generated, then mayday cold at 10, at --apps and at --scale apps. */
async function scaleRuns(
  options: ReturnType<typeof parseOptions>,
  root: string,
  nx: (...args: string[]) => Promise<Measured>,
  apps: readonly string[],
  scaleSamples: Map<number, Measured[]>,
): Promise<Measured> {
  log(
    `scale: ${options.scale} apps (${options.scale - apps.length} more), cold at 10, ${apps.length} and ${options.scale}…`,
  );
  const more = [...apps, ...(await generateApps(root, options.scale, apps.length + 1))];
  const warm = await nx('run-many', '-t', 'render');
  const sizes = [10, apps.length, more.length];
  for (const n of sizes) scaleSamples.set(n, []);
  for (let rep = 1; rep <= options.reps; rep++) {
    log(`scale repetition ${rep}/${options.reps}`);
    for (const n of sizes) scaleSamples.get(n)!.push(await coldSubset(nx, more, n));
  }
  return warm;
}

/** mayday cold on the first `size` apps (all of them when size is the whole list). */
async function coldSubset(nx: (...args: string[]) => Promise<Measured>, apps: readonly string[], size: number) {
  const projects = size < apps.length ? [`--projects=${apps.slice(0, size).join(',')}`] : [];
  const result = await nx('run-many', '-t', 'render', '--skip-nx-cache', ...projects);
  expectRendered(result, size, `mayday cold at ${size} apps`);
  return result;
}

/** Every render restored from the shared cache by a machine whose local cache is empty; gitops/ stays as it is. */
async function remoteHitRun(
  nxWith: (env: NodeJS.ProcessEnv, ...args: string[]) => Promise<Measured>,
  remote: (token: string) => NodeJS.ProcessEnv,
  cache: NxCacheServer,
  count: number,
  hits: number[],
  root: string,
): Promise<Measured> {
  const env = remote(cache.readToken);
  try {
    const result = await nxWith(env, 'run-many', '-t', 'render');
    expectRendered(result, count, SCENARIOS.remoteHit);
    hits.push(result.output.match(/\[remote cache\]/g)?.length ?? 0);
    const status = git(root, 'status', '--porcelain', '--', 'gitops');
    if (status.trim()) throw new Error(`the remote cache restored other bytes than the render wrote:\n${status}`);
    return result;
  } finally {
    rmSync(env.NX_CACHE_DIRECTORY!, { recursive: true, force: true });
  }
}

/** A new image tag in one app (never a cache hit), then `nx affected -t render`; the edit is undone after. */
async function oneChangedRun(
  nx: (...args: string[]) => Promise<Measured>,
  root: string,
  changedFile: string,
  original: string,
  rep: number,
  env: string,
  app: string,
): Promise<Measured> {
  const tag = `1.0.${rep}-bench-${Date.now()}`;
  writeFileSync(changedFile, original.replace(/tag: "[^"]*"/, `tag: "${tag}"`));
  try {
    const one = await nx('affected', '-t', 'render');
    if (!readFileSync(join(root, 'gitops', env, app, `deployment-${app}.yaml`), 'utf8').includes(tag))
      throw new Error(`one app changed: gitops/${env}/${app} does not carry the new tag ${tag}`);
    return one;
  } finally {
    writeFileSync(changedFile, original);
    git(root, 'checkout', '-q', '--', 'gitops');
  }
}

interface Collected {
  apps: number;
  envs: string[];
  parallel: number;
  samples: Record<Scenario, Measured[]>;
  scaleSamples: Map<number, Measured[]>;
  extra: Measured[];
  renderedByOneChanged: number[];
  remoteHits: number[];
  root: string;
  started: number;
  load: [number, number];
}

function buildReport(options: Options, c: Collected) {
  const medians = Object.fromEntries(
    Object.entries(c.samples).map(([k, v]) => [k, median(v.map((m) => m.ms))]),
  ) as Record<Scenario, number>;
  const scale = [...c.scaleSamples].map(([apps, ms]) => ({ apps, medianMs: median(ms.map((m) => m.ms)) }));
  if (!scale.some((p) => p.apps === c.apps)) scale.push({ apps: c.apps, medianMs: medians.cold });
  const marginal = marginalCosts(scale);
  const allMeasured = [...Object.values(c.samples).flat(), ...[...c.scaleSamples.values()].flat(), ...c.extra];
  const largest = Math.max(...scale.map((p) => p.apps));
  const atLargest = c.scaleSamples.get(largest) ?? c.samples.cold;
  return {
    apps: c.apps,
    scaleApps: options.scale || undefined,
    envs: c.envs,
    helmCalls: c.apps * c.envs.length,
    repetitions: options.reps,
    parallel: c.parallel,
    machine: { cpus: cpus().length, node: process.version, helm: helmVersion(c.root), loadAverage: c.load },
    commit: gitHead(),
    scenarios: Object.fromEntries(
      (Object.keys(SCENARIOS) as Scenario[]).map((k) => [
        k,
        {
          label: SCENARIOS[k],
          medianMs: medians[k],
          samplesMs: c.samples[k].map((m) => Math.round(m.ms)),
          peakRssKb: Math.max(...c.samples[k].map((m) => m.peakRssKb)),
        },
      ]),
    ),
    ratios: {
      coldOverFloor: ratio(medians.cold, medians.floor),
      naiveOverCold: ratio(medians.naive, medians.cold),
      oneChangedOverNoop: ratio(medians.oneChanged, medians.noop),
      noopOverNxFloor: ratio(medians.noop, medians.nxFloor),
      marginalLargestOverApps:
        marginal.length >= 2 ? ratio(marginal.at(-1)!.perAppMs, marginal.at(-2)!.perAppMs) : Number.NaN,
    },
    oneAppChangedRendered: c.renderedByOneChanged,
    remoteCacheHits: c.remoteHits,
    costPerApp: costPerApp(scale),
    marginalCosts: marginal,
    fixedAndMarginal: fixedAndMarginalCost(scale),
    enginePeakRssKb: Math.max(...allMeasured.map((m) => m.enginePeakRssKb)),
    enginePeakRssKbAtLargest: Math.max(...atLargest.map((m) => m.enginePeakRssKb)),
    largestApps: largest,
    peakRssKb: Math.max(...allMeasured.map((m) => m.peakRssKb)) + process.resourceUsage().maxRSS,
    totalSeconds: Math.round((Date.now() - c.started) / 1000),
  };
}

type Report = ReturnType<typeof buildReport>;

const GIB_KB = 1024 * 1024;

const verdict = (ok: boolean | undefined) => (ok === undefined ? 'n/a' : ok ? 'ok' : 'MISSED');
const check = (value: number, test: (v: number) => boolean) =>
  verdict(Number.isFinite(value) ? test(value) : undefined);

/** Each acceptance ratio of issue 14 with its value, target and verdict. */
function ratioRows(r: Report): string[][] {
  const one = r.oneAppChangedRendered;
  const marginal = r.marginalCosts;
  return [
    [
      'mayday cold / helm floor',
      formatRatio(r.ratios.coldOverFloor),
      '≤ 0.50×',
      check(r.ratios.coldOverFloor, (v) => v <= 0.5),
    ],
    [
      'naive loop / mayday cold',
      formatRatio(r.ratios.naiveOverCold),
      '≥ 3.00×',
      check(r.ratios.naiveOverCold, (v) => v >= 3),
    ],
    [
      'one app changed / no-op',
      formatRatio(r.ratios.oneChangedOverNoop),
      '≤ 1.30×',
      check(r.ratios.oneChangedOverNoop, (v) => v <= 1.3),
    ],
    [
      'no-op / nx floor',
      formatRatio(r.ratios.noopOverNxFloor),
      '≤ 1.20×',
      check(r.ratios.noopOverNxFloor, (v) => v <= 1.2),
    ],
    ['one app changed renders', `${[...new Set(one)].join('/')} app(s)`, '= 1', verdict(one.every((n) => n === 1))],
    [
      'remote cache hits',
      `${[...new Set(r.remoteCacheHits)].join('/')}/${r.apps}`,
      `= ${r.apps}`,
      verdict(r.remoteCacheHits.every((n) => n === r.apps)),
    ],
    [
      marginal.length >= 2
        ? `cost per added app, ${marginal.at(-1)!.fromApps}→${marginal.at(-1)!.toApps} / ${marginal.at(-2)!.fromApps}→${marginal.at(-2)!.toApps}`
        : 'cost per added app (needs --scale)',
      formatRatio(r.ratios.marginalLargestOverApps),
      '0.75–1.25×',
      check(r.ratios.marginalLargestOverApps, (v) => v >= 0.75 && v <= 1.25),
    ],
    [
      `engine peak RSS at ${r.largestApps} apps`,
      formatMb(r.enginePeakRssKbAtLargest),
      '≤ 1024 MiB',
      check(r.enginePeakRssKbAtLargest, (v) => v > 0 && v <= GIB_KB),
    ],
  ];
}

export function formatReport(r: Report): string {
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
  const marginal = r.marginalCosts;
  const ratios = formatTable(['ratio', 'value', 'target', ''], ratioRows(r));
  const scale = formatTable(
    ['apps', 'mayday cold', 'per app', 'per added app'],
    r.costPerApp.map((p) => {
      const added = marginal.find((m) => m.toApps === p.apps);
      return [String(p.apps), formatMs(p.medianMs), formatMs(p.perAppMs), added ? formatMs(added.perAppMs) : ''];
    }),
  );
  const fit = r.fixedAndMarginal
    ? `fixed cost ≈ ${formatMs(r.fixedAndMarginal.fixedMs)} + ${formatMs(r.fixedAndMarginal.marginalMs)} per app`
    : 'one size only: pass --scale for a second point';
  const [loadBefore, loadAfter] = r.machine.loadAverage;
  return [
    `mayday render benchmark: ${r.apps} apps (scale ${r.scaleApps ?? 'off'}), ${r.helmCalls} renders, ${r.repetitions} repetitions (interleaved), parallel ${r.parallel}`,
    `${r.machine.cpus} CPUs (load average ${loadBefore.toFixed(2)} at start, ${loadAfter.toFixed(2)} at end), Node ${r.machine.node}, Helm ${r.machine.helm}; whole run ${r.totalSeconds} s, peak RSS ${formatMb(r.peakRssKb)}, engine peak RSS ${formatMb(r.enginePeakRssKb)}`,
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
