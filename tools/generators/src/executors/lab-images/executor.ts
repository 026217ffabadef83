import type { ExecutorContext } from '@nx/devkit';
import pc from 'picocolors';
import { ensureImages, labImages, openLab } from '@mayday/lab';
import { runLab } from '../lab.ts';
import { checkOptions } from '../options.ts';

export interface LabImagesOptions {
  noPull?: boolean;
}

/**
 * `nx run platform:images`: every image the lab runs on this machine, pulled or (where no registry answers) built
 * here under the same names from Go modules and Debian's packages; cached in Docker's store.
 */
export default async function labImagesExecutor(
  options: LabImagesOptions,
  context: ExecutorContext,
): Promise<{ success: boolean }> {
  return runLab('images', async () => {
    checkOptions('lab-images', 'platform', options);
    const lab = openLab(context.root);
    const started = Date.now();
    const outcomes = await ensureImages(
      { root: context.root, config: lab.config, log: (l) => console.log(pc.dim(`    ${l}`)), noPull: options.noPull },
      labImages(lab),
    );
    for (const o of outcomes)
      console.log(
        `  ${pc.green('✓')} ${o.name.padEnd(60)} ${o.source}${o.source === 'present' ? '' : ` (${o.seconds} s)`}`,
      );
    console.log(`${outcomes.length} images in ${Math.round((Date.now() - started) / 1000)} s`);
    return true;
  });
}
