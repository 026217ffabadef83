/**
 * CRD kinds the base chart may emit, validated with the schemas compiled into the pinned
 * @kubernetes-models packages (generated from each project's CRDs). Dependency-free
 * (`@mayday/policy/crd-packages`): the Nx plugin hashes these packages into lint's inputs.
 */
export const CRD_MODEL_PACKAGES = [
  '@kubernetes-models/gateway-api',
  '@kubernetes-models/argo-rollouts',
  '@kubernetes-models/argo-cd',
  '@kubernetes-models/prometheus-operator',
  '@kubernetes-models/external-secrets',
  '@kubernetes-models/sealed-secrets',
];
