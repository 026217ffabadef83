import { isRecord } from '@mayday/model';

/**
 * Makes a Kubernetes-style JSON Schema strict, the way the API server prunes and rejects unknown fields:
 * an object that declares `properties` accepts only those, unless it says
 * `x-kubernetes-preserve-unknown-fields: true` or already has its own `additionalProperties` (a map).
 * The allowed keys always come from the schema itself, never from a list kept by hand.
 */
export function strictSchema<T>(schema: T): T {
  return tighten(schema) as T;
}

type SchemaNode = Record<string, unknown>;

const SCHEMA_MAPS = new Set(['properties', '$defs', 'definitions', 'patternProperties', 'dependentSchemas']);
const SCHEMA_LISTS = new Set(['allOf', 'anyOf', 'oneOf', 'prefixItems']);

function tighten(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(tighten);
  if (typeof value !== 'object' || value === null) return value;
  const node = value as SchemaNode;
  const out: SchemaNode = {};
  for (const [key, child] of Object.entries(node)) {
    if (SCHEMA_MAPS.has(key) && isRecord(child))
      out[key] = Object.fromEntries(Object.entries(child).map(([k, v]) => [k, tighten(v)]));
    else if (SCHEMA_LISTS.has(key) && Array.isArray(child)) out[key] = child.map(tighten);
    else if (['items', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains'].includes(key))
      out[key] = tighten(child);
    else out[key] = child;
  }
  if (node['x-kubernetes-int-or-string'] === true && !node.type && !node.anyOf && !node.oneOf) {
    // The API server accepts both; a JSON Schema validator needs it spelled out.
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  const closes =
    isRecord(node.properties) &&
    node.additionalProperties === undefined &&
    node['x-kubernetes-preserve-unknown-fields'] !== true;
  if (closes) out.additionalProperties = false;
  return out;
}
