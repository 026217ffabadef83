import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from '@jest/globals';
import type { Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { ENVIRONMENTS_FILE } from '@mayday/model';
import { GITOPS_CONFIG_FILE } from '@mayday/gitops';
import argoCdSyncGenerator from './generator.ts';

const REPO = join(import.meta.dirname, '../../../../..');
const QA = `
  - name: qa
    cluster: { name: qa, server: https://qa.k8s.example }
    kubernetesVersion: 1.35.0
    policyProfile: baseline
    domain: qa.example
`;
let tree: Tree;

beforeEach(() => {
  tree = createTreeWithEmptyWorkspace({ formatter: 'none' });
  for (const file of [ENVIRONMENTS_FILE, GITOPS_CONFIG_FILE]) tree.write(file, readFileSync(join(REPO, file), 'utf8'));
});
const argocdFiles = () => tree.children('platform/argocd').sort();

describe('mayday:argocd sync generator', () => {
  it('writes the committed platform/argocd/ byte for byte, then reports in sync', async () => {
    const first = await argoCdSyncGenerator(tree);
    expect(first?.outOfSyncMessage).toMatch(/platform\/argocd\/ is out of date/);
    for (const name of argocdFiles())
      expect(tree.read(`platform/argocd/${name}`, 'utf8')).toBe(
        readFileSync(join(REPO, 'platform/argocd', name), 'utf8'),
      );
    expect(argocdFiles()).toEqual([
      'application-policies-prd.yaml',
      'application-policies-stg.yaml',
      'applicationset-mayday.yaml',
      'appproject-platform.yaml',
      'appproject-prd.yaml',
      'appproject-stg.yaml',
      'cluster-prd.yaml',
      'cluster-stg.yaml',
      'kustomization.yaml',
    ]);
    expect(await argoCdSyncGenerator(tree)).toBeUndefined();
  });

  it('a new env appears at once; a removed env takes its AppProject with it', async () => {
    await argoCdSyncGenerator(tree);
    const original = tree.read(ENVIRONMENTS_FILE, 'utf8')!;
    tree.write(ENVIRONMENTS_FILE, original + QA);
    const added = await argoCdSyncGenerator(tree);
    expect(added?.outOfSyncDetails).toEqual([
      'platform/argocd/application-policies-qa.yaml',
      'platform/argocd/applicationset-mayday.yaml',
      'platform/argocd/appproject-platform.yaml',
      'platform/argocd/appproject-qa.yaml',
      'platform/argocd/cluster-qa.yaml',
      'platform/argocd/kustomization.yaml',
    ]);
    expect(tree.read('platform/argocd/applicationset-mayday.yaml', 'utf8')).toContain('path: gitops/qa/*');
    tree.write(ENVIRONMENTS_FILE, original);
    const removed = await argoCdSyncGenerator(tree);
    expect(removed?.outOfSyncDetails).toContain('platform/argocd/appproject-qa.yaml (removed)');
    expect(tree.exists('platform/argocd/appproject-qa.yaml')).toBe(false);
  });

  it('a broken gitops.yaml fails naming the file and field, and writes nothing', async () => {
    tree.write(GITOPS_CONFIG_FILE, 'repository: https://git.example/x.git\nbranch: "bad branch"\n');
    await expect(argoCdSyncGenerator(tree)).rejects.toThrow(
      /platform\/gitops\.yaml:2:.*branch: branch must be a plain git branch name/,
    );
    expect(tree.exists('platform/argocd/kustomization.yaml')).toBe(false);
  });
});
