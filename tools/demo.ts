// `npm run demo`: the golden path in a scratch copy of this workspace, so the repo itself stays clean.
// A demo app is created, linted and rendered with the real nx, Helm and git; the copy is kept to explore.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createTempWorkspace } from '@mayday/testing';
import { colours } from '@mayday/model';

const APP = 'demo';
const steps: [string, string[]][] = [
  [
    'Create the app',
    [
      'g',
      'mayday:app',
      APP,
      '--team=platform',
      '--port=9898',
      '--image=ghcr.io/stefanprodan/podinfo:6.9.0',
      '--no-interactive',
    ],
  ],
  ['Show its inferred targets', ['show', 'project', APP, '--json']],
  ['Lint its values and manifests', ['run', `${APP}:lint`]],
  ['Render every env with Helm', ['run', `${APP}:render`]],
];

async function main(): Promise<void> {
  console.log(colours.bold('mayday demo') + colours.dim(': a new app, from nothing to gitops/ manifests'));
  const ws = await createTempWorkspace({ withApps: true });
  console.log(colours.dim(`scratch workspace: ${ws.root}\n`));
  let n = 0;
  for (const [title, args] of steps) {
    n++;
    console.log(
      `${colours.cyan(`[${n}/${steps.length}]`)} ${colours.bold(title)}  ${colours.dim(`nx ${args.join(' ')}`)}`,
    );
    const result = await ws.nx(args, { FORCE_COLOR: '1' });
    process.stdout.write(
      (args.includes('--json') && result.exitCode === 0 ? describeTargets(result.stdout) : result.all).replace(
        /^/gm,
        '  ',
      ) + '\n',
    );
    if (result.exitCode !== 0) {
      console.error(
        colours.red(
          `step failed: nx ${args.join(' ')} (exit ${result.exitCode}); the scratch copy is kept in ${ws.root}`,
        ),
      );
      process.exitCode = 1;
      return;
    }
  }
  for (const env of readdirSync(join(ws.root, 'gitops'))
    .filter((d) => !d.startsWith('.'))
    .sort()) {
    const files = readdirSync(join(ws.root, 'gitops', env, APP)).sort();
    console.log(`${colours.green('✔')} gitops/${env}/${APP}/  ${files.join('  ')}`);
  }
  console.log(
    `\nExplore it: ${colours.bold(`cd ${ws.root} && source tools/toolchain/env.sh`)}, then ${colours.bold(`cat gitops/prd/${APP}/deployment-${APP}.yaml`)}`,
  );
  console.log(colours.dim(`The scratch copy stays until you remove it: rm -rf ${ws.root}`));
}

/** `nx show project --json` as a short table: what a person reads in the interactive view. */
function describeTargets(json: string): string {
  const project = JSON.parse(json) as {
    tags: string[];
    targets: Record<string, { cache?: boolean; dependsOn?: string[]; metadata?: { description?: string } }>;
  };
  const rows = Object.entries(project.targets).map(([name, t]) => {
    const notes = [t.cache ? 'cached' : '', t.dependsOn?.length ? `after ${t.dependsOn.join(', ')}` : '']
      .filter(Boolean)
      .join('; ');
    return `${colours.bold(name.padEnd(7))} ${t.metadata?.description ?? ''}${notes ? colours.dim(` (${notes})`) : ''}`;
  });
  return [`tags: ${project.tags.join(', ')}`, ...rows].join('\n');
}

await main();
