import { createApp } from '@backstage/frontend-defaults';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import { navModule } from './modules/nav';
import { argocdFeature } from './modules/argocd';

// The other plugins (scaffolder, kubernetes, org, auth) are discovered from package.json (app.packages: all).
export default createApp({
  features: [catalogPlugin, navModule, argocdFeature],
});
