/**
 * The synthetic math curriculum: word problems with exact integer answers, in two ladders.
 *
 * - v2 (the current one, see ladder.ts): ten rungs, rung r = r arithmetic operations, with ten
 *   families, composition, distractors, number sizes and phrasings drawn alike on every rung;
 *   rungs 1-3 carry worked solutions.
 * - v1 (frozen, reproducible): nine families tiered into five levels by number of operations,
 *   distractor sentences, number size and composition of families at once; levels 1-2 carry worked
 *   solutions. The shipped bundles and configs/evolve.yaml were made with it.
 *
 * Seed rungs carry a worked solution in rStar's step protocol (the seed SFT data); the others carry
 * only the final answer (the reference solution is available through
 * `generateProblemsWithReference`). Train and test splits are disjoint by construction: a problem's
 * split is a hash of its normalized question, whatever the ladder.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { Ctx, LEVEL_SPECS, type Family, type Variant } from './core.js';
import { builtProblem, flatten, fitSentences, MAX_SENTENCES, placeSentences, runChain, type BuiltProblem } from './assemble.js';
import { buildV2, describeV2, V2_RUNGS, V2_SEED_RUNGS, type RungDescription } from './ladder.js';
import { Prng } from './rng.js';
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

/** The newest ladder's version. Bump when generation changes datasets for the same options. */
export const CURRICULUM_VERSION = 2;
/** v1 is frozen: its generator is seeded with this, so v1 datasets never change. */
const V1_SEED_VERSION = 1;

export { MAX_SENTENCES } from './assemble.js';
export { V2_FAMILIES, V2_MIX, V2_RUNGS, V2_SEED_RUNGS, describeV2, type RungDescription } from './ladder.js';

export const CURRICULUM_VERSIONS = ['v1', 'v2'] as const;
export type CurriculumVersion = (typeof CURRICULUM_VERSIONS)[number];

/** Number of levels (rungs) of each ladder. */
export const LADDER_LEVELS: Record<CurriculumVersion, number> = { v1: 5, v2: V2_RUNGS };
/** Levels up to this one carry worked solutions. */
export const SEED_LEVELS: Record<CurriculumVersion, number> = { v1: 2, v2: V2_SEED_RUNGS };

export const FAMILIES: readonly Family[] = [shopping, rates, ratios, ages, remainders, linear, counting, sequences, geometry];
export const FAMILY_NAMES: readonly string[] = FAMILIES.map((f) => f.name);

/** A v1 level; v2 rungs are plain numbers 1-10. */
export type Level = 1 | 2 | 3 | 4 | 5;
export type Split = 'train' | 'test';

export interface CurriculumProblem {
  id: string;
  question: string;
  answer: string;
  level: number;
  source: 'curriculum';
  families: string[];
  /** Worked solution in the step protocol (seed levels only: v1 levels 1-2, v2 rungs 1-3). */
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
  /** The ladder that made it. */
  curriculum: CurriculumVersion;
}

export const generateOptionsSchema = z
  .object({
    /** v1 levels 1-5, v2 rungs 1-10. */
    level: z.number().int().min(1).max(V2_RUNGS),
    count: z.number().int().min(0).max(1_000_000),
    seed: z.number().int(),
    split: z.enum(['train', 'test']),
    /** The ladder; absent means v1, so callers written for the five levels keep their datasets. */
    curriculum: z.enum(CURRICULUM_VERSIONS).optional(),
  })
  .superRefine((o, ctx) => {
    const v = o.curriculum ?? 'v1';
    if (o.level > LADDER_LEVELS[v]) ctx.addIssue({ code: 'custom', path: ['level'], message: `curriculum ${v} has levels 1-${LADDER_LEVELS[v]}` });
  });

export type GenerateOptions = z.input<typeof generateOptionsSchema>;

/** The rungs of a ladder, with what each adds, for `rstar gen --ladder`. */
export function describeLadder(v: CurriculumVersion): RungDescription[] {
  if (v === 'v2') return describeV2();
  const adds: Record<Level, string> = {
    1: '1-2 operations, one family',
    2: '2-3 operations',
    3: '3-5 operations, a distractor and doubled numbers at once (the cliff)',
    4: '5-7 operations, two composed families, 1-2 distractors',
    5: '7-10 operations, 2-3 families, 2 distractors, numbers x4',
  };
  return ([1, 2, 3, 4, 5] as Level[]).map((level) => {
    const s = LEVEL_SPECS[level];
    return { level, seed: level <= 2, ops: s.ops, families: s.families, distractors: s.distractors, adds: adds[level] };
  });
}

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

type Built = BuiltProblem;

function buildOne(rng: Prng, level: Level): Built | null {
  const spec = LEVEL_SPECS[level];
  const chain = pickChain(rng, level);
  if (!chain) return null;
  const ctx = new Ctx(rng, level, spec.scale);
  const parts = runChain(ctx, chain);
  if (!parts) return null;
  const result = parts[parts.length - 1].result;
  if (result.value <= 0 || result.value > MAX_ANSWER[level]) return null;

  // Question: family blocks in order, distractors only between blocks (never between a sentence and
  // one that refers back to it), then the last family's question.
  const blocks = parts.map((p) => flatten(rng, p.facts));
  const question0 = parts[parts.length - 1].question;
  const nd = rng.int(spec.distractors[0], spec.distractors[1]);
  if (!fitSentences(blocks, MAX_SENTENCES - nd - 1)) return null;
  const question = placeSentences(rng, ctx, blocks, question0, nd);
  return builtProblem(ctx, result, chain, question, nd);
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
  const version = parsed.data.curriculum ?? 'v1';
  const rng = version === 'v1' ? new Prng('rstar-curriculum', V1_SEED_VERSION, seed, level, split) : new Prng('rstar-curriculum', 2, seed, level, split);
  const build = (): Built | null => (version === 'v1' ? buildOne(rng, level as Level) : buildV2(rng, level));
  const idPrefix = version === 'v1' ? 'cur' : 'cur2';
  const seen = new Set<string>();
  const out: ReferenceProblem[] = [];
  const maxAttempts = 10_000 + count * 500;
  for (let attempts = 0; out.length < count; attempts++) {
    if (attempts > maxAttempts) {
      throw new Error(`generateProblems: could only make ${out.length} distinct ${version} level-${level} ${split} problems of ${count}`);
    }
    const b = build();
    if (!b) continue;
    const h = questionHash(b.question);
    if (seen.has(h) || splitOf(b.question) !== split) continue;
    seen.add(h);
    const p: ReferenceProblem = {
      id: `${idPrefix}-L${level}-${h.slice(0, 12)}`,
      question: b.question,
      answer: b.answer,
      level,
      source: 'curriculum',
      families: b.families,
      referenceSolution: b.solution,
      ops: b.ops,
      variants: b.variants,
      distractors: b.distractors,
      curriculum: version,
    };
    if (level <= SEED_LEVELS[version]) p.solution = b.solution;
    out.push(p);
  }
  return out;
}

/** Curriculum problems; seed levels carry `solution`, the others only the answer. */
export function generateProblems(opts: GenerateOptions): CurriculumProblem[] {
  return generateProblemsWithReference(opts).map((p) => {
    const q: CurriculumProblem = { id: p.id, question: p.question, answer: p.answer, level: p.level, source: p.source, families: p.families };
    if (p.solution !== undefined) q.solution = p.solution;
    return q;
  });
}
