/**
 * Evaluation metrics over per-problem samples: maj@k (self-consistency over the first k samples),
 * pass@k (coverage: some sample right; the unbiased estimator of Chen et al. 2021), rm@k (best of the
 * first k by reward score), and the k ladder 1, 2, 4, …, N on which they are reported.
 */
import { majorityVote } from '../search/vote.js';

/** One sampled solution's graded outcome. */
export interface Sample {
  /** Extracted final answer; null when the sample produced none (invalid). */
  answer: string | null;
  correct: boolean;
  tokens: number;
  /** Reward-model score (best-of-N, MCTS, beam), when the mode scores trajectories. */
  score?: number;
}

/** 1, 2, 4, …, up to n, plus n itself when n is not a power of two. */
export function kLadder(n: number): number[] {
  const ks: number[] = [];
  for (let k = 1; k <= n; k *= 2) ks.push(k);
  if (n >= 1 && ks[ks.length - 1] !== n) ks.push(n);
  return ks;
}

/**
 * maj@k: majority vote among the first k samples' answers (invalid samples do not vote; ties go to
 * the answer seen first, as in search); right when the winning class's first member is right.
 * No valid answer among them counts as wrong.
 */
export function majAtK(samples: Sample[], k: number, equal: (a: string, b: string) => boolean): boolean {
  const first = samples.slice(0, k);
  const classes = majorityVote(
    first.map((s) => s.answer),
    equal,
  );
  if (classes.length === 0) return false;
  return first[classes[0].members[0]].correct;
}

/** Whether any of the first k samples is right (coverage of that prefix). */
export function anyAtK(samples: Sample[], k: number): boolean {
  return samples.slice(0, k).some((s) => s.correct);
}

/** Unbiased pass@k from n samples with c right: 1 − C(n−c, k) / C(n, k), computed as a stable product. */
export function passAtKUnbiased(n: number, c: number, k: number): number {
  if (k > n) throw new Error(`pass@k: k=${k} > n=${n}`);
  if (n - c < k) return 1;
  let prod = 1;
  for (let i = n - c + 1; i <= n; i++) prod *= 1 - k / i;
  return 1 - prod;
}

/** pass@k for one problem from all its n samples (unbiased estimator; pass@n is coverage). */
export function passAtK(samples: Sample[], k: number): number {
  const c = samples.filter((s) => s.correct).length;
  return passAtKUnbiased(samples.length, c, k);
}

/** rm@k: the highest-scored of the first k samples that have an answer (first on ties) is right. */
export function rmAtK(samples: Sample[], k: number): boolean {
  let best: Sample | null = null;
  for (const s of samples.slice(0, k)) {
    if (s.answer === null || s.score === undefined) continue;
    if (best === null || s.score > (best.score as number)) best = s;
  }
  return best?.correct ?? false;
}

/** Tokens of the first k samples (what a run with only k samples would have generated). */
export function tokensAtK(samples: Sample[], k: number): number {
  return samples.slice(0, k).reduce((a, s) => a + s.tokens, 0);
}

/** Per-problem curve values stored with each result, so summaries never need the judge again. */
export interface SampleCurves {
  k: number[];
  maj: boolean[];
  pass: number[];
  rm?: boolean[];
  tokens: number[];
}

/**
 * `scored`: the samples were ranked by a reward model (best-of-N). Then rm@k is always recorded, so a
 * problem whose samples all lack an answer (none scored) counts as wrong instead of dropping the rm
 * curve for the whole run.
 */
export function sampleCurves(samples: Sample[], equal: (a: string, b: string) => boolean, scored = false): SampleCurves {
  const ks = kLadder(samples.length);
  const c: SampleCurves = {
    k: ks,
    maj: ks.map((k) => majAtK(samples, k, equal)),
    pass: ks.map((k) => passAtK(samples, k)),
    tokens: ks.map((k) => tokensAtK(samples, k)),
  };
  if (scored || samples.some((s) => s.score !== undefined)) c.rm = ks.map((k) => rmAtK(samples, k));
  return c;
}
