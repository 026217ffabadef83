import { resolve } from 'node:path';
import type { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';

/** How the template reaches the repository: a GitHub pull request, or a branch or a commit on a plain git server. */
export type PublishMode = 'pull-request' | 'branch' | 'commit';

export interface MaydayConfig {
  /** The mayday workspace whose generator the portal runs (its node_modules installed): this repository. */
  workspace: string;
  /** The repository the template fetches and publishes to, and the branch apps are added on. */
  repository: { url: string; branch: string };
  publish: PublishMode;
  /** The Argo CD UI, for the template's output link. */
  argocdUrl?: string;
  author: { name: string; email: string };
}

/** platform/backstage/plugins/<module>/{src,dist} → the repository root. */
const WORKSPACE_OF_THIS_PORTAL = resolve(__dirname, '../../../../..');

export function readMaydayConfig(config: Config): MaydayConfig {
  const mayday = config.getOptionalConfig('mayday');
  const url = mayday?.getOptionalString('repository.url');
  if (!url)
    throw new InputError(
      'mayday.repository.url is not set in app-config: set it to the mayday repository (the lab git server or GitHub)',
    );
  const publish = mayday?.getOptionalString('publish') ?? 'branch';
  if (!['pull-request', 'branch', 'commit'].includes(publish))
    throw new InputError(
      `mayday.publish is "${publish}": use pull-request (GitHub), branch or commit`,
    );
  return {
    workspace: resolve(
      mayday?.getOptionalString('workspace') ?? WORKSPACE_OF_THIS_PORTAL,
    ),
    repository: {
      url,
      branch: mayday?.getOptionalString('repository.branch') ?? 'main',
    },
    publish: publish as PublishMode,
    argocdUrl: mayday?.getOptionalString('argocd.url'),
    author: {
      name: mayday?.getOptionalString('author.name') ?? 'mayday portal',
      email:
        mayday?.getOptionalString('author.email') ?? 'portal@mayday.invalid',
    },
  };
}
