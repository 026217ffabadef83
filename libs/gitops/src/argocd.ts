import { Application, AppProject, ApplicationSet } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1';
import { stringify } from 'yaml';
import {
  APP_LABEL,
  ENV_LABEL,
  ENVIRONMENTS_FILE,
  GITOPS_DIR,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  MaydayError,
  namespaceLabels,
  POLICIES_DIR,
  type Environment,
} from '@mayday/model';
import { GITOPS_CONFIG_FILE, type GitopsConfig } from './gitops-config.ts';

export const ARGOCD_DIR = 'platform/argocd';
export { APP_LABEL, ENV_LABEL };

/** A generated file of platform/argocd/: its name and the object it holds. */
export interface ArgoCdManifest {
  fileName: string;
  object: Record<string, unknown>;
}

/** Values each env's git generator hands to the Application template. */
export interface EnvGeneratorValues {
  env: string;
  policyProfile: string;
  project: string;
  /** The env's cluster by name: its cluster Secret (clusterSecret) says where it is and how to reach it. */
  cluster: string;
  /** The env's namespace rule with {env} filled in; the template puts the app name in place of {app}. */
  namespaceRule: string;
}

export const projectName = (env: string): string => `mayday-${env}`;
export const PLATFORM_PROJECT = 'mayday-platform';

/**
 * One AppProject per env and one ApplicationSet with a git directory generator per env.
 * Projects are per env, not per team: the env decides the cluster, the namespace rule and the
 * policy profile, and a team's apps get their own namespaces anyway.
 * Destinations name the env's cluster; one cluster Secret per cluster declares its name and server to Argo CD.
 */
export function buildArgoCdManifests(envs: readonly Environment[], config: GitopsConfig): ArgoCdManifest[] {
  for (const env of envs) {
    const other = envs.find((e) => e.cluster.name === env.cluster.name && e.cluster.server !== env.cluster.server);
    if (other)
      throw new MaydayError({
        severity: 'error',
        file: ENVIRONMENTS_FILE,
        field: 'cluster',
        rule: 'environments',
        message: `envs ${env.name} and ${other.name} name the cluster "${env.cluster.name}" with different servers`,
        hint: 'one cluster name is one API server: give each cluster its own name',
      });
  }
  const clusters = [...new Map(envs.map((env) => [env.cluster.name, env.cluster])).values()].map((cluster) => ({
    fileName: `cluster-${cluster.name}.yaml`,
    object: clusterSecret(cluster, config),
  }));
  const projects = envs.map((env) => ({ fileName: `appproject-${env.name}.yaml`, object: appProject(env, config) }));
  const appSet = {
    fileName: `applicationset-${config.argocd.applicationSet}.yaml`,
    object: applicationSet(envs, config),
  };
  const policies = envs.map((env) => ({
    fileName: `application-policies-${env.name}.yaml`,
    object: policiesApplication(env, config),
  }));
  const platform = { fileName: 'appproject-platform.yaml', object: platformProject(envs, config) };
  const manifests = [...clusters, ...projects, appSet, platform, ...policies].sort((a, b) =>
    a.fileName.localeCompare(b.fileName),
  );
  for (const manifest of manifests) validateArgoCdObject(manifest.object);
  return manifests;
}

function appProject(env: Environment, config: GitopsConfig): Record<string, unknown> {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AppProject',
    metadata: { name: projectName(env.name), namespace: config.argocd.namespace, labels: { [ENV_LABEL]: env.name } },
    spec: {
      description: `mayday apps in ${env.name}${env.description ? `: ${env.description}` : ''}`,
      sourceRepos: [config.repository],
      // only the apps' own namespaces: the env's namespace rule with any app name
      destinations: [{ name: env.cluster.name, namespace: namespaceGlob(env) }],
      // cluster-scoped kinds belong to the platform; the one exception is the app's own Namespace,
      // which CreateNamespace=true creates and Argo CD checks against this list (argo-cd#20233)
      clusterResourceWhitelist: [{ group: '', kind: 'Namespace', name: namespaceGlob(env) }],
      // quotas and limits are set by the platform per namespace
      namespaceResourceBlacklist: [
        { group: '', kind: 'ResourceQuota' },
        { group: '', kind: 'LimitRange' },
      ],
    },
  };
}

