/**
 * Pointwise reward-model data for the paper's reward-model ablation (PPM vs. outcome reward model
 * vs. Q-value regression), extracted from the same synthesis trees as the PPM's pairs. Every `text`
 * is `tree.prompt + pathText(node)`, exactly what the reward model scores at search time.
 *
 * File: JSONL, one `{"text","target","weight","problem_id"?,"kind"}` per line.
 */
import { z } from 'zod';
import type { SynthRecord } from '../synth/synth-run.js';
import { expectedGot, readJsonRecords, validateRecord } from '../util/jsonl.js';
import { viewTree } from './pairs.js';

export interface RewardExample {
  text: string;
  /** ORM: +1 correct, −1 wrong; Q-regression: the node's Q in [−1, 1]. */
  target: number;
  weight: number;
  problem_id?: string;
  kind: 'orm' | 'qreg';
}

/**
 * Outcome reward model data: every distinct complete trajectory that ends in an answer whose
 * correctness is known (terminal with reason `answer` and `correct !== null`), the whole text
 * (`tree.prompt` + path), target +1 if correct else −1. Texts are deduplicated across all records;
 * each problem contributes at most `perProblem` (default 8) examples per class, in node creation
 * order (the order the search found them), weight 1.
 */
export function extractOrm(records: SynthRecord[], opts: { perProblem?: number } = {}): RewardExample[] {
  const perProblem = opts.perProblem ?? 8;
  const out: RewardExample[] = [];
  const seen = new Set<string>();
  for (const r of records) {
    const v = viewTree(r.tree);
    let pos = 0;
    let neg = 0;
    const leaves = v.order.map((id) => v.nodes.get(id)!).filter((n) => v.isOutcomeLeaf(n) && n.reason === 'answer' && n.correct !== null);
    leaves.sort((a, b) => a.id - b.id);
    for (const leaf of leaves) {
      const good = leaf.correct === true;
      if ((good ? pos : neg) >= perProblem) continue;
      const text = r.tree.prompt + v.pathText(leaf.id);
      if (seen.has(text)) continue;
      seen.add(text);
      if (good) pos++;
      else neg++;
      out.push({ text, target: good ? 1 : -1, weight: 1, problem_id: r.id, kind: 'orm' });
    }
  }
  return out;
}

/**
 * Q-value regression data ("PQM"-style pointwise PRM): every non-root node that was visited
 * (visits > 0), text = `tree.prompt + pathText(node)`, target = its Q clamped to [−1, 1], weight 1.
 * Texts are deduplicated (the first occurrence, in record order then depth-first node order, is kept).
 */
export function extractQreg(records: SynthRecord[]): RewardExample[] {
  const out: RewardExample[] = [];
  const seen = new Set<string>();
  for (const r of records) {
    const v = viewTree(r.tree);
    for (const id of v.order) {
      const n = v.nodes.get(id)!;
      if (n.parent === null || !(n.visits > 0) || !Number.isFinite(n.q)) continue;
      const text = r.tree.prompt + v.pathText(id);
      if (seen.has(text)) continue;
      seen.add(text);
      out.push({ text, target: Math.max(-1, Math.min(1, n.q)), weight: 1, problem_id: r.id, kind: 'qreg' });
    }
  }
  return out;
}

const exampleSchema = z.object({
  text: z.string(),
  target: z.number().min(-1).max(1),
  weight: z.number().positive().optional(),
  problem_id: z.string().optional(),
  kind: z.enum(['orm', 'qreg']),
});

const EXAMPLE_ERRORS = expectedGot({
  text: 'expected string',
  target: 'expected a number in [-1, 1]',
  weight: 'expected a positive number',
  problem_id: 'expected string',
  kind: 'expected "orm" or "qreg"',
});

/** Reads reward examples (JSONL, or a JSON array); throws `file:line: field "name": expected …` on a bad record. */
export function readRewardExamples(path: string): RewardExample[] {
  const records = readJsonRecords(path);
  if (records.length === 0) throw new Error(`${path}: no reward examples (empty file)`);
  return records.map((rec) => {
    const d = validateRecord(exampleSchema, rec, path, { describe: EXAMPLE_ERRORS });
    const e: RewardExample = { text: d.text, target: d.target, weight: d.weight ?? 1, kind: d.kind };
    if (d.problem_id !== undefined) e.problem_id = d.problem_id;
    return e;
  });
}
