/**
 * Reading tree JSON (`rstar-ts/tree@1`, written by `SearchTree.toJSON`: `--save-trees`, synthesis
 * shards) back with validation: the schema, then the links between nodes (ids are array indices,
 * parents and children point at each other). Errors name the file and the field.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { TreeJSON } from './tree.js';

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
  reason: z.enum(['answer', 'invalid', 'truncated', 'too-many-errors', 'too-many-steps', 'exhausted']).nullable(),
  answer: z.string().nullable(),
  correct: z.boolean().nullable(),
  visits: z.number(),
  q: z.number(),
  qSum: z.number(),
  value: z.number().nullable(),
  tokens: z.number(),
  expansionTokens: z.number().optional(),
  children: z.array(int.min(0)),
});

export const treeSchema = z.object({
  format: z.literal('rstar-ts/tree@1'),
  mode: z.string(),
  guide: z.string().nullable(),
  question: z.string(),
  prompt: z.string(),
  gold: z.union([z.string(), z.array(z.string())]).nullable(),
  seed: z.number(),
  config: z.record(z.string(), z.unknown()),
  answer: z.string().nullable(),
  ranking: z.array(z.object({ node: int.min(0), score: z.number(), answer: z.string() })),
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

// What the search writes must be readable here (a compile-time check; exported only so noUnusedLocals keeps it).
type Assignable<T extends U, U> = T;
export type _WriterFits = Assignable<TreeJSON, z.infer<typeof treeSchema>>;

/** Validates a parsed tree JSON value; `where` (a file, a record) prefixes every error. */
export function parseTree(raw: unknown, where: string): TreeJSON {
  const parsed = treeSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new Error(`${where}: ${i.path.length ? `field "${i.path.join('.')}": ` : ''}${i.message}`);
  }
  const t = parsed.data as TreeJSON;
  const n = t.nodes.length;
  const bad = (field: string, msg: string) => new Error(`${where}: field "${field}": ${msg}`);
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
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `invalid JSON: ${(e as Error).message}`}`);
  }
  return parseTree(raw, file);
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
