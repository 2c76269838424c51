/**
 * Curriculum v2: a ladder of ten rungs where rung r is a problem whose reference solution has
 * exactly r arithmetic operations. Everything else is drawn from one distribution on every rung
 * (families, composition of two or three families from rung 2 up, 0-2 distractors, number scale,
 * phrasing), so each rung adds one operation and nothing else. Rungs 1-3 carry worked solutions.
 */
import { Ctx, type Family, type Variant } from './core.js';
import { builtProblem, flatten, fitSentences, placeSentences, runChain, type BuiltProblem } from './assemble.js';
import { rephrase } from './phrasing.js';
import type { Prng } from './rng.js';
import { everyday } from './families/everyday.js';
import { ages } from './families/ages.js';
import { counting } from './families/counting.js';
import { geometry } from './families/geometry.js';
import { linear } from './families/linear.js';
import { rates } from './families/rates.js';
import { ratios } from './families/ratios.js';
import { remainders } from './families/remainders.js';
import { sequences } from './families/sequences.js';
import { shopping } from './families/shopping.js';

export const V2_RUNGS = 10;
/** Rungs whose problems carry a worked solution (the seed). */
export const V2_SEED_RUNGS = 3;

export const V2_FAMILIES: readonly Family[] = [shopping, rates, ratios, ages, remainders, linear, counting, sequences, geometry, everyday];

const SINGLE_POOL: readonly Family[] = [...V2_FAMILIES, everyday];

/** The distribution every rung shares; only the operation count changes with the rung. */
export const V2_MIX = {
  /** Chance that a problem (rung 2 and up) chains two or more families. */
  composition: 0.35,
  /** Among composed problems from rung 3 up, the chance of three families instead of two. */
  threeFamilies: 0.25,
  /** Chances of 0, 1 and 2 distractor sentences. */
  distractors: [0.55, 0.35, 0.1] as const,
  /** Multipliers on the upper end of number ranges, drawn uniformly per problem. */
  scales: [1, 1, 2, 3] as const,
  maxSentences: 9,
  maxAnswer: 1_000_000,
};

export interface V2Built extends BuiltProblem {
  scale: number;
}

function pickChain(rng: Prng, rung: number): Variant[] | null {
  if (rung >= 2 && rng.chance(V2_MIX.composition)) {
    const n = rung >= 3 && rng.chance(V2_MIX.threeFamilies) ? 3 : 2;
    for (let tries = 0; tries < 200; tries++) {
      const fams = rng.shuffle(V2_FAMILIES).slice(0, n);
      const chain = fams.map((f, i) => rng.pick(i === 0 ? f.variants : f.variants.filter((v) => v.consumes)));
      if (chain.reduce((a, v) => a + v.ops, 0) === rung) return chain;
    }
  }
  for (let tries = 0; tries < 100; tries++) {
    // Everyday stories (the wording people use) count twice among single-family problems.
    const ok = rng.pick(SINGLE_POOL).variants.filter((v) => v.ops === rung);
    if (ok.length) return [rng.pick(ok)];
  }
  return null;
}

function distractorCount(rng: Prng): number {
  const x = rng.next();
  const [p0, p1] = V2_MIX.distractors;
  return x < p0 ? 0 : x < p0 + p1 ? 1 : 2;
}

/** One rung-`rung` problem, or null when this draw does not fit (the caller draws again). */
export function buildV2(rng: Prng, rung: number): V2Built | null {
  const chain = pickChain(rng, rung);
  if (!chain) return null;
  const scale = rng.pick(V2_MIX.scales);
  // Families read ctx.level only to widen some choices (percents, ratio terms); v2 ties that to the
  // number scale so it does not change with the rung.
  const ctx = new Ctx(rng, scale >= 2 ? 3 : 1, scale);
  const parts = runChain(ctx, chain);
  if (!parts) return null;
  const last = parts[parts.length - 1];
  const result = last.result;
  if (result.value <= 0 || result.value > V2_MIX.maxAnswer) return null;

  const blocks = parts.map((p) => flatten(rng, p.facts));
  const nd = distractorCount(rng);
  if (!fitSentences(blocks, V2_MIX.maxSentences - nd - 1)) return null;
  const question0 = rephrase.question(rng, last.question, result.ref);
  const question = rephrase.surface(rng, placeSentences(rng, ctx, blocks, question0, nd));
  return { ...builtProblem(ctx, result, chain, question, nd), scale };
}

export interface RungDescription {
  level: number;
  /** Worked solutions in the step protocol (seed SFT data) on this rung. */
  seed: boolean;
  /** Arithmetic operations of the reference solution: [min, max]. */
  ops: [number, number];
  families: [number, number];
  distractors: [number, number];
  /** What this rung adds over the one below. */
  adds: string;
}

/** The v2 rungs, for `rstar gen --ladder`. */
export function describeV2(): RungDescription[] {
  return Array.from({ length: V2_RUNGS }, (_, i) => {
    const r = i + 1;
    const maxFamilies = r >= 3 ? 3 : r === 2 ? 2 : 1;
    let adds: string;
    if (r === 1) adds = 'one operation; all ten families, 0-2 distractors, number scales 1-3 and every phrasing already present';
    else if (r === V2_SEED_RUNGS + 1) adds = `one more operation (${r}); the first rung without worked solutions`;
    else
      adds = `one more operation (${r})${r === 2 ? '; composition of two families becomes possible' : r === 3 ? '; composition of three families becomes possible' : ''}`;
    return { level: r, seed: r <= V2_SEED_RUNGS, ops: [r, r], families: [1, maxFamilies], distractors: [0, 2], adds };
  });
}
