import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { parse } from 'yaml';
import { z } from 'zod';
import { MaydayError } from '@mayday/model';

/** The pin file: every CRD a mayday cluster installs, by upstream module, version, path and sha256. */
export const CRD_PINS_FILE = 'platform/crds/crds.yaml';
/** Where setup puts the fetched, verified files (ignored by git). */
export const CRD_CACHE_DIR = '.tools/crds';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 is 64 lower-case hex digits');
const crdPinsSchema = z.strictObject({
  crds: z
    .array(
      z.strictObject({
        module: z.string().min(1),
        version: z.string().regex(/^v\d+\.\d+\.\d+/, 'a module version such as v1.7.0'),
        files: z.array(z.strictObject({ path: z.string().min(1), sha256 })).min(1),
      }),
    )
    .min(1),
});

export interface PinnedCrdFile {
  module: string;
  version: string;
  path: string;
  sha256: string;
  /** Where the verified copy lives in the workspace. */
  localPath: string;
}

export function loadCrdPins(root: string): PinnedCrdFile[] {
  const parsed = crdPinsSchema.safeParse(
    // every value is a string (a sha256 of digits only is not a number)
    parse(readFileSync(join(root, CRD_PINS_FILE), 'utf8'), { schema: 'failsafe' }),
  );
  if (!parsed.success) {
    throw new MaydayError(
      parsed.error.issues.map((issue) => ({
        severity: 'error' as const,
        file: CRD_PINS_FILE,
        field: issue.path.join('.'),
        rule: 'crd-pins',
        message: issue.message,
      })),
    );
  }
  return parsed.data.crds.flatMap(({ module, version, files }) =>
    files.map((file) => ({
      module,
      version,
      ...file,
      localPath: join(root, CRD_CACHE_DIR, `${module}@${version}`, file.path),
    })),
  );
}

const sumOf = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

/**
 * Fetches every pinned file from its module's zip (Go's module proxy, checked against Go's checksum database)
 * into .tools/crds and verifies its sha256. Idempotent: a file already there with the right sum is not fetched.
 */
export async function fetchPinnedCrds(
  root: string,
  options: { printSums?: boolean } = {},
): Promise<{ fetched: number; total: number }> {
  const pins = loadCrdPins(root);
  let fetched = 0;
  const zips = new Map<string, string>();
  for (const pin of pins) {
    if (!options.printSums && existsSync(pin.localPath) && sumOf(readFileSync(pin.localPath)) === pin.sha256) continue;
    const key = `${pin.module}@${pin.version}`;
    if (!zips.has(key)) zips.set(key, await moduleZip(pin.module, pin.version));
    const { stdout } = await execa('unzip', ['-p', zips.get(key)!, `${key}/${pin.path}`], {
      encoding: 'buffer',
      stripFinalNewline: false,
      reject: false,
    });
    const bytes = Buffer.from(stdout);
    if (bytes.length === 0) throw pinError(pin, `${pin.path} is not in ${key}`, 'check the path against the module');
    const actual = sumOf(bytes);
    if (options.printSums) {
      console.log(`${key} ${pin.path}\n  sha256: ${actual}`);
      continue;
    }
    if (actual !== pin.sha256)
      throw pinError(
        pin,
        `${key}/${pin.path} has sha256 ${actual}, not the pinned ${pin.sha256}`,
        'a pin changes only with its version: re-check the module and path',
      );
    mkdirSync(dirname(pin.localPath), { recursive: true });
    writeFileSync(`${pin.localPath}.partial`, bytes);
    renameSync(`${pin.localPath}.partial`, pin.localPath);
    fetched++;
  }
  return { fetched, total: pins.length };
}

/** The pinned files, each verified again (cheap), for an installer to apply in order. */
export function pinnedCrdTexts(root: string): { pin: PinnedCrdFile; text: string }[] {
  return loadCrdPins(root).map((pin) => {
    if (!existsSync(pin.localPath))
      throw pinError(
        pin,
        `${pin.module}@${pin.version}/${pin.path} has not been fetched`,
        'run `bash tools/toolchain/setup.sh`',
      );
    const text = readFileSync(pin.localPath, 'utf8');
    if (sumOf(text) !== pin.sha256)
      throw pinError(
        pin,
        `${pin.localPath} does not match its sha256`,
        'run `bash tools/toolchain/setup.sh` to fetch it again',
      );
    return { pin, text };
  });
}

async function moduleZip(module: string, version: string): Promise<string> {
  // -json reports the zip even when the module's go.mod wants a newer Go than the one here (it is only read)
  const result = await execa('go', ['mod', 'download', '-json', `${module}@${version}`], {
    reject: false,
    env: { GOFLAGS: '-mod=mod' },
  });
  const info = JSON.parse(result.stdout || '{}') as { Zip?: string; Error?: string };
  if (!info.Zip || !existsSync(info.Zip))
    throw new MaydayError({
      severity: 'error',
      file: CRD_PINS_FILE,
      rule: 'crd-pins',
      message: `cannot download ${module}@${version}: ${info.Error ?? result.stderr}`,
      hint: 'Go and the Go module proxy are needed once to fetch the CRDs',
    });
  return info.Zip;
}

function pinError(pin: PinnedCrdFile, message: string, hint: string): MaydayError {
  return new MaydayError({
    severity: 'error',
    file: CRD_PINS_FILE,
    field: `${pin.module}@${pin.version}`,
    rule: 'crd-pins',
    message,
    hint,
  });
}
