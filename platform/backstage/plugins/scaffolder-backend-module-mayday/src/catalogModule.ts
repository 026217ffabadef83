import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  coreServices,
  createBackendModule,
  type LoggerService,
} from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import { ScmIntegrations } from '@backstage/integration';
import {
  catalogProcessingExtensionPoint,
  type EntityProvider,
  type EntityProviderConnection,
} from '@backstage/plugin-catalog-node';
import { parseAllDocuments } from 'yaml';
import { git, gitMessage } from './git';
import { gitAuthArgs, type TokenFor } from './actions/gitAuth';
import { readMaydayConfig, type MaydayConfig } from './maydayConfig';

/**
 * The apps of the mayday repository in the catalog: every apps/<app>/catalog-info.yaml on the configured branch,
 * read from git (the lab's git server or GitHub) on a schedule. An app the template commits appears without being
 * registered by hand; a removed one goes away.
 */
export class MaydayAppsProvider implements EntityProvider {
  private connection?: EntityProviderConnection;
  constructor(
    private readonly mayday: MaydayConfig,
    private readonly tokenFor: TokenFor,
    private readonly logger: LoggerService,
  ) {}

  getProviderName(): string {
    return 'mayday-apps';
  }

  async connect(connection: EntityProviderConnection): Promise<void> {
    this.connection = connection;
  }

  /** Reads the branch once and replaces what this provider emitted. */
  async refresh(): Promise<void> {
    if (!this.connection) return;
    const { url, branch } = this.mayday.repository;
    const dir = await mkdtemp(join(tmpdir(), 'mayday-catalog-'));
    try {
      const args = [
        'clone',
        '--quiet',
        '--depth',
        '1',
        '--branch',
        branch,
        url,
        dir,
      ];
      const cloned = await git(tmpdir(), [
        ...gitAuthArgs(url, this.tokenFor),
        ...args,
      ]);
      if (cloned.code !== 0) {
        this.logger.warn(
          `mayday-apps: cannot read ${url} (${branch}): ${gitMessage(cloned)}`,
        );
        return;
      }
      const entities = await readAppEntities(dir, `${url}#${branch}`);
      await this.connection.applyMutation({
        type: 'full',
        entities: entities.map(entity => ({
          entity,
          locationKey: this.getProviderName(),
        })),
      });
      this.logger.info(
        `mayday-apps: ${entities.length} apps from ${url} (${branch})`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

async function readAppEntities(
  checkout: string,
  source: string,
): Promise<Entity[]> {
  const apps = await readdir(join(checkout, 'apps'), {
    withFileTypes: true,
  }).catch(() => []);
  const entities: Entity[] = [];
  for (const app of apps
    .filter(entry => entry.isDirectory())
    .map(entry => entry.name)
    .sort()) {
    const file = `apps/${app}/catalog-info.yaml`;
    const text = await readFile(join(checkout, file), 'utf8').catch(
      () => undefined,
    );
    if (text === undefined) continue;
    const location = `url:${source}/${file}`;
    for (const doc of parseAllDocuments(text)) {
      const entity = doc.toJS() as Entity | null;
      if (!entity?.metadata) continue;
      entity.metadata.annotations = {
        ...entity.metadata.annotations,
        'backstage.io/managed-by-location': location,
        'backstage.io/managed-by-origin-location': location,
      };
      entities.push(entity);
    }
  }
  return entities;
}

export const catalogModuleMaydayApps = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'mayday-apps',
  register(reg) {
    reg.registerInit({
      deps: {
        catalog: catalogProcessingExtensionPoint,
        config: coreServices.rootConfig,
        scheduler: coreServices.scheduler,
        logger: coreServices.logger,
      },
      async init({ catalog, config, scheduler, logger }) {
        const mayday = readMaydayConfig(config);
        const integrations = ScmIntegrations.fromConfig(config);
        const provider = new MaydayAppsProvider(
          mayday,
          url => integrations.github.byUrl(url)?.config.token,
          logger,
        );
        catalog.addEntityProvider(provider);
        const seconds =
          config.getOptionalNumber('mayday.catalog.refreshSeconds') ?? 60;
        await scheduler.scheduleTask({
          id: 'mayday-apps-refresh',
          frequency: { seconds },
          timeout: { minutes: 2 },
          fn: () => provider.refresh(),
        });
      },
    });
  },
});
