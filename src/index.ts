/**
 * rstar-ts as a library: `import { openRuntime, solve, DEFAULT_BUNDLE, DEFAULT_SEARCH_CONFIG } from 'rstar-ts'`.
 * This file is the package's only entry point (package.json `exports`); the `rstar` command is
 * built on the same functions. Example: README.md, "As a library".
 */

// ── backends: models, sandbox and grader in one place ──

/** Opens a model bundle (or served models), the sandbox pool and the grader as `SearchDeps`; close it when done. */
export { openRuntime, openHttpPolicy, bundleHasPpm, RuntimeOptionsError } from './runtime.js';
/** The options and the handle of openRuntime. */
export type { Runtime, RuntimeOptions } from './runtime.js';
/** Whether a model location is an http(s) URL (a served model) rather than a bundle directory. */
export { isUrl } from './util/url.js';
/** The package root, and the bundle shipped in it (`models/default`, or `$RSTAR_BUNDLE` when set). */
export { PACKAGE_ROOT, DEFAULT_BUNDLE } from './paths.js';
/** Model bundle directories: the validated manifest, or the whole bundle (manifest, tokenizer, ONNX paths). */
export { readManifest, loadBundle } from './models/bundle.js';
export type { Bundle, Manifest } from './models/bundle.js';
/** The interfaces every search runs on: a policy that generates, a reward model that scores steps. */
export type { Policy, RewardModel, GenerateRequest, Completion } from './models/types.js';
/** Decorators that merge concurrent calls on a Policy / RewardModel into batched calls (openRuntime applies them). */
export { BatchingPolicy } from './models/batching/policy.js';
export { BatchingReward } from './models/batching/reward.js';
/** A non-learned reward model (execution heuristic), for best-of-n / beam without a PPM. */
export { HeuristicReward } from './search/heuristic-reward.js';

// ── search ──

/** Solves one question with `cfg.mode`: greedy, self-consistency, best-of-n, beam or mcts. */
export { solve } from './search/solve.js';
/** The searches solve() dispatches to, callable directly. */
export { mctsSearch } from './search/mcts.js';
export { beamSearch } from './search/beam.js';
export { bestOfN } from './search/best-of-n.js';
/** Greedy decoding and self-consistency sample whole solutions (code run in the sandbox) with this. */
export { sampleSolutions } from './search/rollout.js';
/** Answer classes by count (self-consistency's vote), equivalence decided by `equal`. */
export { majorityVote } from './search/vote.js';
/** Search settings: the defaults (spread them and set `mode`), the mode names. */
export { DEFAULT_SEARCH_CONFIG, SEARCH_MODES } from './search/types.js';
export type { SearchConfig, SearchDeps, SearchMode, SolveResult, Trajectory } from './search/types.js';

// ── grading ──

/** The math-equivalence grader: a Judge for searches, or the checks one at a time. */
export { createJudge, isEquivalent, extractAnswer, normalizeAnswer, goldAnswer } from './grade/index.js';
export type { Judge, EquivalenceOptions } from './grade/index.js';

// ── the step format ──

/** rStar's tagged step protocol: the prompt of a question, a model response split into steps and its `\boxed{}` answer. */
export { formatPrompt, parseSolution, lastBoxed, TAGS } from './steps/protocol.js';
export type { Step, ParsedSolution } from './steps/protocol.js';

// ── evaluation ──

/** Runs a search over a problem set: per-problem results (optionally a resumable JSONL file) and a summary. */
export { runEval, evalProblem, formatSummary } from './eval/run-eval.js';
export type { RunEvalOptions, EvalSummary, ProblemResult } from './eval/run-eval.js';
/** Problem sets for runEval: a JSONL file, rStar eval JSON, or `curriculum:level=…`. */
export { loadDataset } from './eval/datasets.js';
export type { Dataset, EvalProblem } from './eval/datasets.js';
export type { Problem } from './data/problems.js';

// ── self-evolution ──

/** Reads and validates an evolve.yaml. */
export { loadEvolveConfig } from './evolve/config.js';
export type { EvolveConfig } from './evolve/config.js';
/** Rounds of MCTS synthesis → policy SFT → PPM training → held-out eval; resumable. */
export { runEvolve } from './evolve/evolve.js';
export type { EvolveOptions, EvolveHooks } from './evolve/evolve.js';
export type { EvolveState } from './evolve/state.js';
