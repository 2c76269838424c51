import { sampleSolutions } from './rollout.js';
import type { SearchConfig, SearchDeps, SolveResult } from './types.js';
import { hashSeed } from '../util/rng.js';

/** Groups answers into equivalence classes with the judge and returns them by descending count. */
export function majorityVote(answers: Array<string | null>, equal: (a: string, b: string) => boolean): Array<{ answer: string; count: number; members: number[] }> {
  const classes: Array<{ answer: string; count: number; members: number[] }> = [];
  answers.forEach((a, i) => {
    if (a === null) return;
    const hit = classes.find((c) => c.answer === a || equal(a, c.answer));
    if (hit) {
      hit.count++;
      hit.members.push(i);
    } else classes.push({ answer: a, count: 1, members: [i] });
  });
  // Stable: ties go to the answer seen first.
  return classes.sort((x, y) => y.count - x.count || x.members[0] - y.members[0]);
}

/** Greedy decoding (one deterministic solution) or self-consistency (majority over n samples). */
export async function solve(question: string, deps: SearchDeps, cfg: SearchConfig): Promise<SolveResult> {
  const t0 = performance.now();
  const seed = hashSeed(cfg.seed, question);
  if (cfg.mode === 'greedy') {
    const [t] = await sampleSolutions(question, 1, 0, deps, cfg, seed);
    return { mode: cfg.mode, answer: t.answer, trajectories: [t], chosen: 0, votes: t.answer ? [{ answer: t.answer, count: 1 }] : [], tokens: t.tokens, ms: performance.now() - t0 };
  }
  const trajs = await sampleSolutions(question, cfg.n, cfg.temperature, deps, cfg, seed);
  const classes = majorityVote(trajs.map((t) => t.answer), (a, b) => deps.judge.equal(a, b));
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
