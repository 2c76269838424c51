/**
 * The evaluation runner: solves every problem with one search mode (many in flight so policy calls
 * batch), grades with the judge, writes one JSONL record per problem, and summarizes. Resumable: with
 * `resume`, problems already in the results file are skipped and count in the summary.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { solve } from '../search/solve.js';
import type { TreeJSON } from '../search/tree-file.js';
import { atomicWrite } from '../util/files.js';
import { resolveConfig, type SearchConfig, type SearchDeps, type SolveResult } from '../search/types.js';
import type { Problem } from '../data/problems.js';
import { datasetHash, goldOf, type EvalProblem } from './datasets.js';
import { sampleCurves, type Sample } from './metrics.js';
import { SAMPLING_MODES, modeMetric } from './modes.js';
import { META_FORMAT, ResultsWriter, checkSameRun, loadResultsForResume, readMeta, writeMeta, type EvalMeta } from './results-file.js';
import { summarize } from './summary.js';
import type { EvalSummary, ProblemResult } from './types.js';

export type { EvalSummary, ProblemResult } from './types.js';
export { summarize, formatSummary } from './summary.js';

export interface RunEvalOptions {
  /** Problems in flight at once. */
  concurrency: number;
  /** Per-problem results JSONL (plus `<outFile>.meta.json`). */
  outFile?: string;
  /** Keep the results already in `outFile` and solve only the rest (checks the sidecar first). */
  resume?: boolean;
  /** What the problems came from, for the sidecar and the summary. */
  data?: string;
  dataset?: string;
  /**
   * Fingerprint of the whole dataset (before `--limit`), so a resumed run may extend the limit.
   * Default: the fingerprint of `problems`.
   */
  datasetHash?: string;
  /** Name of the reward model in `deps.reward`, recorded in the sidecar and summary. */
  rewardName?: string | null;
  /** Give search the gold answer (terminal-guided MCTS): an oracle upper bound, flagged as such. */
  oracle?: boolean;
  /** Called for every newly solved problem (not for resumed ones). */
  onResult?: (r: ProblemResult) => void;
  /** Called once, before solving, with what resume found. */
  onResume?: (info: { kept: number; droppedBytes: number; duplicates: number }) => void;
  /** Stop starting new problems once this signal aborts (in-flight ones finish and are written). */
  signal?: AbortSignal;
  /**
   * Save each problem's search tree (MCTS, beam) as JSON in this directory; a record's `tree` names
   * its file relative to the results file's directory (`rstar view RESULTS` opens them).
   */
  treesDir?: string;
  /**
   * Where the results come from (default: searched here, `concurrency` at a time); `src/queue/` hands
   * the problems to workers over Redis. The results file is written here either way.
   */
  source?: EvalSource;
}

/** A problem's outcome from a source: its record and, when asked for, its tree (saved by runEval). */
export interface EvalOutcome {
  result: ProblemResult;
  tree?: TreeJSON;
}

/**
 * Produces an outcome for each problem still to do, through `onOutcome`, in any order; stops starting
 * new ones when `signal` aborts. A problem no worker could finish is reported as an error record.
 */
export type EvalSource = (todo: EvalProblem[], onOutcome: (o: EvalOutcome) => void, signal?: AbortSignal) => Promise<void>;

/**
 * Solves and grades one problem: the per-problem step of a local run and of a queue worker (the search
 * is seeded by (seed, question), so both give the same result). A search that throws becomes an invalid
 * record with its error; `keepTree` returns the search tree (MCTS, beam) beside the record.
 */
export async function evalProblem(
  p: EvalProblem,
  deps: SearchDeps,
  cfg: SearchConfig,
  opts: { oracle?: boolean; keepTree?: boolean } = {},
): Promise<EvalOutcome> {
  const c: SearchConfig = opts.oracle ? { ...cfg, gold: goldOf(p) } : cfg;
  const ts = performance.now();
  try {
    const res = await solve(p.question, deps, opts.keepTree ? { ...c, keepTree: true } : c);
    return { result: toResult(p, res, deps, cfg.mode), ...(opts.keepTree && res.tree ? { tree: res.tree } : {}) };
  } catch (e) {
    // One problem the search cannot attempt (e.g. a prompt longer than the model's context) is
    // recorded as invalid with its error, not fatal to the run.
    return { result: errorResult(p, (e as Error).message, performance.now() - ts) };
  }
}

