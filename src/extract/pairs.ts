/**
 * Preference pairs for the process preference model (PPM), extracted from MCTS trees (rStar-Math
 * §3.3): at each step, candidates that lead to a correct answer are preferred over siblings that lead
 * only to wrong ones; at the final step, whole correct trajectories over whole incorrect ones.
 *
 * A pair's `prompt + chosen` (and `prompt + rejected`) is exactly the text the reward model scores at
 * search time (`tree.prompt + pathText(node)`, see `scorePaths` in src/search/step-tree.ts), so the
 * PPM is trained on the inputs it will see.
 *
 * Files: our JSONL (`{"prompt","chosen","rejected","chosen_q","rejected_q","weight",...}` per line)
 * and rStar's released pairs (`{"prompt","pos","neg","pos_count","neg_count"}`, a JSON array or JSONL)
 * are both read by `readPairs`; every record is validated and errors name file, line and field.
 */
import { z } from 'zod';
import { expectedGot, readJsonRecords, validateRecord } from '../util/jsonl.js';
import type { TreeJSON, TreeNodeJSON } from '../search/tree-file.js';
import type { SynthRecord } from '../synth/synth-run.js';

export interface PpmPair {
  /** `tree.prompt + pathText(parent)`: the shared prefix (for final-step pairs, `tree.prompt`). */
  prompt: string;
  chosen: string;
  rejected: string;
  /** Q of the chosen step (final-step pairs: mean Q along the chosen path); null when unknown (rStar files). */
  chosen_q: number | null;
  rejected_q: number | null;
  /** 1 / (#positives × #negatives) of the pair's group when weighting is on, else 1. */
  weight: number;
  problem_id?: string;
  /** Depth of the compared steps (root's children: 1); absent for final-step (whole trajectory) pairs. */
  depth?: number;
}

export interface PairOptions {
  /** Drop pairs with |chosen_q − rejected_q| below this. */
  minMargin: number;
  /** Drop pairs whose chosen and rejected texts are fewer than this many edits apart (Levenshtein). */
  minEditDistance: number;
  /** Positives and negatives taken per group (the paper: 2). */
  perSide: number;
  /** Weight each pair 1/(#positives × #negatives) of its group, so every group weighs the same. */
  weighting: boolean;
}

export const DEFAULT_PAIR_OPTIONS: PairOptions = { minMargin: 0.5, minEditDistance: 20, perSide: 2, weighting: true };

// ───────────────────────────── tree analysis ─────────────────────────────

/** What a node's subtree says about the answer it leads to. */
export type Outcome = 'correct' | 'wrong' | 'none';

export interface TreeView {
  tree: TreeJSON;
  nodes: Map<number, TreeNodeJSON>;
  root: TreeNodeJSON;
  /** Node ids in depth-first pre-order from the root (parents before children, children in order). */
  order: number[];
  depth: Map<number, number>;
  /** Whether each node's subtree leads to a correct answer, only to wrong ones, or to neither yet. */
  outcome: Map<number, Outcome>;
  /** Leaves that end a branch with a verdict source: terminal, no children, not merely `exhausted`. */
  isOutcomeLeaf(n: TreeNodeJSON): boolean;
  /** The model text from the root's child down to `id` (`''` for the root). */
  pathText(id: number): string;
  /** Root-to-node path, root excluded. */
  path(id: number): TreeNodeJSON[];
}

/** A step whose code failed (an error node). */
export const isErrorStep = (n: TreeNodeJSON): boolean => n.execStatus !== null && n.execStatus !== 'ok';

/**
 * Indexes a tree JSON: parent/child links, depths, memoized path texts, and each subtree's outcome.
 *
 * Leaf verdicts: `correct === true` is correct; a wrong answer (`correct === false`) or a branch that
 * ended without an answer (invalid program, truncated, too many errors or steps: all −1 in
 * terminal-guided MCTS) is wrong; an answer whose correctness is unknown (no gold) is neither. A
 * subtree leads to a correct answer if any leaf below is correct, and only to wrong answers if it has
 * leaves, all of them wrong (an unknown leaf makes it undecided).
 */
