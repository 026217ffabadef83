import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import type { MaydayConfig } from '../maydayConfig';
import { git, gitMessage } from '../git';
import { gitAuthArgs, type TokenFor } from './gitAuth';

/**
 * `mayday:publish`: commits apps/<app>/ in the fetched repository and pushes it, as a new branch `mayday/<app>`
 * (publish: branch, for a merge request) or onto the fetched branch (publish: commit, the lab). A push the server
 * refuses fails the step with the server's message; nothing is forced.
 */
export function createMaydayPublishAction(
  mayday: MaydayConfig,
  tokenFor: TokenFor,
) {
  return createTemplateAction({
    id: 'mayday:publish',
    description:
      'Commits the new app and pushes it to the mayday repository as a branch or a commit (mayday.publish in app-config).',
    schema: {
      input: {
        app: z => z.string().describe('The app the commit adds (apps/<app>/)'),
        requestedBy: z =>
          z
            .string()
            .optional()
            .describe('Who asked for it, for the commit message'),
      },
      output: {
        commit: z => z.string(),
        branch: z => z.string(),
        url: z => z.string(),
        argocdUrl: z => z.string(),
      },
    },
    async handler(ctx) {
      const { app } = ctx.input;
      const cwd = ctx.workspacePath;
      const env = {
        GIT_AUTHOR_NAME: mayday.author.name,
        GIT_AUTHOR_EMAIL: mayday.author.email,
        GIT_COMMITTER_NAME: mayday.author.name,
        GIT_COMMITTER_EMAIL: mayday.author.email,
      };
      const run = async (args: string[]) => {
        const result = await git(cwd, args, env);
        if (result.code !== 0)
          throw new InputError(`git ${args[0]} failed: ${gitMessage(result)}`);
        return result.stdout.trim();
      };
      await run(['add', '--', `apps/${app}`]);
      const by = ctx.input.requestedBy
        ? `\n\nRequested by ${ctx.input.requestedBy} in the portal.`
        : '';
      await run([
        'commit',
        '--quiet',
        '-m',
        `Add app ${app} from the mayday-app template${by}`,
      ]);
      const commit = await run(['rev-parse', 'HEAD']);
      const branch =
        mayday.publish === 'commit'
          ? mayday.repository.branch
          : `mayday/${app}`;
      const { url } = mayday.repository;
      ctx.logger.info(`Pushing ${commit.slice(0, 12)} to ${url} as ${branch}`);
      const pushed = await git(
        cwd,
        [
          ...gitAuthArgs(url, tokenFor),
          'push',
          '--porcelain',
          url,
          `HEAD:refs/heads/${branch}`,
        ],
        env,
      );
      if (pushed.code !== 0)
        throw new InputError(
          `${url} refused the push of ${branch}: ${gitMessage(pushed)}${
            mayday.publish === 'commit'
              ? '. If the branch moved meanwhile, run the template again'
              : `. If ${branch} already exists, an earlier request for ${app} is waiting: merge or delete it`
          }`,
        );
      ctx.output('commit', commit);
      ctx.output('branch', branch);
      ctx.output('url', `${url}#${branch}@${commit.slice(0, 12)}`);
      ctx.output(
        'argocdUrl',
        mayday.argocdUrl
          ? `${mayday.argocdUrl.replace(
              /\/$/,
              '',
            )}/applications?labels=mayday.dev%2Fapp%3D${app}`
          : '',
      );
    },
  });
}
