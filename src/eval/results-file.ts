/**
 * The per-problem results file (`--out FILE`, JSONL, one ProblemResult per line) and its sidecar
 * `FILE.meta.json` (what produced it: dataset fingerprint, mode, seed, search config). `--resume`
 * checks the sidecar against the current run, drops a torn last line left by a crash (truncating the
 * file to its last complete record, so nothing is ever duplicated), and appends.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';
import { atomicWriteJson } from '../util/files.js';
import { z } from 'zod';
import type { ProblemResult } from './types.js';

export const META_FORMAT = 'rstar-eval/1';

export const evalMetaSchema = z.object({
  format: z.literal(META_FORMAT),
  data: z.string(),
  dataset: z.string(),
  datasetHash: z.string(),
  mode: z.string(),
  seed: z.number(),
  /** Search settings that change results (compared on resume). */
  config: z.record(z.string(), z.unknown()),
  reward: z.string().nullable(),
  oracle: z.boolean(),
  created: z.string(),
  /** One entry per run that wrote to the file. */
  sessions: z.array(z.object({ started: z.string(), wallSeconds: z.number(), problems: z.number() })),
});

export type EvalMeta = z.infer<typeof evalMetaSchema>;

export function metaPath(out: string): string {
  return `${out}.meta.json`;
}

export function writeMeta(out: string, meta: EvalMeta): void {
  atomicWriteJson(metaPath(out), meta);
}

export function readMeta(out: string): EvalMeta {
  const p = metaPath(out);
  if (!existsSync(p)) throw new Error(`${p}: not found; --resume needs the sidecar written by the run that created ${out}`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(p, 'utf8'));
  } catch (e) {
    throw new Error(`${p}: invalid JSON: ${(e as Error).message}`);
  }
  const parsed = evalMetaSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new Error(`${p}: field "${i.path.join('.')}" ${i.message}`);
  }
  return parsed.data;
}

/** Throws naming the first field where the stored run differs from this one. */
export function checkSameRun(out: string, stored: EvalMeta, current: EvalMeta): void {
  const where = metaPath(out);
  const pairs: Array<[string, unknown, unknown]> = [
    ['datasetHash (the problems)', stored.datasetHash, current.datasetHash],
    ['mode', stored.mode, current.mode],
    ['seed', stored.seed, current.seed],
    ['reward', stored.reward, current.reward],
    ['oracle', stored.oracle, current.oracle],
  ];
  const keys = new Set([...Object.keys(stored.config), ...Object.keys(current.config)]);
  for (const k of [...keys].sort()) pairs.push([`config.${k}`, stored.config[k], current.config[k]]);
  for (const [name, a, b] of pairs) {
    if (JSON.stringify(a) !== JSON.stringify(b)) {
      throw new Error(`${where}: cannot resume: ${name} was ${JSON.stringify(a)} (data ${stored.data}), this run has ${JSON.stringify(b)}`);
    }
  }
}

export interface LoadedResults {
  results: ProblemResult[];
  /** Bytes of a torn last line that were dropped (0 when the file ended cleanly). */
  droppedBytes: number;
  /** Records whose id was already seen (kept: the first). */
  duplicates: number;
}

/**
 * Reads a results file for resuming. A last line without its newline, or one that is not valid JSON,
 * is a torn write: the file is truncated to the end of the last complete record. A bad line anywhere
 * else is corruption and throws with the line number.
 */
export function loadResultsForResume(out: string): LoadedResults {
  if (!existsSync(out)) return { results: [], droppedBytes: 0, duplicates: 0 };
  const buf = readFileSync(out);
  let end = buf.lastIndexOf(0x0a) + 1; // bytes up to and including the last newline
  let dropped = buf.length - end;
  const lines = buf.subarray(0, end).toString('utf8').split('\n');
  lines.pop(); // the empty string after the final newline
  const results: ProblemResult[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    let rec: ProblemResult;
    try {
      rec = JSON.parse(line) as ProblemResult;
      if (typeof rec !== 'object' || rec === null || typeof rec.id !== 'string') throw new Error('not a result record (no "id")');
    } catch (e) {
      if (i === lines.length - 1) {
        // A torn record that happens to end in a newline byte: drop it too.
        const bytes = Buffer.byteLength(line, 'utf8') + 1;
        end -= bytes;
        dropped += bytes;
        break;
      }
      throw new Error(`${out}:${i + 1}: invalid result record: ${(e as Error).message}`);
    }
    if (seen.has(rec.id)) {
      duplicates++;
      continue;
    }
    seen.add(rec.id);
    results.push(rec);
  }
  if (dropped > 0) truncateSync(out, end);
  return { results, droppedBytes: dropped, duplicates };
}

/** Appends one JSON line per record with a single write each (a crash tears at most the last line). */
export class ResultsWriter {
  private fd: number;
  constructor(path: string, append: boolean) {
    this.fd = openSync(path, append ? 'a' : 'w');
  }
  write(r: ProblemResult): void {
    writeSync(this.fd, JSON.stringify(r) + '\n');
  }
  close(): void {
    if (this.fd < 0) return;
    try {
      fsyncSync(this.fd);
    } catch {
      // not every file system supports fsync (pipes, some FUSE mounts)
    }
    closeSync(this.fd);
    this.fd = -1;
  }
}
