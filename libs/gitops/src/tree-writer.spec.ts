import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { STAGING_DIR, writeAppTrees, type EnvTree } from './tree-writer.ts';

let root: string;
const tree = (env: string, files: Record<string, string>): EnvTree => ({
  env,
  files: Object.entries(files).map(([fileName, content]) => ({ fileName, content })),
});
const listing = (env: string) => readdirSync(join(root, 'gitops', env, 'shop')).sort();
const read = (env: string, file: string) => readFileSync(join(root, 'gitops', env, 'shop', file), 'utf8');

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'mayday-tree-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('writeAppTrees', () => {
  it('creates every env folder and reports what changed', () => {
    const changes = writeAppTrees(root, 'shop', [
      tree('stg', { 'a.yaml': 'a\n' }),
      tree('prd', { 'a.yaml': 'A\n', 'b.yaml': 'b\n' }),
    ]);
    expect(changes.map((c) => [c.env, c.status, c.added])).toEqual([
      ['stg', 'created', ['a.yaml']],
      ['prd', 'created', ['a.yaml', 'b.yaml']],
    ]);
    expect(listing('prd')).toEqual(['a.yaml', 'b.yaml']);
    expect(existsSync(join(root, STAGING_DIR))).toBe(false);
  });

  it('removes files of resources that are no longer rendered', () => {
    writeAppTrees(root, 'shop', [tree('prd', { 'a.yaml': 'a\n', 'pdb.yaml': 'p\n' })]);
    const [change] = writeAppTrees(root, 'shop', [tree('prd', { 'a.yaml': 'a2\n' })]);
    expect(change).toMatchObject({ status: 'updated', changed: ['a.yaml'], removed: ['pdb.yaml'], added: [] });
    expect(listing('prd')).toEqual(['a.yaml']);
    expect(read('prd', 'a.yaml')).toBe('a2\n');
  });

  it('reports an identical tree as unchanged', () => {
    writeAppTrees(root, 'shop', [tree('stg', { 'a.yaml': 'a\n' })]);
    expect(writeAppTrees(root, 'shop', [tree('stg', { 'a.yaml': 'a\n' })])[0].status).toBe('unchanged');
  });

  it('leaves every env as it was when one env cannot be swapped in', () => {
    writeAppTrees(root, 'shop', [tree('stg', { 'a.yaml': 'old stg\n' })]);
    // prd cannot be created: a file stands where its folder must go
    writeFileSync(join(root, 'gitops', 'prd'), 'not a folder');
    expect(() =>
      writeAppTrees(root, 'shop', [tree('stg', { 'a.yaml': 'new stg\n' }), tree('prd', { 'a.yaml': 'new prd\n' })]),
    ).toThrow();
    expect(read('stg', 'a.yaml')).toBe('old stg\n');
    expect(listing('stg')).toEqual(['a.yaml']);
    expect(readFileSync(join(root, 'gitops', 'prd'), 'utf8')).toBe('not a folder');
    expect(existsSync(join(root, STAGING_DIR))).toBe(false);
  });

  it('keeps other apps of the same env untouched', () => {
    mkdirSync(join(root, 'gitops', 'stg', 'other'), { recursive: true });
    writeFileSync(join(root, 'gitops', 'stg', 'other', 'x.yaml'), 'x\n');
    writeAppTrees(root, 'shop', [tree('stg', { 'a.yaml': 'a\n' })]);
    expect(readFileSync(join(root, 'gitops', 'stg', 'other', 'x.yaml'), 'utf8')).toBe('x\n');
  });
});