export function viewTree(tree: TreeJSON): TreeView {
  const nodes = new Map<number, TreeNodeJSON>();
  for (const n of tree.nodes) nodes.set(n.id, n);
  const root = tree.nodes.find((n) => n.parent === null);
  if (!root) throw new Error('tree has no root node');
  const order: number[] = [];
  const depth = new Map<number, number>();
  const stack: Array<[number, number]> = [[root.id, 0]];
  while (stack.length) {
    const [id, d] = stack.pop()!;
    if (depth.has(id)) continue; // a malformed tree with a cycle or shared child: visit once
    const n = nodes.get(id);
    if (!n) continue;
    depth.set(id, d);
    order.push(id);
    for (let i = n.children.length - 1; i >= 0; i--) stack.push([n.children[i], d + 1]);
  }
  const isOutcomeLeaf = (n: TreeNodeJSON) => n.terminal && n.children.length === 0 && n.reason !== 'exhausted';
  const outcome = new Map<number, Outcome>();
  // Post-order by walking the pre-order backwards: every child is settled before its parent.
  const agg = new Map<number, { correct: boolean; wrong: number; undecided: boolean }>();
  for (let i = order.length - 1; i >= 0; i--) {
    const n = nodes.get(order[i])!;
    const a = { correct: false, wrong: 0, undecided: false };
    if (isOutcomeLeaf(n)) {
      if (n.correct === true) a.correct = true;
      else if (n.correct === false || (n.reason !== null && n.reason !== 'answer')) a.wrong = 1;
      else a.undecided = true;
    }
    for (const c of n.children) {
      const ca = agg.get(c);
      if (!ca) continue;
      a.correct ||= ca.correct;
      a.wrong += ca.wrong;
      a.undecided ||= ca.undecided;
    }
    agg.set(n.id, a);
    outcome.set(n.id, a.correct ? 'correct' : a.wrong > 0 && !a.undecided ? 'wrong' : 'none');
  }
  const texts = new Map<number, string>();
  const pathText = (id: number): string => {
    const memo = texts.get(id);
    if (memo !== undefined) return memo;
    // Iterative: collect the unmemoized chain, then fill it top-down.
    const chain: TreeNodeJSON[] = [];
    let base = '';
    for (let n = nodes.get(id); n; n = n.parent === null ? undefined : nodes.get(n.parent)) {
      if (n.parent === null) break;
      const m = texts.get(n.id);
      if (m !== undefined) {
        base = m;
        break;
      }
      chain.push(n);
    }
    for (let i = chain.length - 1; i >= 0; i--) {
      base += chain[i].text;
      texts.set(chain[i].id, base);
    }
    return texts.get(id) ?? '';
  };
  const path = (id: number): TreeNodeJSON[] => {
    const out: TreeNodeJSON[] = [];
    for (let n = nodes.get(id); n && n.parent !== null; n = nodes.get(n.parent)) out.push(n);
    return out.reverse();
  };
  return { tree, nodes, root, order, depth, outcome, isOutcomeLeaf, pathText, path };
}

// ───────────────────────────── edit distance ─────────────────────────────

/**
 * Levenshtein distance between `a` and `b` (UTF-16 code units), capped at `k`: the exact distance
 * when it is below `k`, else `k`. Common prefix and suffix are stripped first, then only the diagonal
 * band |i − j| ≤ k is computed, and the scan stops as soon as a whole row is ≥ k: O(min(n, m)·k) time,
 * O(m) memory. Pairs that share a long prefix (siblings, trajectories that split late) cost little.
 */
export function boundedEditDistance(a: string, b: string, k: number): number {
  if (k <= 0) return 0;
  let s = 0;
  while (s < a.length && s < b.length && a.charCodeAt(s) === b.charCodeAt(s)) s++;
  let ea = a.length;
  let eb = b.length;
  while (ea > s && eb > s && a.charCodeAt(ea - 1) === b.charCodeAt(eb - 1)) {
    ea--;
    eb--;
  }
  // x is the shorter remainder (rows), y the longer (columns).
  let x = a.slice(s, ea);
  let y = b.slice(s, eb);
  if (x.length > y.length) [x, y] = [y, x];
  const n = x.length;
  const m = y.length;
  if (m - n >= k) return k;
  if (n === 0) return Math.min(m, k);
  let prev = new Int32Array(m + 1).fill(k);
  let cur = new Int32Array(m + 1).fill(k);
  for (let j = 0; j <= Math.min(m, k); j++) prev[j] = j;
  for (let i = 1; i <= n; i++) {
    const lo = Math.max(0, i - k);
    const hi = Math.min(m, i + k);
    if (lo > 0) cur[lo - 1] = k;
    const xc = x.charCodeAt(i - 1);
    let rowMin = k;
    for (let j = lo; j <= hi; j++) {
      let v: number;
      if (j === 0) v = Math.min(i, k);
      else {
        v = prev[j - 1] + (xc === y.charCodeAt(j - 1) ? 0 : 1);
        const del = prev[j] + 1;
        if (del < v) v = del;
        const ins = cur[j - 1] + 1;
        if (ins < v) v = ins;
        if (v > k) v = k;
      }
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin >= k) return k;
    // The next row's band reaches one column further right: that cell of this row is outside its band.
    if (hi + 1 <= m) cur[hi + 1] = k;
    [prev, cur] = [cur, prev];
  }
  return Math.min(prev[m], k);
}

