import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { runMaydayGenerator } from './runGenerator';

/**
 * `mayday:app`: `nx g mayday:app` on the fetched repository: the same generator, options checked against the same
 * schema.json, the same refusals (a failed step with the generator's message and nothing written).
 */
export function createMaydayAppAction(options: { workspace: string }) {
  return createTemplateAction({
    id: 'mayday:app',
    description:
      "Creates apps/<name>/ in the workspace with mayday's own app generator (nx g mayday:app): values for every env, a catalog entry and a README.",
    supportsDryRun: true,
    examples: [
      {
        description: 'Create the shop app owned by the payments team',
        example:
          'steps:\n  - id: app\n    action: mayday:app\n    input:\n      options:\n        name: shop\n        team: payments\n        port: 8080\n        image: ghcr.io/acme/shop:1.4.2\n',
      },
    ],
    schema: {
      input: {
        options: z =>
          z
            .record(z.string(), z.unknown())
            .describe(
              "The generator's options, as `nx g mayday:app` takes them (its schema.json)",
            ),
        path: z =>
          z
            .string()
            .optional()
            .describe(
              'Where the repository is in the workspace (default: its root)',
            ),
      },
      output: {
        app: z => z.string(),
        files: z => z.array(z.string()),
        entityRef: z => z.string(),
      },
    },
    async handler(ctx) {
      const folder = resolveSafeChildPath(
        ctx.workspacePath,
        ctx.input.path ?? '.',
      );
      const result = await runMaydayGenerator(
        options.workspace,
        'app',
        folder,
        ctx.input.options,
        Boolean(ctx.isDryRun),
      );
      if (!result.ok) throw new InputError(result.message);
      const files = result.changes.map(change => change.path);
      for (const change of result.changes)
        ctx.logger.info(`${change.type} ${change.path}`);
      const app = String(ctx.input.options.name);
      ctx.output('app', app);
      ctx.output('files', files);
      ctx.output('entityRef', `component:default/${app}`);
    },
  });
}
