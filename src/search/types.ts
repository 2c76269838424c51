import type { Policy, RewardModel } from '../models/types.js';
import type { Executor } from '../sandbox/types.js';
import type { Judge } from '../grade/types.js';

export type SearchMode = 'greedy' | 'self-consistency';

export interface SearchConfig {
  mode: SearchMode;
  /** Samples for self-consistency (majority vote). */
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
};

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
}

export interface SolveResult {
  mode: SearchMode;
  answer: string | null;
  trajectories: Trajectory[];
  /** Index of the trajectory shown as the solution. */
  chosen: number;
  /** Votes per distinct answer (self-consistency). */
  votes: Array<{ answer: string; count: number }>;
  tokens: number;
  ms: number;
}
