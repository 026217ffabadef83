import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import type { MaydayConfig } from '../maydayConfig';
import { git, gitMessage } from '../git';
import { gitAuthArgs, type TokenFor } from './gitAuth';

/** `mayday:fetch`: a shallow clone of the mayday repository (app-config `mayday.repository`) into the workspace. */
export function createMaydayFetchAction(
  mayday: MaydayConfig,
  tokenFor: TokenFor,
) {
  return createTemplateAction({
    id: 'mayday:fetch',
    description:
      'Clones the mayday repository (mayday.repository in app-config) into the workspace, for mayday:app and mayday:publish.',
    supportsDryRun: true,
    schema: {
      output: {
        repository: z => z.string(),
        branch: z => z.string(),
        publish: z => z.string(),
        repoUrl: z => z.string(),
      },
    },
    async handler(ctx) {
      const { url, branch } = mayday.repository;
      ctx.logger.info(`Cloning ${url} (${branch})`);
      const cloned = await git(ctx.workspacePath, [
        ...gitAuthArgs(url, tokenFor),
        'clone',
        '--quiet',
        '--depth',
        '1',
        '--branch',
        branch,
        url,
        '.',
      ]);
      if (cloned.code !== 0)
        throw new InputError(
          `cannot fetch ${url} (${branch}): ${gitMessage(
            cloned,
          )}. Check mayday.repository in app-config and that the server is up`,
        );
      ctx.output('repository', url);
      ctx.output('branch', branch);
      ctx.output('publish', mayday.publish);
      ctx.output('repoUrl', backstageRepoUrl(url));
    },
  });
}

/** https://github.com/acme/mayday(.git) → github.com?owner=acme&repo=mayday (what publish:github:pull-request takes). */
export function backstageRepoUrl(url: string): string {
  const match = /^https:\/\/([^/]+)\/([^/]+)\/([^/]+?)(\.git)?$/.exec(url);
  return match ? `${match[1]}?owner=${match[2]}&repo=${match[3]}` : url;
}