// ───────────────────────────── extraction ─────────────────────────────

interface Side {
  text: string;
  q: number;
  id: number;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/**
 * The rStar-Math pair rule over synthesis trees. Deterministic: records in order; within a tree,
 * step groups in depth-first order of their parent, then the final-step group; within a group,
 * positives by Q descending × negatives by Q ascending (ties by node id).
 *
 * Step rule, at every internal node (the root included), over its children that are intermediate
 * steps (not branch-ending leaves): positives are the `perSide` children with the highest Q that lead
 * to a correct answer and are not error steps; negatives the `perSide` children with the lowest Q that
 * lead only to wrong answers (error steps allowed). Pair: prompt = `tree.prompt + pathText(parent)`,
 * chosen/rejected = the two step texts.
 *
 * Final-step rule, once per tree: the `perSide` correct complete trajectories (no error step) with the
 * highest mean Q along the path against the `perSide` incorrect ones (a wrong answer, or a branch that
 * ended without one) with the lowest mean Q. Pair: prompt = `tree.prompt`, chosen/rejected = the whole
 * path texts.
 *
 * No double counting: a branch-ending leaf (terminal without children, i.e. everything but
 * `exhausted`) is never a step-rule candidate, and every final-step pair ends in such a leaf on both
 * sides, so each preference is stated once, either between two intermediate siblings or between two
 * whole trajectories. Identical pairs (same prompt, chosen, rejected; e.g. one problem in two runs)
 * are kept once.
 *
 * Filters: |chosen_q − rejected_q| < minMargin, and an edit distance between chosen and rejected below
 * minEditDistance (near-duplicate texts teach nothing). Weights are computed per group from its
 * selected positives and negatives before filtering.
 */
export function extractPairs(records: SynthRecord[], opts: Partial<PairOptions> = {}): PpmPair[] {
  const o: PairOptions = { ...DEFAULT_PAIR_OPTIONS, ...opts };
  const out: PpmPair[] = [];
  const seen = new Set<string>();

  const emit = (prompt: string, pos: Side[], neg: Side[], problemId: string, depth: number | undefined) => {
    if (pos.length === 0 || neg.length === 0) return;
    const weight = o.weighting ? 1 / (pos.length * neg.length) : 1;
    for (const p of pos) {
      for (const q of neg) {
        if (Math.abs(p.q - q.q) < o.minMargin) continue;
        if (o.minEditDistance > 0 && boundedEditDistance(p.text, q.text, o.minEditDistance) < o.minEditDistance) continue;
        const key = `${prompt}\u0000${p.text}\u0000${q.text}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const pair: PpmPair = { prompt, chosen: p.text, rejected: q.text, chosen_q: p.q, rejected_q: q.q, weight, problem_id: problemId };
        if (depth !== undefined) pair.depth = depth;
        out.push(pair);
      }
    }
  };

  for (const r of records) {
    const v = viewTree(r.tree);
    const prompt0 = r.tree.prompt;

    // Step rule.
    for (const id of v.order) {
      const parent = v.nodes.get(id)!;
      if (parent.children.length < 2) continue;
      const pos: Side[] = [];
      const neg: Side[] = [];
      for (const cid of parent.children) {
        const c = v.nodes.get(cid);
        if (!c || !v.depth.has(cid) || v.isOutcomeLeaf(c)) continue;
        const oc = v.outcome.get(cid);
        if (oc === 'correct' && !isErrorStep(c)) pos.push({ text: c.text, q: c.q, id: c.id });
        else if (oc === 'wrong') neg.push({ text: c.text, q: c.q, id: c.id });
      }
      pos.sort((a, b) => b.q - a.q || a.id - b.id);
      neg.sort((a, b) => a.q - b.q || a.id - b.id);
      emit(prompt0 + v.pathText(id), pos.slice(0, o.perSide), neg.slice(0, o.perSide), r.id, v.depth.get(id)! + 1);
    }

    // Final-step rule.
    const good: Side[] = [];
    const bad: Side[] = [];
    for (const id of v.order) {
      const leaf = v.nodes.get(id)!;
      if (!v.isOutcomeLeaf(leaf)) continue;
      const oc = v.outcome.get(id);
      if (oc === 'none') continue;
      const path = v.path(id);
      if (oc === 'correct' && path.some(isErrorStep)) continue;
      (oc === 'correct' ? good : bad).push({ text: v.pathText(id), q: mean(path.map((n) => n.q)), id });
    }
    const pick = (xs: Side[], cmp: (a: Side, b: Side) => number) => {
      const texts = new Set<string>();
      const kept: Side[] = [];
      for (const x of xs.sort(cmp)) {
        if (kept.length >= o.perSide) break;
        if (texts.has(x.text)) continue;
        texts.add(x.text);
        kept.push(x);
      }
      return kept;
    };
    emit(
      prompt0,
      pick(good, (a, b) => b.q - a.q || a.id - b.id),
      pick(bad, (a, b) => a.q - b.q || a.id - b.id),
      r.id,
      undefined,
    );
  }
  return out;
}

// ───────────────────────────── reading files ─────────────────────────────

const qSchema = z.number().nullable().optional();
const ourPair = z.object({
  prompt: z.string(),
  chosen: z.string(),
  rejected: z.string(),
  chosen_q: qSchema,
  rejected_q: qSchema,
  weight: z.number().positive().optional(),
  problem_id: z.string().optional(),
  depth: z.number().int().min(0).optional(),
});
const rstarPair = z.object({
  prompt: z.string(),
  pos: z.string(),
  neg: z.string(),
  pos_count: z.number().int().positive().optional(),
  neg_count: z.number().int().positive().optional(),
});
const PAIR_ERRORS = expectedGot({
  prompt: 'expected string',
  chosen: 'expected string',
  rejected: 'expected string',
  pos: 'expected string',
  neg: 'expected string',
  chosen_q: 'expected a number or null',
  rejected_q: 'expected a number or null',
  weight: 'expected a positive number',
  problem_id: 'expected string',
  depth: 'expected a non-negative integer',
  pos_count: 'expected a positive integer',
  neg_count: 'expected a positive integer',
});

/**
 * Reads preference pairs: our JSONL, or rStar's released format (`{"prompt","pos","neg","pos_count",
 * "neg_count"}` records in a JSON array or JSONL: chosen = pos, rejected = neg, weight =
 * 1/(pos_count × neg_count), Q unknown). The format is decided per record (`pos`/`neg` without
 * `chosen`/`rejected` is rStar's). Throws `file:line: field "name": expected …` on a bad record.
 */
export function readPairs(path: string): PpmPair[] {
  const records = readJsonRecords(path);
  if (records.length === 0) throw new Error(`${path}: no preference pairs (empty file)`);
  return records.map((rec) => {
    const v = rec.value as Record<string, unknown> | null;
    const isRstar = v !== null && typeof v === 'object' && !('chosen' in v) && !('rejected' in v) && ('pos' in v || 'neg' in v);
    if (isRstar) {
      const d = validateRecord(rstarPair, rec, path, { describe: PAIR_ERRORS });
      return { prompt: d.prompt, chosen: d.pos, rejected: d.neg, chosen_q: null, rejected_q: null, weight: 1 / ((d.pos_count ?? 1) * (d.neg_count ?? 1)) };
    }
    const d = validateRecord(ourPair, rec, path, { describe: PAIR_ERRORS });
    const p: PpmPair = {
      prompt: d.prompt,
      chosen: d.chosen,
      rejected: d.rejected,
      chosen_q: d.chosen_q ?? null,
      rejected_q: d.rejected_q ?? null,
      weight: d.weight ?? 1,
    };
    if (d.problem_id !== undefined) p.problem_id = d.problem_id;
    if (d.depth !== undefined) p.depth = d.depth;
    return p;
  });
}
