import type { TreeJSON } from '../search/tree.js';

/** Difficulty tiers from how often rollouts solve a problem (later rounds raise rollouts on the hard ones). */
export type Tier = 'easy' | 'medium' | 'hard' | 'unsolved';

/** Fraction of the tree's answered terminals that are correct (each rollout ends at one terminal). */
export function solveRate(tree: TreeJSON): { rate: number; correct: number; terminals: number } {
  let correct = 0;
  let terminals = 0;
  for (const n of tree.nodes) {
    if (!n.terminal || n.visits === 0) continue;
    terminals++;
    if (n.correct === true) correct++;
  }
  return { rate: terminals ? correct / terminals : 0, correct, terminals };
}

/** easy: >= 75% of terminals right; medium: >= 25%; hard: some right; unsolved: none. */
export function tierOf(rate: number, correct: number): Tier {
  if (correct === 0) return 'unsolved';
  if (rate >= 0.75) return 'easy';
  if (rate >= 0.25) return 'medium';
  return 'hard';
}
