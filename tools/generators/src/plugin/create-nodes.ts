import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { CreateNodes, CreateNodesResult, ProjectConfiguration } from '@nx/devkit';
import { parse } from 'yaml';
import { APPS_DIR, ENVIRONMENTS_FILE } from '@mayday/model/workspace';
import { portalTargets } from './portal-targets.ts';
import { appTargets, labTargets, type MaydayPluginOptions } from './targets.ts';

export type { MaydayPluginOptions } from './targets.ts';

/** Projects made of platform/ folders; apps depend on the ones that change what they render or lint. */
export const PLATFORM_PROJECTS: Record<string, { root: string; appsDependOnIt: boolean }> = {
  platform: { root: 'platform', appsDependOnIt: true },
  'base-chart': { root: 'platform/charts/app', appsDependOnIt: true },
  'platform-policies': { root: 'platform/policies', appsDependOnIt: true },
  'platform-argocd': { root: 'platform/argocd', appsDependOnIt: false },
  portal: { root: 'platform/backstage', appsDependOnIt: false },
  'platform-kind': { root: 'platform/kind', appsDependOnIt: false },
};

/**
 * Infers a project with render (and the other mayday targets) for every `apps/<app>/values.yaml`,
 * and projects for the platform folders, so `nx affected` knows that a chart or environments
 * change touches every app while an app change touches only that app.
 */
export const createNodes: CreateNodes<MaydayPluginOptions> = [
  `{${APPS_DIR}/*/values.yaml,${ENVIRONMENTS_FILE}}`,
  (files, options, context) => {
    const existingPlatform = Object.entries(PLATFORM_PROJECTS).filter(([, p]) =>
      existsSync(join(context.workspaceRoot, p.root)),
    );
    // the platform projects exist only with environments.yaml; without it render says so instead of Nx
    const hasPlatform = existsSync(join(context.workspaceRoot, ENVIRONMENTS_FILE));
    const appDependencies = hasPlatform
      ? existingPlatform.filter(([, p]) => p.appsDependOnIt).map(([name]) => name)
      : [];
    return files.map((file): readonly [string, CreateNodesResult] => {
      if (file === ENVIRONMENTS_FILE) return [file, { projects: platformProjects(existingPlatform) }];
      const root = dirname(file);
      const app = basename(root);
      const project: ProjectConfiguration & { name: string } = {
        root,
        name: app,
        projectType: 'application',
        tags: ['type:app', ...teamTag(join(context.workspaceRoot, file))],
        implicitDependencies: [...appDependencies, 'mayday'],
        targets: appTargets(app, environmentNames(context.workspaceRoot), options ?? {}),
      };
      return [file, { projects: { [root]: project } }];
    });
  },
];

/** Nx before 22 reads this name; both point at the same function. */
export const createNodesV2 = createNodes;

function platformProjects(existing: [string, { root: string }][]): CreateNodesResult['projects'] {
  return Object.fromEntries(
    existing.map(([name, p]) => [
      p.root,
      {
        root: p.root,
        name,
        tags: ['type:platform'],
        ...(name === 'portal' ? { targets: portalTargets() } : {}),
        ...(name === 'platform' ? { targets: labTargets() } : {}),
      },
    ]),
  );
}

/** The env names, read leniently: a broken environments.yaml must not break `nx show projects`. */
function environmentNames(workspaceRoot: string): string[] {
  try {
    const data = parse(readFileSync(join(workspaceRoot, ENVIRONMENTS_FILE), 'utf8')) as {
      environments?: { name?: unknown }[];
    };
    return (data.environments ?? []).map((e) => e.name).filter((n): n is string => typeof n === 'string');
  } catch {
    return [];
  }
}

/** The team tag, read from the `team:` line without a YAML parser: a DNS label by schema, and 100s of apps add up. */
function teamTag(valuesFile: string): string[] {
  try {
    const team = /^team:[ \t]*(["']?)([a-z0-9]([-a-z0-9]*[a-z0-9])?)\1[ \t]*(#.*)?$/m.exec(
      readFileSync(valuesFile, 'utf8'),
    )?.[2];
    return team ? [`team:${team}`] : [];
  } catch {
    return [];
  }
}
