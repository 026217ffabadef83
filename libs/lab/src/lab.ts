import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadGitopsConfig, type GitopsConfig } from '@mayday/gitops';
import { loadEnvironments, MaydayError, type Environment } from '@mayday/model';
import { Kind } from './cluster/kind.ts';
import { Kubectl } from './cluster/kubectl.ts';
import { localMissingCapabilities, type HostFacts } from './host.ts';
import { clusterImages, loadLabConfig, type LabConfig } from './lab-config.ts';
import { findTool } from './preflight.ts';

/** The lab's record of what `up` installed: component → version and hash of what it applied. */
export const RECORD = { namespace: 'kube-system', name: 'mayday-lab' };
/** The gitops repository host the lab's git server answers for (the shipped platform/gitops.yaml). */
export const LAB_GIT_HOST = 'git.mayday.example';
/** Where the host reaches the lab's git server and Argo CD (curl and git resolve *.localhost to 127.0.0.1). */
export const LAB_GIT_URL_BASE = 'http://git.localhost';
export const ARGOCD_URL = 'http://argocd.localhost';

/** Everything the lab commands share: the workspace's config, and kind and kubectl for its cluster. */
export interface Lab {
  root: string;
  config: LabConfig;
  envs: Environment[];
  gitops: GitopsConfig;
  kind: Kind;
  kubectl: Kubectl;
  /** Where `up` writes the kind config it created the cluster with (ignored by git). */
  stateDir: string;
}

export function openLab(root: string): Lab {
  const envs = loadEnvironments(root);
  const gitops = loadGitopsConfig(root);
  const config = loadLabConfig(root, envs);
  const kind = new Kind(findTool(root, 'kind') ?? join(root, '.tools/bin/kind'), config.cluster.name);
  const kubectl = new Kubectl(findTool(root, 'kubectl') ?? join(root, '.tools/bin/kubectl'), kind.context);
  const stateDir = join(root, '.tools/lab');
  mkdirSync(stateDir, { recursive: true });
  return { root, config, envs, gitops, kind, kubectl, stateDir };
}

/** The host facts that change the kind config (from `docker info` and this process's bounding set). */
export const hostFacts = (cgroupVersion: string): HostFacts => ({
  cgroupVersion,
  missingCapabilities: localMissingCapabilities(),
});

/** Every image `up` needs on this machine: the node image, what the components run and the sample apps' images. */
export function labImages(lab: Lab): string[] {
  return [lab.config.nodeImage, ...clusterImages(lab.config.lab).map((i) => i.name)];
}

/** The lab serves the gitops repository while platform/gitops.yaml names the shipped git.mayday.example. */
export function labServesRepository(gitops: GitopsConfig): boolean {
  try {
    return new URL(gitops.repository).hostname === LAB_GIT_HOST;
  } catch {
    return false;
  }
}

/** The URL the host pushes to: `nx affected -t push --remote=<this>`. */
export const labPushUrl = (gitops: GitopsConfig): string => `${LAB_GIT_URL_BASE}${new URL(gitops.repository).pathname}`;

export function noLab(lab: Lab): MaydayError {
  return new MaydayError({
    severity: 'error',
    file: 'platform/kind/cluster.yaml',
    rule: 'lab-missing',
    message: `there is no lab: the kind cluster ${lab.config.cluster.name} does not exist`,
    hint: 'create it with `nx run platform:up`',
  });
}
