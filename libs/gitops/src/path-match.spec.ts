import { describe, expect, it } from '@jest/globals';
import { BadPatternError, pathMatch } from './path-match.ts';

// Cases follow the behaviour documented for Go's path.Match (and its own test table).
describe('pathMatch (Go path.Match semantics)', () => {
  it.each([
    ['abc', 'abc', true],
    ['*', 'abc', true],
    ['*c', 'abc', true],
    ['a*', 'a', true],
    ['a*', 'abc', true],
    ['a*', 'ab/c', false],
    ['a*/b', 'abc/b', true],
    ['a*/b', 'a/c/b', false],
    ['a*b*c*d*e*/f', 'axbxcxdxe/f', true],
    ['a*b*c*d*e*/f', 'axbxcxdxexxx/f', true],
    ['a*b*c*d*e*/f', 'axbxcxdxe/xxx/f', false],
    ['a*b*c*d*e*/f', 'axbxcxdxexxx/fff', false],
    ['a*b?c*x', 'abxbbxdbxebxczzx', true],
    ['a*b?c*x', 'abxbbxdbxebxczzy', false],
    ['ab[c]', 'abc', true],
    ['ab[b-d]', 'abc', true],
    ['ab[e-g]', 'abc', false],
    ['ab[^c]', 'abc', false],
    ['ab[^b-d]', 'abc', false],
    ['ab[^e-g]', 'abc', true],
    ['a\\*b', 'a*b', true],
    ['a\\*b', 'ab', false],
    ['a?b', 'a☺b', true],
    ['a[^a]b', 'a☺b', true],
    ['a???b', 'a☺b', false],
    ['a[^a][^a][^a]b', 'a☺b', false],
    ['[a-ζ]*', 'α', true],
    ['*[a-ζ]', 'A', false],
    ['a?b', 'a/b', false],
    ['a*b', 'a/b', false],
    ['[\\]a]', ']', true],
    ['[\\-]', '-', true],
    ['[x\\-]', 'x', true],
    ['[x\\-]', '-', true],
    ['[x\\-]', 'z', false],
    ['[\\-x]', 'x', true],
    ['[\\-x]', '-', true],
    ['[\\-x]', 'a', false],
    ['*x', 'xxx', true],
  ])('%s matches %s: %s', (pattern, name, expected) => {
    expect(pathMatch(pattern, name)).toBe(expected);
  });

  it.each([
    ['[]a]', ']'],
    ['[-]', '-'],
    ['[x-]', 'x'],
    ['[x-]', 'z'],
    ['[-x]', 'x'],
    ['\\', 'a'],
    ['[a-b-c]', 'a'],
    ['[', 'a'],
    ['[^', 'a'],
    ['[^bc', 'a'],
    ['a[', 'a'],
    ['a[', 'ab'],
    // Go reports a malformed tail even when the head already failed to match
    ['a[', 'x'],
    ['a/b[', 'x'],
  ])('%s is a bad pattern (name %s)', (pattern, name) => {
    expect(() => pathMatch(pattern, name)).toThrow(BadPatternError);
  });

  it('a directory-generator pattern matches one level only, hidden folders included', () => {
    expect(pathMatch('gitops/stg/*', 'gitops/stg/hello')).toBe(true);
    expect(pathMatch('gitops/stg/*', 'gitops/stg/hello/deep')).toBe(false);
    expect(pathMatch('gitops/stg/*', 'gitops/stg')).toBe(false);
    expect(pathMatch('gitops/*/*', 'gitops/.staging/hello-1')).toBe(true);
    expect(pathMatch('gitops/stg/.*', 'gitops/stg/.cache')).toBe(true);
    expect(pathMatch('gitops/stg/.*', 'gitops/stg/hello')).toBe(false);
  });
});
