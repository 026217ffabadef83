import { chmodSync, cpSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Copies a file or folder into a build context with modes Docker keeps: Go's module cache is read-only, so
 * folders become 0755, scripts (a #! line) 0755 and other files 0644.
 */
export function copyTree(from: string, to: string): void {
  if (statSync(from).isDirectory()) {
    mkdirSync(to, { recursive: true });
    chmodSync(to, 0o755);
    for (const entry of readdirSync(from)) copyTree(join(from, entry), join(to, entry));
    return;
  }
  mkdirSync(dirname(to), { recursive: true });
  cpSync(from, to);
  const script = readFileSync(from).subarray(0, 2).toString() === '#!';
  chmodSync(to, script ? 0o755 : 0o644);
}
