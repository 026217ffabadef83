// The CRD pin file: parsed strictly, every pinned file fetched by setup matches its sha256, and a wrong pin is an
// error naming platform/crds/crds.yaml and the module.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { isMaydayError } from '@mayday/model';
import { CRD_PINS_FILE, fetchPinnedCrds, loadCrdPins, pinnedCrdTexts } from './crds.ts';
import { WORKSPACE_ROOT } from './control-plane.ts';

const scratch = mkdtempSync(join(tmpdir(), 'mayday-crds-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A workspace holding only a pin file (and, optionally, the fetched files of the real one). */
function workspaceWith(pins: string, withFetched = false): string {
  const root = mkdtempSync(join(scratch, 'ws-'));
  mkdirSync(join(root, 'platform/crds'), { recursive: true });
  writeFileSync(join(root, CRD_PINS_FILE), pins);
  if (withFetched) cpSync(join(WORKSPACE_ROOT, '.tools/crds'), join(root, '.tools/crds'), { recursive: true });
  return root;
}

const diagnosticsOf = (work: () => unknown) => {
  try {
    work();
  } catch (error) {
    if (isMaydayError(error)) return error.diagnostics;
    throw error;
  }
  return [];
};

describe('platform/crds/crds.yaml', () => {
  it('pins the CRDs of Argo CD and of every kind the base chart emits, each fetched file matching its sha256', () => {
    const texts = pinnedCrdTexts(WORKSPACE_ROOT);
    const kinds = texts.map(({ text }) => /^ {4}kind: (\w+)$/m.exec(text)?.[1]);
    for (const kind of [
      'Application',
      'ApplicationSet',
      'AppProject',
      'Rollout',
      'AnalysisTemplate',
      'HTTPRoute',
      'ServiceMonitor',
      'ExternalSecret',
      'SealedSecret',
    ])
      expect(kinds).toContain(kind);
  });

  it('a file whose bytes differ from its pin is refused, naming the file to fetch again', () => {
    const root = workspaceWith(readFileSync(join(WORKSPACE_ROOT, CRD_PINS_FILE), 'utf8'), true);
    const first = loadCrdPins(root)[0];
    writeFileSync(first.localPath, `${readFileSync(first.localPath, 'utf8')}# changed\n`);
    expect(diagnosticsOf(() => pinnedCrdTexts(root))).toEqual([
      expect.objectContaining({
        file: CRD_PINS_FILE,
        field: `${first.module}@${first.version}`,
        message: expect.stringMatching(/does not match its sha256/),
      }),
    ]);
  });

  it('a wrong sha256 stops the fetch and writes nothing', async () => {
    const root = workspaceWith(
      'crds:\n  - module: github.com/argoproj/argo-cd/v3\n    version: v3.6.1\n    files:\n      - path: manifests/crds/appproject-crd.yaml\n        sha256: ' +
        '0'.repeat(64) +
        '\n',
    );
    await expect(fetchPinnedCrds(root)).rejects.toThrow(
      /platform\/crds\/crds\.yaml: error crd-pins: .*appproject-crd\.yaml has sha256 [0-9a-f]{64}, not the pinned 0{64}/,
    );
    expect(() => readFileSync(loadCrdPins(root)[0].localPath)).toThrow(/ENOENT/);
  }, 60_000);

  it('a malformed pin is an error at its field', () => {
    const root = workspaceWith(
      'crds:\n  - module: x\n    version: latest\n    files: [{ path: a.yaml, sha256: abc }]\n',
    );
    expect(diagnosticsOf(() => loadCrdPins(root)).map((d) => [d.field, d.message])).toEqual([
      ['crds.0.version', 'a module version such as v1.7.0'],
      ['crds.0.files.0.sha256', 'a sha256 is 64 lower-case hex digits'],
    ]);
  });
});
