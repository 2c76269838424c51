import type { Policy, RewardModel } from '../models/types.js';
import type { Executor } from '../sandbox/types.js';
import type { Judge } from '../grade/types.js';
import type { SearchTotals } from './tree.js';
import type { TreeJSON } from './tree-file.js';

/** Every search mode, in the order the CLI lists them (`--mode` on solve, eval and synth). */
export const SEARCH_MODES = ['greedy', 'self-consistency', 'best-of-n', 'beam', 'mcts'] as const;
export type SearchMode = (typeof SEARCH_MODES)[number];

/** Modes that need a reward model (a PPM, a served PRM, or the heuristic baseline). */
export const REWARD_MODES: readonly SearchMode[] = ['best-of-n', 'beam'];

/** How MCTS scores terminals: the known answer (data synthesis), the reward model, or `auto`. */
export const MCTS_GUIDES = ['auto', 'terminal', 'ppm'] as const;
export type MctsGuide = (typeof MCTS_GUIDES)[number];

/** How the final answer is chosen among scored trajectories (MCTS, beam). */
export const SELECT_MODES = ['best', 'topk-vote'] as const;
export type SelectMode = (typeof SELECT_MODES)[number];

/** How best-of-N turns per-step reward scores into one trajectory score. */
export const BON_AGGREGATES = ['last', 'mean', 'min'] as const;
export type BonAggregate = (typeof BON_AGGREGATES)[number];

export interface SearchConfig {
  mode: SearchMode;
  /** Samples for self-consistency and best-of-N. */
  n: number;
  temperature: number;
  topP: number;
  /** Token cap for the code part of one solution. */
  maxSolutionTokens: number;
  /** Token cap for the answer sentence. */
  maxAnswerTokens: number;
  /** Token cap for one step (step-level expansion). */
  maxStepTokens: number;
  seed: number;
  /** Sandbox deadline for one execution. */
  execTimeoutMs: number;

  // ── step-level search (MCTS, beam) ──
  /** MCTS rollouts per tree (paper: 16; round 1: 8). */
  rollouts?: number;
  /** Candidate steps proposed per expanded node in one policy request (paper: 8; round 1: 5). */
  candidates?: number;
  /** UCT exploration constant c in Q + c·sqrt(ln N(parent) / N(s)). */
  cPuct?: number;
  /** Nodes deeper than this become terminal (too many steps). */
  maxDepth?: number;
  /** Consecutive error nodes that end a branch (too many errors). */
  errorsThreshold?: number;
  /** Reward added along the path of a correct terminal; `negativeReward` for wrong/invalid ones. */
  positiveReward?: number;
  negativeReward?: number;
  /** MCTS guidance: `terminal` needs `gold`; `ppm` needs `deps.reward`; `auto` picks ppm when a reward model is given. */
  guide?: MctsGuide;
  /** Final answer choice among scored trajectories: highest score, or a vote among the top k. */
  select?: SelectMode;
  topK?: number;
  /** Beam search: partial trajectories kept per step. */
  beamWidth?: number;
  /** Best-of-N: trajectory score from the per-step reward scores. */
  bonAggregate?: BonAggregate;
  /** Per-problem budget of generated policy tokens; search stops once it is spent (0: none). */
  tokenBudget?: number;
  /** MCTS early stop: once this many valid terminals exist and all agree (0: off). */
  earlyStopAgree?: number;
  /** Ground truth for terminal-guided MCTS (data synthesis, oracle runs). Never used to pick an answer otherwise. */
  gold?: string | string[];
  /** Attach the search tree (tree JSON) to the result. */
  keepTree?: boolean;
}

export const DEFAULT_SEARCH_CONFIG: SearchConfig = {
  mode: 'greedy',
  n: 8,
  temperature: 0.8,
  topP: 0.95,
  maxSolutionTokens: 768,
  maxAnswerTokens: 96,
  maxStepTokens: 256,
  seed: 0,
  execTimeoutMs: 5000,
  rollouts: 16,
  candidates: 8,
  cPuct: 2,
  maxDepth: 16,
  errorsThreshold: 2,
  positiveReward: 1,
  negativeReward: -1,
  guide: 'auto',
  select: 'best',
  topK: 4,
  beamWidth: 4,
  bonAggregate: 'last',
  tokenBudget: 0,
  earlyStopAgree: 0,
  keepTree: true,
};

/** The config with every optional field filled from the defaults. */
export type ResolvedSearchConfig = Required<Omit<SearchConfig, 'gold'>> & Pick<SearchConfig, 'gold'>;

export function resolveConfig(cfg: SearchConfig): ResolvedSearchConfig {
  const out = { ...DEFAULT_SEARCH_CONFIG } as Record<string, unknown>;
  for (const [k, v] of Object.entries(cfg)) if (v !== undefined) out[k] = v;
  return out as ResolvedSearchConfig;
}

export interface SearchDeps {
  policy: Policy;
  executor: Executor;
  judge: Judge;
  reward?: RewardModel;
}

/** One complete solution attempt. */
export interface Trajectory {
  /** Model text after the prompt: `<code>` … steps … `<end_of_code>`, output, answer. */
  text: string;
  output: string | null;
  execStatus: string | null;
  execError: string | null;
  /** Extracted final answer, or null when the attempt produced none (invalid). */
  answer: string | null;
  tokens: number;
  /** Score used to rank it (reward model, terminal reward), when the mode scores trajectories. */
  score?: number;
  /** Tree node id of its terminal (MCTS, beam). */
  node?: number;
}

export interface SolveResult {
  mode: SearchMode;
  answer: string | null;
  trajectories: Trajectory[];
  /** Index of the trajectory shown as the solution. */
  chosen: number;
  /** Votes per distinct answer (self-consistency, top-k vote). */
  votes: Array<{ answer: string; count: number }>;
  tokens: number;
  ms: number;
  /** Calls and wall time split by component (step-level modes and best-of-N). */
  totals?: SearchTotals;
  /** The search tree (MCTS, beam) when `keepTree` is on. */
  tree?: TreeJSON;
}
