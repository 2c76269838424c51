import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { EvolveConfig } from './config.js';
import type { RoundRun } from './round-data.js';

/**
 * The on-disk layout of an `rstar evolve` run directory, shared by the evolve loop (which writes it)
 * and its readers (`rstar report`, `rstar view`, `rstar ablate`):
 *
 *   OUT/evolve.json                 the run's state (./state.ts: config, one entry per round, updated atomically)
 *   OUT/round-R/probe.json          frontier probe of the round's policy (with `probe:` in the config)
 *   OUT/round-R/sample/             sampling run (with `sampling:`): k samples per pool problem, as trees
 *   OUT/round-R/synth/              synthesis run (src/synth/synth-run.ts), trees and manifest
 *   OUT/round-R/synth-uK/           pass K over what is still unsolved (the round's `unsolvedRollouts`), a synthesis run
 *   OUT/round-R/sft.jsonl           verified trajectories used to train policy R (union of rounds ≤ R)
 *   OUT/round-R/pairs.jsonl         PPM preference pairs from this round's trees
 *   OUT/round-R/policy/             policy bundle R
 *   OUT/round-R/ppm/                bundle with policy R + ppm.onnx (PPM R)
 *   OUT/round-R/eval/MODE.jsonl     held-out evaluation results (src/eval results file + .meta.json)
 *
 * Round 0 has no synth/sft/pairs: its policy is the bootstrap (recorded in `EvolveRound.policy`), and
 * its eval directory holds the round-0 baselines.
 */

/** Evaluation modes the report knows, in table order. */
export const EVAL_MODES = ['greedy', 'sc', 'bon', 'mcts'] as const;
export type EvalModeName = (typeof EVAL_MODES)[number];
export const EVAL_MODE_LABELS: Record<EvalModeName, string> = {
  greedy: 'greedy (policy alone)',
  sc: 'self-consistency@N',
  bon: 'best-of-N (PPM)',
  mcts: 'PPM-guided MCTS',
};

export const roundDir = (out: string, r: number) => join(out, `round-${r}`);
export const evalFile = (out: string, r: number, mode: EvalModeName) => join(roundDir(out, r), 'eval', `${mode}.jsonl`);

/** The MCTS passes of round r ≥ 1: the main pass, then one per `unsolvedRollouts` entry. */
export function synthDirs(out: string, r: number, cfg: EvolveConfig): string[] {
  const round = cfg.rounds[r - 1];
  return [join(roundDir(out, r), 'synth'), ...round.unsolvedRollouts.map((_, k) => join(roundDir(out, r), `synth-u${k + 1}`))];
}

/** Every synthesis run of round r that exists on disk: the sampling run (with `sampling:`), then the MCTS passes. */
export function roundRuns(out: string, r: number, cfg: EvolveConfig): RoundRun[] {
  const sample: RoundRun[] = cfg.sampling ? [{ round: r, dir: join(roundDir(out, r), 'sample'), source: 'sampling' }] : [];
  return [...sample, ...synthDirs(out, r, cfg).map((dir): RoundRun => ({ round: r, dir, source: 'mcts' }))].filter((x) => existsSync(join(x.dir, 'trees')));
}
