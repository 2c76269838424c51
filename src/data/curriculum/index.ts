/**
 * The synthetic math curriculum: word problems with exact integer answers in nine families, tiered
 * into five levels by number of operations, distractor sentences, number size and composition of
 * families. Levels 1-2 carry a worked solution in rStar's step protocol (the seed SFT data); levels
 * 3-5 carry only the final answer (the reference solution is available through
 * `generateProblemsWithReference`). Train and test splits are disjoint by construction: a problem's
 * split is a hash of its normalized question.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { FINAL_ANSWER_COMMENT, formatSolution, formatStep } from '../../steps/protocol.js';
import { Ctx, LEVEL_SPECS, cap, type Family, type Fact, type Part, type Quantity, type Variant } from './core.js';
import { distractor } from './distractors.js';
import { Prng } from './rng.js';
import { NAMES, TOWNS } from './vocab.js';
import { ages } from './families/ages.js';
import { counting } from './families/counting.js';
import { geometry } from './families/geometry.js';
import { linear } from './families/linear.js';
import { rates } from './families/rates.js';
import { ratios } from './families/ratios.js';
import { remainders } from './families/remainders.js';
import { sequences } from './families/sequences.js';
import { shopping } from './families/shopping.js';

export { LEVEL_SPECS } from './core.js';
export type { LevelSpec } from './core.js';

/** Bump when generation changes in a way that changes datasets for the same options. */
export const CURRICULUM_VERSION = 1;

export const FAMILIES: readonly Family[] = [shopping, rates, ratios, ages, remainders, linear, counting, sequences, geometry];
export const FAMILY_NAMES: readonly string[] = FAMILIES.map((f) => f.name);

export type Level = 1 | 2 | 3 | 4 | 5;
export type Split = 'train' | 'test';

export interface CurriculumProblem {
  id: string;
  question: string;
  answer: string;
  level: number;
  source: 'curriculum';
  families: string[];
  /** Worked solution in the step protocol (levels 1-2 only). */
  solution?: string;
}

export interface ReferenceProblem extends CurriculumProblem {
  /** Worked solution in the step protocol, for every level. Never emitted by `generateProblems`. */
  referenceSolution: string;
  /** Arithmetic operators in the reference code. */
  ops: number;
  /** Variant ids in composition order, e.g. ["geometry.area", "shopping.buy"]. */
  variants: string[];
  /** Number of distractor sentences in the question. */
  distractors: number;
}

export const generateOptionsSchema = z.object({
  level: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4), z.literal(5)]),
  count: z.number().int().min(0).max(1_000_000),
  seed: z.number().int(),
  split: z.enum(['train', 'test']),
});

export type GenerateOptions = z.infer<typeof generateOptionsSchema>;

/** Fraction of all questions that hash into the test split. */
export const TEST_FRACTION = 0.1;

export function normalizeQuestion(question: string): string {
  return question.normalize('NFKC').trim().toLowerCase().replace(/\s+/g, ' ');
}

/** SHA-256 (hex) of the normalized question. */
export function questionHash(question: string): string {
  return createHash('sha256').update(normalizeQuestion(question)).digest('hex');
}

/** The split a question belongs to, whatever level or seed produced it. */
export function splitOf(question: string): Split {
  const h = parseInt(questionHash(question).slice(0, 8), 16);
  return h / 0x100000000 < TEST_FRACTION ? 'test' : 'train';
}

/** Answer limits by level (keeps numbers tokenizer-friendly). */
const MAX_ANSWER: Record<Level, number> = { 1: 10_000, 2: 10_000, 3: 100_000, 4: 1_000_000, 5: 1_000_000 };

function pickChain(rng: Prng, level: Level): Variant[] | null {
  const spec = LEVEL_SPECS[level];
  const [lo, hi] = spec.ops;
  const nFam = rng.int(spec.families[0], spec.families[1]);
  if (nFam === 1) {
    const fam = rng.pick(FAMILIES);
    const ok = fam.variants.filter((v) => v.ops >= lo && v.ops <= hi);
    return ok.length ? [rng.pick(ok)] : null;
  }
  for (let tries = 0; tries < 100; tries++) {
    const fams = rng.shuffle(FAMILIES).slice(0, nFam);
    const chain = fams.map((f, i) => rng.pick(i === 0 ? f.variants : f.variants.filter((v) => v.consumes)));
    const ops = chain.reduce((a, v) => a + v.ops, 0);
    if (ops >= lo && ops <= hi) return chain;
  }
  return null;
}

