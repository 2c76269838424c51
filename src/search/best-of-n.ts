import { hashSeed } from '../util/rng.js';
import { formatPrompt, TAGS } from '../steps/protocol.js';
import { sampleSolutions } from './rollout.js';
import { majorityVote } from './vote.js';
import { resolveConfig, type SearchConfig, type SearchDeps, type SolveResult, type BonAggregate } from './types.js';
import { Meter, MeteredReward } from './meter.js';

/** Prefixes of a solution text ending at each `<end_of_step>`, then the whole text. */
export function stepPrefixes(text: string): string[] {
  const out: string[] = [];
  let i = text.indexOf(TAGS.endOfStep);
  while (i >= 0) {
    out.push(text.slice(0, i + TAGS.endOfStep.length));
    i = text.indexOf(TAGS.endOfStep, i + 1);
  }
  out.push(text);
  return out;
}

export function aggregate(scores: number[], how: BonAggregate): number {
  if (scores.length === 0) return -Infinity;
  if (how === 'last') return scores[scores.length - 1];
  if (how === 'min') return Math.min(...scores);
  return scores.reduce((a, b) => a + b, 0) / scores.length;
}

/**
 * Best-of-N with a reward model: N full samples, every step prefix of each scored (one reward call),
 * the trajectory score is the last step's score, the mean or the min; the best-scored trajectory with
 * an answer wins (`select: topk-vote` votes among the top k instead). Samples without an answer rank last.
 */
export async function bestOfN(question: string, deps: SearchDeps, cfgIn: SearchConfig): Promise<SolveResult> {
  const cfg = resolveConfig(cfgIn);
  if (!deps.reward) throw new Error('best-of-n needs a reward model (deps.reward)');
  const meter = new Meter();
  const seed = hashSeed(cfg.seed, question);
  // Sampling interleaves policy and sandbox calls; its time is reported as policy time.
  const trajs = await meter.wait('policy', sampleSolutions(question, cfg.n, cfg.temperature, deps, cfg, seed));
  meter.totals.policyCalls += 1 + trajs.filter((t) => t.execStatus === 'ok').length;
  meter.totals.policySequences += cfg.n + trajs.filter((t) => t.execStatus === 'ok').length;
  meter.totals.sandboxCalls += trajs.filter((t) => t.execStatus !== null).length;
  meter.totals.policyTokens = trajs.reduce((a, t) => a + t.tokens, 0);
  const prompt = formatPrompt(question);
  const prefixes = trajs.map((t) => (t.answer === null ? [] : stepPrefixes(t.text)));
  const flat = prefixes.flat().map((p) => prompt + p);
  let scores: number[] = [];
  if (flat.length > 0) scores = await new MeteredReward(deps.reward, meter).score(flat);
  let at = 0;
  trajs.forEach((t, i) => {
    const s = scores.slice(at, at + prefixes[i].length);
    at += prefixes[i].length;
    t.score = t.answer === null ? -Infinity : aggregate(s, cfg.bonAggregate);
  });
  const order = trajs.map((_t, i) => i).sort((a, b) => trajs[b].score! - trajs[a].score! || a - b);
  let chosen = order[0];
  let votes: Array<{ answer: string; count: number }> = [];
  const valid = order.filter((i) => trajs[i].answer !== null);
  if (cfg.select === 'topk-vote' && valid.length > 0) {
    const top = valid.slice(0, Math.max(1, cfg.topK));
    const classes = majorityVote(
      top.map((i) => trajs[i].answer),
      (a, b) => deps.judge.equal(a, b),
    );
    chosen = top[classes[0].members[0]];
    votes = classes.map((c) => ({ answer: c.answer, count: c.count }));
  } else if (valid.length > 0) votes = [{ answer: trajs[chosen].answer!, count: 1 }];
  for (const t of trajs) if (t.score === -Infinity) t.score = undefined;
  meter.totals.stopReason = 'done';
  const totals = meter.finish();
  return {
    mode: 'best-of-n',
    answer: valid.length > 0 ? trajs[chosen].answer : null,
    trajectories: trajs,
    chosen,
    votes,
    tokens: totals.policyTokens,
    ms: totals.wallMs,
    totals,
  };
}
