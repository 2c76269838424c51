import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

/** Writes `text` to `path` through a temporary file and a rename: a crash leaves the old file or the new one, never half of one. */
export function atomicWrite(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export function atomicWriteJson(path: string, value: unknown): void {
  atomicWrite(path, JSON.stringify(value, null, 2) + '\n');
}

/** Writes `rows` as JSONL (one JSON value a line; an empty file for none), atomically. */
export function atomicWriteJsonl(path: string, rows: unknown[]): void {
  atomicWrite(path, rows.map((x) => JSON.stringify(x)).join('\n') + (rows.length ? '\n' : ''));
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** The commit of the checkout this runs from, or null outside git. */
export function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return null;
  }
}