function flatten(rng: Prng, facts: Fact[]): string[] {
  return facts.flatMap((f) => (typeof f === 'string' ? [f] : rng.shuffle(f)));
}

/** Questions have at most this many sentences (facts, distractors and the question). */
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
function fitSentences(blocks: string[][], limit: number): boolean {
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

interface Built {
  question: string;
  answer: string;
  solution: string;
  families: string[];
  variants: string[];
  ops: number;
  distractors: number;
}

function buildOne(rng: Prng, level: Level): Built | null {
  const spec = LEVEL_SPECS[level];
  const chain = pickChain(rng, level);
  if (!chain) return null;
  const ctx = new Ctx(rng, level, spec.scale);
  const parts: Part[] = [];
  let input: Quantity | undefined;
  for (const [i, v] of chain.entries()) {
    ctx.producer = i < chain.length - 1;
    const p = v.gen(ctx, input);
    if (!p) return null;
    parts.push(p);
    input = p.result;
  }
  const declared = chain.reduce((a, v) => a + v.ops, 0);
  if (ctx.sol.ops !== declared) {
    throw new Error(`curriculum bug: ${chain.map((v) => v.id).join(' -> ')} declares ${declared} ops but wrote ${ctx.sol.ops}`);
  }
  for (const v of ctx.sol.env.values()) if (v < 0n) return null; // no negative intermediate quantities
  const result = parts[parts.length - 1].result;
  if (result.value <= 0 || result.value > MAX_ANSWER[level]) return null;

  // Question: family blocks in order, distractors only between blocks (never between a sentence and
  // one that refers back to it), then the last family's question.
  const blocks = parts.map((p) => flatten(rng, p.facts));
  const question0 = parts[parts.length - 1].question;
  const nd = rng.int(spec.distractors[0], spec.distractors[1]);
  if (!fitSentences(blocks, MAX_SENTENCES - nd - 1)) return null;
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
  const question = sentences.join(' ');

  const steps = ctx.sol.steps.map((s, i) => formatStep([`Step ${i + 1}: ${s.comment}`], s.lines.join('\n')));
  steps.push(formatStep([FINAL_ANSWER_COMMENT.replace(/^#\s*/, '')], `print(${result.var})`));
  const answer = String(result.value);
  const solution = formatSolution(steps, answer, `${cap(result.ref)} is \\boxed{${answer}}.`);
  return {
    question,
    answer,
    solution,
    families: chain.map((v) => v.id.split('.')[0]),
    variants: chain.map((v) => v.id),
    ops: declared,
    distractors: nd,
  };
}

/**
 * Generates `count` distinct problems of one level in one split, with the reference solution of
 * every problem. Deterministic in its options; a longer list with the same options starts with the
 * shorter one.
 */
export function generateProblemsWithReference(opts: GenerateOptions): ReferenceProblem[] {
  const parsed = generateOptionsSchema.safeParse(opts);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new Error(`generateProblems: option "${i.path.join('.')}": ${i.message}`);
  }
  const { level, count, seed, split } = parsed.data;
  const rng = new Prng('rstar-curriculum', CURRICULUM_VERSION, seed, level, split);
  const seen = new Set<string>();
  const out: ReferenceProblem[] = [];
  const maxAttempts = 10_000 + count * 500;
  for (let attempts = 0; out.length < count; attempts++) {
    if (attempts > maxAttempts) {
      throw new Error(`generateProblems: could only make ${out.length} distinct level-${level} ${split} problems of ${count}`);
    }
    const b = buildOne(rng, level);
    if (!b) continue;
    const h = questionHash(b.question);
    if (seen.has(h) || splitOf(b.question) !== split) continue;
    seen.add(h);
    const p: ReferenceProblem = {
      id: `cur-L${level}-${h.slice(0, 12)}`,
      question: b.question,
      answer: b.answer,
      level,
      source: 'curriculum',
      families: b.families,
      referenceSolution: b.solution,
      ops: b.ops,
      variants: b.variants,
      distractors: b.distractors,
    };
    if (level <= 2) p.solution = b.solution;
    out.push(p);
  }
  return out;
}

/** Curriculum problems; levels 1-2 carry `solution`, levels 3-5 only the answer. */
export function generateProblems(opts: GenerateOptions): CurriculumProblem[] {
  return generateProblemsWithReference(opts).map((p) => {
    const q: CurriculumProblem = { id: p.id, question: p.question, answer: p.answer, level: p.level, source: p.source, families: p.families };
    if (p.solution !== undefined) q.solution = p.solution;
    return q;
  });
}
