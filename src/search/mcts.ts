import { hashSeed } from '../util/rng.js';
import { resolveConfig, type SearchConfig, type SearchDeps, type SolveResult } from './types.js';
import { selectChild, update, backup, type SearchNode } from './tree.js';
import { Meter, meteredDeps } from './meter.js';
import { expandNode, scorePaths, newTree, budgetSpent, finishTreeSearch } from './step-tree.js';

/**
 * rStar-Math MCTS over code-augmented steps.
 *
 * Each rollout descends from the root by UCT (unvisited children get no exploration bonus; ties go
 * to the first child; terminal children are skipped), expanding every leaf it reaches with
 * `candidates` proposals, until it reaches a node whose children are all terminal. There is no
 * random simulation: only terminals back up.
 *  - terminal-guided (gold known): an answer terminal scores +1/−1 and the score is added to every
 *    node on its path as soon as it is created; an invalid terminal (program failed, no answer,
 *    truncated step, too many errors, too deep) gets −1 on itself only.
 *  - PPM-guided: every new non-terminal node gets one visit valued by the reward model; terminals
 *    back up ±1 when gold is known (synthesis) or their reward-model score otherwise (inference).
 *  - neither gold nor reward model ("vote"): answer terminals back up 0 and the answer is a
 *    majority vote over every answer found.
 */
export async function mctsSearch(question: string, deps: SearchDeps, cfgIn: SearchConfig): Promise<SolveResult> {
  const cfg = resolveConfig(cfgIn);
  const meter = new Meter();
  const metered = meteredDeps(deps, meter);
  const tree = newTree(question);
  const gold = cfg.gold;
  const guide = cfg.guide === 'auto' ? (deps.reward ? 'ppm' : gold !== undefined ? 'terminal' : 'vote') : cfg.guide;
  if (guide === 'terminal' && gold === undefined) throw new Error('terminal-guided MCTS needs the gold answer (cfg.gold)');
  if (guide === 'ppm' && !deps.reward) throw new Error('PPM-guided MCTS needs a reward model (deps.reward)');
  const treeSeed = hashSeed(cfg.seed, question);
  const root = tree.root;
  const finals: SearchNode[] = [];
  let agree = true;

  const onNewChildren = async (children: SearchNode[]): Promise<void> => {
    const toScore: SearchNode[] = [];
    for (const ch of children) {
      if (ch.terminal && ch.reason !== 'answer') {
        update(ch, cfg.negativeReward);
      } else if (ch.terminal) {
        if (finals.length > 0 && agree && !deps.judge.equal(ch.answer!, finals[0].answer!)) agree = false;
        finals.push(ch);
        if (gold !== undefined) backup(tree, ch, ch.correct ? cfg.positiveReward : cfg.negativeReward);
        else if (guide === 'ppm') toScore.push(ch);
        else backup(tree, ch, 0);
      } else if (guide === 'ppm') toScore.push(ch);
    }
    const values = await scorePaths(tree, toScore, metered);
    toScore.forEach((ch, i) => {
      if (ch.terminal) backup(tree, ch, values[i]);
      else update(ch, values[i]);
    });
  };

  let stop = 'rollouts';
  for (let r = 0; r < cfg.rollouts; r++) {
    if (root.terminal) {
      stop = 'exhausted';
      break;
    }
    if (budgetSpent(cfg, meter)) {
      stop = 'budget';
      break;
    }
    if (cfg.earlyStopAgree > 0 && agree && finals.length >= cfg.earlyStopAgree) {
      stop = 'settled';
      break;
    }
    meter.totals.rollouts++;
    let node = root;
    for (;;) {
      if (node.children.length === 0) {
        const children = await expandNode(tree, node, question, metered, cfg, treeSeed);
        await onNewChildren(children);
        if (budgetSpent(cfg, meter)) break;
      }
      const next = selectChild(tree, node, cfg.cPuct);
      if (next === null) {
        node.terminal = true;
        node.reason = 'exhausted';
        break;
      }
      node = next;
    }
  }
  if (stop === 'rollouts' && root.terminal) stop = 'exhausted';

  // Trajectory score: the terminal's own value (±1 with gold, reward-model score, 0 when voting).
  const select = guide === 'vote' ? 'topk-vote' : cfg.select;
  const k = guide === 'vote' ? finals.length : cfg.topK;
  return finishTreeSearch({ mode: 'mcts', guide, question, tree, finals, select, k, stop, meter, cfg, deps });
}
