import { namespaceFor, namespaceLabels, type Environment } from '@mayday/model';

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const VALUES_FIELDS_ANNOTATION = 'mayday.dev/values-fields';

/** The labels the platform puts on an app namespace; bindings select profiles by them. */
export function appNamespaceLabels(app: string, env: Environment): Record<string, string> {
  return { 'kubernetes.io/metadata.name': namespaceFor(env, app), ...namespaceLabels(app, env) };
}
