import { loadEnvironments } from '@mayday/model';
import { ensureImages, loadLabConfig } from '@mayday/lab';
const root = '/work/wt/lab';
const config = loadLabConfig(root, loadEnvironments(root));
const names = process.argv.slice(2);
const t = Date.now();
const out = await ensureImages(
  { root, config, log: (l) => console.log('  ' + l), noPull: true },
  names.length
    ? names
    : [config.nodeImage, ...config.lab.images.filter((i) => i.into === 'cluster').map((i) => i.name)],
);
console.log(out, (Date.now() - t) / 1000);
