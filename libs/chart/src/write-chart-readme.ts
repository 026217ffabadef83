// Writes platform/charts/app/README.md from values.schema.json; `--check` fails when the committed one is stale.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chartReadme, CHART_README_FILE, readChartSchema } from './chart-readme.ts';

const workspaceRoot = join(import.meta.dirname, '../../..');
const file = join(workspaceRoot, CHART_README_FILE);
const wanted = chartReadme(readChartSchema(workspaceRoot));
const current = existsSync(file) ? readFileSync(file, 'utf8') : '';

if (process.argv.includes('--check')) {
  if (current !== wanted) {
    console.error(`${CHART_README_FILE}: out of date with values.schema.json; run \`npm run docs -w @mayday/chart\``);
    process.exit(1);
  }
} else if (current !== wanted) {
  writeFileSync(file, wanted);
  console.log(`wrote ${CHART_README_FILE}`);
}