function applicationSet(envs: readonly Environment[], config: GitopsConfig): Record<string, unknown> {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'ApplicationSet',
    metadata: { name: config.argocd.applicationSet, namespace: config.argocd.namespace },
    spec: {
      goTemplate: true,
      goTemplateOptions: ['missingkey=error'],
      generators: envs.map((env) => ({
        git: {
          repoURL: config.repository,
          revision: config.branch,
          directories: [
            { path: `${GITOPS_DIR}/${env.name}/*` },
            // hidden folders are never apps (the renderer's staging area, editor folders)
            { path: `${GITOPS_DIR}/${env.name}/.*`, exclude: true },
          ],
          values: generatorValues(env) as unknown as Record<string, string>,
        },
      })),
      syncPolicy: { preserveResourcesOnDeletion: false },
      template: {
        metadata: {
          name: '{{ .path.basename }}-{{ .values.env }}',
          labels: {
            [APP_LABEL]: '{{ .path.basename }}',
            [ENV_LABEL]: '{{ .values.env }}',
            [MANAGED_BY_LABEL]: MANAGED_BY,
          },
          // deleting the Application (its gitops folder was removed) deletes what it deployed
          finalizers: ['resources-finalizer.argocd.argoproj.io'],
        },
        spec: {
          project: '{{ .values.project }}',
          source: { repoURL: config.repository, targetRevision: config.branch, path: '{{ .path.path }}' },
          destination: {
            name: '{{ .values.cluster }}',
            namespace: '{{ replace "{app}" .path.basename .values.namespaceRule }}',
          },
          syncPolicy: {
            automated: { prune: true, selfHeal: true },
            syncOptions: ['CreateNamespace=true', 'RespectIgnoreDifferences=true'],
            // the platform's admission policy bindings select app namespaces by these labels
            managedNamespaceMetadata: {
              labels: namespaceLabels('{{ .path.basename }}', {
                name: '{{ .values.env }}',
                policyProfile: '{{ .values.policyProfile }}',
              }),
            },
          },
          // Argo Rollouts moves canary weights on the HTTPRoute; selfHeal must not move them back
          ignoreDifferences: [
            {
              group: 'gateway.networking.k8s.io',
              kind: 'HTTPRoute',
              jqPathExpressions: ['.spec.rules[].backendRefs[].weight'],
            },
          ],
        },
      },
    },
  };
}

/**
 * The project of what the platform itself deploys to every cluster: only the admission policies
 * and their bindings (cluster-scoped), from the source branch, never app resources.
 */
function platformProject(envs: readonly Environment[], config: GitopsConfig): Record<string, unknown> {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AppProject',
    metadata: { name: PLATFORM_PROJECT, namespace: config.argocd.namespace },
    spec: {
      description: `mayday platform: ${POLICIES_DIR} enforced at admission in every env`,
      sourceRepos: [config.repository],
      destinations: [...new Set(envs.map((env) => env.cluster.name))].map((name) => ({ name, namespace: '*' })),
      clusterResourceWhitelist: ['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding'].map((kind) => ({
        group: 'admissionregistration.k8s.io',
        kind,
      })),
      namespaceResourceWhitelist: [],
    },
  };
}

