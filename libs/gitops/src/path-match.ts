/**
 * Go's `path.Match`, which Argo CD's git directory generator applies to every directory path:
 * `*` and `?` never match `/`, `[...]` classes with ranges and `^` negation, `\` escapes.
 * A malformed pattern throws, as Go returns ErrBadPattern (even when an earlier part already failed).
 */
export class BadPatternError extends Error {
  constructor(pattern: string) {
    super(`syntax error in pattern ${JSON.stringify(pattern)}`);
    this.name = 'BadPatternError';
  }
}

export function pathMatch(pattern: string, name: string): boolean {
  const bad = () => new BadPatternError(pattern);
  let pat = Array.from(pattern);
  let rest = Array.from(name);

  patternLoop: while (pat.length > 0) {
    const { star, chunk, remaining } = scanChunk(pat);
    pat = remaining;
    if (star && chunk.length === 0) {
      // a trailing star matches the rest of the name unless it crosses a '/'
      return !rest.includes('/');
    }
    const here = matchChunk(chunk, rest, bad);
    if (here !== undefined && (here.length === 0 || pat.length > 0)) {
      rest = here;
      continue;
    }
    if (star) {
      for (let i = 0; i < rest.length && rest[i] !== '/'; i++) {
        const skipped = matchChunk(chunk, rest.slice(i + 1), bad);
        if (skipped !== undefined) {
          if (pat.length === 0 && skipped.length > 0) continue;
          rest = skipped;
          continue patternLoop;
        }
      }
    }
    // no match: Go still rejects a malformed remainder of the pattern
    while (pat.length > 0) {
      const next = scanChunk(pat);
      pat = next.remaining;
      matchChunk(next.chunk, [], bad);
    }
    return false;
  }
  return rest.length === 0;
}

/** Splits off leading stars and the literal/class/`?` run up to the next unescaped `*` outside a class. */
function scanChunk(pattern: string[]): { star: boolean; chunk: string[]; remaining: string[] } {
  let star = false;
  let start = 0;
  while (start < pattern.length && pattern[start] === '*') {
    start++;
    star = true;
  }
  let inRange = false;
  let i = start;
  scan: for (; i < pattern.length; i++) {
    switch (pattern[i]) {
      case '\\':
        if (i + 1 < pattern.length) i++;
        break;
      case '[':
        inRange = true;
        break;
      case ']':
        inRange = false;
        break;
      case '*':
        if (!inRange) break scan;
        break;
    }
  }
  return { star, chunk: pattern.slice(start, i), remaining: pattern.slice(i) };
}

/** Matches `chunk` at the start of `s`; returns what is left of `s`, or undefined when it does not match. */
function matchChunk(chunk: string[], s: string[], bad: () => Error): string[] | undefined {
  let failed = false;
  let c = 0;
  let p = 0;
  while (c < chunk.length) {
    if (!failed && p >= s.length) failed = true;
    const token = chunk[c];
    if (token === '[') {
      const r = failed ? undefined : s[p++];
      c++;
      let negated = false;
      if (chunk[c] === '^') {
        negated = true;
        c++;
      }
      let matched = false;
      let ranges = 0;
      for (;;) {
        if (c < chunk.length && chunk[c] === ']' && ranges > 0) {
          c++;
          break;
        }
        const lo = classChar(chunk, c, bad);
        c = lo.next;
        let hi = lo;
        if (chunk[c] === '-') {
          hi = classChar(chunk, c + 1, bad);
          c = hi.next;
        }
        if (r !== undefined && lo.char <= codePoint(r) && codePoint(r) <= hi.char) matched = true;
        ranges++;
      }
      if (matched === negated) failed = true;
    } else if (token === '?') {
      if (!failed) {
        if (s[p] === '/') failed = true;
        p++;
      }
      c++;
    } else {
      let literal = token;
      if (token === '\\') {
        c++;
        if (c >= chunk.length) throw bad();
        literal = chunk[c];
      }
      if (!failed) {
        if (s[p] !== literal) failed = true;
        p++;
      }
      c++;
    }
  }
  return failed ? undefined : s.slice(p);
}

/** One endpoint of a class range; `-` and `]` must be escaped there, and a range must be closed. */
function classChar(chunk: string[], at: number, bad: () => Error): { char: number; next: number } {
  let i = at;
  if (i >= chunk.length || chunk[i] === '-' || chunk[i] === ']') throw bad();
  if (chunk[i] === '\\') {
    i++;
    if (i >= chunk.length) throw bad();
  }
  const char = codePoint(chunk[i]);
  if (i + 1 >= chunk.length) throw bad();
  return { char, next: i + 1 };
}

const codePoint = (ch: string): number => ch.codePointAt(0) ?? 0;
