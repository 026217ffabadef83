import { MANAGED_BY, MANAGED_BY_LABEL, namespaceFor, type Environment } from '@mayday/model';
import { evaluatePolicies, type PolicyFinding, type PolicySet } from './admission-policy.ts';
import { appNamespaceLabels, VALUES_FIELDS_ANNOTATION } from './policy-labels.ts';

/**
 * What the platform policies about images (those whose `mayday.dev/values-fields` name `image.*`)
 * say of `image` for an app in `env`: the same CEL lint and admission run, on a Deployment that
 * differs from the app's only in what those policies do not read.
 */
export function imageAdmission(policies: PolicySet, app: string, env: Environment, image: string): PolicyFinding[] {
  const imagePolicies = new Set(
    [...policies.policies.values()]
      .filter(({ policy }) =>
        (policy.metadata.annotations?.[VALUES_FIELDS_ANNOTATION] ?? '')
          .split(',')
          .some((f) => f.trim().startsWith('image.')),
      )
      .map(({ policy }) => policy.metadata.name),
  );
  const namespace = namespaceFor(env, app);
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: app, namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY, 'app.kubernetes.io/name': app } },
    spec: { template: { spec: { containers: [{ name: app, image }] } } },
  };
  return evaluatePolicies(policies, {
    object: deployment,
    namespace,
    namespaceObject: {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: namespace, labels: appNamespaceLabels(app, env) },
    },
    clusterObjects: [],
  }).filter((finding) => imagePolicies.has(finding.policy));
}

export { loadPolicyText, type PolicySet } from './admission-policy.ts';
