import { hashSeed } from '../util/rng.js';
import { resolveConfig, type SearchConfig, type SearchDeps, type SolveResult } from './types.js';
import type { SearchNode } from './tree.js';
import { Meter, meteredDeps } from './meter.js';
import { expandNode, scorePaths, newTree, budgetSpent, finishTreeSearch } from './step-tree.js';

/**
 * Step-level beam search (rStar's `bs` mode): every beam node proposes `candidates` next steps (all
 * beam nodes expand concurrently, so their requests merge into one batch), every new candidate is
 * scored by the reward model in one call, and the top `beamWidth` partial trajectories by score are
 * kept. Each completed answer leaves the beam and shrinks its width by one; invalid terminals (failed
 * program, truncated step, too many errors, too deep) drop out with the negative reward.
 */
export async function beamSearch(question: string, deps: SearchDeps, cfgIn: SearchConfig): Promise<SolveResult> {
  const cfg = resolveConfig(cfgIn);
  if (!deps.reward) throw new Error('beam search needs a reward model (deps.reward)');
  const meter = new Meter();
  const metered = meteredDeps(deps, meter);
  const tree = newTree(question);
  const treeSeed = hashSeed(cfg.seed, question);
  const finals: SearchNode[] = [];
  let width = cfg.beamWidth;
  let beam: SearchNode[] = [tree.root];
  let stop = 'done';
  while (beam.length > 0 && width > 0) {
    if (budgetSpent(cfg, meter)) {
      stop = 'budget';
      break;
    }
    meter.totals.rollouts++;
    const groups = await Promise.all(beam.map((n) => expandNode(tree, n, question, metered, cfg, treeSeed)));
    const cands = groups.flat();
    const toScore = cands.filter((c) => !c.terminal || c.reason === 'answer');
    const values = await scorePaths(tree, toScore, metered);
    toScore.forEach((c, i) => (c.value = values[i]));
    for (const c of cands) if (c.value === null) c.value = cfg.negativeReward;
    // Stable sort: equal scores keep generation order.
    const sorted = cands.map((c, i) => ({ c, i })).sort((a, b) => b.c.value! - a.c.value! || a.i - b.i);
    const next: SearchNode[] = [];
    for (const { c } of sorted) {
      if (c.reason === 'answer') {
        finals.push(c);
        width--;
      } else if (!c.terminal) next.push(c);
    }
    beam = next.slice(0, Math.max(0, width));
  }
  return finishTreeSearch({ mode: 'beam', guide: 'reward', question, tree, finals, select: cfg.select, k: cfg.topK, stop, meter, cfg, deps });
}