/** The local source: up to `concurrency` problems in flight in this process. */
export function localEvalSource(deps: SearchDeps, cfg: SearchConfig, opts: { concurrency: number; oracle?: boolean; keepTree?: boolean }): EvalSource {
  return async (todo, onOutcome, signal) => {
    let next = 0;
    const worker = async () => {
      while (next < todo.length && !signal?.aborted) onOutcome(await evalProblem(todo[next++], deps, cfg, opts));
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency, todo.length || 1)) }, worker));
  };
}

/** Settings every mode's results depend on. */
const COMMON_KEYS = ['maxSolutionTokens', 'maxAnswerTokens', 'execTimeoutMs'];
/** Extra settings of the sampling modes (step-search settings do not apply to them). */
const SAMPLING_KEYS: Record<string, string[]> = {
  'self-consistency': ['n', 'temperature', 'topP'],
  'best-of-n': ['n', 'temperature', 'topP', 'bonAggregate', 'maxStepTokens', 'tokenBudget'],
};

/** Search settings that change results; compared when resuming. Step-level modes keep them all. */
export function configFingerprint(cfg: SearchConfig): Record<string, unknown> {
  const { gold: _gold, keepTree: _keep, seed: _seed, mode, ...rest } = resolveConfig(cfg);
  const out: Record<string, unknown> = { ...rest };
  const keep = mode === 'greedy' ? COMMON_KEYS : SAMPLING_KEYS[mode] ? [...COMMON_KEYS, ...SAMPLING_KEYS[mode]] : null;
  if (keep) for (const k of Object.keys(out)) if (!keep.includes(k)) delete out[k];
  return out;
}

/** Grades one search result into a results-file record. */
export function toResult(p: EvalProblem, res: SolveResult, deps: SearchDeps, mode: string): ProblemResult {
  const gold = goldOf(p);
  const correct = res.answer !== null && deps.judge.equal(res.answer, gold);
  const r: ProblemResult = {
    id: p.id,
    level: p.level ?? null,
    gold: p.answer,
    prediction: res.trajectories[res.chosen]?.text ?? '',
    answer: res.answer,
    verdict: correct ? 'correct' : res.answer === null ? 'invalid' : 'wrong',
    correct,
    tokens: res.tokens,
    ms: Math.round(res.ms),
  };
  if (p.subject !== undefined) r.subject = p.subject;
  if (p.source !== undefined) r.source = p.source;
  if (mode !== 'greedy') {
    r.votes = res.votes;
    const samples: Sample[] = res.trajectories.map((t) => {
      const s: Sample = { answer: t.answer, correct: t.answer !== null && deps.judge.equal(t.answer, gold), tokens: t.tokens };
      if (t.score !== undefined) s.score = t.score;
      return s;
    });
    r.samples = samples;
    if ((SAMPLING_MODES as readonly string[]).includes(mode) && samples.length > 0)
      r.curves = sampleCurves(samples, (a, b) => deps.judge.equal(a, b), mode === 'best-of-n');
  }
  if (res.totals?.stopReason) r.stopReason = String(res.totals.stopReason);
  return r;
}

/**
 * Writes a problem's tree as `tree-<id>.json` (characters outside [A-Za-z0-9._-] replaced, plus a hash
 * of the id when any were, so ids never collide) and returns the path a record holds: relative to the
 * results file's directory, or as written when there is no results file.
 */
export function saveTree(dir: string, id: string, tree: TreeJSON, outFile?: string): string {
  mkdirSync(dir, { recursive: true });
  const safe = id.replace(/[^A-Za-z0-9._-]/g, '_');
  const name = `tree-${safe === id ? id : `${safe.slice(0, 80)}-${createHash('sha256').update(id).digest('hex').slice(0, 10)}`}.json`;
  const file = join(dir, name);
  atomicWrite(file, JSON.stringify(tree) + '\n');
  return outFile ? relative(dirname(resolve(outFile)), resolve(file)) : file;
}

/** The budget the mode's own accuracy-vs-tokens row is labelled with: samples, rollouts or beam width. */
function ownK(cfg: SearchConfig): number {
  const r = resolveConfig(cfg);
  if (r.mode === 'mcts') return r.rollouts;
  if (r.mode === 'beam') return r.beamWidth;
  return r.mode === 'greedy' ? 1 : r.n;
}

