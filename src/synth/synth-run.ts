import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Problem } from '../data/problems.js';
import { solve } from '../search/solve.js';
import type { SearchConfig, SearchDeps } from '../search/types.js';
import { parseTree, type TreeJSON } from '../search/tree-file.js';
import type { Judge } from '../grade/types.js';
import { ShardStore } from './shard-store.js';
import { solveRate, tierOf, type Tier } from './tiers.js';
import { sha256File } from '../util/files.js';
import { assertSameRun, readRunManifest, writeRunManifest, type FailedProblem, type OnlyFilter, type RunStatus, type SynthRunConfig } from './run-manifest.js';
export { sha256File };

/** One finished problem of a synthesis run: its verdict, its tier and its whole search tree. */
export interface SynthRecord {
  id: string;
  level: number | null;
  question: string;
  gold: string | string[];
  answer: string | null;
  correct: boolean;
  solveRate: number;
  correctTerminals: number;
  terminals: number;
  tier: Tier;
  tokens: number;
  ms: number;
  tree: TreeJSON;
}

/** What a search of one problem produced, as a synthesis record: its answer judged against the
 * gold one, and its tier from the solve rate and the number of correct terminals. */
export function synthRecord(
  p: { id: string; level?: number | null; question: string; answer: string | string[] },
  res: { answer: string | null; tokens: number },
  judge: Judge,
  solved: { rate: number; correct: number; terminals: number },
  ms: number,
  tree: TreeJSON,
): SynthRecord {
  return {
    id: p.id,
    level: p.level ?? null,
    question: p.question,
    gold: p.answer,
    answer: res.answer,
    correct: res.answer !== null && judge.equal(res.answer, p.answer),
    solveRate: solved.rate,
    correctTerminals: solved.correct,
    terminals: solved.terminals,
    tier: tierOf(solved.rate, solved.correct),
    tokens: res.tokens,
    ms: Math.round(ms),
    tree,
  };
}

export interface SynthProgress {
  done: number;
  total: number;
  solved: number;
  tokens: number;
  perLevel: Record<string, { n: number; solved: number }>;
}

/**
 * Where a run's records come from: given the problems still to do, produce one record for each (in
 * any order) through `onRecord`, and resolve when all are produced or reported failed. The default
 * searches them here (`localSource`); `src/queue/` hands them to workers over Redis. Either way the
 * run directory is written by `runSynth` alone, through the same code.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a source that reports no failures may return nothing
export type SynthSource = (todo: Problem[], onRecord: (r: SynthRecord) => void) => Promise<{ failed?: FailedProblem[] } | void>;

/**
 * Searches one problem into its synthesis record (terminal-guided MCTS is given the gold answer; the
 * tree is kept). The one per-problem step of a local run and of a queue worker: the tree depends only
 * on (seed, question), so both grow the same trees.
 */
export async function synthProblem(p: Problem, deps: SearchDeps, search: SearchConfig): Promise<SynthRecord> {
  const res = await solve(p.question, deps, { ...search, keepTree: true, gold: p.answer });
  const tree = res.tree as TreeJSON;
  const sr = solveRate(tree);
  return synthRecord(p, res, deps.judge, { rate: sr.rate, correct: sr.correct, terminals: sr.terminals }, res.ms, tree);
}

/** The local source: up to `concurrency` trees in flight in this process (their model calls batch together). */
export function localSource(deps: SearchDeps, search: SearchConfig, concurrency: number): SynthSource {
  return async (todo, onRecord) => {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < todo.length) onRecord(await synthProblem(todo[next++], deps, search));
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, todo.length)) }, worker));
  };
}

/**
 * Terminal-guided (or PPM-augmented) MCTS over every problem, many trees in flight, each finished
 * tree appended durably to the run's shards. Rerunning the same command on the same directory skips
 * what is done; each problem's tree depends only on (seed, question), so an interrupted run ends with
 * the same trees as an uninterrupted one.
 */
