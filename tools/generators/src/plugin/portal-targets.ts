import type { TargetConfiguration } from '@nx/devkit';

/** Where the portal listens (platform/backstage/app-config.yaml, backend.listen). */
export const PORTAL_URL = 'http://127.0.0.1:7007';

/** The frontend's sources and everything its build reads: what build-portal-app.sh stamps. */
const FRONTEND_INPUTS = [
  '{projectRoot}/packages/app/src/**/*',
  '{projectRoot}/packages/app/public/**/*',
  '{projectRoot}/packages/app/package.json',
  '{projectRoot}/yarn.lock',
  '{projectRoot}/app-config.yaml',
  '{workspaceRoot}/tools/toolchain/build-portal-app.sh',
];

/** The portal's targets (platform/backstage, the Backstage app): its scripts in tools/toolchain, run by Nx. */
export function portalTargets(): Record<string, TargetConfiguration> {
  const script = (name: string) => ({ command: `bash tools/toolchain/${name}` });
  return {
    build: {
      executor: 'nx:run-commands',
      options: script('build-portal-app.sh'),
      cache: true,
      inputs: FRONTEND_INPUTS,
      outputs: ['{projectRoot}/packages/app/dist'],
      metadata: { description: 'Build the portal frontend (packages/app/dist, which the backend serves)' },
    },
    serve: {
      executor: 'nx:run-commands',
      options: script('serve-portal.sh'),
      continuous: true,
      dependsOn: ['build'],
      readyWhen: { url: `${PORTAL_URL}/.backstage/health/v1/readiness`, timeout: 180_000 },
      metadata: {
        description: `Serve the portal on ${PORTAL_URL} (guest sign-in; SQLite in platform/backstage/.data)`,
        technologies: ['backstage'],
      },
    },
    test: {
      executor: 'nx:run-commands',
      options: script('test-portal.sh'),
      cache: false,
      metadata: {
        description:
          "The portal's suite: type check, its actions, a real backend, a browser test against a real Argo CD",
        technologies: ['backstage'],
      },
    },
  };
}
