import type { SearchMode } from '../search/types.js';

/**
 * Modes whose trajectories are independent samples from the policy, so maj@k / pass@k / rm@k over
 * their first k trajectories are what a run with k samples would have scored.
 */
export const SAMPLING_MODES: readonly SearchMode[] = ['self-consistency', 'best-of-n'];

/** The name of a mode's own score in the accuracy-vs-tokens table. */
export function modeMetric(mode: SearchMode, n: number): string {
  switch (mode) {
    case 'greedy':
      return 'pass@1';
    case 'self-consistency':
      return `maj@${n}`;
    case 'best-of-n':
      return `rm@${n}`;
    default:
      return mode;
  }
}
