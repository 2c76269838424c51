import type { SampleCurves } from './metrics.js';

export type Verdict = 'correct' | 'wrong' | 'invalid';

/** One line of the per-problem results JSONL (`--out`). */
export interface ProblemResult {
  id: string;
  level: number | null;
  subject?: string;
  source?: string;
  gold: string | string[];
  /** The chosen solution's full text (steps, executed output, answer sentence). */
  prediction: string;
  /** The extracted final answer, or null when the search produced none. */
  answer: string | null;
  /** `invalid`: no answer at all; `wrong`: an answer that does not match the gold. */
  verdict: Verdict;
  correct: boolean;
  /** Policy tokens generated for this problem (all samples, all search work). */
  tokens: number;
  ms: number;
  /** Answer classes and their counts (voting modes). */
  votes?: Array<{ answer: string; count: number }>;
  /** Every candidate trajectory's answer, verdict, tokens and score (modes with more than one). */
  samples?: Array<{ answer: string | null; correct: boolean; tokens: number; score?: number }>;
  /** maj@k / pass@k / rm@k on the k ladder, from `samples` (i.i.d. sampling modes). */
  curves?: SampleCurves;
  /** Set when the search threw for this problem (verdict `invalid`); kept on --resume, not retried. */
  error?: string;
  /** Why step-level search stopped (MCTS, beam). */
  stopReason?: string;
  /** With `--save-trees`: the search tree's JSON file, relative to the results file's directory. */
  tree?: string;
}

export interface GroupSummary {
  /** The level ("1"), subject or source. */
  key: string;
  n: number;
  correct: number;
  accuracy: number;
  tokens: number;
}

/** One row of the accuracy-vs-tokens table. */
export interface CurvePoint {
  /** e.g. `pass@1`, `maj@8`, `pass@8` (coverage), `rm@4`. */
  metric: string;
  k: number;
  accuracy: number;
  /** Mean policy tokens per problem a run with only k samples would have generated. */
  tokensPerProblem: number;
}

export interface EvalSummary {
  dataset: string;
  data: string;
  mode: string;
  seed: number;
  /** Samples per problem (self-consistency, best-of-n); 1 for greedy. */
  samples: number;
  temperature: number;
  reward: string | null;
  /** True when terminal-guided MCTS saw the gold answers (an oracle upper bound, not a benchmark score). */
  oracle: boolean;
  n: number;
  correct: number;
  accuracy: number;
  invalid: number;
  /** Problems whose search threw (counted as invalid; see each record's `error`). */
  errors: number;
  /** Problems in this summary that were loaded from the results file (`--resume`). */
  resumed: number;
  perLevel: Array<GroupSummary & { level: string }>;
  perSubject: GroupSummary[];
  perSource: GroupSummary[];
  /** Accuracy against generated tokens: the mode's own score first, then the k ladder. */
  accuracyVsTokens: CurvePoint[];
  tokensGenerated: number;
  tokensPerProblem: number;
  /** This run's wall time. */
  wallSeconds: number;
  /** Wall time of every run that wrote the results file (equals wallSeconds without --resume). */
  totalWallSeconds: number;
  /** Sum of per-problem solve times (problems overlap in flight, so this exceeds wall time). */
  problemSeconds: number;
  tokensPerSecond: number;
  meanPolicyBatch?: number;
  /** Embedded engine only: the prefix cache (hit rate over prompt tokens looked up, evictions, bytes held). */
  kvCache?: { hitRate: number; hitTokens: number; lookupTokens: number; evictions: number; bytes: number; capMb: number };
}
