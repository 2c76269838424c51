/**
 * The search tree shared by MCTS and beam search and its per-search totals (counted by ./meter.ts);
 * `toJSON` writes it in the tree file format (./tree-file.ts).
 *
 * Nodes live in one array; a node knows its parent and children by index, so selection and backup
 * walk one root-to-leaf path (O(depth)) and nothing scans the whole tree.
 */
import { treeJSON, type TerminalReason, type TreeJSON } from './tree-file.js';

export interface SearchNode {
  id: number;
  parent: number | null;
  /** rStar-style tag: root `0`, its second child `0.2`, … */
  tag: string;
  depth: number;
  /** The generated chunk (step text and closing tag; terminals also carry output and answer sentence). */
  text: string;
  /** The executable code of this step. */
  code: string;
  /** Stdout of the accumulated program at this node. */
  output: string;
  error: string | null;
  execStatus: string | null;
  consecutiveErrors: number;
  terminal: boolean;
  reason: TerminalReason | null;
  answer: string | null;
  /** Terminal answers with a known gold: whether the answer is right. */
  correct: boolean | null;
  visits: number;
  /** Sum of backed-up values; Q = qSum / visits. */
  qSum: number;
  /** First value the node received (reward-model score, or its terminal reward). */
  value: number | null;
  /** Policy tokens generated for this node (step + answer sentence). */
  tokens: number;
  /**
   * Policy tokens spent expanding this node: its children's tokens plus the proposals merged away as
   * duplicates (or empty). Over a tree these add up to the search's policy tokens.
   */
  expansionTokens: number;
  children: number[];
}

export interface SearchTotals {
  policyTokens: number;
  /** generate() requests issued by this search (each merged by the batching policy). */
  policyCalls: number;
  /** Sequences requested (sum of n). */
  policySequences: number;
  rewardCalls: number;
  rewardTexts: number;
  sandboxCalls: number;
  rollouts: number;
  nodes: number;
  /** Why the search stopped (MCTS: rollouts, exhausted, budget, settled). */
  stopReason: string;
  wallMs: number;
  /** Time this search spent awaiting each component (including queueing behind other searches' batches). */
  policyMs: number;
  rewardMs: number;
  sandboxMs: number;
  /** Synchronous time spent in search code itself (selection, backup, parsing, bookkeeping). */
  bookkeepingMs: number;
}

// Every totals field the search records is one the tree file declares, and the other way round.
type Assignable<T extends U, U> = T;
export type _TotalsFit = [Assignable<SearchTotals, Required<TreeJSON['totals']>>, Assignable<Required<TreeJSON['totals']>, SearchTotals>];

/** Totals before anything is counted. */
export function emptyTotals(): SearchTotals {
  return {
    policyTokens: 0,
    policyCalls: 0,
    policySequences: 0,
    rewardCalls: 0,
    rewardTexts: 0,
    sandboxCalls: 0,
    rollouts: 0,
    nodes: 0,
    stopReason: '',
    wallMs: 0,
    policyMs: 0,
    rewardMs: 0,
    sandboxMs: 0,
    bookkeepingMs: 0,
  };
}

export class SearchTree {
  readonly nodes: SearchNode[] = [];

  constructor(readonly prompt: string) {
    this.add(null, '', 0);
  }

  get root(): SearchNode {
    return this.nodes[0];
  }

  add(parent: SearchNode | null, text: string, tokens: number): SearchNode {
    const node: SearchNode = {
      id: this.nodes.length,
      parent: parent ? parent.id : null,
      tag: parent ? `${parent.tag}.${parent.children.length + 1}` : '0',
      depth: parent ? parent.depth + 1 : 0,
      text,
      code: '',
      output: '',
      error: null,
      execStatus: null,
      consecutiveErrors: 0,
      terminal: false,
      reason: null,
      answer: null,
      correct: null,
      visits: 0,
      qSum: 0,
      value: null,
      tokens,
      expansionTokens: 0,
      children: [],
    };
    this.nodes.push(node);
    if (parent) parent.children.push(node.id);
    return node;
  }

  parentOf(n: SearchNode): SearchNode | null {
    return n.parent === null ? null : this.nodes[n.parent];
  }

  /** Root-to-node path (root excluded). O(depth). */
  path(n: SearchNode): SearchNode[] {
    const out: SearchNode[] = [];
    for (let c: SearchNode | null = n; c && c.parent !== null; c = this.parentOf(c)) out.push(c);
    return out.reverse();
  }

  /** The model text of the path after the prompt. */
  pathText(n: SearchNode): string {
    return this.path(n)
      .map((p) => p.text)
      .join('');
  }

  toJSON(meta: Omit<TreeJSON, 'format' | 'nodes' | 'prompt'>): TreeJSON {
    return treeJSON({
      ...meta,
      prompt: this.prompt,
      nodes: this.nodes.map((n) => ({
        id: n.id,
        parent: n.parent,
        tag: n.tag,
        depth: n.depth,
        text: n.text,
        code: n.code,
        output: n.output,
        error: n.error,
        execStatus: n.execStatus,
        terminal: n.terminal,
        reason: n.reason,
        answer: n.answer,
        correct: n.correct,
        visits: n.visits,
        q: qValue(n),
        qSum: n.qSum,
        value: n.value,
        tokens: n.tokens,
        expansionTokens: n.expansionTokens,
        children: [...n.children],
      })),
    });
  }
}

/** Q(s) = q(s) / N(s); 0 for a node never visited. */
export function qValue(n: SearchNode): number {
  return n.visits === 0 ? 0 : n.qSum / n.visits;
}

/**
 * UCT score as in rStar-math: Q(s) + c·sqrt(ln N(parent) / N(s)); a child never visited (or under a
 * parent never visited) gets no exploration bonus.
 */
export function uct(child: SearchNode, parentVisits: number, c: number): number {
  const q = qValue(child);
  if (child.visits === 0 || parentVisits === 0) return q;
  return q + c * Math.sqrt(Math.log(parentVisits) / child.visits);
}

/** Best non-terminal child by UCT; ties go to the first child. Null when every child is terminal. */
export function selectChild(tree: SearchTree, node: SearchNode, c: number): SearchNode | null {
  let best: SearchNode | null = null;
  let bestScore = -Infinity;
  for (const id of node.children) {
    const ch = tree.nodes[id];
    if (ch.terminal) continue;
    const s = uct(ch, node.visits, c);
    if (s > bestScore) {
      bestScore = s;
      best = ch;
    }
  }
  return best;
}

/** One visit with `value` on the node itself (rStar `update`): the first value also becomes its `value`. */
export function update(n: SearchNode, value: number): void {
  if (n.value === null) n.value = value;
  n.visits++;
  n.qSum += value;
}

/** Adds `value` to every node from `n` up to the root (rStar `update_recursive`). O(depth). */
export function backup(tree: SearchTree, n: SearchNode, value: number): void {
  for (let c: SearchNode | null = n; c; c = tree.parentOf(c)) update(c, value);
}
