/**
 * The per-problem results file (`--out FILE`, JSONL, one ProblemResult per line) and its sidecar
 * `FILE.meta.json` (what produced it: dataset fingerprint, mode, seed, search config). `--resume`
 * checks the sidecar against the current run, drops a torn last line left by a crash (truncating the
 * file to its last complete record, so nothing is ever duplicated), and appends.
 */
import { closeSync, existsSync, fsyncSync, openSync, truncateSync, writeSync } from 'node:fs';
import { atomicWriteJson } from '../util/files.js';
import { readJsonFile, readJsonl } from '../util/jsonl.js';
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
  return readJsonFile(p, evalMetaSchema);
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

/** What resuming needs of a record (the rest is the run's own business). */
const resumeRecord = z.looseObject({ id: z.string() });
/** What a report or view needs of a record: the verdict, its cost and (sampling modes) its curves. */
const reportRecord = z.object({
  id: z.string(),
  level: z.number().nullable().optional(),
  verdict: z.enum(['correct', 'wrong', 'invalid']),
  correct: z.boolean(),
  tokens: z.number(),
  ms: z.number(),
  curves: z
    .object({ k: z.array(z.number()), maj: z.array(z.boolean()), pass: z.array(z.number()), tokens: z.array(z.number()), rm: z.array(z.boolean()).optional() })
    .optional(),
});

export interface LoadedResults {
  results: ProblemResult[];
  /** Bytes of a torn last line that were dropped (0 when the file ended cleanly). */
  droppedBytes: number;
  /** Records whose id was already seen (kept: the first). */
  duplicates: number;
}

/**
 * The one reader of a results file. A repeated id keeps its first record. A last line without its
 * newline, or one that is not valid JSON, is a torn write: `resume` truncates the file to the end of
 * the last complete record; `report` leaves the file alone (an eval may still be writing it) and
 * skips that line, and also checks the fields a report reads. A bad line anywhere else throws with
 * its line number.
 */
export function readResultsFile(out: string, purpose: 'resume' | 'report'): LoadedResults {
  if (purpose === 'resume' && !existsSync(out)) return { results: [], droppedBytes: 0, duplicates: 0 };
  const file =
    purpose === 'resume'
      ? readJsonl(out, resumeRecord, { tornTail: 'drop', label: 'result record', describe: () => 'not a result record (no "id")' })
      : readJsonl(out, reportRecord, { tornTail: 'skip', label: 'result record' });
  const results: ProblemResult[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  for (const { value, raw } of file.records) {
    if (seen.has(value.id)) {
      duplicates++;
      continue;
    }
    seen.add(value.id);
    results.push(raw as ProblemResult);
  }
  if (purpose === 'resume' && file.droppedBytes > 0) truncateSync(out, file.keptBytes);
  return { results, droppedBytes: file.droppedBytes, duplicates };
}

/** Reads a results file for resuming (see readResultsFile). */
export const loadResultsForResume = (out: string): LoadedResults => readResultsFile(out, 'resume');

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
