// Fetches the CRDs pinned in platform/crds/crds.yaml into .tools/crds, verifying each sha256 (setup.sh runs it).
//   node libs/cluster/src/fetch-crds.ts [--quiet] [--print-sums]
import { join } from 'node:path';
import { isMaydayError } from '@mayday/model';
import { CRD_CACHE_DIR, fetchPinnedCrds } from './crds.ts';

const root = join(import.meta.dirname, '../../..');
const args = new Set(process.argv.slice(2));
try {
  const { fetched, total } = await fetchPinnedCrds(root, { printSums: args.has('--print-sums') });
  if (!args.has('--quiet') && !args.has('--print-sums'))
    console.log(
      fetched
        ? `fetched ${fetched} of ${total} pinned CRD files into ${CRD_CACHE_DIR}`
        : `${total} pinned CRD files up to date`,
    );
} catch (error) {
  if (!isMaydayError(error)) throw error;
  console.error(error.message);
  process.exitCode = 1;
}
