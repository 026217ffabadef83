import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { appDir, closest, MaydayError, readYamlFile, zodDiagnostics, type Diagnostic } from '@mayday/model';

export const waiverFile = (app: string): string => `${appDir(app)}/policy-waivers.yaml`;

export const waiverSchema = z.strictObject({
  /** The policy waived, by its ValidatingAdmissionPolicy name (`mayday-probes`). */
  policy: z.string().min(1, 'name the ValidatingAdmissionPolicy to waive, e.g. mayday-probes'),
  /** The one env the waiver holds in. */
  env: z.string().min(1, 'name the environment the waiver holds in, e.g. stg'),
  /** Why the app may break the policy; reviewed like code. */
  reason: z.string().trim().min(10, 'say in a sentence why this app may break the policy (at least 10 characters)'),
});

export const waiverFileSchema = z.strictObject({
  waivers: z.array(waiverSchema).default([]),
});

export type Waiver = z.infer<typeof waiverSchema> & { file: string; line?: number };

/** Reads apps/<app>/policy-waivers.yaml when present; unknown policies or envs are errors so a typo never waives nothing silently. */
export function loadWaivers(
  workspaceRoot: string,
  app: string,
  knownPolicies: readonly string[],
  knownEnvs: readonly string[],
): Waiver[] {
  const file = waiverFile(app);
  if (!existsSync(join(workspaceRoot, file))) return [];
  const source = readYamlFile(join(workspaceRoot, file), file);
  const parsed = waiverFileSchema.safeParse(source.data ?? {});
  const problems: Diagnostic[] = parsed.success
    ? []
    : zodDiagnostics(
        source,
        parsed.error.issues,
        'policy-waiver',
        'each waiver needs policy, env and reason; see platform/policies/README.md',
        waiverFileSchema,
      );
  // a short reason must not hide an unknown policy or env in the same file: check every waiver that has them
  const listed = (source.data as { waivers?: unknown } | null)?.waivers;
  const candidates = (Array.isArray(listed) ? listed : []).map(
    (w) => w as Partial<Record<'policy' | 'env' | 'reason', unknown>>,
  );
  const waivers = candidates.map((raw, i) => {
    const w = { policy: String(raw.policy ?? ''), env: String(raw.env ?? ''), reason: String(raw.reason ?? '').trim() };
    const line = source.lineOf(['waivers', i]);
    if (w.policy && !knownPolicies.includes(w.policy)) {
      const guess = closest(w.policy, knownPolicies);
      problems.push({
        severity: 'error',
        file,
        line: source.lineOf(['waivers', i, 'policy']),
        field: `waivers[${i}].policy`,
        rule: 'policy-waiver',
        message: `no policy is named "${w.policy}"`,
        hint: guess ? `did you mean "${guess}"?` : `policies: ${knownPolicies.join(', ')}`,
      });
    }
    if (w.env && !knownEnvs.includes(w.env)) {
      problems.push({
        severity: 'error',
        file,
        line: source.lineOf(['waivers', i, 'env']),
        field: `waivers[${i}].env`,
        rule: 'policy-waiver',
        message: `no environment is named "${w.env}"`,
        hint: `environments: ${knownEnvs.join(', ')}`,
      });
    }
    return { ...w, file, line };
  });
  if (problems.length) throw new MaydayError(problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)));
  return waivers;
}
