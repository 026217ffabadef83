import { join } from 'node:path';
import type { JsonObject } from '@backstage/types';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { createMaydayAppAction } from './app';
import {
  copyMaydayRepo,
  filesUnder,
  MAYDAY_ROOT,
  nxGenerate,
  removeAll,
} from '../testing/maydayRepo';

const shop = {
  name: 'shop',
  team: 'payments',
  port: 8080,
  image: 'ghcr.io/acme/shop:1.4.2',
};
jest.setTimeout(120_000);
const action = createMaydayAppAction({ workspace: MAYDAY_ROOT });
const folders: string[] = [];
const repo = () => {
  const root = copyMaydayRepo();
  folders.push(root);
  return root;
};
afterAll(() => removeAll(...folders));

async function runAction(
  workspacePath: string,
  options: JsonObject,
  isDryRun = false,
) {
  // createMockActionContext leaves isDryRun out; the scaffolder sets it on the context of a dry run
  const ctx = {
    ...createMockActionContext<{ options: JsonObject }>({
      workspacePath,
      input: { options },
    }),
    isDryRun,
  };
  await action.handler(ctx);
  return ctx;
}

describe('mayday:app', () => {
  it('writes what `nx g mayday:app` writes, byte for byte', async () => {
    const cli = copyMaydayRepo({ withNodeModules: true });
    folders.push(cli);
    const generated = nxGenerate(cli, [
      'shop',
      '--team=payments',
      '--port=8080',
      '--image=ghcr.io/acme/shop:1.4.2',
    ]);
    expect(generated).toMatchObject({ code: 0 });
    const portal = repo();
    const ctx = await runAction(portal, shop);
    const fromCli = filesUnder(join(cli, 'apps/shop'));
    expect(fromCli.size).toBe(5);
    expect(filesUnder(join(portal, 'apps/shop'))).toEqual(fromCli);
    expect(ctx.output).toHaveBeenCalledWith(
      'entityRef',
      'component:default/shop',
    );
    const files = (ctx.output as jest.Mock).mock.calls.find(
      ([name]) => name === 'files',
    )?.[1];
    expect([...files].sort()).toEqual(
      [...fromCli.keys()].map(f => `apps/shop/${f}`).sort(),
    );
  });

  it('writes nothing in a dry run and lists what it would write', async () => {
    const root = repo();
    const ctx = await runAction(root, shop, true);
    expect(filesUnder(root).has('apps/shop/values.yaml')).toBe(false);
    expect(ctx.output).toHaveBeenCalledWith(
      'files',
      expect.arrayContaining(['apps/shop/values.yaml']),
    );
  });

  it.each<[string, JsonObject, string]>([
    [
      'a name that is not a DNS label',
      { name: 'Shop_1' },
      'app name "Shop_1" is not a DNS-1123 label',
    ],
    [
      'a name too long for its namespaces',
      { name: `s${'x'.repeat(53)}` },
      'at most 53 fit',
    ],
    [
      'a port of 0',
      { port: 0 },
      '--port 0 must be a whole number from 1 to 65535',
    ],
    [
      'an image tagged latest',
      { image: 'ghcr.io/acme/shop:latest' },
      'uses the tag "latest"',
    ],
    [
      'a team missing from platform/teams.yaml',
      { team: 'paymnts' },
      'did you mean "payments"?',
    ],
    [
      'an option the schema does not have',
      { colour: 'red' },
      "'colour' is not found in schema",
    ],
    [
      'a missing image',
      { image: null },
      "Required property 'image' is missing",
    ],
    [
      'an app that already exists',
      { name: 'hello' },
      'app "hello" already exists at apps/hello/',
    ],
  ])(
    'refuses %s with the generator’s message and writes nothing',
    async (_, override, message) => {
      const root = repo();
      const before = filesUnder(root);
      const options = Object.fromEntries(
        Object.entries({ ...shop, ...override }).filter(
          ([, value]) => value !== null,
        ),
      ) as JsonObject;
      await expect(runAction(root, options)).rejects.toThrow(message);
      expect(filesUnder(root)).toEqual(before);
    },
  );

  it('gives the CLI’s message for the same refusal', async () => {
    const cli = copyMaydayRepo({ withNodeModules: true });
    folders.push(cli);
    const refused = nxGenerate(cli, [
      'shop',
      '--team=paymnts',
      '--image=ghcr.io/acme/shop:1.4.2',
    ]);
    expect(refused.code).not.toBe(0);
    const message =
      'team "paymnts" is not in platform/teams.yaml: did you mean "payments"?';
    expect(refused.output).toContain(message);
    await expect(
      runAction(repo(), { ...shop, team: 'paymnts' }),
    ).rejects.toThrow(message);
  });
});
