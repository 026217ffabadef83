import { compatWrapper, convertLegacyPlugin } from '@backstage/core-compat-api';
import { EntityCardBlueprint } from '@backstage/plugin-catalog-react/alpha';
import {
  ArgocdDeploymentSummary,
  argocdPlugin,
  isArgocdConfigured,
} from '@backstage-community/plugin-argocd';

/**
 * The community Argo CD plugin (a legacy frontend plugin) as a feature of this app: its API clients, and the
 * deployment summary card on every entity with an `argocd/app-selector` annotation (mayday apps:
 * `mayday.dev/app=<app>` selects the Applications `<app>-<env>` of the ApplicationSet).
 */
export const argocdFeature = convertLegacyPlugin(argocdPlugin, {
  extensions: [
    EntityCardBlueprint.make({
      name: 'deployment-summary',
      params: {
        type: 'content',
        filter: isArgocdConfigured,
        loader: async () =>
          compatWrapper(<ArgocdDeploymentSummary showServer />),
      },
    }),
  ],
});
