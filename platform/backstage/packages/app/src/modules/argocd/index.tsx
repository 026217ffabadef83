import {
  compatWrapper,
  convertLegacyPlugin,
  convertLegacyRouteRef,
} from '@backstage/core-compat-api';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import {
  ArgocdDeploymentLifecycle,
  ArgocdDeploymentSummary,
  argocdPlugin,
  isArgocdConfigured,
} from '@backstage-community/plugin-argocd';

/**
 * The community Argo CD plugin (a legacy frontend plugin) as a feature of this app, on every entity with an
 * `argocd/app-selector` annotation (mayday apps: `mayday.dev/app=<app>` selects the Applications `<app>-<env>` of
 * the ApplicationSet): the deployment summary card (sync and health) on the overview, and an Argo CD tab.
 */
export const argocdFeature = convertLegacyPlugin(argocdPlugin, {
  extensions: [
    // the plugin's components are routable extensions of its root route: the tab gives that route its path
    EntityContentBlueprint.make({
      name: 'deployment-lifecycle',
      params: {
        path: 'argocd',
        title: 'Argo CD',
        routeRef: convertLegacyRouteRef(argocdPlugin.routes.root),
        filter: isArgocdConfigured,
        loader: async () => compatWrapper(<ArgocdDeploymentLifecycle />),
      },
    }),
    EntityCardBlueprint.make({
      name: 'deployment-summary',
      params: {
        type: 'content',
        filter: isArgocdConfigured,
        loader: async () =>
          // mayday's Applications name their cluster (destination.name): the server column would be empty
          compatWrapper(<ArgocdDeploymentSummary showServer={false} />),
      },
    }),
  ],
});
