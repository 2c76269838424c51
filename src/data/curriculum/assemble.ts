/** Turns family facts into sentences: shared by both ladders (moved verbatim from index.ts). */
import { FINAL_ANSWER_COMMENT, formatSolution, formatStep } from '../../steps/protocol.js';
import { cap, type Ctx, type Fact, type Part, type Quantity, type Variant } from './core.js';
import { distractor } from './distractors.js';
import type { Prng } from './rng.js';
import { NAMES, TOWNS } from './vocab.js';

export function flatten(rng: Prng, facts: Fact[]): string[] {
  return facts.flatMap((f) => (typeof f === 'string' ? [f] : rng.shuffle(f)));
}

/** v1 questions have at most this many sentences (facts, distractors and the question). */
export const MAX_SENTENCES = 6;

const PROPER = new Set([...NAMES.map((p) => p.name), ...TOWNS]);

/** "A costs $3." + "Each box holds 4." -> "A costs $3, and each box holds 4." */
function joinSentences(a: string, b: string): string {
  const first = b.split(/[\s']/)[0];
  const lower = PROPER.has(first) || /^[0-9$]/.test(first) ? b : b.charAt(0).toLowerCase() + b.slice(1);
  return `${a.replace(/\.$/, '')}, and ${lower}`;
}

/**
 * Merges adjacent sentences inside family blocks (shortest pair first) until the blocks hold at most
 * `limit` sentences; false when that is impossible.
 */
export function fitSentences(blocks: string[][], limit: number): boolean {
  for (;;) {
    const total = blocks.reduce((a, b) => a + b.length, 0);
    if (total <= limit) return true;
    let bi = -1;
    let bj = -1;
    let bestLen = Infinity;
    for (let i = 0; i < blocks.length; i++) {
      for (let j = 0; j + 1 < blocks[i].length; j++) {
        const len = blocks[i][j].length + blocks[i][j + 1].length;
        if (len < bestLen) [bi, bj, bestLen] = [i, j, len];
      }
    }
    if (bi < 0) return false;
    const [i, j] = [bi, bj];
    blocks[i].splice(j, 2, joinSentences(blocks[i][j], blocks[i][j + 1]));
  }
}

/**
 * The question: family blocks in order, `nd` distractors only between blocks (never between a
 * sentence and one that refers back to it), then the question sentence.
 */
export function placeSentences(rng: Prng, ctx: Ctx, blocks: string[][], question0: string, nd: number): string {
  const slots: string[][] = blocks.map(() => []);
  slots.push([]);
  let text = [...blocks.flat(), question0].join(' ');
  const other = NAMES.filter((p) => !ctx.names.includes(p.name));
  for (let i = 0; i < nd; i++) {
    const d = distractor(rng, text, ctx.names, rng.pick(other).name);
    slots[rng.int(0, blocks.length)].push(d);
    text += ` ${d}`;
  }
  const sentences: string[] = [];
  blocks.forEach((b, i) => sentences.push(...slots[i], ...b));
  sentences.push(...slots[blocks.length], question0);
  return sentences.join(' ');
}

/** The worked solution in the step protocol: one step per solution step, then the print step. */
export function workedSolution(ctx: Ctx, result: Quantity): { answer: string; solution: string } {
  const steps = ctx.sol.steps.map((s, i) => formatStep([`Step ${i + 1}: ${s.comment}`], s.lines.join('\n')));
  steps.push(formatStep([FINAL_ANSWER_COMMENT.replace(/^#\s*/, '')], `print(${result.var})`));
  const answer = String(result.value);
  const solution = formatSolution(steps, answer, `${cap(result.ref)} is \\boxed{${answer}}.`);
  return { answer, solution };
}

/**
 * Runs a chain of family variants, each taking the previous one's result as its input, and checks
 * that the code they wrote has the operations they declare. Null when a variant cannot fit its input
 * or an intermediate quantity goes negative (the caller draws again).
 */
export function runChain(ctx: Ctx, chain: readonly Variant[]): Part[] | null {
  const parts: Part[] = [];
  let input: Quantity | undefined;
  for (const [i, v] of chain.entries()) {
    ctx.producer = i < chain.length - 1;
    const p = v.gen(ctx, input);
    if (!p) return null;
    parts.push(p);
    input = p.result;
  }
  const declared = declaredOps(chain);
  if (ctx.sol.ops !== declared) {
    throw new Error(`curriculum bug: ${chain.map((v) => v.id).join(' -> ')} declares ${declared} ops but wrote ${ctx.sol.ops}`);
  }
  for (const v of ctx.sol.env.values()) if (v < 0n) return null; // no negative intermediate quantities
  return parts;
}

/** A generated problem: the question, its worked solution and answer, and what it was built from. */
export interface BuiltProblem {
  question: string;
  answer: string;
  solution: string;
  families: string[];
  variants: string[];
  ops: number;
  distractors: number;
}

/** The problem a chain of variants made, worded as `question` with `distractors` distractor sentences. */
export function builtProblem(ctx: Ctx, result: Quantity, chain: readonly Variant[], question: string, distractors: number): BuiltProblem {
  return {
    question,
    ...workedSolution(ctx, result),
    families: chain.map((v) => v.id.split('.')[0]),
    variants: chain.map((v) => v.id),
    ops: declaredOps(chain),
    distractors,
  };
}

/** The operations a chain of variants declares (what `runChain` checks the written code against). */
export function declaredOps(chain: readonly Variant[]): number {
  return chain.reduce((a, v) => a + v.ops, 0);
}
