import { isMap, isScalar, parseDocument, type Document } from 'yaml';
import { MaydayError } from './diagnostics.ts';
import { isRecord } from './values.ts';

/** One change to a values file: set `path` to `value`, or remove it (`value: undefined`). */
export interface ValuesEdit {
  path: readonly string[];
  value: unknown;
}

/**
 * Applies edits to the text of a values file the way a person would: comments, blank lines, key
 * order and the quoting of the scalars it changes stay; a new key goes at the end of its map. An
 * empty flow map (`{}`) becomes a block map, so the file keeps the block style of the others.
 */
export function editValuesText(file: string, text: string, edits: readonly ValuesEdit[]): string {
  const doc: Document = parseDocument(text);
  if (doc.errors.length)
    throw new MaydayError({
      severity: 'error',
      file,
      rule: 'yaml-syntax',
      message: doc.errors[0].message.split('\n')[0],
      hint: 'fix the YAML syntax first',
    });
  if (doc.contents === null || (isMap(doc.contents) && doc.contents.items.length === 0)) {
    const block = doc.createNode({});
    // the comments of the `{}` line (often the file's header) stay with the map that replaces it
    block.commentBefore = doc.contents?.commentBefore;
    block.comment = doc.contents?.comment;
    doc.contents = block;
  }
  for (const { path, value } of edits) {
    if (value === undefined) {
      doc.deleteIn(path as string[]);
      continue;
    }
    const node = doc.getIn(path as string[], true);
    if (isScalar(node) && (value === null || typeof value !== 'object')) node.value = value;
    else {
      const created = doc.createNode(value);
      // new strings quoted, as the app generator writes them: a tag such as 1.10 stays a string
      if (isScalar(created) && typeof value === 'string') created.type = 'QUOTE_DOUBLE';
      doc.setIn(path as string[], created);
    }
  }
  return doc.toString({ lineWidth: 0 });
}

/** The value at a dotted path of merged values; undefined when any step is missing. */
export function valueAt(values: unknown, path: readonly string[]): unknown {
  let node = values;
  for (const key of path) {
    if (!isRecord(node)) return undefined;
    node = node[key];
  }
  return node;
}
