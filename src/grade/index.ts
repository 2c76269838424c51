/**
 * The answer grader: final-answer extraction and mathematical equivalence. Policy (and where public
 * graders disagree): docs/grading.md.
 *
 *   const judge = createJudge();
 *   const pred = judge.extract(modelText);            // e.g. the last \boxed{…}
 *   const ok = pred !== null && judge.equal(pred, gold);
 */
import type { Judge } from './types.js';
import { extractAnswer } from './extract.js';
import { normalizeAnswer } from './normalize.js';
import { parseAnswer, type Node } from './parse.js';
import { equalNodes, type Ctx } from './compare.js';

export type { Judge } from './types.js';
export { extractAnswer } from './extract.js';
export { normalizeAnswer } from './normalize.js';

export interface EquivalenceOptions {
  /** Time cap for one comparison (all gold alternatives together), ms. Default 2000. */
  timeoutMs?: number;
  /** Relative tolerance for non-integer numbers. Default 1e-4. */
  relTol?: number;
  /** Absolute tolerance for numbers (off by default). */
  absTol?: number;
  /** Also accept decimals equal after rounding to this many digits (off by default). */
  digits?: number;
  /** The clock the time cap is read on (default Date.now). */
  now?: () => number;
}

export const DEFAULT_TIMEOUT_MS = 2000;
export const DEFAULT_REL_TOL = 1e-4;

interface Prepared {
  norm: string;
  node: Node;
}

const PREPARED = new Map<string, Prepared>();
const PREPARED_MAX = 10000;

function prepare(s: string): Prepared {
  const hit = PREPARED.get(s);
  if (hit) return hit;
  const norm = normalizeAnswer(s);
  const p: Prepared = { norm, node: parseAnswer(norm) };
  if (PREPARED.size >= PREPARED_MAX) PREPARED.delete(PREPARED.keys().next().value as string);
  PREPARED.set(s, p);
  return p;
}

/**
 * True when `pred` and `gold` (already-extracted answers) are mathematically equal; `gold` may be
 * a list of acceptable answers (equal if any matches). Never throws; a comparison that runs past
 * `timeoutMs` answers false.
 */
export function isEquivalent(pred: string, gold: string | string[], opts: EquivalenceOptions = {}): boolean {
  if (typeof pred !== 'string') return false;
  const golds = (Array.isArray(gold) ? gold : [gold]).filter((g): g is string => typeof g === 'string');
  const now = opts.now ?? Date.now;
  const ctx: Ctx = {
    now,
    deadline: now() + (opts.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    relTol: opts.relTol ?? DEFAULT_REL_TOL,
    absTol: opts.absTol,
    digits: opts.digits,
  };
  try {
    const p = prepare(pred);
    if (p.norm === '') return false;
    for (const g of golds) {
      const q = prepare(g);
      if (q.norm === '') continue;
      if (p.norm === q.norm) return true;
    }
    for (const g of golds) {
      const q = prepare(g);
      if (q.norm === '') continue;
      if (equalNodes(p.node, q.node, ctx)) return true;
      if (now() > ctx.deadline) return false;
    }
  } catch {
    return false;
  }
  return false;
}

/** The gold side of a comparison: a bare answer stays as it is; a solution text gives its final answer. */
export function goldAnswer(gold: string): string {
  return extractAnswer(gold) ?? gold;
}

/** A Judge with the given options. */
export function createJudge(opts: EquivalenceOptions = {}): Judge {
  return {
    extract: (text: string) => extractAnswer(text),
    equal: (pred: string, gold: string | string[]) => isEquivalent(pred, gold, opts),
  };
}
