/** A JSON Schema node as the chart's values.schema.json writes them. */
export interface SchemaNode {
  description?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  additionalProperties?: boolean | SchemaNode;
  $ref?: string;
  $defs?: Record<string, SchemaNode>;
  required?: string[];
  [keyword: string]: unknown;
}

/** One documented value: a dotted key (`strategy.canary.steps`, `secrets[].name`) and what the schema says of it. */
export interface ValueRow {
  key: string;
  type: string;
  default: string;
  description: string;
}

/**
 * Walks the schema depth first in its own key order and lists every value an app can set.
 * Objects with properties are described by their children; lists of objects by their items' fields.
 */
export function valueRows(schema: SchemaNode): ValueRow[] {
  const rows: ValueRow[] = [];
  const walk = (node: SchemaNode, key: string): void => {
    const resolved = resolveRef(schema, node);
    if (resolved.properties) {
      for (const [name, child] of Object.entries(resolved.properties)) walk(child, key ? `${key}.${name}` : name);
      return;
    }
    rows.push({
      key,
      type: typeOf(schema, resolved),
      default: defaultOf(resolved),
      description: resolved.description ?? '',
    });
    const items = resolved.items && resolveRef(schema, resolved.items);
    if (items?.properties) {
      for (const [name, child] of Object.entries(items.properties)) walk(child, `${key}[].${name}`);
    }
  };
  walk(schema, '');
  return rows;
}

/** The markdown table of every value, for the chart's README.md. */
export function valuesTable(schema: SchemaNode): string {
  const lines = ['| Key | Type | Default | Description |', '| --- | --- | --- | --- |'];
  for (const row of valueRows(schema)) {
    lines.push(
      `| \`${row.key}\` | ${cell(row.type)} | ${row.default ? `\`${cell(row.default)}\`` : ''} | ${cell(row.description)} |`,
    );
  }
  return lines.join('\n') + '\n';
}

function resolveRef(root: SchemaNode, node: SchemaNode): SchemaNode {
  if (!node.$ref) return node;
  const name = /^#\/\$defs\/(.+)$/.exec(node.$ref)?.[1];
  const target = name ? root.$defs?.[name] : undefined;
  if (!target) throw new Error(`values.schema.json: cannot resolve $ref ${node.$ref}`);
  // The referring node's own keywords (description, default) win over the definition's.
  const { $ref: _ref, ...own } = node;
  return { ...target, ...own };
}

function typeOf(root: SchemaNode, node: SchemaNode): string {
  if (node.enum) return node.enum.map((value) => JSON.stringify(value)).join(' | ');
  const types = Array.isArray(node.type) ? node.type : node.type ? [node.type] : [];
  if (types.includes('array') && node.items) {
    const items = resolveRef(root, node.items);
    return `list of ${items.properties ? 'objects' : typeOf(root, items) || 'values'}`;
  }
  if (types.includes('object') && typeof node.additionalProperties === 'object') return 'map';
  return types.join(' or ');
}

function defaultOf(node: SchemaNode): string {
  return node.default === undefined ? '' : JSON.stringify(node.default);
}

const cell = (text: string): string => text.replaceAll('|', '\\|').replaceAll('\n', ' ');