export async function runSynth(
  problems: Problem[],
  deps: SearchDeps,
  search: SearchConfig,
  run: SynthRunConfig,
  opts: { out: string; concurrency: number; onProgress?: (p: SynthProgress) => void; onStart?: (p: SynthProgress) => void; source?: SynthSource },
): Promise<{ records: SynthRecord[]; progress: SynthProgress; failed: FailedProblem[] }> {
  if (run.from?.some((d) => resolve(d) === resolve(opts.out))) throw new Error(`${opts.out}: a run cannot be its own --from run (use a new --out)`);
  mkdirSync(opts.out, { recursive: true });
  assertSameRun(opts.out, run);
  const writeManifest = (status: RunStatus, progress: SynthProgress, failed: FailedProblem[] = []) =>
    writeRunManifest(opts.out, {
      status,
      config: run,
      search,
      counts: { problems: progress.total, done: progress.done, solved: progress.solved, tokens: progress.tokens, perLevel: progress.perLevel },
      // Only a distributed run can end with problems no worker finished (a local run throws instead).
      ...(failed.length ? { failed } : {}),
    });

  const { store, records } = ShardStore.open<SynthRecord>(join(opts.out, 'trees'));
  const known = new Set(problems.map((p) => p.id));
  const kept = records.filter((r) => known.has(r.id));
  const progress: SynthProgress = { done: 0, total: problems.length, solved: 0, tokens: 0, perLevel: {} };
  const count = (r: SynthRecord) => {
    progress.done++;
    progress.solved += r.correctTerminals > 0 ? 1 : 0;
    progress.tokens += r.tokens;
    const lv = String(r.level ?? 'all');
    const l = (progress.perLevel[lv] ??= { n: 0, solved: 0 });
    l.n++;
    l.solved += r.correctTerminals > 0 ? 1 : 0;
  };
  kept.forEach(count);
  opts.onStart?.({ ...progress });
  writeManifest('running', progress);
  const todo = problems.filter((p) => !store.has(p.id));
  const wanted = new Set(todo.map((p) => p.id));
  let failed: FailedProblem[] = [];
  try {
    const source = opts.source ?? localSource(deps, search, opts.concurrency);
    const out = await source(todo, (rec) => {
      // A record is written once: a redelivered result, or one for another problem, is ignored.
      if (!wanted.has(rec.id) || store.has(rec.id)) return;
      store.append(rec);
      kept.push(rec);
      count(rec);
      opts.onProgress?.(progress);
    });
    failed = out?.failed || [];
    store.seal();
    writeManifest(failed.length ? 'incomplete' : 'complete', progress, failed);
  } finally {
    store.close();
  }
  const order = new Map(problems.map((p, i) => [p.id, i]));
  kept.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  return { records: kept, progress, failed };
}

/** The records of a run directory, each tree validated (`parseTree`: errors name the shard, the line and the field). */
export function readRun(dir: string): SynthRecord[] {
  const trees = join(dir, 'trees');
  if (!existsSync(trees)) throw new Error(`${dir}: not a synthesis run directory (no trees/)`);
  return ShardStore.readAll<SynthRecord>(trees, (raw, where) => {
    const rec = raw as SynthRecord;
    return { ...rec, tree: parseTree((raw as Partial<SynthRecord> | null)?.tree, where, 'tree.') };
  });
}

/** A problem's record pooled over earlier runs: terminals and correct terminals summed over their trees. */
export interface PriorStatus {
  id: string;
  runs: number;
  correctTerminals: number;
  terminals: number;
  solveRate: number;
  tier: Tier;
}

/**
 * Every problem of the given runs with its terminals pooled over them (a problem any run solved is
 * solved; the tier is that of the pooled solve rate). Counts come from the trees themselves.
 */
export function priorStatus(from: string[]): Map<string, PriorStatus & { question: string; dir: string }> {
  const out = new Map<string, PriorStatus & { question: string; dir: string }>();
  for (const dir of from) {
    for (const r of readRun(dir)) {
      const sr = solveRate(r.tree);
      const prev = out.get(r.id);
      if (prev && prev.question !== r.question) {
        throw new Error(`${dir}: problem "${r.id}" has a different question than in ${prev.dir} (the runs were made on different problem sets)`);
      }
      const s = prev ?? { id: r.id, question: r.question, dir, runs: 0, correctTerminals: 0, terminals: 0, solveRate: 0, tier: 'unsolved' as Tier };
      s.runs++;
      s.correctTerminals += sr.correct;
      s.terminals += sr.terminals;
      s.solveRate = s.terminals ? s.correctTerminals / s.terminals : 0;
      s.tier = tierOf(s.solveRate, s.correctTerminals);
      out.set(r.id, s);
    }
  }
  return out;
}

/**
 * The problems a rerun works on (paper round 4: more rollouts, new seeds, on what is still
 * unsolved): `unsolved` keeps those with no correct terminal in any of the `from` runs, `hard` also
 * those whose pooled solve rate puts them in tier `hard`. A problem none of the runs has a record of
 * counts as unsolved (no run solved it). Order is kept. Throws when a run directory is unreadable or
 * a run holds the same id with another question.
 */
export function selectProblems<P extends Problem>(problems: P[], opts: { only: OnlyFilter; from: string[] }): P[] {
  if (opts.from.length === 0) throw new Error('selectProblems: at least one earlier run (from) is needed');
  const prior = priorStatus(opts.from);
  return problems.filter((p) => {
    const s = prior.get(p.id);
    if (s && s.question !== p.question) throw new Error(`${s.dir}: problem "${p.id}" has a different question than in the problem file`);
    if (!s || s.correctTerminals === 0) return true;
    return opts.only === 'hard' && s.tier === 'hard';
  });
}

/**
 * The seed of a rerun over earlier runs: `seed` when given (refused when it equals the seed of one of
 * the `from` runs, since the same seed grows the same trees), else one more than the largest of theirs.
 */
export function rerunSeed(from: string[], seed?: number): number {
  const seeds = from.map((dir) => ({ dir, seed: readRunManifest(dir).config.seed }));
  if (seed !== undefined) {
    const clash = seeds.find((s) => s.seed === seed);
    if (clash)
      throw new Error(
        `--seed ${seed} is the seed of the earlier run ${clash.dir} (seed ${clash.seed}): a rerun needs a new seed to grow new trees (omit --seed to derive one)`,
      );
    return seed;
  }
  return Math.max(...seeds.map((s) => s.seed)) + 1;
}

/** Run directories resolved to absolute paths (what the manifest records under `from`). */
export const resolveRunDirs = (dirs: string[]): string[] => dirs.map((d) => resolve(d));
