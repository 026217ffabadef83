import { readFileSync } from 'node:fs';
import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { MaydayError } from './diagnostics.ts';

/** A parsed YAML file that can still tell on which line a field stands. */
export interface YamlFile {
  /** Path relative to the workspace root, as shown to users. */
  file: string;
  data: unknown;
  /** 1-based line of the node at `path` (or of its nearest present parent); undefined when unknown. */
  lineOf(path: readonly (string | number)[]): number | undefined;
  /** True when `path` is written in this file (not merely inherited). */
  has(path: readonly (string | number)[]): boolean;
}

/** Parses YAML text; a syntax error becomes a MaydayError naming the file, line and column. */
export function parseYamlFile(file: string, text: string): YamlFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new MaydayError(
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return {
          severity: 'error' as const,
          file,
          line: pos.line,
          column: pos.col,
          rule: 'yaml-syntax',
          message: e.message.split('\n')[0],
          hint: 'fix the YAML syntax (indentation, quotes, a missing colon) and run the command again',
        };
      }),
    );
  }
  const data = doc.toJS({ maxAliasCount: 100 }) ?? {};
  return {
    file,
    data,
    lineOf: (path) => lineOfPath(doc, lineCounter, path),
    has: (path) => doc.hasIn(path as unknown[]),
  };
}

export function readYamlFile(absolutePath: string, displayPath: string): YamlFile {
  let text: string;
  try {
    text = readFileSync(absolutePath, 'utf8');
  } catch {
    throw new MaydayError({
      severity: 'error',
      file: displayPath,
      message: 'file not found',
      hint: `create ${displayPath}`,
    });
  }
  return parseYamlFile(displayPath, text);
}

function lineOfPath(doc: Document, counter: LineCounter, path: readonly (string | number)[]): number | undefined {
  let node: unknown = doc.contents;
  let line = rangeLine(node, counter);
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === key);
      if (!pair) break;
      line = rangeLine(pair.key, counter) ?? line;
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key];
      line = rangeLine(node, counter) ?? line;
    } else break;
  }
  return line;
}

function rangeLine(node: unknown, counter: LineCounter): number | undefined {
  const range = (node as Node | undefined)?.range;
  return range ? counter.linePos(range[0]).line : undefined;
}
