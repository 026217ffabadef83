import type { TargetConfiguration } from '@nx/devkit';
import { CRD_MODEL_PACKAGES } from '@mayday/policy/crd-packages';
import { CHART_DIR, ENVIRONMENTS_FILE, gitopsPath } from '@mayday/model/workspace';

export interface MaydayPluginOptions {
  renderTargetName?: string;
}

/** Everything an app's rendered output depends on besides the app's own values. */
export const RENDER_INPUTS = [
  '{projectRoot}/values.yaml',
  '{projectRoot}/values-*.yaml',
  `{workspaceRoot}/${CHART_DIR}/**/*`,
  `{workspaceRoot}/${ENVIRONMENTS_FILE}`,
  // mayday's own code that shapes the bytes in gitops/; its tests do not, so editing a test keeps the cache
  '{workspaceRoot}/libs/model/src/**/*.ts',
  '{workspaceRoot}/libs/render/src/**/*.ts',
  // the render engine: its Go source and the Helm module it pins, and the built binary's own version line
  '{workspaceRoot}/libs/render/engine/**/*',
  '{workspaceRoot}/libs/gitops/src/**/*.ts',
  '!{workspaceRoot}/libs/*/src/**/*.spec.ts',
  { externalDependencies: ['yaml'] },
  { runtime: 'bash tools/toolchain/engine-version.sh' },
];

/** What `lint` reads besides the render inputs: the policies, the app's waivers and the vendored schemas. */
export const LINT_INPUTS = [
  ...RENDER_INPUTS,
  '{workspaceRoot}/platform/policies/**/*',
  '{projectRoot}/policy-waivers.yaml',
  '{workspaceRoot}/libs/policy/src/**/*.ts',
  '!{workspaceRoot}/libs/policy/src/**/*.spec.ts',
  '{workspaceRoot}/libs/policy/schemas/**/*',
  {
    externalDependencies: ['@bufbuild/cel', 'ajv', 'zod', ...CRD_MODEL_PACKAGES],
  },
];

export function appTargets(
  app: string,
  envs: readonly string[],
  options: MaydayPluginOptions,
): Record<string, TargetConfiguration> {
  return {
    [options.renderTargetName ?? 'render']: {
      executor: 'mayday:render',
      cache: true,
      inputs: RENDER_INPUTS,
      outputs: envs.map((env) => `{workspaceRoot}/${gitopsPath(env, app)}`),
      metadata: {
        description: `Render ${app} for every env (${envs.join(', ')}) with real Helm into gitops/<env>/${app}/`,
        technologies: ['helm'],
      },
    },
    lint: {
      executor: 'mayday:lint',
      cache: true,
      inputs: LINT_INPUTS,
      // only with --output: the report file
      outputs: ['{options.output}'],
      metadata: {
        description: `Lint ${app} in every env: values, strict Kubernetes schemas and platform/policies (renders in memory, writes nothing)`,
        technologies: ['helm', 'kubernetes'],
      },
    },
    ...gitopsTargets(app, options.renderTargetName ?? 'render'),
  };
}

/**
 * push and diff talk to the GitOps remote, so they are never cached. They run after render, and Nx
 * schedules a batch's dependents when the whole batch ends: every push of a run lands in one call.
 */
function gitopsTargets(app: string, render: string): Record<string, TargetConfiguration> {
  return {
    push: {
      executor: 'mayday:push',
      cache: false,
      // lint is the gate: nothing is published that fails it
      dependsOn: [render, 'lint'],
      metadata: {
        description: `Publish gitops/<env>/${app}/ to the GitOps branch of platform/gitops.yaml (one commit per run for all apps)`,
        technologies: ['git'],
      },
    },
    diff: {
      executor: 'mayday:diff',
      cache: false,
      dependsOn: [render],
      metadata: {
        description: `Show what push would change for ${app}, per env, against the published GitOps branch (--format=markdown for a PR comment)`,
        technologies: ['git'],
      },
    },
    // reads what the source env runs on the GitOps branch and renders in memory: it writes a change to review
    promote: {
      executor: 'mayday:promote',
      cache: false,
      metadata: {
        description: `Write into values-<to>.yaml the image ${app} runs in --from as published, with the keys platform/environments.yaml promotes (--dry-run shows the diffs only)`,
        technologies: ['helm', 'git'],
      },
    },
  };
}

/** The kind lab on the platform project: `nx run platform:up | status | down | images`. Never cached: they act on a cluster. */
export function labTargets(): Record<string, TargetConfiguration> {
  const target = (executor: string, description: string): TargetConfiguration => ({
    executor: `mayday:${executor}`,
    cache: false,
    metadata: { description, technologies: ['kind'] },
  });
  return {
    up: target(
      'lab-up',
      'Create the kind lab from nothing (cluster, gateway, Argo CD, Rollouts, policies, git server) or bring it up to date; --dry-run prints the plan',
    ),
    status: target(
      'lab-status',
      'Show the lab: cluster, components, every Application with sync and health, URLs and the Argo CD login',
    ),
    down: target('lab-down', 'Remove the kind lab and everything platform:up created; the images stay cached'),
    images: target('lab-images', "Pull, or build here from Go modules and Debian's packages, every image the lab runs"),
  };
}
