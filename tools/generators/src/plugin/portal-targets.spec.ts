import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTempWorkspace, mustSucceed, type TempWorkspace } from '@mayday/testing';

// what `nx show project portal` shows a user: the portal's targets, inferred from platform/backstage
describe('the portal project', () => {
  let ws: TempWorkspace;
  beforeAll(async () => {
    ws = await createTempWorkspace({ git: false });
  }, 60_000);
  afterAll(() => ws?.cleanup());

  it('has serve (continuous, ready when the backend answers on 127.0.0.1), build (cached) and test', async () => {
    const project = JSON.parse((await mustSucceed(ws.nx(['show', 'project', 'portal', '--json']))).stdout);
    expect(project.root).toBe('platform/backstage');
    expect(Object.keys(project.targets).sort()).toEqual(['build', 'serve', 'test']);
    expect(project.targets.serve).toMatchObject({
      continuous: true,
      dependsOn: ['build'],
      options: { command: 'bash tools/toolchain/serve-portal.sh' },
      readyWhen: { url: 'http://127.0.0.1:7007/.backstage/health/v1/readiness' },
    });
    expect(project.targets.build).toMatchObject({
      cache: true,
      outputs: ['{projectRoot}/packages/app/dist'],
      options: { command: 'bash tools/toolchain/build-portal-app.sh' },
    });
    expect(project.targets.build.inputs).toContain('{projectRoot}/packages/app/src/**/*');
    expect(project.targets.test.options.command).toBe('bash tools/toolchain/test-portal.sh');
  }, 60_000);
});
