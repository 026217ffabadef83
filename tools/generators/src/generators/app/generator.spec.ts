import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { logger, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import {
  componentEntityV1alpha1Validator,
  EntityPolicies,
  FieldFormatEntityPolicy,
  NoForeignRootFieldsEntityPolicy,
  SchemaValidEntityPolicy,
} from '@backstage/catalog-model';
import { parse } from 'yaml';
import { CHART_SCHEMA_FILE, CHART_VALUES_FILE, ENVIRONMENTS_FILE, TEAMS_FILE } from '@mayday/model';
import appGenerator, { typedOption, type AppGeneratorSchema } from './generator.ts';

const REPO = join(import.meta.dirname, '../../../../..');
const shop: AppGeneratorSchema = { name: 'shop', team: 'payments', port: 8080, image: 'ghcr.io/acme/shop:1.4.2' };
let tree: Tree;

beforeEach(() => {
  tree = createTreeWithEmptyWorkspace({ formatter: 'none' });
  for (const file of [ENVIRONMENTS_FILE, TEAMS_FILE, CHART_SCHEMA_FILE, CHART_VALUES_FILE])
    tree.write(file, readFileSync(join(REPO, file), 'utf8'));
});
const yamlOf = (path: string) => parse(tree.read(path, 'utf8')!);
const appFiles = () =>
  tree
    .listChanges()
    .map((c) => c.path)
    .filter((p) => p.startsWith('apps/'))
    .sort();

describe('mayday:app generator', () => {
  it('writes values for every env, a catalog entry and a README', async () => {
    await appGenerator(tree, shop);
    expect(appFiles()).toEqual([
      'apps/shop/README.md',
      'apps/shop/catalog-info.yaml',
      'apps/shop/values-prd.yaml',
      'apps/shop/values-stg.yaml',
      'apps/shop/values.yaml',
    ]);
    expect(yamlOf('apps/shop/values.yaml')).toEqual({
      team: 'payments',
      image: { repository: 'ghcr.io/acme/shop', tag: '1.4.2' },
      port: 8080,
      probes: { liveness: { path: '/healthz' }, readiness: { path: '/readyz' } },
    });
  });

  it('gives prd more replicas, a PDB and autoscaling, from the env defaults', async () => {
    await appGenerator(tree, shop);
    const prd = yamlOf('apps/shop/values-prd.yaml');
    expect(prd.replicas).toBeGreaterThanOrEqual(2);
    expect(prd.pdb.enabled).toBe(true);
    expect(prd.autoscaling.enabled).toBe(true);
    expect(yamlOf('apps/shop/values-stg.yaml').pdb).toBeUndefined();
  });

  it('writes a values file for a third env added to environments.yaml', async () => {
    const envs = yamlOf(ENVIRONMENTS_FILE);
    envs.environments.push({ ...envs.environments[0], name: 'qa', appDefaults: { replicas: 2 } });
    tree.write(ENVIRONMENTS_FILE, JSON.stringify(envs));
    await appGenerator(tree, shop);
    expect(yamlOf('apps/shop/values-qa.yaml')).toEqual({ replicas: 2 });
  });

  it('registers a Backstage Component with the Kubernetes and Argo CD annotations', async () => {
    await appGenerator(tree, { ...shop, description: 'Sells things: "fast".' });
    const entity = yamlOf('apps/shop/catalog-info.yaml');
    expect(entity).toMatchObject({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name: 'shop',
        description: 'Sells things: "fast".',
        annotations: { 'backstage.io/kubernetes-id': 'shop', 'argocd/app-selector': 'mayday.dev/app=shop' },
      },
      spec: { type: 'service', owner: 'group:payments' },
    });
  });

  it('writes a catalog entry whose comment names only folders the workspace has', async () => {
    await appGenerator(tree, shop);
    const comment = tree.read('apps/shop/catalog-info.yaml', 'utf8')!.split('\n')[0];
    expect(comment).toMatch(/^# Backstage catalog entry for shop/);
    for (const path of comment.match(/\bplatform\/[\w./-]+/g) ?? [])
      expect([path, existsSync(join(REPO, path))]).toEqual([path, true]);
  });

  it("writes a catalog entry that Backstage's own validators accept", async () => {
    await appGenerator(tree, shop);
    const entity = yamlOf('apps/shop/catalog-info.yaml');
    const policies = EntityPolicies.allOf([
      new SchemaValidEntityPolicy(),
      new FieldFormatEntityPolicy(),
      new NoForeignRootFieldsEntityPolicy(),
    ]);
    await expect(policies.enforce(entity)).resolves.toEqual(entity);
    await expect(componentEntityV1alpha1Validator.check(entity)).resolves.toBe(true);
    await expect(
      componentEntityV1alpha1Validator.check({ ...entity, spec: { ...entity.spec, owner: undefined } }),
    ).rejects.toThrow(/owner/);
  });

  it('quotes a tag that YAML would read as a number', async () => {
    await appGenerator(tree, { ...shop, image: 'ghcr.io/acme/shop:1.10' });
    expect(yamlOf('apps/shop/values.yaml').image.tag).toBe('1.10');
  });

  it('reads an option as typed, before Nx turns 1e3 into 1000 (the last one typed wins)', () => {
    expect(typedOption('port', ['node', 'nx', 'g', 'mayday:app', 'shop', '--port=1e3'])).toBe('1e3');
    expect(typedOption('port', ['node', 'nx', '--port', '08080', '--team=payments'])).toBe('08080');
    expect(typedOption('port', ['--port=80', '--port=8080'])).toBe('8080');
    expect(typedOption('port', ['--portal=1', '--team=payments'])).toBeUndefined();
  });

  it.each<[string, Partial<AppGeneratorSchema>, RegExp]>([
    ['a name that is not a DNS label', { name: 'Shop_1' }, /app name "Shop_1" is not a DNS-1123 label/],
    ['a name too long for its namespaces', { name: `s${'x'.repeat(53)}` }, /at most 53 fit/],
    ['a port of 0', { port: 0 }, /--port 0 must be a whole number from 1 to 65535/],
    ['a port above 65535', { port: 70000 }, /--port 70000/],
    ['an image without a tag', { image: 'ghcr.io/acme/shop' }, /--image: image "ghcr.io\/acme\/shop" has no tag/],
    ['an image tagged latest', { image: 'ghcr.io/acme/shop:latest' }, /"latest"/],
    ['a team that is not a DNS label', { team: 'Payments Team' }, /--team "Payments Team" must be a DNS label/],
    [
      'a team missing from platform/teams.yaml',
      { team: 'paymnets' },
      /--team: team "paymnets" is not in platform\/teams.yaml: did you mean "payments"\? known teams: platform, payments, checkout/,
    ],
  ])('refuses %s and writes nothing', async (_, override, message) => {
    await expect(appGenerator(tree, { ...shop, ...override })).rejects.toThrow(message);
    expect(appFiles()).toEqual([]);
  });

  it('refuses an app that already exists', async () => {
    await appGenerator(tree, shop);
    await expect(appGenerator(tree, { ...shop, team: 'checkout' })).rejects.toThrow(
      'app "shop" already exists at apps/shop/',
    );
  });

  it.each(['platform', 'base-chart', 'platform-policies', 'mayday'])(
    'refuses %s, the name of an Nx project already, before writing',
    async (name) => {
      tree.write('tools/generators/package.json', JSON.stringify({ name: 'mayday' }));
      await expect(appGenerator(tree, { ...shop, name })).rejects.toThrow(
        `app name "${name}" is taken by an Nx project of this workspace or one mayday reserves for platform/`,
      );
      expect(appFiles()).toEqual([]);
    },
  );

  it('applies the image rules of platform/policies at creation: a non-semver tag is refused for prd, naming the env and the policy', async () => {
    for (const file of readdirSync(join(REPO, 'platform/policies')).filter((f) => f.endsWith('.yaml')))
      tree.write(`platform/policies/${file}`, readFileSync(join(REPO, 'platform/policies', file), 'utf8'));
    await expect(appGenerator(tree, { ...shop, image: 'nginx:1.27' })).rejects.toThrow(
      /--image nginx:1\.27 would be refused by lint and at admission in\n {2}prd \(strict\): production images must be pinned by digest or a semver tag .*policy mayday-image-pinned in platform\/policies\/image\.yaml/,
    );
    expect(appFiles()).toEqual([]);
    await appGenerator(tree, { ...shop, image: 'nginx:1.27.3' });
    expect(yamlOf('apps/shop/values.yaml').image).toEqual({ repository: 'nginx', tag: '1.27.3' });
  });

  it.each<[string, Partial<AppGeneratorSchema>, RegExp]>([
    ['an empty image as missing', { image: '' }, /^--image is required: a container image with a pinned tag or digest/],
    [
      'an uppercase repository as uppercase',
      { image: 'ghcr.io/Acme/shop:1.0.0' },
      /an image repository must be lowercase \("ghcr\.io\/acme\/shop"\)/,
    ],
  ])('names %s', async (_, override, message) => {
    await expect(appGenerator(tree, { ...shop, ...override })).rejects.toThrow(message);
  });

  it('warns that a port below 1024 needs unprivileged ports from the runtime, and prints the next steps after CREATE', async () => {
    const said: string[] = [];
    const { warn, info } = logger;
    logger.warn = (m: unknown) => void said.push(`warn ${String(m)}`);
    logger.info = (m: unknown) => void said.push(`info ${String(m)}`);
    try {
      const callback = await appGenerator(tree, { ...shop, port: 80 });
      expect(said.join('\n')).toMatch(
        /warn --port 80 is below 1024: .*non-root with every capability dropped.*ip_unprivileged_port_start=0/,
      );
      await callback();
      expect(said.join('\n')).toMatch(
        /info \nNext steps for shop:\n {2}nx run shop:render .*\n {2}nx run shop:lint .*\n {2}git add apps\/shop gitops .*\n {2}nx run shop:push/,
      );
    } finally {
      Object.assign(logger, { warn, info });
    }
  });
});
