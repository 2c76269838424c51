import { evaluate } from './expr.js';
import type { Prng } from './rng.js';
import { NAMES, type Person } from './vocab.js';

/** A computed quantity of a worked solution: the variable holding it, its value, and a noun phrase for it. */
export interface Quantity {
  var: string;
  value: number;
  /** e.g. "the total cost of the pens in dollars"; used in answer sentences and to feed another family. */
  ref: string;
}

/** A context sentence, or a group of sentences whose order does not matter (shuffled). */
export type Fact = string | string[];

/** What one family variant contributes to a problem. Its steps are appended to the context's solution. */
export interface Part {
  facts: Fact[];
  /** The question sentence (dropped when another family consumes the result). */
  question: string;
  result: Quantity;
}

export interface Variant {
  /** Stable id, e.g. "shopping.discount-total". */
  id: string;
  /** Arithmetic operators in its code (checked at generation time). */
  ops: number;
  /** True when it can take another family's result as one of its inputs. */
  consumes: boolean;
  gen(ctx: Ctx, input?: Quantity): Part | null;
}

export interface Family {
  name: string;
  variants: Variant[];
}

export interface SolStep {
  comment: string;
  lines: string[];
  ops: number;
}

const RESERVED = new Set(
  (
    'False None True and as assert async await break class continue def del elif else except finally for from global if import in is ' +
    'lambda nonlocal not or pass raise return try while with yield abs all any bin bool chr dict dir divmod enumerate eval exec filter ' +
    'float format hash hex id input int iter len list map max min next object oct open ord pow print range repr reversed round set ' +
    'slice sorted str sum tuple type vars zip math'
  ).split(' '),
);

/** The worked solution under construction: steps of Python, and the values of its variables. */
export class Sol {
  readonly steps: SolStep[] = [];
  readonly env = new Map<string, bigint>();

  fresh(base: string): string {
    const clean = base
      .toLowerCase()
      .replace(/[^a-z0-9_]+/g, '_')
      .replace(/^_+|_+$/g, '');
    if (!/^[a-z_]/.test(clean)) throw new Error(`bad variable base "${base}"`);
    let name = clean;
    for (let i = 2; this.env.has(name) || RESERVED.has(name); i++) name = `${clean}_${i}`;
    return name;
  }

  step(comment: string): StepWriter {
    const s: SolStep = { comment, lines: [], ops: 0 };
    this.steps.push(s);
    return new StepWriter(this, s);
  }

  get ops(): number {
    return this.steps.reduce((a, s) => a + s.ops, 0);
  }
}

export class StepWriter {
  constructor(
    private readonly sol: Sol,
    private readonly s: SolStep,
  ) {}

  /** A number copied from the question: `name = value`. Returns the variable name. */
  given(base: string, value: number): string {
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`given ${base} = ${value}: not a non-negative integer`);
    const name = this.sol.fresh(base);
    this.sol.env.set(name, BigInt(value));
    this.s.lines.push(`${name} = ${value}`);
    return name;
  }

  /** `name = expr`, evaluated with Python semantics. */
  calc(base: string, expr: string): Quantity {
    const { value, ops } = evaluate(expr, this.sol.env);
    const name = this.sol.fresh(base);
    this.sol.env.set(name, value);
    this.s.lines.push(`${name} = ${expr}`);
    this.s.ops += ops;
    const n = Number(value);
    if (!Number.isSafeInteger(n)) throw new Error(`${name} = ${expr} overflows`);
    return { var: name, value: n, ref: '' };
  }

  /** Takes another family's result as an input: `name = other_var`. */
  link(base: string, q: Quantity): string {
    const name = this.sol.fresh(base);
    const v = this.sol.env.get(q.var);
    if (v === undefined) throw new Error(`link to unknown variable ${q.var}`);
    this.sol.env.set(name, v);
    this.s.lines.push(`${name} = ${q.var}`);
    return name;
  }

  /** `given` when the value comes from the question, `link` when it is another family's result. */
  input(base: string, value: number, q?: Quantity): string {
    return q ? this.link(base, q) : this.given(base, value);
  }
}

export interface LevelSpec {
  families: [number, number];
  ops: [number, number];
  distractors: [number, number];
  /** Multiplier on the upper end of "big" number ranges. */
  scale: number;
}

export const LEVEL_SPECS: Record<1 | 2 | 3 | 4 | 5, LevelSpec> = {
  1: { families: [1, 1], ops: [1, 2], distractors: [0, 0], scale: 1 },
  2: { families: [1, 1], ops: [2, 3], distractors: [0, 0], scale: 1 },
  3: { families: [1, 1], ops: [3, 5], distractors: [1, 1], scale: 2 },
  4: { families: [2, 2], ops: [5, 7], distractors: [1, 2], scale: 2 },
  5: { families: [2, 3], ops: [7, 10], distractors: [2, 2], scale: 4 },
};

/** Generation context of one problem: randomness, level scale, people and nouns in use, the solution. */
export class Ctx {
  readonly sol = new Sol();
  private readonly usedNames = new Set<string>();
  private readonly usedKeys = new Set<string>();

  /** True while generating a family whose result feeds another one (its question is dropped). */
  producer = false;

  constructor(
    readonly rng: Prng,
    readonly level: number,
    readonly scale: number,
  ) {}

  int(lo: number, hi: number): number {
    return this.rng.int(lo, hi);
  }

  /** A number whose upper bound grows with the level's scale. */
  big(lo: number, hi: number): number {
    return this.rng.int(lo, Math.max(lo, Math.round(hi * this.scale)));
  }

  pick<T>(items: readonly T[]): T {
    return this.rng.pick(items);
  }

  chance(p: number): boolean {
    return this.rng.chance(p);
  }

  shuffle<T>(items: readonly T[]): T[] {
    return this.rng.shuffle(items);
  }

  /** A person not yet in this problem. */
  person(): Person {
    const free = NAMES.filter((p) => !this.usedNames.has(p.name));
    const p = this.rng.pick(free);
    this.usedNames.add(p.name);
    return p;
  }

  /** Picks an item whose key is not yet used in this problem (so two families never share a noun). */
  fresh<T>(items: readonly T[], key: (t: T) => string): T {
    const free = items.filter((t) => !this.usedKeys.has(key(t)));
    const t = this.rng.pick(free.length ? free : items);
    this.usedKeys.add(key(t));
    return t;
  }

  /** Marks a noun as used (for distractor filtering). */
  useKey(k: string): void {
    this.usedKeys.add(k);
  }

  get names(): string[] {
    return [...this.usedNames];
  }
}

export function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function ordinal(n: number): string {
  const t = n % 100;
  if (t >= 11 && t <= 13) return `${n}th`;
  return `${n}${['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;
}

export function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return Math.abs(a);
}

export function divisorsIn(n: number, lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let d = lo; d <= hi; d++) if (n % d === 0) out.push(d);
  return out;
}

/** Snake-case variable base from a noun: "toy cars" -> "toy_cars". */
export function vname(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}
