import { createHash } from 'node:crypto';
import type { ExecResult } from './types.js';

/** Key of a program run: a hash of the code and the time limit it ran under. */
export function programKey(code: string, timeoutMs: number): string {
  return createHash('sha256').update(code, 'utf8').digest('base64url') + ':' + timeoutMs;
}

function sizeOf(r: ExecResult): number {
  return 64 + r.stdout.length * 2 + (r.error?.length ?? 0) * 2 + (r.traceback?.length ?? 0) * 2;
}

/** LRU cache of results, bounded by entries and (approximate) bytes. */
export class ResultCache {
  private map = new Map<string, ExecResult>();
  private bytes = 0;

  constructor(
    readonly maxEntries: number,
    readonly maxBytes: number,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get(key: string): ExecResult | undefined {
    const r = this.map.get(key);
    if (r === undefined) return undefined;
    this.map.delete(key);
    this.map.set(key, r);
    return r;
  }

  set(key: string, r: ExecResult): void {
    if (this.maxEntries <= 0) return;
    const size = sizeOf(r);
    if (size > this.maxBytes) return;
    const old = this.map.get(key);
    if (old) {
      this.bytes -= sizeOf(old);
      this.map.delete(key);
    }
    this.map.set(key, r);
    this.bytes += size;
    while (this.map.size > this.maxEntries || this.bytes > this.maxBytes) {
      const first = this.map.keys().next();
      if (first.done) break;
      const v = this.map.get(first.value)!;
      this.bytes -= sizeOf(v);
      this.map.delete(first.value);
    }
  }

  clear(): void {
    this.map.clear();
    this.bytes = 0;
  }
}
