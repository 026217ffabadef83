// Colours as a reader of nx expects them: in a terminal and in CI logs, never in a pipe or a file, and as
// NO_COLOR / FORCE_COLOR say. Runs the real nx; `script` (util-linux) gives it a real terminal.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTempWorkspace, type TempWorkspace } from '@mayday/testing';

const ESC = '\u001b[';
let ws: TempWorkspace;
let nx: string;

beforeAll(async () => {
  ws = await createTempWorkspace({ withApps: true });
  nx = join(ws.root, 'node_modules/.bin/nx');
}, 120_000);
afterAll(() => ws?.cleanup());

/** `nx run hello:render` with these variables set and CI, FORCE_COLOR and NO_COLOR otherwise unset. */
const render = (set: string[] = [], terminal = false) => {
  const command = [nx, 'run', 'hello:render', '--skip-nx-cache'];
  const env = ['-u', 'CI', '-u', 'FORCE_COLOR', '-u', 'NO_COLOR', ...set];
  // script runs its command through a shell: the workspace path is the only part not written here
  const program = terminal ? ['script', '-qec', command.map((a) => `'${a}'`).join(' '), '/dev/null'] : command;
  return ws.run('env', [...env, ...program]);
};
const statusLine = (all: string | undefined) => (all ?? '').split('\n').find((l) => l.includes('gitops/stg/hello'));

describe('colours', () => {
  it('a pipe gets plain text, though nx sets FORCE_COLOR=true in every task', async () => {
    const r = await render();
    expect(r.exitCode).toBe(0);
    expect(statusLine(r.all)).toMatch(/✔ stg {2}gitops\/stg\/hello/);
    expect(r.all).not.toContain(ESC);
  });

  it('a terminal gets colours', async () => {
    const r = await render([], true);
    expect(r.exitCode).toBe(0);
    expect(statusLine(r.all)).toContain(`${ESC}32m✔`);
  });

  it.each([
    ['FORCE_COLOR=1 colours a pipe', ['FORCE_COLOR=1'], false, true],
    ['CI=true colours a pipe (CI logs show colours)', ['CI=true'], false, true],
    ['NO_COLOR=1 wins in a terminal', ['NO_COLOR=1'], true, false],
    ['FORCE_COLOR=0 wins in a terminal', ['FORCE_COLOR=0'], true, false],
  ])('%s', async (_, set, terminal, coloured) => {
    const r = await render(set, terminal);
    expect(r.exitCode).toBe(0);
    expect(statusLine(r.all)?.includes(ESC)).toBe(coloured);
  });
});
