import { createTwoFilesPatch } from 'diff';
import pc from 'picocolors';
import { colourPatch } from '@mayday/gitops';
import { colourWanted } from '@mayday/model';
import { imageText } from './image-order.ts';
import type { PromotionPlan } from './promote-app.ts';

/** What a promotion writes: the image, the keys, the values diff and the rendered diff of the target env. */
export function formatPromotion(plan: PromotionPlan, options: { color?: boolean } = {}): string {
  const c = pc.createColors(options.color ?? colourWanted());
  const { image } = plan;
  const lines = [c.bold(`${plan.app}: promote ${plan.from} → ${plan.to}`)];
  if (image.order === 'same') lines.push(`  image      ${imageText(image.after)} ${c.dim('(already the same)')}`);
  else {
    const note =
      image.order === 'forward'
        ? ''
        : image.order === 'other-repository'
          ? c.yellow('  another repository')
          : c.yellow('  tags that are not semantic versions cannot be ordered: check this goes forward');
    lines.push(`  image      ${imageText(image.before)} → ${c.green(imageText(image.after))}${note}`);
  }
  for (const key of plan.keys)
    lines.push(
      `  ${key.path.padEnd(10)} ${JSON.stringify(key.before) ?? '(unset)'} → ${c.green(JSON.stringify(key.after))}`,
    );
  lines.push('', c.bold(`values: ${plan.valuesFile}`), colourPatch(valuesPatch(plan), c));
  const changes = plan.renderedChanges;
  lines.push(
    '',
    c.bold(
      `rendered: gitops/${plan.to}/${plan.app}  ${changes.length ? changes.map((r) => `${r.status === 'added' ? '+' : r.status === 'removed' ? '-' : '~'} ${r.resource}`).join(', ') : 'no changes'}`,
    ),
  );
  for (const r of changes) lines.push(colourPatch(r.patch, c));
  const lint = plan.lint.envs.flatMap((e) => e.findings);
  lines.push(
    '',
    `${c.green('✔')} lint ${plan.to}: ${plan.rendered.files.length} resources, ${lint.filter((f) => f.severity === 'warning').length} warnings`,
  );
  return lines.join('\n') + '\n';
}

const valuesPatch = (plan: PromotionPlan): string =>
  createTwoFilesPatch(
    `a/${plan.valuesFile}`,
    `b/${plan.valuesFile}`,
    plan.valuesBefore,
    plan.valuesAfter,
    undefined,
    undefined,
    { context: 2 },
  ).replace(/^=+\n/, '');
