import { lstatSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative } from 'node:path';
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
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (error) {
    throw new MaydayError({
      severity: 'error',
      file,
      rule: 'yaml-syntax',
      message: `cannot be read: ${(error as Error).message.split('\n')[0]}`,
      hint: 'write the values out instead of nesting YAML aliases (&anchor / *alias) this deep',
    });
  }
  return {
    file,
    data,
    lineOf: (path) => lineOfPath(doc, lineCounter, path),
    has: (path) => doc.hasIn(path as unknown[]),
  };
}

export function readYamlFile(absolutePath: string, displayPath: string): YamlFile {
  return parseYamlFile(displayPath, readUserFile(absolutePath, displayPath));
}

/** Values and config files are small: a larger one is a mistake (a log, a dump), not something to parse. */
export const MAX_USER_FILE_BYTES = 1024 * 1024;

/**
 * Reads a file a user wrote, refusing what is not one: a directory, a symlink that leaves the
 * workspace, more than MAX_USER_FILE_BYTES, bytes that are not UTF-8. Each refusal names the file.
 */
export function readUserFile(absolutePath: string, displayPath: string): string {
  const refuse = (message: string, hint: string, line?: number): never => {
    throw new MaydayError({ severity: 'error', file: displayPath, line, rule: 'file', message, hint });
  };
  let stat: ReturnType<typeof lstatSync>;
  try {
    stat = lstatSync(absolutePath);
  } catch {
    return refuse('file not found', `create ${displayPath}`);
  }
  if (stat.isSymbolicLink()) {
    const root = absolutePath.endsWith(displayPath)
      ? absolutePath.slice(0, -displayPath.length)
      : dirname(absolutePath);
    let target: string;
    try {
      target = realpathSync(absolutePath);
    } catch {
      return refuse('is a symlink to a file that does not exist', `replace it with the file itself`);
    }
    const inside = relative(realpathSync(root || '.'), target);
    if (inside.startsWith('..') || isAbsolute(inside))
      refuse(
        `is a symlink to ${target}, outside the workspace`,
        'keep the file itself in the repository: what is outside it is not versioned with the app',
      );
    stat = statSync(absolutePath);
  }
  if (stat.isDirectory())
    refuse('is a directory, not a file', `remove the folder and write ${displayPath} as a YAML file`);
  if (stat.size > MAX_USER_FILE_BYTES)
    refuse(
      `is ${(stat.size / 1024 / 1024).toFixed(1)} MiB; files mayday reads are at most 1 MiB`,
      'this is not a hand-written values or config file: check what was written into it',
    );
  const bytes = readFileSync(absolutePath);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const lenient = bytes.toString('utf8');
    const line = lenient.slice(0, Math.max(0, lenient.indexOf('\uFFFD'))).split('\n').length;
    return refuse(
      `is not UTF-8 text (line ${line} has bytes that are not)`,
      'save it as UTF-8 (YAML files are UTF-8 text)',
      line,
    );
  }
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
