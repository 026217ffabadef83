/**
 * The Helm floor: the planned `helm template` calls (helm-plan.ts) and nothing else, with the given
 * parallelism, output kept in memory and dropped. mayday cannot render faster than this.
 *
 *   node tools/bench/helm-floor.ts <plan.json> <concurrency>
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { runPool } from '@mayday/render/pool';
import type { HelmPlan } from './helm-plan.ts';

function runHelm(helm: string, args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile(helm, args, { maxBuffer: 256 * 1024 * 1024 }, (error, stdout) =>
      error ? reject(error) : resolve(stdout.length),
    );
  });
}

const [planFile, concurrency] = process.argv.slice(2);
const plan = JSON.parse(readFileSync(planFile, 'utf8')) as HelmPlan;
const bytes = await runPool(plan.calls, Number(concurrency), (call) => runHelm(plan.helm, call.args));
console.log(`${plan.calls.length} helm template calls, ${bytes.reduce((a, b) => a + b, 0)} bytes`);
