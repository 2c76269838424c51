import { join } from 'node:path';

/**
 * The on-disk layout of an `rstar evolve` run directory, shared by the evolve loop (which writes it)
 * and `rstar report` (which reads it):
 *
 *   OUT/evolve.json                 EvolveState (config, one entry per round, updated atomically)
 *   OUT/round-R/probe.json          frontier probe of the round's policy (with `probe:` in the config)
 *   OUT/round-R/sample/             sampling run (with `sampling:`): k samples per pool problem, as trees
 *   OUT/round-R/synth/              synthesis run (src/synth/synth-run.ts), trees and manifest
 *   OUT/round-R/sft.jsonl           verified trajectories used to train policy R (union of rounds ≤ R)
 *   OUT/round-R/pairs.jsonl         PPM preference pairs from this round's trees
 *   OUT/round-R/policy/             policy bundle R
 *   OUT/round-R/ppm/                bundle with policy R + ppm.onnx (PPM R)
 *   OUT/round-R/eval/MODE.jsonl     held-out evaluation results (src/eval results file + .meta.json)
 *
 * Round 0 has no synth/sft/pairs: its policy is the bootstrap (recorded in `EvolveRound.policy`), and
 * its eval directory holds the round-0 baselines.
 */
export const EVOLVE_STATE_FILE = 'evolve.json';

/** Evaluation modes the report knows, in table order. */
export const EVAL_MODES = ['greedy', 'sc', 'bon', 'mcts'] as const;
export type EvalModeName = (typeof EVAL_MODES)[number];
export const EVAL_MODE_LABELS: Record<EvalModeName, string> = {
  greedy: 'greedy (policy alone)',
  sc: 'self-consistency@N',
  bon: 'best-of-N (PPM)',
  mcts: 'PPM-guided MCTS',
};

export interface EvolveRound {
  round: number;
  status: 'pending' | 'synth' | 'train-policy' | 'train-ppm' | 'eval' | 'complete';
  /** Policy bundle directory of this round (round 0: the bootstrap). */
  policy: string;
  /** Bundle directory with this round's PPM (null before it is trained; round 0: none). */
  ppm: string | null;
  /** Synthesis: guide used, rollouts, problems searched, coverage of the training set after this round. */
  synth: { guide: 'terminal' | 'ppm'; rollouts: number; problems: number; solved: number; tokens: number; wallSeconds: number } | null;
  /** Training-set coverage after this round: problems with at least one verified trajectory so far / all. */
  coverage: { solved: number; total: number; perLevel: Record<string, { n: number; solved: number }> } | null;
  sftExamples: number | null;
  ppmPairs: number | null;
  /** Held-out pair accuracy of this round's PPM. */
  ppmPairAccuracy: number | null;
  /** The frontier probe before this round (with `probe:`): per-level pass rates, the frontier, warnings. */
  probe?: {
    file: string;
    frontier: number[];
    levels: Array<{ level: number; problems: number; pass1: number; passK: number; frontier: boolean }>;
    warnings: string[];
  } | null;
  /** The problems this round searched: how many, per level, from the band, from the level above, and why when not at a frontier. */
  pool?: {
    problems: number;
    perLevel: Record<string, number>;
    levels: number[];
    inBand: number;
    above: { level: number; problems: number } | null;
    note: string | null;
  } | null;
  /** Cheap sampling before MCTS (with `sampling:`): problems sampled, solved (a verified trajectory), tokens. */
  sampling?: { problems: number; solved: number; samples: number; tokens: number; wallSeconds: number } | null;
  /** The SFT set: this round's trajectories, replayed earlier ones, where training started, optimizer steps (null: epochs). */
  sft?: { fresh: number; replay: number; init: string; epochs: number; maxSteps: number | null } | null;
  /** PPM pairs used for training and held out (by problem) for the pair accuracy. */
  ppmPairSplit?: { train: number; heldOut: number; heldOutProblems: number } | null;
  /** Held-out evaluation results files by mode (relative to the run directory). */
  eval: Partial<Record<EvalModeName, string>>;
  /** Wall seconds per stage, summed over every process that worked on it (./stage-clock.ts). */
  wallSeconds: Record<string, number>;
  /** Pairs the PPM's held-out pair accuracy was measured on (absent in runs made before it was recorded). */
  ppmHeldOutPairs?: number | null;
}

export interface EvolveState {
  format: 'rstar-ts/evolve@1';
  /** The parsed config (evolve.yaml) the run was started with. */
  config: Record<string, unknown>;
  command: string;
  started: string;
  updated: string;
  /**
   * 'checkpointed': stage times accumulate across kills and resumes. Absent in runs started before
   * that: their stage times count only work that finished in the process that started it.
   */
  stageTimes?: 'checkpointed';
  /** Held-out test set (a problems file or a curriculum spec) used by every round's eval. */
  testSet: string;
  /** N of self-consistency / best-of-N / MCTS rollouts in the evals. */
  evalN: number;
  rounds: EvolveRound[];
}

export const roundDir = (out: string, r: number) => join(out, `round-${r}`);
export const evalFile = (out: string, r: number, mode: EvalModeName) => join(roundDir(out, r), 'eval', `${mode}.jsonl`);
