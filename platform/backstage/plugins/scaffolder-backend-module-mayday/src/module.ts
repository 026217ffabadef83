import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { ScmIntegrations } from '@backstage/integration';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { createMaydayAppAction } from './actions/app';
import { createMaydayFetchAction } from './actions/fetch';
import { createMaydayPublishAction } from './actions/publish';
import { readMaydayConfig } from './maydayConfig';

/** The mayday actions of the mayday-app template: mayday:fetch, mayday:app and mayday:publish. */
export const scaffolderModuleMayday = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'mayday',
  register(reg) {
    reg.registerInit({
      deps: {
        scaffolder: scaffolderActionsExtensionPoint,
        config: coreServices.rootConfig,
      },
      async init({ scaffolder, config }) {
        const mayday = readMaydayConfig(config);
        const integrations = ScmIntegrations.fromConfig(config);
        const tokenFor = (url: string) =>
          integrations.github.byUrl(url)?.config.token;
        scaffolder.addActions(
          createMaydayFetchAction(mayday, tokenFor),
          createMaydayAppAction({ workspace: mayday.workspace }),
          createMaydayPublishAction(mayday, tokenFor),
        );
      },
    });
  },
});
