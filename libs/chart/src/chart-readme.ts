import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHART_DIR, CHART_SCHEMA_FILE } from '@mayday/model';
import { valuesTable, type SchemaNode } from './values-table.ts';

export const CHART_README_FILE = `${CHART_DIR}/README.md`;

/** The chart's README.md: a short guide and the values table, both generated, never edited by hand. */
export function chartReadme(schema: SchemaNode): string {
  return `<!-- Generated from values.schema.json by \`npm run docs -w @mayday/chart\`; do not edit. -->
# mayday base chart

${schema.description ?? ''}

Every app is rendered from this chart by \`nx run <app>:render\`; an app changes only values, in
\`apps/<app>/values.yaml\` (all envs) and \`apps/<app>/values-<env>.yaml\`. The \`platform.*\` values come from
\`platform/environments.yaml\`.

- **Rollouts**: \`strategy.type\` rolling (Deployment) or canary / blueGreen (Argo Rollouts Rollout, same pod
  template). Canary steps and blueGreen promotion follow a preset: the env's \`rollout.preset\` unless
  \`strategy.preset\` is set. fast: 50% for 30s. progressive: 10 → 25 → 50 → 100 with 5/5/10 min pauses
  (blueGreen: promote after 10 min). manual: stops until \`kubectl argo rollouts promote\`.
  \`strategy.analysis.enabled\` gates them on a Prometheus success-rate AnalysisTemplate.
- **Services**: \`<app>\` (stable / active), plus \`<app>-canary\` or \`<app>-preview\`; the HTTPRoute carries the
  canary weights through Argo Rollouts' Gateway API plugin. A Rollout with a ServiceMonitor also gets
  \`<app>-metrics\`, which Argo Rollouts does not pin to one revision, so every pod is scraped.
- **Observability**: Prometheus annotations and an optional ServiceMonitor, OpenTelemetry variables
  (\`OTEL_SERVICE_NAME\`, \`OTEL_RESOURCE_ATTRIBUTES\` with app, team and env), \`LOG_FORMAT\`/\`LOG_LEVEL\`.
- **Reliability**: startup/liveness/readiness probes, preStop sleep and grace period, topology spread over
  zones and nodes, HPA and PDB on whichever workload is emitted, optional PriorityClass.
- **Secrets**: \`secrets[]\` become ExternalSecrets (the env's store) or SealedSecrets, mounted as env or files.
  The chart never renders a plaintext Secret.

## Example: canary in prd, with a database secret

\`\`\`yaml
# apps/checkout/values-prd.yaml
strategy:
  type: canary          # a Rollout here; stg keeps its Deployment
  analysis:
    enabled: true       # abort when fewer than 99% of the new pods' requests succeed
secrets:
  - name: db            # an ExternalSecret "checkout-db" from the env's secret store, as env vars
    data:
      - { key: DATABASE_URL, remoteKey: payments/checkout/db, property: url }
\`\`\`

## Values

${valuesTable(schema)}`;
}

export function readChartSchema(workspaceRoot: string): SchemaNode {
  return JSON.parse(readFileSync(join(workspaceRoot, CHART_SCHEMA_FILE), 'utf8')) as SchemaNode;
}
