/**
 * A round's data at scale: cheap sampling first (k self-consistency samples per problem, kept when the
 * gold answer matches and the sandbox runs every step prefix without error), MCTS only on what sampling
 * missed (in evolve.ts), then the SFT set (≤ perProblem verified trajectories per problem, plus replay
 * of earlier rounds) and the PPM pairs.
 *
 * Sampled trajectories are stored as synthesis records: the k samples of a problem merged into a prefix
 * tree of their steps, each node's Q the mean outcome (+1 correct, −1 wrong) of the samples through it.
 * So the SFT extraction, the PPM pair rule (correct vs wrong siblings where samples diverge, and whole
 * correct vs wrong trajectories) and coverage read sampling runs and MCTS runs alike.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { EvalProblem } from '../eval/datasets.js';
import { solve } from '../search/solve.js';
import { pathTo, treeJSON, type TreeJSON, type TreeNodeJSON } from '../search/tree-file.js';
import { DEFAULT_SEARCH_CONFIG, type SearchConfig, type SearchDeps, type Trajectory } from '../search/types.js';
import { accumulatedCode, formatPrompt, splitStep, TAGS } from '../steps/protocol.js';
import { extractSft, type SftExample } from '../extract/sft.js';
import { ShardStore } from '../synth/shard-store.js';
import { assertSameRun, SAMPLING_RESUME_KEYS, writeRunManifest, type RunStatus, type SynthRunConfig } from '../synth/run-manifest.js';
import { readRun, synthRecord, type SynthRecord } from '../synth/synth-run.js';
import { hashSeed } from '../util/rng.js';

/** The steps of a sampled solution: each chunk ends with its `<end_of_step>`; the last holds `<end_of_code>`, output and answer. */
export function stepChunks(text: string): string[] {
  return text.split(new RegExp(`(?<=${TAGS.endOfStep})`)).filter((c) => c !== '');
}

function newNode(id: number, parent: TreeNodeJSON | null, text: string): TreeNodeJSON {
  return {
    id,
    parent: parent ? parent.id : null,
    tag: parent ? `${parent.tag}.${parent.children.length + 1}` : '0',
    depth: parent ? parent.depth + 1 : 0,
    text,
    code: splitStep(text.split(TAGS.endOfCode)[0].replace(TAGS.endOfStep, '').replace(TAGS.code, '')).code,
    output: '',
    error: null,
    execStatus: null,
    terminal: false,
    reason: null,
    answer: null,
    correct: null,
    visits: 0,
    q: 0,
    qSum: 0,
    value: null,
    tokens: 0,
    children: [],
  };
}

/**
 * Merges a problem's samples into a prefix tree of steps and runs, in the sandbox, every step prefix
 * on the way to a correct answer (as MCTS runs each step), marking the ones that fail. Returns the
 * tree and the number of distinct verified trajectories (gold answer and no failing step).
 */
