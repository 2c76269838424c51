import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

/**
 * Crash-safe, append-only storage of one record per finished problem, in JSONL shards.
 *
 * The open shard is `shard-NNNNN.jsonl`: whole lines are appended and fsynced. When it holds
 * `perShard` records it is compressed to `shard-NNNNN.jsonl.gz` (written to a temporary name, fsynced,
 * renamed) and the plain file removed. On open, a torn last line left by a crash or a full disk is
 * cut off, and a plain shard whose `.gz` twin already exists (a crash between rename and unlink) is
 * removed. So after `kill -9` at any moment the store holds every record that was acknowledged, once.
 */
export class ShardStore<T extends { id: string }> {
  private fd: number | null = null;
  private shardIndex = 0;
  private inShard = 0;
  private readonly ids = new Set<string>();

  private constructor(
    readonly dir: string,
    private readonly perShard: number,
  ) {}

  static open<T extends { id: string }>(dir: string, perShard = 256): { store: ShardStore<T>; records: T[] } {
    mkdirSync(dir, { recursive: true });
    const store = new ShardStore<T>(dir, perShard);
    const records = store.recover();
    return { store, records };
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  get size(): number {
    return this.ids.size;
  }

  private shardName(i: number, gz: boolean): string {
    return join(this.dir, `shard-${String(i).padStart(5, '0')}.jsonl${gz ? '.gz' : ''}`);
  }

  private recover(): T[] {
    const all = readdirSync(this.dir);
    // A .gz.tmp is a seal that never finished: its plain shard is still there.
    for (const n of all) if (/^shard-\d{5}\.jsonl\.gz\.tmp$/.test(n)) unlinkSync(join(this.dir, n));
    const names = all.filter((n) => /^shard-\d{5}\.jsonl(\.gz)?$/.test(n));
    const indices = [...new Set(names.map((n) => Number(n.slice(6, 11))))].sort((a, b) => a - b);
    const records: T[] = [];
    let open = -1;
    for (const i of indices) {
      const gz = this.shardName(i, true);
      const plain = this.shardName(i, false);
      if (existsSync(gz)) {
        if (existsSync(plain)) unlinkSync(plain);
        const text = gunzipSync(readFileSync(gz)).toString('utf8');
        for (const line of text.split('\n')) if (line !== '') this.accept(JSON.parse(line) as T, records);
      } else {
        open = i;
        this.inShard = 0;
        const buf = readFileSync(plain);
        const lastNl = buf.lastIndexOf(0x0a);
        const keep = lastNl + 1;
        if (keep < buf.length) truncateSync(plain, keep);
        for (const line of buf.subarray(0, keep).toString('utf8').split('\n')) {
          if (line === '') continue;
          try {
            this.accept(JSON.parse(line) as T, records);
            this.inShard++;
          } catch {
            // A line that is not JSON can only be a torn write followed by a later append; drop it.
          }
        }
      }
    }
    this.shardIndex = open >= 0 ? open : indices.length ? indices[indices.length - 1] + 1 : 0;
    if (open < 0) this.inShard = 0;
    return records;
  }

  private accept(r: T, into: T[]): void {
    if (this.ids.has(r.id)) return;
    this.ids.add(r.id);
    into.push(r);
  }

  /** Appends one record durably. Records whose id is already stored are ignored. */
  append(record: T): void {
    if (this.ids.has(record.id)) return;
    if (this.fd === null) this.fd = openSync(this.shardName(this.shardIndex, false), 'a');
    const line = Buffer.from(JSON.stringify(record) + '\n');
    let off = 0;
    while (off < line.length) off += writeSync(this.fd, line, off);
    fsyncSync(this.fd);
    this.ids.add(record.id);
    this.inShard++;
    if (this.inShard >= this.perShard) this.seal();
  }

  /** Compresses the open shard and starts a new one. */
  seal(): void {
    const plain = this.shardName(this.shardIndex, false);
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
    }
    if (!existsSync(plain) || statSync(plain).size === 0) return;
    const gz = this.shardName(this.shardIndex, true);
    const tmp = gz + '.tmp';
    const fd = openSync(tmp, 'w');
    const data = gzipSync(readFileSync(plain));
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, gz);
    unlinkSync(plain);
    this.shardIndex++;
    this.inShard = 0;
  }

  close(): void {
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
    }
  }

  /**
   * Reads every record of a store directory (read-only). `check` validates each record (`where` is
   * its `shard-file:line`) and may throw; a line that is not JSON is a torn write and is skipped.
   */
  static readAll<T extends { id: string }>(dir: string, check: (record: unknown, where: string) => T = (r) => r as T): T[] {
    const out: T[] = [];
    const seen = new Set<string>();
    const names = readdirSync(dir)
      .filter((n) => /^shard-\d{5}\.jsonl(\.gz)?$/.test(n))
      .sort();
    for (const n of names) {
      if (!n.endsWith('.gz') && names.includes(n + '.gz')) continue;
      const raw = readFileSync(join(dir, n));
      const text = n.endsWith('.gz') ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
      const lines = text.split('\n');
      for (let i = 0; i < lines.length; i++) {
        if (lines[i] === '') continue;
        let raw: unknown;
        try {
          raw = JSON.parse(lines[i]);
        } catch {
          continue;
        }
        const r = check(raw, `${join(dir, n)}:${i + 1}`);
        if (!seen.has(r.id)) {
          seen.add(r.id);
          out.push(r);
        }
      }
    }
    return out;
  }
}