/** Syncs platform/policies to an env's cluster: the same files lint evaluates offline (tests/ stays out). */
function policiesApplication(env: Environment, config: GitopsConfig): Record<string, unknown> {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: {
      name: `platform-policies-${env.name}`,
      namespace: config.argocd.namespace,
      labels: { [ENV_LABEL]: env.name, [MANAGED_BY_LABEL]: MANAGED_BY },
    },
    spec: {
      project: PLATFORM_PROJECT,
      source: {
        repoURL: config.repository,
        targetRevision: config.argocd.platformRevision,
        path: POLICIES_DIR,
        directory: { recurse: false },
      },
      destination: { name: env.cluster.name },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    },
  };
}

export function generatorValues(env: Environment): EnvGeneratorValues {
  return {
    env: env.name,
    policyProfile: env.policyProfile,
    project: projectName(env.name),
    cluster: env.cluster.name,
    namespaceRule: env.namespace.replaceAll('{env}', env.name),
  };
}

export const CLUSTER_SECRET_LABEL = 'argocd.argoproj.io/secret-type';
export const clusterSecretName = (cluster: string): string => `mayday-cluster-${cluster}`;

/**
 * Declares an env cluster to Argo CD: its name (what destinations use) and API server. It holds no credential:
 * the `config` key (bearer token, TLS or exec provider, as Argo CD's declarative setup describes) is added in the
 * cluster by the bootstrap or an ExternalSecret (creationPolicy: Merge), so applying this file again keeps it.
 * A lab that runs every env in one cluster overlays the `server` of these Secrets (kustomize), not environments.yaml.
 */
function clusterSecret(cluster: Environment['cluster'], config: GitopsConfig): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: clusterSecretName(cluster.name),
      namespace: config.argocd.namespace,
      labels: { [CLUSTER_SECRET_LABEL]: 'cluster' },
    },
    type: 'Opaque',
    stringData: { name: cluster.name, server: cluster.server },
  };
}

/** `{app}-{env}` → `*-stg`: Argo CD destinations accept globs. */
function namespaceGlob(env: Environment): string {
  return env.namespace.replaceAll('{env}', env.name).replaceAll('{app}', '*');
}

/** Checks an object against the Argo CD CRD schema (types, enums, required fields); throws on a mismatch. */
export function validateArgoCdObject(object: Record<string, unknown>): void {
  const model =
    object.kind === 'Application'
      ? new Application(object as ConstructorParameters<typeof Application>[0])
      : object.kind === 'AppProject'
        ? new AppProject(object as ConstructorParameters<typeof AppProject>[0])
        : object.kind === 'ApplicationSet'
          ? new ApplicationSet(object as ConstructorParameters<typeof ApplicationSet>[0])
          : undefined;
  if (!model) {
    if (object.kind === 'Secret') return;
    throw new Error(`not an Argo CD object mayday generates: ${String(object.kind)}`);
  }
  model.validate();
}

export const ARGOCD_HEADER = [
  `# Generated by \`nx sync\` from ${ENVIRONMENTS_FILE} and ${GITOPS_CONFIG_FILE}: do not edit by hand.`,
  '# `nx sync:check` fails in CI when this file is out of date.',
].join('\n');

/** The bytes of a generated file: a header, then the object as YAML (stable key order, no line folding). */
export function serializeArgoCdManifest(manifest: ArgoCdManifest): string {
  return `${ARGOCD_HEADER}\n${stringify(manifest.object, { lineWidth: 0 })}`;
}

/** A kustomization listing every generated file, so `kubectl apply -k platform/argocd` installs them. */
export function kustomization(manifests: readonly ArgoCdManifest[]): string {
  return `${ARGOCD_HEADER}\n${stringify({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: manifests.map((m) => m.fileName) })}`;
}

/** Every file platform/argocd/ should hold, by name. */
export function argoCdFiles(envs: readonly Environment[], config: GitopsConfig): Map<string, string> {
  const manifests = buildArgoCdManifests(envs, config);
  const files = new Map<string, string>(manifests.map((m) => [m.fileName, serializeArgoCdManifest(m)]));
  files.set('kustomization.yaml', kustomization(manifests));
  return new Map([...files].sort(([a], [b]) => a.localeCompare(b)));
}
