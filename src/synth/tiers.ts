import type { TreeJSON } from '../search/tree-file.js';

/** Difficulty tiers from how often rollouts solve a problem (later rounds raise rollouts on the hard ones). */
export const TIERS = ['easy', 'medium', 'hard', 'unsolved'] as const;
export type Tier = (typeof TIERS)[number];

/** Lower bounds of the solve rate for the `easy` and `medium` tiers; `hard` is any rate above 0. */
export const TIER_THRESHOLDS = { easy: 0.75, medium: 0.25 } as const;

/**
 * Fraction of the tree's rollout-ending terminals that are correct. A terminal counts once it was
 * scored (visited): answer, invalid, truncated, too many errors or steps. Nodes marked `exhausted`
 * during selection (every child terminal; the root of a fully explored tree) end no rollout of their
 * own and are not counted.
 */
export function solveRate(tree: TreeJSON): { rate: number; correct: number; terminals: number } {
  let correct = 0;
  let terminals = 0;
  for (const n of tree.nodes) {
    if (!n.terminal || n.visits === 0 || n.reason === 'exhausted' || n.parent === null) continue;
    terminals++;
    if (n.correct === true) correct++;
  }
  return { rate: terminals ? correct / terminals : 0, correct, terminals };
}

/** easy: >= 75% of terminals right; medium: >= 25%; hard: some right; unsolved: none. */
export function tierOf(rate: number, correct: number): Tier {
  if (correct === 0) return 'unsolved';
  if (rate >= TIER_THRESHOLDS.easy) return 'easy';
  if (rate >= TIER_THRESHOLDS.medium) return 'medium';
  return 'hard';
}
