/**
 * Search trees described compactly, for tests and benches, and written by the real writer (`treeJSON`
 * in src/search/tree-file.ts). A node is its parent and whatever differs from a plain visited step;
 * the builder numbers it, tags it as the search does (`0`, `0.1`, `0.1.2`, …), sets its depth and
 * links it to its parent. `end` makes it a terminal: an answer, right (true) or wrong (false), or
 * another reason.
 */
import { treeJSON, type TerminalReason, type TreeJSON, type TreeNodeJSON } from '../../src/search/tree-file.js';
import { emptyTotals } from '../../src/search/tree.js';

export interface NodeSpec extends Partial<Omit<TreeNodeJSON, 'id' | 'parent' | 'tag' | 'depth' | 'children'>> {
  /** The parent's id; null for the root, which is added first. */
  parent: number | null;
  /** A terminal: an answer, right (true) or wrong (false), or a terminal with another reason (`correct` null). */
  end?: boolean | Exclude<TerminalReason, 'answer'>;
}

/** Tree-level fields; `totals` are merged over empty ones (with the node count). */
export type TreeFields = Partial<Omit<TreeJSON, 'format' | 'nodes'>>;

export class TreeBuilder {
  readonly nodes: TreeNodeJSON[] = [];

  /** Adds a node (the first one is the root) and returns it; defaults: visited once, Q 0, executed ok. */
  add({ parent, end, ...fields }: NodeSpec): TreeNodeJSON {
    const id = this.nodes.length;
    const up = parent === null ? null : this.nodes[parent];
    const q = fields.q ?? 0;
    const visits = fields.visits ?? 1;
    const node: TreeNodeJSON = {
      id,
      parent,
      tag: up ? `${up.tag}.${up.children.length + 1}` : '0',
      depth: up ? up.depth + 1 : 0,
      text: '',
      code: '',
      output: '',
      error: null,
      execStatus: up ? 'ok' : null,
      terminal: end !== undefined,
      reason: end === undefined ? null : typeof end === 'boolean' ? 'answer' : end,
      answer: null,
      correct: typeof end === 'boolean' ? end : null,
      visits,
      q,
      qSum: q * visits,
      value: null,
      tokens: 0,
      ...fields,
      children: [],
    };
    up?.children.push(id);
    this.nodes.push(node);
    return node;
  }

  /** The tree JSON (a copy: the builder can go on growing). */
  tree(fields: TreeFields = {}): TreeJSON {
    const { totals, ...rest } = fields;
    return treeJSON({
      mode: 'mcts',
      guide: 'terminal',
      question: 'Q?',
      prompt: 'PROMPT\n',
      gold: '1',
      seed: 0,
      config: {},
      answer: null,
      ranking: [],
      ...rest,
      nodes: this.nodes.map((n) => ({ ...n, children: [...n.children] })),
      totals: { ...emptyTotals(), nodes: this.nodes.length, ...totals },
    });
  }
}

/** A tree from its nodes in id order (each node's parent before it). */
export function buildTree(nodes: NodeSpec[], fields: TreeFields = {}): TreeJSON {
  const b = new TreeBuilder();
  for (const n of nodes) b.add(n);
  return b.tree(fields);
}
