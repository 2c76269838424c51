import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Problem } from '../data/problems.js';
import { runSearches } from '../search/scheduler.js';
import type { SearchConfig, SearchDeps } from '../search/types.js';
import type { TreeJSON } from '../search/tree.js';
import { ShardStore } from './shard-store.js';
import { solveRate, tierOf, type Tier } from './tiers.js';

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

export interface SynthRunConfig {
  data: string;
  dataSha256: string;
  policy: string;
  policySha256: string | null;
  /** PPM-augmented synthesis: the reward model (bundle or URL) and its ppm.onnx hash. */
  reward?: string;
  rewardSha256?: string | null;
  seed: number;
  mode: string;
  rollouts: number;
  candidates: number;
  maxDepth: number;
  temperature: number;
}

export interface SynthProgress {
  done: number;
  total: number;
  solved: number;
  tokens: number;
  perLevel: Record<string, { n: number; solved: number }>;
}

function atomicWriteJson(path: string, value: unknown): void {
  writeFileSync(path + '.tmp', JSON.stringify(value, null, 2) + '\n');
  renameSync(path + '.tmp', path);
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** The settings that must match for a run directory to be resumed (same problems, same trees). */
const RESUME_KEYS: Array<keyof SynthRunConfig> = ['dataSha256', 'policySha256', 'rewardSha256', 'seed', 'mode', 'rollouts', 'candidates', 'maxDepth', 'temperature'];

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
  opts: { out: string; concurrency: number; onProgress?: (p: SynthProgress) => void },
): Promise<{ records: SynthRecord[]; progress: SynthProgress }> {
  mkdirSync(opts.out, { recursive: true });
  const manifestPath = join(opts.out, 'manifest.json');
  if (existsSync(manifestPath)) {
    const prev = JSON.parse(readFileSync(manifestPath, 'utf8')) as { config: SynthRunConfig };
    for (const k of RESUME_KEYS) {
      if (JSON.stringify(prev.config[k]) !== JSON.stringify(run[k])) {
        throw new Error(`${manifestPath}: cannot resume: ${k} was ${JSON.stringify(prev.config[k])}, now ${JSON.stringify(run[k])} (use a new --out)`);
      }
    }
  }
  const writeManifest = (status: string, progress: SynthProgress) =>
    atomicWriteJson(manifestPath, {
      format: 'rstar-ts/synth-run@1',
      status,
      updated: new Date().toISOString(),
      config: run,
      search,
      counts: { problems: progress.total, done: progress.done, solved: progress.solved, tokens: progress.tokens, perLevel: progress.perLevel },
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
  writeManifest('running', progress);
  const todo = problems.filter((p) => !store.has(p.id));
  try {
    await runSearches(
      todo.map((p) => ({ question: p.question, gold: p.answer })),
      deps,
      { ...search, keepTree: true },
      {
        concurrency: opts.concurrency,
        onResult: (i, res) => {
          const p = todo[i];
          const tree = res.tree as TreeJSON;
          const sr = solveRate(tree);
          const rec: SynthRecord = {
            id: p.id,
            level: p.level ?? null,
            question: p.question,
            gold: p.answer,
            answer: res.answer,
            correct: res.answer !== null && deps.judge.equal(res.answer, p.answer),
            solveRate: sr.rate,
            correctTerminals: sr.correct,
            terminals: sr.terminals,
            tier: tierOf(sr.rate, sr.correct),
            tokens: res.tokens,
            ms: Math.round(res.ms),
            tree,
          };
          store.append(rec);
          kept.push(rec);
          count(rec);
          opts.onProgress?.(progress);
        },
      },
    );
    store.seal();
    writeManifest('complete', progress);
  } finally {
    store.close();
  }
  const order = new Map(problems.map((p, i) => [p.id, i]));
  kept.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  return { records: kept, progress };
}

export function readRun(dir: string): SynthRecord[] {
  const trees = join(dir, 'trees');
  if (!existsSync(trees)) throw new Error(`${dir}: not a synthesis run directory (no trees/)`);
  return ShardStore.readAll<SynthRecord>(trees);
}
