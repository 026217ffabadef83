import { describe, expect, it } from '@jest/globals';
import { colourWanted, type ColourContext } from './colour.ts';

const inNxTask = { NX_FORKED_TASK_EXECUTOR: 'true', FORCE_COLOR: 'true' }; // what Nx gives a task by default
const context = (env: NodeJS.ProcessEnv, stdout = false, parent = false): ColourContext => ({
  env,
  stdoutIsTerminal: stdout,
  parentIsTerminal: () => parent,
});

describe('colourWanted', () => {
  it.each<[string, ColourContext, boolean]>([
    ['a terminal', context({}, true), true],
    ['a pipe', context({}, false), false],
    ['an Nx task whose nx writes to a terminal', context(inNxTask, false, true), true],
    ['an Nx task whose nx writes to a pipe', context(inNxTask, false, false), false],
    ['an Nx task in CI, whose log shows colours', context({ ...inNxTask, CI: 'true' }, false, false), true],
    ['CI=false in a pipe', context({ CI: 'false' }, false), false],
    ['NO_COLOR in a terminal', context({ NO_COLOR: '1' }, true), false],
    ['NO_COLOR in CI with FORCE_COLOR', context({ NO_COLOR: '1', CI: 'true', FORCE_COLOR: '1' }, true), false],
    ['an empty NO_COLOR (no-color.org: ignored)', context({ NO_COLOR: '' }, true), true],
    ['FORCE_COLOR=1 in a pipe', context({ FORCE_COLOR: '1' }, false), true],
    ['FORCE_COLOR=1 passed on by nx to a task in a pipe', context({ ...inNxTask, FORCE_COLOR: '1' }, false), true],
    ['FORCE_COLOR=0 in a terminal', context({ FORCE_COLOR: '0' }, true), false],
    ['FORCE_COLOR=false in CI', context({ FORCE_COLOR: 'false', CI: 'true' }, true), false],
  ])('%s', (_, ctx, wanted) => {
    expect(colourWanted(ctx)).toBe(wanted);
  });
});