/** The record of a problem whose search threw. */
export function errorResult(p: EvalProblem, message: string, ms: number): ProblemResult {
  const r: ProblemResult = {
    id: p.id,
    level: p.level ?? null,
    gold: p.answer,
    prediction: '',
    answer: null,
    verdict: 'invalid',
    correct: false,
    tokens: 0,
    ms: Math.round(ms),
    error: message,
  };
  if (p.subject !== undefined) r.subject = p.subject;
  if (p.source !== undefined) r.source = p.source;
  return r;
}

export async function runEval(
  problems: Problem[],
  deps: SearchDeps,
  cfg: SearchConfig,
  opts: RunEvalOptions,
): Promise<{ summary: EvalSummary; results: ProblemResult[] }> {
  const t0 = performance.now();
  const started = new Date().toISOString();
  const meta: EvalMeta = {
    format: META_FORMAT,
    data: opts.data ?? '(in memory)',
    dataset: opts.dataset ?? opts.data ?? 'problems',
    datasetHash: opts.datasetHash ?? datasetHash(problems),
    mode: cfg.mode,
    seed: cfg.seed,
    config: configFingerprint(cfg),
    reward: opts.rewardName ?? null,
    oracle: opts.oracle ?? false,
    created: started,
    sessions: [],
  };

  // Resume: keep what the file already holds for these problems.
  const done = new Map<string, ProblemResult>();
  if (opts.resume) {
    if (!opts.outFile) throw new Error('--resume needs --out');
    const stored = readMeta(opts.outFile);
    checkSameRun(opts.outFile, stored, meta);
    meta.created = stored.created;
    meta.sessions = stored.sessions;
    const loaded = loadResultsForResume(opts.outFile);
    const ids = new Set(problems.map((p) => p.id));
    for (const r of loaded.results) if (ids.has(r.id)) done.set(r.id, r);
    opts.onResume?.({ kept: done.size, droppedBytes: loaded.droppedBytes, duplicates: loaded.duplicates });
  }
  const session = { started, wallSeconds: 0, problems: 0 };
  meta.sessions.push(session);
  const out = opts.outFile ? new ResultsWriter(opts.outFile, !!opts.resume) : null;
  let lastMeta = 0;
  const saveMeta = (force: boolean) => {
    const now = performance.now();
    // The session's wall time counts with or without a results file (throughput is derived from it).
    session.wallSeconds = (now - t0) / 1000;
    if (!opts.outFile) return;
    if (!force && now - lastMeta < 2000) return;
    lastMeta = now;
    writeMeta(opts.outFile, meta);
  };
  saveMeta(true);

  const results: Array<ProblemResult | undefined> = problems.map((p) => done.get(p.id));
  const index = new Map(problems.map((p, i) => [p.id, i]));
  const todo = problems.filter((_, i) => results[i] === undefined) as EvalProblem[];
  try {
    const source = opts.source ?? localEvalSource(deps, cfg, { concurrency: opts.concurrency, oracle: opts.oracle, keepTree: !!opts.treesDir });
    await source(
      todo,
      ({ result: r, tree }) => {
        const i = index.get(r.id);
        // A record is written once: a redelivered outcome, or one for another problem, is ignored.
        if (i === undefined || results[i] !== undefined) return;
        if (opts.treesDir && tree) r.tree = saveTree(opts.treesDir, r.id, tree, opts.outFile);
        results[i] = r;
        out?.write(r);
        session.problems++;
        saveMeta(false);
        opts.onResult?.(r);
      },
      opts.signal,
    );
  } finally {
    out?.close();
    saveMeta(true);
  }
  const finished = results.filter((r): r is ProblemResult => r !== undefined);
  const wallSeconds = (performance.now() - t0) / 1000;
  const totalWallSeconds = meta.sessions.reduce((a, s) => a + s.wallSeconds, 0);
  const summary = summarize(finished, {
    dataset: meta.dataset,
    data: meta.data,
    mode: cfg.mode,
    seed: cfg.seed,
    samples: (SAMPLING_MODES as readonly string[]).includes(cfg.mode) ? cfg.n : 1,
    temperature: cfg.mode === 'greedy' ? 0 : cfg.temperature,
    reward: meta.reward,
    oracle: meta.oracle,
    metric: modeMetric(cfg.mode, ownK(cfg)),
    k: ownK(cfg),
    resumed: done.size,
    wallSeconds,
    totalWallSeconds,
  });
  return { summary, results: finished };
}
