import { sampleSolutions } from './rollout.js';
import type { SearchConfig, SearchDeps, SolveResult } from './types.js';
import { hashSeed } from '../util/rng.js';
import { majorityVote } from './vote.js';
import { mctsSearch } from './mcts.js';
import { beamSearch } from './beam.js';
import { bestOfN } from './best-of-n.js';

export { majorityVote };

/**
 * Solves one question with the configured search mode: greedy decoding, self-consistency (majority
 * over `n` samples), best-of-N with a reward model, step-level beam search, or MCTS. Many solve()
 * calls in flight share one BatchingPolicy (and BatchingReward), which merges their requests.
 */
export async function solve(question: string, deps: SearchDeps, cfg: SearchConfig): Promise<SolveResult> {
  if (cfg.mode === 'mcts') return mctsSearch(question, deps, cfg);
  if (cfg.mode === 'beam') return beamSearch(question, deps, cfg);
  if (cfg.mode === 'best-of-n') return bestOfN(question, deps, cfg);
  const t0 = performance.now();
  const seed = hashSeed(cfg.seed, question);
  if (cfg.mode === 'greedy') {
    const [t] = await sampleSolutions(question, 1, 0, deps, cfg, seed);
    return {
      mode: cfg.mode,
      answer: t.answer,
      trajectories: [t],
      chosen: 0,
      votes: t.answer ? [{ answer: t.answer, count: 1 }] : [],
      tokens: t.tokens,
      ms: performance.now() - t0,
    };
  }
  if (cfg.mode !== 'self-consistency') throw new Error(`unknown search mode: ${String(cfg.mode)}`);
  const trajs = await sampleSolutions(question, cfg.n, cfg.temperature, deps, cfg, seed);
  const classes = majorityVote(
    trajs.map((t) => t.answer),
    (a, b) => deps.judge.equal(a, b),
  );
  const top = classes[0];
  return {
    mode: cfg.mode,
    answer: top ? top.answer : null,
    trajectories: trajs,
    chosen: top ? top.members[0] : 0,
    votes: classes.map((c) => ({ answer: c.answer, count: c.count })),
    tokens: trajs.reduce((a, t) => a + t.tokens, 0),
    ms: performance.now() - t0,
  };
}
