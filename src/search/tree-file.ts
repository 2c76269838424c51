/**
 * The search-tree JSON file format, `rstar-ts/tree@1`: its zod schema and the types derived from it,
 * its one writer (`treeJSON`, which stamps the format; `SearchTree.toJSON` and the sampling rounds'
 * prefix trees go through it), its one reader (`parseTree` for a value, `readTreeFile` for a file:
 * the schema, then the links between nodes — ids are array indices, parents and children point at
 * each other), and the walks over a tree that its readers share (`pathTo`, `chosenNode`). Trees are
 * `--save-trees` files and the `tree` of every synthesis record (src/synth/synth-run.ts `readRun`).
 *
 * Older trees read as they are: without `chosen` (see `chosenNode`), without `expansionTokens` (see
 * src/synth/analyze.ts), with fewer `totals`. A tree whose `format` is another version is refused
 * with the file and the version named.
 */
import { z } from 'zod';
import { readJsonValue } from '../util/jsonl.js';

export const TREE_FORMAT = 'rstar-ts/tree@1';

/** Why a node ends its branch. */
export const TERMINAL_REASONS = [
  'answer', // closed the code block, ran, and produced an answer sentence
  'invalid', // closed the code block but the program failed or no answer could be extracted
  'truncated', // the step ran out of tokens before `<end_of_step>` (rStar: no valid child)
  'too-many-errors', // consecutive error nodes reached the threshold
  'too-many-steps', // deeper than maxDepth
  'exhausted', // every child is terminal (set during selection)
] as const;
export type TerminalReason = (typeof TERMINAL_REASONS)[number];

const int = z.number().int();
const nodeSchema = z.object({
  id: int.min(0),
  parent: int.min(0).nullable(),
  tag: z.string(),
  depth: int.min(0),
  text: z.string(),
  code: z.string(),
  output: z.string(),
  error: z.string().nullable(),
  execStatus: z.string().nullable(),
  terminal: z.boolean(),
  reason: z.enum(TERMINAL_REASONS).nullable(),
  answer: z.string().nullable(),
  correct: z.boolean().nullable(),
  visits: z.number(),
  q: z.number(),
  qSum: z.number(),
  value: z.number().nullable(),
  tokens: z.number(),
  /** Absent in trees written before it was recorded. */
  expansionTokens: z.number().optional(),
  children: z.array(int.min(0)),
});

export const treeSchema = z.object({
  format: z.literal(TREE_FORMAT),
  mode: z.string(),
  /** MCTS guidance actually used: terminal (gold known), ppm, or vote (neither). */
  guide: z.string().nullable(),
  question: z.string(),
  /** The prompt every node's path text continues. */
  prompt: z.string(),
  gold: z.union([z.string(), z.array(z.string())]).nullable(),
  seed: z.number(),
  config: z.record(z.string(), z.unknown()),
  answer: z.string().nullable(),
  /** Node ids of the valid terminals, best first, with their scores. */
  ranking: z.array(z.object({ node: int.min(0), score: z.number(), answer: z.string() })),
  /** Node id of the terminal whose trajectory was chosen as the solution (absent in trees written before it). */
  chosen: int.min(0).nullable().optional(),
  nodes: z.array(nodeSchema).min(1),
  // Partial: totals gained fields over time; the viewer shows what a tree has.
  totals: z
    .object({
      policyTokens: z.number(),
      policyCalls: z.number(),
      policySequences: z.number(),
      rewardCalls: z.number(),
      rewardTexts: z.number(),
      sandboxCalls: z.number(),
      rollouts: z.number(),
      nodes: z.number(),
      stopReason: z.string(),
      wallMs: z.number(),
      policyMs: z.number(),
      rewardMs: z.number(),
      sandboxMs: z.number(),
      bookkeepingMs: z.number(),
    })
    .partial(),
});

export type TreeNodeJSON = z.infer<typeof nodeSchema>;
export type TreeJSON = z.infer<typeof treeSchema>;

/** The one writer: a tree JSON value with this version's format. */
export function treeJSON(tree: Omit<TreeJSON, 'format'>): TreeJSON {
  return { format: TREE_FORMAT, ...tree };
}

/**
 * Validates a parsed tree JSON value. `where` (a file, `file:line` of a record) prefixes every error;
 * `field` is where the tree sits in that record (`tree.`), prefixed to every field name.
 */
export function parseTree(raw: unknown, where: string, field = ''): TreeJSON {
  const bad = (name: string, msg: string) => new Error(`${where}: field "${field}${name}": ${msg}`);
  const format = raw !== null && typeof raw === 'object' ? (raw as { format?: unknown }).format : undefined;
  if (format !== TREE_FORMAT) {
    throw bad(
      'format',
      `${format === undefined ? 'missing: not a tree JSON' : `unknown tree format ${JSON.stringify(format)}`} (this version reads ${TREE_FORMAT})`,
    );
  }
  const parsed = treeSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new Error(`${where}: ${i.path.length || field ? `field "${field}${i.path.join('.')}": ` : ''}${i.message}`);
  }
  const t = parsed.data;
  const n = t.nodes.length;
  if (t.nodes[0].parent !== null) throw bad('nodes.0.parent', 'the root has a parent');
  t.nodes.forEach((node, i) => {
    if (node.id !== i) throw bad(`nodes.${i}.id`, `is ${node.id}, expected its index ${i}`);
    if (i > 0 && (node.parent === null || node.parent >= n)) throw bad(`nodes.${i}.parent`, `${node.parent} is not a node of the tree`);
  });
  t.nodes.forEach((node, i) => {
    node.children.forEach((c, j) => {
      if (c >= n || c === 0) throw bad(`nodes.${i}.children.${j}`, `${c} is not a child node of the tree`);
      if (t.nodes[c].parent !== i) throw bad(`nodes.${i}.children.${j}`, `node ${c} has parent ${t.nodes[c].parent}, not ${i}`);
    });
  });
  t.ranking.forEach((r, i) => {
    if (r.node >= n) throw bad(`ranking.${i}.node`, `${r.node} is not a node of the tree`);
  });
  if (t.chosen !== undefined && t.chosen !== null && t.chosen >= n) throw bad('chosen', `${t.chosen} is not a node of the tree`);
  return t;
}

/** Reads and validates one tree JSON file. */
export function readTreeFile(file: string): TreeJSON {
  return parseTree(readJsonValue(file), file);
}

/** The nodes from the root's child down to `node` (the root excluded), by parent links. */
export function pathTo(tree: Pick<TreeJSON, 'nodes'>, node: TreeNodeJSON): TreeNodeJSON[] {
  const path: TreeNodeJSON[] = [];
  for (let n: TreeNodeJSON | undefined = node; n && n.parent !== null; n = tree.nodes[n.parent]) path.push(n);
  return path.reverse();
}

/**
 * The node id of the chosen solution's terminal: recorded since trees carry `chosen`; for older trees,
 * the best-ranked terminal whose answer is the tree's answer (what `select: best` chose; under
 * `topk-vote` the first of the winning class). Null when the search chose nothing.
 */
export function chosenNode(t: TreeJSON): number | null {
  if (t.chosen !== undefined) return t.chosen;
  if (t.answer === null) return null;
  return t.ranking.find((r) => r.answer === t.answer)?.node ?? t.ranking[0]?.node ?? null;
}
