import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MaydayError } from '@mayday/model';
import { run, stream } from './exec.ts';
import { LAB_FILE } from './lab-config.ts';

/** The pinned Go tools: tools/toolchain/go/<module>, built into .tools/bin by build-go.sh. */
export const toolsBin = (root: string): string => join(root, '.tools/bin');
export const toolPath = (root: string, binary: string): string => join(toolsBin(root), binary);

const downloaded = new Map<string, Promise<string>>();

/**
 * The folder of `<module>@<version>` in Go's module cache, downloaded (and checked against the checksum
 * database) when missing. Upstream manifests and files are read from there, never copied into this repo.
 */
export function moduleDir(moduleAtVersion: string): Promise<string> {
  let dir = downloaded.get(moduleAtVersion);
  if (!dir) {
    dir = run('go', ['mod', 'download', '-json', moduleAtVersion], {
      cwd: tmpdir(),
      env: { GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'auto' },
    }).then((result) => {
      // GOTOOLCHAIN=auto: a module that names a newer Go (Argo CD) is downloaded with that Go, as its build does
      const info = parseJson(result.stdout) as { Dir?: string; Error?: string };
      if (info.Dir && existsSync(info.Dir)) return info.Dir;
      downloaded.delete(moduleAtVersion);
      throw new MaydayError({
        severity: 'error',
        file: LAB_FILE,
        rule: 'lab-sources',
        message: `the Go module ${moduleAtVersion} could not be downloaded: ${info.Error ?? result.stderr.trim().split('\n').pop()}`,
        hint: 'the lab reads upstream manifests from Go modules: check that Go is installed and the Go module proxy answers',
      });
    });
    downloaded.set(moduleAtVersion, dir);
  }
  return dir;
}

/** A file of a pinned module, checked against the sha256 lab.yaml records for it. */
export async function moduleFile(moduleAtVersion: string, path: string, sha256?: string): Promise<string> {
  const file = join(await moduleDir(moduleAtVersion), path);
  const text = readFileSync(file, 'utf8');
  if (sha256) {
    const actual = createHash('sha256').update(text).digest('hex');
    if (actual !== sha256)
      throw new MaydayError({
        severity: 'error',
        file: LAB_FILE,
        rule: 'lab-sources',
        message: `${moduleAtVersion}/${path} has sha256 ${actual}, lab.yaml pins ${sha256}`,
        hint: 'a pinned upstream file changed: check the module version, then update its sha256 in lab.yaml',
      });
  }
  return text;
}

const built = new Map<string, Promise<void>>();

/**
 * Builds a pinned Go module's binaries with tools/toolchain/build-go.sh (idempotent: a stamp skips what is built;
 * cold builds take the machine-wide build lock, so concurrent calls compile one at a time).
 */
export function buildGoModule(
  root: string,
  module: string,
  binaries: readonly string[],
  log: (line: string) => void,
): Promise<void> {
  const key = `${module}:${[...binaries].sort().join(',')}`;
  let done = built.get(key);
  if (!done) {
    done = stream('bash', [join(root, 'tools/toolchain/build-go.sh'), module, ...binaries], (line) => {
      if (!/ up to date /.test(line)) log(line);
    }).catch((error: Error) => {
      built.delete(key);
      throw error;
    });
    built.set(key, done);
  }
  return done;
}

/** What a built binary is made of (build-go.sh's stamp of go.mod, go.sum and the Go toolchain), for image cache keys. */
export function binaryStamp(root: string, binary: string): string {
  const stamp = join(root, '.tools/stamps', binary);
  return existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : 'unstamped';
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
}
