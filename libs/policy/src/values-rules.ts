import { z } from 'zod';
import {
  appEnvValuesFile,
  dotted,
  ENVIRONMENTS_FILE,
  mergeLayers,
  parseImage,
  pinsImage,
  type Diagnostic,
  type Environment,
  type ValuesLayer,
} from '@mayday/model';

/**
 * mayday's own rules on an app's merged values, checked before Helm runs. Where a rule mirrors a
 * platform policy it carries that policy's name, so a user sees the same rule whether the values or
 * the rendered manifests break it.
 */
const valuesRules = z
  .object({
    image: z
      .object({ repository: z.string(), tag: z.string().optional(), digest: z.string().optional() })
      .loose()
      .superRefine((image, ctx) => {
        if (image.digest) return;
        const parsed = parseImage(`${image.repository}:${image.tag ?? ''}`);
        if ('error' in parsed)
          ctx.addIssue({
            code: 'custom',
            path: image.tag ? ['tag'] : ['repository'],
            message: parsed.error,
            params: { rule: 'mayday-image-tag' },
          });
      }),
    extraManifests: z
      .array(
        z
          .object({ kind: z.unknown(), apiVersion: z.unknown() })
          .loose()
          .superRefine((manifest, ctx) => {
            if (manifest.kind === 'Secret' && manifest.apiVersion === 'v1') {
              ctx.addIssue({
                code: 'custom',
                path: ['kind'],
                message:
                  'a plaintext Secret would be committed to gitops/: reference the secret with secrets.external (ExternalSecret) or a SealedSecret',
                params: { rule: 'mayday-no-plaintext-secret' },
              });
            }
          }),
      )
      .optional(),
  })
  .loose();

/** Diagnostics at the values file and line that set each offending field. */
export function valuesRuleDiagnostics(layers: readonly ValuesLayer[]): Diagnostic[] {
  const merged = mergeLayers(layers);
  const parsed = valuesRules.safeParse(merged);
  const warnings = ignoredReplicas(layers, merged);
  if (parsed.success) return warnings;
  return [
    ...parsed.error.issues.map((issue) => {
      const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
      const layer =
        [...layers].reverse().find((l) => l.source.has(path)) ??
        [...layers].reverse().find((l) => l.source.has(path.slice(0, -1))) ??
        layers[layers.length - 1];
      const rule = (issue as { params?: { rule?: string } }).params?.rule ?? 'values';
      return {
        severity: 'error' as const,
        file: layer.source.file,
        line: layer.source.lineOf(path),
        field: dotted(path),
        rule,
        message: issue.message,
      };
    }),
    ...warnings,
  ];
}

/** `replicas` set beside an enabled autoscaler is not what runs: say so, at the file that set it. */
function ignoredReplicas(layers: readonly ValuesLayer[], merged: Record<string, unknown>): Diagnostic[] {
  const autoscaling = merged.autoscaling as
    { enabled?: boolean; minReplicas?: number; maxReplicas?: number } | undefined;
  if (!autoscaling?.enabled || merged.replicas === undefined || merged.replicas === autoscaling.minReplicas) return [];
  const layer = [...layers].reverse().find((l) => l.source.has(['replicas']));
  if (!layer || layer === layers[0]) return [];
  return [
    {
      severity: 'warning',
      file: layer.source.file,
      line: layer.source.lineOf(['replicas']),
      field: 'replicas',
      rule: 'values-autoscaling',
      message: `replicas: ${String(merged.replicas)} has no effect while autoscaling.enabled is true: the HorizontalPodAutoscaler keeps ${autoscaling.minReplicas ?? '?'} to ${autoscaling.maxReplicas ?? '?'} pods`,
      hint: `set autoscaling.minReplicas instead, or autoscaling.enabled: false to run exactly ${String(merged.replicas)}`,
    },
  ];
}

/** lint's warning for an app whose promoted env does not pin its image, at that env's values file. */
export function imagePinDiagnostics(app: string, env: Environment, layers: readonly ValuesLayer[]): Diagnostic[] {
  if (!env.promotion) return [];
  const file = appEnvValuesFile(app, env.name);
  const layer = layers.find((l) => l.source.file === file);
  if (layer && pinsImage(layer.data)) return [];
  return [
    {
      severity: 'warning',
      file,
      line: layer ? 1 : undefined,
      field: 'image.tag',
      rule: 'mayday-image-promoted',
      message: `${env.name} takes its image from ${env.promotion.from} by promotion (${ENVIRONMENTS_FILE}), but ${file} does not pin it: a new tag in values.yaml would reach ${env.name} unpromoted`,
      hint: `pin image.tag here: \`nx migrate --run-migrations\` with mayday's pin-promoted-images migration pins every app, and \`nx run ${app}:promote --to=${env.name}\` moves the pin`,
    },
  ];
}