export async function samplesToTree(
  question: string,
  gold: string | string[],
  trajs: Trajectory[],
  deps: Pick<SearchDeps, 'executor' | 'judge'>,
  meta: { seed: number; config: Record<string, unknown>; execTimeoutMs: number },
): Promise<{ tree: TreeJSON; verified: number }> {
  const nodes: TreeNodeJSON[] = [newNode(0, null, '')];
  const terminals: TreeNodeJSON[] = [];
  let tokens = 0;
  for (const t of trajs) {
    const chunks = stepChunks(t.text);
    let at = nodes[0];
    const path: TreeNodeJSON[] = [];
    chunks.forEach((chunk, i) => {
      const last = i === chunks.length - 1;
      let child = at.children.map((c) => nodes[c]).find((c) => c.text === chunk && c.terminal === last);
      if (!child) {
        child = newNode(nodes.length, at, chunk);
        nodes.push(child);
        at.children.push(child.id);
        if (last) {
          child.terminal = true;
          child.answer = t.answer;
          child.correct = t.answer === null ? null : deps.judge.equal(t.answer, gold);
          child.reason = t.answer !== null ? 'answer' : t.text.includes(TAGS.endOfCode) ? 'invalid' : 'truncated';
          child.execStatus = t.execStatus;
          child.error = t.execError;
          child.output = t.output ?? '';
          terminals.push(child);
        }
      }
      path.push(child);
      at = child;
    });
    if (path.length === 0) continue;
    const leaf = path[path.length - 1];
    leaf.tokens += t.tokens;
    tokens += t.tokens;
    const v = leaf.correct === true ? 1 : -1;
    for (const n of [nodes[0], ...path]) {
      n.visits++;
      n.qSum += v;
      n.q = n.qSum / n.visits;
    }
  }
  // Every step prefix on a path to a correct answer runs in the sandbox (once per node).
  const checks = new Map<number, string>();
  for (const leaf of terminals.filter((n) => n.correct === true)) {
    const path = pathTo({ nodes }, leaf);
    path.slice(0, -1).forEach((n, i) => checks.set(n.id, accumulatedCode(path.slice(0, i + 1))));
  }
  await Promise.all(
    [...checks].map(async ([id, code]) => {
      const res = await deps.executor.run(code, { timeoutMs: meta.execTimeoutMs });
      nodes[id].execStatus = res.status;
      nodes[id].error = res.error;
      nodes[id].output = res.status === 'ok' ? res.stdout : '';
    }),
  );
  const failing = (leaf: TreeNodeJSON) => pathTo({ nodes }, leaf).some((n) => n.execStatus !== null && n.execStatus !== 'ok');
  const verified = terminals.filter((n) => n.correct === true && !failing(n)).length;
  const tree = treeJSON({
    mode: 'sampling',
    guide: 'terminal',
    question,
    prompt: formatPrompt(question),
    gold,
    seed: meta.seed,
    config: meta.config,
    answer: null,
    ranking: [],
    nodes,
    totals: {
      policyTokens: tokens,
      policyCalls: 0,
      policySequences: trajs.length,
      rewardCalls: 0,
      rewardTexts: 0,
      sandboxCalls: checks.size,
      rollouts: trajs.length,
      nodes: nodes.length,
      stopReason: 'samples',
      wallMs: 0,
      policyMs: 0,
      rewardMs: 0,
      sandboxMs: 0,
      bookkeepingMs: 0,
    },
  });
  return { tree, verified };
}

export interface SamplingOptions {
  samples: number;
  temperature: number;
  seed: number;
  concurrency: number;
  onRecord?: (r: SynthRecord) => void;
  signal?: AbortSignal;
}

/**
 * k samples per problem at temperature T, each problem's samples stored as one synthesis record (a
 * prefix tree, see `samplesToTree`) in `out/trees` with a synthesis-run manifest (src/synth/run-manifest.ts).
 * Resumable: problems already stored are skipped; the settings must match the stored run's (`SAMPLING_RESUME_KEYS`).
 */
export async function runSampling(
  problems: EvalProblem[],
  deps: SearchDeps,
  run: SynthRunConfig,
  o: SamplingOptions & { out: string },
): Promise<{ records: SynthRecord[]; tokens: number }> {
  mkdirSync(o.out, { recursive: true });
  assertSameRun(o.out, run, SAMPLING_RESUME_KEYS);
  const search: SearchConfig = { ...DEFAULT_SEARCH_CONFIG, mode: 'self-consistency', n: o.samples, temperature: o.temperature, seed: o.seed, keepTree: false };
  const counts = () => {
    const perLevel: Record<string, { n: number; solved: number }> = {};
    for (const r of kept) {
      const l = (perLevel[String(r.level ?? 'all')] ??= { n: 0, solved: 0 });
      l.n++;
      l.solved += r.correctTerminals > 0 ? 1 : 0;
    }
    return {
      problems: problems.length,
      done: kept.length,
      solved: kept.filter((r) => r.correctTerminals > 0).length,
      tokens: kept.reduce((a, r) => a + r.tokens, 0),
      perLevel,
    };
  };
  const writeManifest = (status: RunStatus) => writeRunManifest(o.out, { status, config: run, search, counts: counts() });
  const { store, records } = ShardStore.open<SynthRecord>(join(o.out, 'trees'));
  const wanted = new Set(problems.map((p) => p.id));
  const kept = records.filter((r) => wanted.has(r.id));
  writeManifest('running');
  const todo = problems.filter((p) => !store.has(p.id));
  let next = 0;
  const plain = { ...deps, reward: undefined };
  const worker = async () => {
    while (next < todo.length && !o.signal?.aborted) {
      const p = todo[next++];
      const t0 = performance.now();
      const res = await solve(p.question, plain, search);
      const { tree, verified } = await samplesToTree(p.question, p.answer, res.trajectories, deps, {
        seed: o.seed,
        config: { samples: o.samples, temperature: o.temperature },
        execTimeoutMs: search.execTimeoutMs,
      });
      const correctSamples = res.trajectories.filter((t) => t.answer !== null && deps.judge.equal(t.answer, p.answer)).length;
      const rate = res.trajectories.length ? correctSamples / res.trajectories.length : 0;
      // Distinct verified trajectories are what a problem needs to count as solved.
      const rec = synthRecord(p, res, deps.judge, { rate, correct: verified, terminals: res.trajectories.length }, performance.now() - t0, {
        ...tree,
        answer: res.answer,
      });
      store.append(rec);
      kept.push(rec);
      o.onRecord?.(rec);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(o.concurrency, todo.length)) }, worker));
    if (!o.signal?.aborted) {
      store.seal();
      writeManifest('complete');
    }
  } finally {
    store.close();
  }
  const order = new Map(problems.map((p, i) => [p.id, i]));
  kept.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  return { records: kept, tokens: kept.reduce((a, r) => a + r.tokens, 0) };
}

