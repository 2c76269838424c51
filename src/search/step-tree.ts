import { expandStep } from './expand.js';
import { majorityVote } from './vote.js';
import { parseSolution, formatPrompt } from '../steps/protocol.js';
import { hashSeed } from '../util/rng.js';
import type { ResolvedSearchConfig, SearchDeps, Trajectory, SelectMode, SolveResult } from './types.js';
import { SearchTree, qValue, type SearchNode } from './tree.js';
import type { Meter } from './meter.js';

/** Executable code of one generated step chunk. */
export function stepCode(text: string): string {
  return parseSolution(text)
    .steps.map((s) => s.code)
    .filter((c) => c.trim() !== '')
    .join('\n');
}

/**
 * Expands `node` with `cfg.candidates` proposals (one policy request; duplicates merged; every
 * candidate's accumulated code executed) and classifies each new child: answer terminal, invalid
 * terminal, error node (consecutive-error threshold), too deep. Values are left to the caller.
 * `deps` are the search's metered deps (`meteredDeps`), so the calls are counted.
 */
export async function expandNode(
  tree: SearchTree,
  node: SearchNode,
  question: string,
  deps: SearchDeps,
  cfg: ResolvedSearchConfig,
  treeSeed: number,
): Promise<SearchNode[]> {
  const prefix = tree.pathText(node);
  const seed = hashSeed(treeSeed, node.tag);
  const { candidates: cands, tokens } = await expandStep({ question, prefix, n: cfg.candidates, seed, deps, cfg });
  node.expansionTokens += tokens;
  const out: SearchNode[] = [];
  for (const c of cands) {
    const child = tree.add(node, c.answerText !== null ? c.text + c.answerText : c.text, c.tokens);
    child.code = stepCode(c.text);
    child.output = c.output;
    child.error = c.error;
    child.execStatus = c.execStatus;
    if (c.truncated) {
      child.terminal = true;
      child.reason = 'truncated';
    } else if (c.terminal) {
      child.terminal = true;
      child.answer = c.answer;
      child.reason = c.execStatus === 'ok' && c.answer !== null ? 'answer' : 'invalid';
      if (child.reason === 'answer' && cfg.gold !== undefined) child.correct = deps.judge.equal(c.answer!, cfg.gold);
    } else if (c.execStatus !== 'ok') {
      child.consecutiveErrors = node.consecutiveErrors + 1;
      if (child.consecutiveErrors >= cfg.errorsThreshold) {
        child.terminal = true;
        child.reason = 'too-many-errors';
      }
    }
    if (!child.terminal && child.depth > cfg.maxDepth) {
      child.terminal = true;
      child.reason = 'too-many-steps';
    }
    out.push(child);
  }
  return out;
}

/** Scores path texts with the reward model in one call (merged across searches by BatchingReward). */
export async function scorePaths(tree: SearchTree, nodes: SearchNode[], deps: SearchDeps): Promise<number[]> {
  if (nodes.length === 0) return [];
  if (!deps.reward) throw new Error('this search needs a reward model (deps.reward)');
  return deps.reward.score(nodes.map((n) => tree.prompt + tree.pathText(n)));
}

/** Mean Q over a node's path (root excluded): rStar's "highest average Q" tiebreak. O(depth). */
export function meanPathQ(tree: SearchTree, n: SearchNode): number {
  const p = tree.path(n);
  return p.length ? p.reduce((a, x) => a + qValue(x), 0) / p.length : 0;
}

export interface Choice {
  answer: string | null;
  trajectories: Trajectory[];
  chosen: number;
  votes: Array<{ answer: string; count: number }>;
  ranking: Array<{ node: number; score: number; answer: string }>;
}

/**
 * Final answer among terminal nodes with answers. Each gets a score (`scoreOf`); they are ranked by
 * score, then mean path Q, then creation order. `best` takes the top one; `topk-vote` votes among
 * the top `k` (ties go to the answer ranked higher).
 */
export function chooseAnswer(
  tree: SearchTree,
  finals: SearchNode[],
  scoreOf: (n: SearchNode) => number,
  select: SelectMode,
  k: number,
  deps: SearchDeps,
): Choice {
  const ranked = finals.map((n) => ({ n, s: scoreOf(n), mq: meanPathQ(tree, n) })).sort((a, b) => b.s - a.s || b.mq - a.mq || a.n.id - b.n.id);
  const trajectories: Trajectory[] = ranked.map(({ n, s }) => toTrajectory(tree, n, s));
  const ranking = ranked.map(({ n, s }) => ({ node: n.id, score: s, answer: n.answer! }));
  if (ranked.length === 0) return { answer: null, trajectories, chosen: 0, votes: [], ranking };
  if (select === 'best') {
    return { answer: ranked[0].n.answer, trajectories, chosen: 0, votes: [{ answer: ranked[0].n.answer!, count: 1 }], ranking };
  }
  const top = ranked.slice(0, Math.max(1, k));
  const classes = majorityVote(
    top.map((r) => r.n.answer),
    (a, b) => deps.judge.equal(a, b),
  );
  return {
    answer: classes[0].answer,
    trajectories,
    chosen: classes[0].members[0],
    votes: classes.map((c) => ({ answer: c.answer, count: c.count })),
    ranking,
  };
}

export function toTrajectory(tree: SearchTree, n: SearchNode, score?: number): Trajectory {
  const path = tree.path(n);
  return {
    text: path.map((p) => p.text).join(''),
    output: n.execStatus === 'ok' ? n.output : null,
    execStatus: n.execStatus,
    execError: n.error,
    answer: n.answer,
    tokens: path.reduce((a, p) => a + p.tokens, 0),
    score,
    node: n.id,
  };
}

export function newTree(question: string): SearchTree {
  return new SearchTree(formatPrompt(question));
}

export function budgetSpent(cfg: ResolvedSearchConfig, meter: Meter): boolean {
  return cfg.tokenBudget > 0 && meter.totals.policyTokens >= cfg.tokenBudget;
}

/** Config fields recorded in the tree JSON. */
export function treeConfig(cfg: ResolvedSearchConfig): Record<string, unknown> {
  const { gold: _gold, ...rest } = cfg;
  return rest;
}

/**
 * The end of a tree search (MCTS or beam): picks the answer among `finals` by their own values,
 * closes the meter and builds the result, with the tree JSON when the config keeps it.
 */
export function finishTreeSearch(opts: {
  mode: 'mcts' | 'beam';
  guide: string;
  question: string;
  tree: SearchTree;
  finals: SearchNode[];
  select: SelectMode;
  k: number;
  stop: string;
  meter: Meter;
  cfg: ResolvedSearchConfig;
  deps: SearchDeps;
}): SolveResult {
  const { mode, guide, question, tree, finals, cfg, meter } = opts;
  const choice = chooseAnswer(tree, finals, (n) => n.value ?? 0, opts.select, opts.k, opts.deps);
  meter.totals.stopReason = opts.stop;
  meter.totals.nodes = tree.nodes.length;
  const totals = meter.finish();
  return {
    mode,
    answer: choice.answer,
    trajectories: choice.trajectories,
    chosen: choice.chosen,
    votes: choice.votes,
    tokens: totals.policyTokens,
    ms: totals.wallMs,
    totals,
    tree: cfg.keepTree
      ? tree.toJSON({
          mode,
          guide,
          question,
          gold: cfg.gold ?? null,
          seed: cfg.seed,
          config: treeConfig(cfg),
          answer: choice.answer,
          ranking: choice.ranking,
          chosen: choice.trajectories[choice.chosen]?.node ?? null,
          totals,
        })
      : undefined,
  };
}
