/**
 * Where things live in a mayday workspace; every path is relative to the workspace root.
 * Dependency-free (exported as `@mayday/model/workspace`), so the Nx plugin's graph code loads fast.
 */
export const APPS_DIR = 'apps';
export const ENVIRONMENTS_FILE = 'platform/environments.yaml';
export const TEAMS_FILE = 'platform/teams.yaml';
export const CHART_DIR = 'platform/charts/app';
export const CHART_FILE = `${CHART_DIR}/Chart.yaml`;
export const CHART_SCHEMA_FILE = `${CHART_DIR}/values.schema.json`;
export const CHART_VALUES_FILE = `${CHART_DIR}/values.yaml`;
export const GITOPS_DIR = 'gitops';
/** Platform policies: enforced offline by lint and by the cluster at admission. */
export const POLICIES_DIR = 'platform/policies';
/** The label every object mayday writes carries, with the value MANAGED_BY. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'mayday';

export const appDir = (app: string): string => `${APPS_DIR}/${app}`;
export const appValuesFile = (app: string): string => `${appDir(app)}/values.yaml`;
export const appEnvValuesFile = (app: string, env: string): string => `${appDir(app)}/values-${env}.yaml`;
/** The folder Argo CD syncs for one app in one env. */
export const gitopsPath = (env: string, app: string): string => `${GITOPS_DIR}/${env}/${app}`;
