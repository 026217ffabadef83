import { namespaceFor, namespaceLabels, type Environment } from '@mayday/model';

export const VALUES_FIELDS_ANNOTATION = 'mayday.dev/values-fields';

/** The labels the platform puts on an app namespace; bindings select profiles by them. */
export function appNamespaceLabels(
  app: string,
  env: Pick<Environment, 'name' | 'namespace' | 'policyProfile'>,
): Record<string, string> {
  return { 'kubernetes.io/metadata.name': namespaceFor(env, app), ...namespaceLabels(app, env) };
}
