import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
  type TestBackend,
} from '@backstage/backend-test-utils';
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import catalogModuleScaffolderEntityModel from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import scaffolderModuleMayday, { catalogModuleMaydayApps } from './index';
import {
  bareRemoteOf,
  copyMaydayRepo,
  filesUnder,
  gitIn,
  MAYDAY_ROOT,
  nxGenerate,
  removeAll,
} from './testing/maydayRepo';

const PORTAL = join(MAYDAY_ROOT, 'platform/backstage');
const shop = {
  name: 'shop',
  team: 'payments',
  port: 8080,
  image: 'ghcr.io/acme/shop:1.4.2',
  description: 'The shop.',
};
jest.setTimeout(180_000);

/** The portal's own backend plugins and the mayday modules, in process, against a bare git remote. */
async function startPortal(
  remote: string,
  publish: 'commit' | 'branch',
): Promise<TestBackend> {
  return startTestBackend({
    features: [
      mockServices.rootConfig.factory({
        data: {
          mayday: {
            repository: { url: `file://${remote}`, branch: 'main' },
            publish,
            catalog: { refreshSeconds: 1 },
          },
          catalog: {
            processingInterval: { seconds: 1 },
            rules: [
              {
                allow: [
                  'Component',
                  'System',
                  'Group',
                  'User',
                  'Template',
                  'Location',
                ],
              },
            ],
            locations: [
              { type: 'file', target: join(PORTAL, 'catalog/org.yaml') },
              {
                type: 'file',
                target: join(PORTAL, 'templates/mayday-app/template.yaml'),
              },
            ],
          },
        },
      }),
      // the real scheduler: the mock one runs each task once, at start-up
      schedulerServiceFactory,
      catalogPlugin,
      catalogModuleScaffolderEntityModel,
      scaffolderPlugin,
      scaffolderModuleMayday,
      catalogModuleMaydayApps,
    ],
  });
}

async function api(
  backend: TestBackend,
  path: string,
  init: { method?: string; body?: unknown } = {},
) {
  const { port } = backend.server.address() as { port: number };
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: mockCredentials.user.header(),
      'content-type': 'application/json',
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  return {
    status: response.status,
    body: await response.json().catch(() => undefined),
  };
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  seconds = 60,
): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`gave up after ${seconds} s waiting for ${what}`);
    await new Promise(r => setTimeout(r, 500));
  }
}

/** Runs the mayday-app template as a real task (POST /v2/tasks) and waits for it to end. */
async function runTemplate(
  backend: TestBackend,
  values: Record<string, unknown>,
) {
  await until('the mayday-app template in the catalog', async () => {
    const found = await api(
      backend,
      '/api/catalog/entities/by-name/template/default/mayday-app',
    );
    return found.status === 200 ? true : undefined;
  });
  const created = await api(backend, '/api/scaffolder/v2/tasks', {
    method: 'POST',
    body: { templateRef: 'template:default/mayday-app', values },
  });
  expect(created.status).toBe(201);
  const task = await until('the task to end', async () => {
    const got = await api(
      backend,
      `/api/scaffolder/v2/tasks/${created.body.id}`,
    );
    return ['completed', 'failed'].includes(got.body?.status)
      ? got.body
      : undefined;
  });
  const events = await api(
    backend,
    `/api/scaffolder/v2/tasks/${created.body.id}/events`,
  );
  const log = (events.body as { body: { message?: string } }[])
    .map(e => e.body.message ?? '')
    .join('\n');
  return { status: task.status as string, log };
}

const branchOf = (remote: string, branch: string) =>
  gitIn(remote, ['rev-parse', `refs/heads/${branch}`]).trim();

describe('the mayday-app template in a real backend', () => {
  const folders: string[] = [];
  afterAll(() => removeAll(...folders));

  it('commits apps/<name>/ as `nx g mayday:app` writes it, and the catalog shows it with hello', async () => {
    const source = copyMaydayRepo();
    const remote = bareRemoteOf(source);
    const cli = copyMaydayRepo({ withNodeModules: true });
    folders.push(source, remote, cli);
    expect(
      nxGenerate(cli, [
        'shop',
        '--team=payments',
        '--port=8080',
        '--image=ghcr.io/acme/shop:1.4.2',
        '--description=The shop.',
      ]).code,
    ).toBe(0);
    const backend = await startPortal(remote, 'commit');
    try {
      const started = Date.now();
      const task = await runTemplate(backend, shop);
      expect(task).toMatchObject({ status: 'completed' });
      process.stdout.write(
        `one template run: ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
      );
      const pushed = mkdtempSync(join(tmpdir(), 'mayday-portal-pushed-'));
      folders.push(pushed);
      gitIn(pushed, ['clone', '--quiet', '--branch', 'main', remote, '.']);
      expect(filesUnder(join(pushed, 'apps/shop'))).toEqual(
        filesUnder(join(cli, 'apps/shop')),
      );
      expect(gitIn(remote, ['log', '-1', '--format=%s', 'main'])).toContain(
        'Add app shop',
      );

      for (const app of ['hello', 'shop']) {
        const entity = await until(`${app} in the catalog`, async () => {
          const got = await api(
            backend,
            `/api/catalog/entities/by-name/component/default/${app}`,
          );
          return got.status === 200 &&
            got.body.relations?.some(
              (r: { type: string }) => r.type === 'ownedBy',
            )
            ? got.body
            : undefined;
        });
        expect(entity.spec).toMatchObject({
          system: 'mayday-apps',
          type: 'service',
        });
        expect(entity.metadata.annotations).toMatchObject({
          'argocd/app-selector': `mayday.dev/app=${app}`,
          'backstage.io/kubernetes-id': app,
        });
        expect(entity.relations).toContainEqual(
          expect.objectContaining({
            type: 'ownedBy',
            targetRef: `group:default/${
              app === 'shop' ? 'payments' : 'platform'
            }`,
          }),
        );
      }

      const tip = branchOf(remote, 'main');
      const duplicate = await runTemplate(backend, shop);
      expect(duplicate.status).toBe('failed');
      expect(duplicate.log).toContain(
        'app "shop" already exists at apps/shop/',
      );
      expect(branchOf(remote, 'main')).toBe(tip);
    } finally {
      await backend.stop();
    }
  });

  it('fails with the server’s message when the push is refused, and the remote keeps what it had', async () => {
    const source = copyMaydayRepo();
    const remote = bareRemoteOf(source);
    folders.push(source, remote);
    const hook = join(remote, 'hooks/pre-receive');
    writeFileSync(
      hook,
      '#!/bin/sh\necho "branch mayday/* is protected here" >&2\nexit 1\n',
    );
    chmodSync(hook, 0o755);
    const backend = await startPortal(remote, 'branch');
    try {
      const task = await runTemplate(backend, { ...shop, name: 'cart' });
      expect(task.status).toBe('failed');
      expect(task.log).toContain('refused the push of mayday/cart');
      expect(task.log).toContain('branch mayday/* is protected here');
      expect(gitIn(remote, ['branch', '--list'])).not.toContain('mayday/cart');
    } finally {
      await backend.stop();
    }
  });
});
