import pc from 'picocolors';
import { appDir, colourWanted, type Environment, gitopsPath, namespaceFor } from '@mayday/model';
import {
  applicationChangeLines,
  argoCdApplications,
  compareApplications,
  type ApplicationPreview,
  type ApplicationTarget,
} from './application-preview.ts';
import { buildArgoCdManifests } from './argocd.ts';
import type { GitopsConfig } from './gitops-config.ts';
import { resourceName } from './gitops-diff.ts';

/** What removing one app does, from the workspace's own files: nothing is fetched, nothing changed. */
export interface RemovalPlan {
  app: string;
  /** The Applications Argo CD deletes once push publishes the removal, with the resources each prunes. */
  applications: ApplicationPreview;
  /** Per env the app renders into: its namespace and the resources (`Kind/name`) Argo CD deletes there. */
  envs: { env: string; namespace: string; resources: string[] }[];
  /** Envs with deletionProtection the app runs in: the removal needs --confirm=<app>. */
  protectedEnvs: string[];
}

/**
 * Plans the removal of `app` over the workspace's gitops/ files (path → content): the Applications the
 * ApplicationSet stops generating, what each prunes, and the envs that protect against deletion.
 */
export function planAppRemoval(input: {
  app: string;
  envs: readonly Environment[];
  config: GitopsConfig;
  gitopsFiles: ReadonlyMap<string, string>;
  appFiles: readonly string[];
}): RemovalPlan {
  const { app, envs } = input;
  const objects = buildArgoCdManifests(envs, input.config).map((m) => m.object);
  const inApp = (path: string) => envs.some((env) => path.startsWith(`${gitopsPath(env.name, app)}/`));
  const files = [...input.gitopsFiles.keys()];
  const before: ApplicationTarget[] = argoCdApplications(objects, files);
  const after = argoCdApplications(
    objects,
    files.filter((f) => !inApp(f)),
  );
  const applications = { ...compareApplications(before, after), before: 'the workspace' };
  const runsIn = (env: Environment) =>
    files.some((f) => f.startsWith(`${gitopsPath(env.name, app)}/`)) ||
    input.appFiles.includes(`${appDir(app)}/values-${env.name}.yaml`);
  return {
    app,
    applications,
    envs: envs.filter(runsIn).map((env) => ({
      env: env.name,
      namespace: namespaceFor(env, app),
      resources: files
        .filter((f) => f.startsWith(`${gitopsPath(env.name, app)}/`) && f.endsWith('.yaml'))
        .map((f) => resourceName(input.gitopsFiles.get(f) ?? '', f.split('/').pop()!))
        .sort(),
    })),
    protectedEnvs: envs.filter((env) => env.deletionProtection && runsIn(env)).map((env) => env.name),
  };
}

/** What the plan means in Argo CD and Backstage, printed before anything changes. */
export function formatRemovalPlan(plan: RemovalPlan, options: { color?: boolean } = {}): string {
  const c = pc.createColors(options.color ?? colourWanted());
  const lines = [c.bold(`Removing ${plan.app}: what Argo CD will do once this change is pushed`)];
  const deleted = plan.applications.changes.filter((ch) => ch.change === 'deleted');
  lines.push('', `${c.bold('Applications deleted')} (${deleted.length}):`);
  for (const line of applicationChangeLines({ ...plan.applications, changes: deleted })) lines.push(`  ${c.red(line)}`);
  if (deleted.length === 0) lines.push(c.dim('  none: the app has no rendered folder in gitops/'));
  lines.push('', `${c.bold('Resources pruned')} (the Applications' finalizer deletes what they deployed):`);
  for (const env of plan.envs)
    lines.push(
      `  ${env.env}  ${env.namespace}: ${env.resources.length ? env.resources.join(', ') : c.dim('none rendered')}`,
    );
  const namespaces = plan.envs.map((e) => e.namespace);
  if (namespaces.length) {
    lines.push(
      '',
      `${c.bold('Namespaces kept')}: ${namespaces.join(', ')}. Argo CD does not delete a namespace made by CreateNamespace=true (argo-cd#7875);`,
      `  once it is empty, a platform admin deletes it: ${namespaces.map((n) => `kubectl delete namespace ${n}`).join('; ')}`,
    );
  }
  lines.push(
    '',
    `${c.bold('Backstage')}: ${appDir(plan.app)}/catalog-info.yaml goes with the app folder, so the catalog no longer finds ${plan.app}`,
    `  (it deletes the entity with catalog.orphanStrategy: delete, else flags it backstage.io/orphan until someone unregisters it).`,
  );
  return lines.join('\n') + '\n';
}
