import * as core from 'kubernetes-models/v1';
import * as apps from 'kubernetes-models/apps/v1';
import * as autoscaling from 'kubernetes-models/autoscaling/v2';
import * as policy from 'kubernetes-models/policy/v1';
import * as networking from 'kubernetes-models/networking.k8s.io/v1';
import * as rollouts from '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1';
import * as gateway from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1';
import * as monitoring from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import * as externalSecrets from '@kubernetes-models/external-secrets/external-secrets.io/v1';
import * as sealedSecrets from '@kubernetes-models/sealed-secrets/bitnami.com/v1alpha1';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each model's constructor takes its own typed spec
type Model = new (data: any) => { validate(): void };

/** The models of every apiVersion the base chart emits, from kubernetes-models and its CRD packages. */
const MODELS: Record<string, Record<string, unknown>> = {
  v1: core,
  'apps/v1': apps,
  'autoscaling/v2': autoscaling,
  'policy/v1': policy,
  'networking.k8s.io/v1': networking,
  'argoproj.io/v1alpha1': rollouts,
  'gateway.networking.k8s.io/v1': gateway,
  'monitoring.coreos.com/v1': monitoring,
  'external-secrets.io/v1': externalSecrets,
  'bitnami.com/v1alpha1': sealedSecrets,
};

/** Validates an object against its published schema; a kind the chart should not emit is a problem too. */
export function modelProblems(object: {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
}): string | undefined {
  const model = MODELS[object.apiVersion]?.[object.kind] as Model | undefined;
  if (!model) return `${object.apiVersion}/${object.kind} has no model: the chart emits a kind nobody validates`;
  try {
    new model(object).validate();
    return undefined;
  } catch (error) {
    return `${object.kind}/${object.metadata.name}: ${(error as Error).message}`;
  }
}