/** A synthesis run of a round: sampling, or an MCTS pass. */
export interface RoundRun {
  round: number;
  dir: string;
  source: 'sampling' | 'mcts';
}

export interface RoundSftExample extends SftExample {
  round: number;
  source: 'sampling' | 'mcts';
}

const key = (e: SftExample) => `${e.problem_id}\u0000${e.completion}`;

/** A round's own verified trajectories: ≤ perProblem per problem and run (sampling: distinct; MCTS: highest average Q), deduplicated. */
export function freshExamples(runs: RoundRun[], perProblem: number): RoundSftExample[] {
  const seen = new Set<string>();
  const out: RoundSftExample[] = [];
  for (const run of runs) {
    for (const ex of extractSft(readRun(run.dir), perProblem)) {
      if (seen.has(key(ex))) continue;
      seen.add(key(ex));
      out.push({ ...ex, round: run.round, source: run.source });
    }
  }
  return out;
}

/**
 * The SFT set of round r. `replay: 'all'`: every round's verified trajectories so far (the behaviour
 * before replay shares). A number s in [0, 1): this round's trajectories plus earlier rounds' ones, of
 * problems this round did not solve, drawn (seeded) to make up a share s of the set where there are
 * enough.
 */
export function roundSftSet(
  runsByRound: RoundRun[][],
  r: number,
  perProblem: number,
  replay: 'all' | number,
  seed: string,
): { examples: RoundSftExample[]; fresh: number; replay: number } {
  const fresh = freshExamples(runsByRound[r - 1] ?? [], perProblem);
  const earlier = runsByRound.slice(0, r - 1).map((runs) => freshExamples(runs, perProblem));
  if (replay === 'all') {
    const seen = new Set<string>();
    const examples: RoundSftExample[] = [];
    for (const ex of [...earlier.flat(), ...fresh]) if (!seen.has(key(ex))) seen.add(key(ex)), examples.push(ex);
    return { examples, fresh: examples.filter((e) => e.round === r).length, replay: examples.filter((e) => e.round !== r).length };
  }
  const solvedNow = new Set(fresh.map((e) => e.problem_id));
  const seen = new Set(fresh.map(key));
  const pool = earlier.flat().filter((e) => !solvedNow.has(e.problem_id) && !seen.has(key(e)) && (seen.add(key(e)), true));
  const want = Math.round((fresh.length * replay) / (1 - replay));
  const perProblemCount = new Map<string, number>();
  const picked: RoundSftExample[] = [];
  for (const { e } of pool.map((e) => ({ e, k: hashSeed(seed, key(e)) })).sort((a, b) => a.k - b.k)) {
    if (picked.length >= want) break;
    const n = perProblemCount.get(e.problem_id) ?? 0;
    if (n >= perProblem) continue;
    perProblemCount.set(e.problem_id, n + 1);
    picked.push(e);
  }
  return { examples: [...fresh, ...picked], fresh: fresh.length, replay: picked.length };
}
