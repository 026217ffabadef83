// The mayday portal's backend: the catalog (mayday's apps, teams and the mayday-app template), the scaffolder with
// the mayday:app action, guest and GitHub sign-in, and the Argo CD and Kubernetes status of each app.
import { createBackend } from '@backstage/backend-defaults';
import { catalogModuleMaydayApps } from '@internal/plugin-scaffolder-backend-module-mayday';

const backend = createBackend();

backend.add(import('@backstage/plugin-app-backend'));

backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));
backend.add(import('@backstage/plugin-auth-backend-module-github-provider'));

backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(
  import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'),
);
backend.add(catalogModuleMaydayApps);

backend.add(import('@backstage/plugin-scaffolder-backend'));
backend.add(import('@backstage/plugin-scaffolder-backend-module-github'));
backend.add(import('@internal/plugin-scaffolder-backend-module-mayday'));

backend.add(import('@backstage/plugin-kubernetes-backend'));
backend.add(import('@backstage-community/plugin-argocd-backend'));

backend.start();
