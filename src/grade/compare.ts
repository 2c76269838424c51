/**
 * Equivalence of parsed answers. Cheap checks first (identical strings, exact numbers), then the
 * compute engine's canonical forms, then numeric sampling, then the engine's simplifier. Every
 * comparison runs under a deadline; running out of time answers "not equal".
 */
import type { Node } from './parse.js';
import { isConstantTex, isLabel, parseItem } from './parse.js';
import { exactNumber, rat, ratToNumber, type Rational } from './normalize.js';
import {
  close,
  constantValue,
  evaluate,
  exactValue,
  isFiniteC,
  parseTex,
  same,
  samplePoints,
  simplifiesToZero,
  toMatrix,
  toScalar,
  type C,
  type M,
  type Parsed,
} from './symbolic.js';

export interface Tolerance {
  /** Relative tolerance for non-integer numbers (default 1e-4, as rStar-Math's evaluation). */
  relTol: number;
  /** Absolute tolerance (used in addition when set). */
  absTol?: number;
  /** Compare decimals after rounding to this many digits (when set). */
  digits?: number;
}

export interface Ctx extends Tolerance {
  deadline: number;
  /** The clock the deadline is read on (Date.now; tests count its reads). */
  now: () => number;
}

// ---------------------------------------------------------------------------------------------
// Numbers

interface Num {
  v: C;
  exact: Rational | null;
}

const cnum = (re: number): C => ({ re, im: 0 });

function variants(n: Num, pct: boolean): Num[] {
  if (!pct) return [n];
  const e = n.exact ? rat(n.exact.n, n.exact.d * 100n) : null;
  return [n, { v: { re: n.v.re / 100, im: n.v.im / 100 }, exact: e }];
}

function roundTo(x: number, d: number): number {
  const f = 10 ** d;
  return Math.round(x * f + Math.sign(x) * 1e-9) / f;
}

/** Two numbers: exact when both are exact, integers never approximately, relative tolerance otherwise. */
function numEqual(a: Num, b: Num, x: Ctx): boolean {
  if (a.exact && b.exact) {
    if (a.exact.n === b.exact.n && a.exact.d === b.exact.d) return true;
    if (a.exact.d === 1n && b.exact.d === 1n) return false;
  }
  const intA = a.exact !== null && a.exact.d === 1n;
  const intB = b.exact !== null && b.exact.d === 1n;
  if (x.absTol !== undefined) {
    const d = Math.hypot(a.v.re - b.v.re, a.v.im - b.v.im);
    if (d <= x.absTol * (1 + 1e-9)) return true;
  }
  if (x.digits !== undefined && a.v.im === 0 && b.v.im === 0) {
    if (roundTo(a.v.re, x.digits) === roundTo(b.v.re, x.digits)) return true;
  }
  if ((intA && b.exact) || (intB && a.exact)) return false; // 1000 vs 1000.05: both exact, one an integer
  const tol = intA || intB ? 1e-9 : x.relTol;
  return close(a.v, b.v, tol);
}

/** Integers from 2^53 on are not all floats: a float cannot tell n from n+1 there. */
const FLOAT_EXACT = 2 ** 53;

/**
 * Numbers a float comparison cannot decide: not both exact (a tower, a huge factorial or power
 * whose exact value was too big to compute, an irrational) and at least one of them an overflow
 * or an infinity, or beyond the range where floats hold every integer. Only an exact or symbolic
 * argument may call such numbers equal.
 */
function beyondFloats(a: Num, b: Num): boolean {
  if (a.exact && b.exact) return false;
  if (!isFiniteC(a.v) || !isFiniteC(b.v)) return true;
  return Math.max(Math.hypot(a.v.re, a.v.im), Math.hypot(b.v.re, b.v.im)) >= FLOAT_EXACT;
}

function numbersEqual(a: Num, pa: boolean, b: Num, pb: boolean, x: Ctx): boolean {
  for (const va of variants(a, pa)) for (const vb of variants(b, pb)) if (numEqual(va, vb, x)) return true;
  return false;
}

// ---------------------------------------------------------------------------------------------
// Leaves

function leafNumber(tex: string, x: Ctx): Num | null {
  const r = exactNumber(tex);
  if (r) return { v: cnum(ratToNumber(r)), exact: r };
  const p = parseTex(tex, x.deadline, x.now);
  if (!p || p.symbols.length > 0) return null;
  const v = toScalar(constantValue(p, x.deadline, x.now));
  if (!v) return null;
  const e = exactValue(p.json);
  return { v, exact: e ? rat(e.n, e.d) : null };
}

const hasDecimal = (s: string) => /\d\.\d/.test(s);

/** Compares two expressions that both have free symbols: sampling, then the simplifier. */
function symbolicEqual(pa: Parsed, pb: Parsed, texA: string, texB: string, x: Ctx): boolean {
  if (pa.symbols.join(',') !== pb.symbols.join(',')) {
    // Only an identity (sin²+cos², log rules) can remove a symbol: ask the simplifier, else differ.
    if (pa.transcendental || pb.transcendental) return simplifiesToZero(pa, pb, Math.min(300, x.deadline - x.now()), x.now);
    return false;
  }
  const tol = hasDecimal(texA) || hasDecimal(texB) ? Math.max(x.relTol, 1e-8) : 1e-8;
  const verdict = sampleEqual(pa, pb, pa.symbols, tol, x);
  if (verdict !== null) return verdict;
  return simplifiesToZero(pa, pb, Math.min(500, x.deadline - x.now()), x.now);
}

/** true/false when at least 3 sample points were valid for both sides; null when undecided. */
function sampleEqual(pa: Parsed, pb: Parsed, symbols: string[], tol: number, x: Ctx): boolean | null {
  let valid = 0;
  for (const pt of samplePoints(symbols)) {
    if (x.now() > x.deadline) return null;
    const va = toScalar(evaluate(pa.json, pt));
    const vb = toScalar(evaluate(pb.json, pt));
    if (!va || !vb) return null;
    if (!isFiniteC(va) || !isFiniteC(vb)) continue;
    if (!close(va, vb, tol, 1e-10)) return false;
    valid++;
  }
  return valid >= 3 ? true : null;
}

export function leafEqual(a: { tex: string; pct: boolean }, b: { tex: string; pct: boolean }, x: Ctx): boolean {
  if (a.tex === b.tex) return true;
  if (a.tex === '' || b.tex === '') return false;
  const ra = exactNumber(a.tex);
  const rb = exactNumber(b.tex);
  if (ra && rb) return numbersEqual({ v: cnum(ratToNumber(ra)), exact: ra }, a.pct, { v: cnum(ratToNumber(rb)), exact: rb }, b.pct, x);
  const pa = parseTex(a.tex, x.deadline, x.now);
  const pb = parseTex(b.tex, x.deadline, x.now);
  if (!pa || !pb) return looseString(a.tex) === looseString(b.tex);
  if (!a.pct && !b.pct && same(pa, pb)) return true;
  if (pa.symbols.length === 0 && pb.symbols.length === 0) {
    const na = leafNumber(a.tex, x);
    const nb = leafNumber(b.tex, x);
    if (na && nb && beyondFloats(na, nb)) return !a.pct && !b.pct && simplifiesToZero(pa, pb, Math.min(300, x.deadline - x.now()), x.now);
    if (na && nb) return numbersEqual(na, a.pct, nb, b.pct, x);
    return simplifiesToZero(pa, pb, Math.min(300, x.deadline - x.now()), x.now);
  }
  if (a.pct !== b.pct) return false;
  return symbolicEqual(pa, pb, a.tex, b.tex, x);
}

function looseString(s: string): string {
  return s.replace(/[{}\s]/g, '').toLowerCase();
}

// ---------------------------------------------------------------------------------------------
// Relations

type Rel = '<' | '\\le' | '=' | '\\ne';

function canonRel(l: string, op: string, r: string): { f: string; op: Rel } | null {
  switch (op) {
    case '<':
    case '\\le':
      return { f: `(${l})-(${r})`, op: op as Rel };
    case '>':
      return { f: `(${r})-(${l})`, op: '<' };
    case '\\ge':
      return { f: `(${r})-(${l})`, op: '\\le' };
    case '=':
    case '\\ne':
      return { f: `(${l})-(${r})`, op: op as Rel };
    default:
      return null;
  }
}

/**
 * f1 = k·f2 for a constant k ≠ 0 (k > 0 when `positive`), checked by sampling; both identically
 * zero also counts.
 */
function proportional(f1: string, f2: string, positive: boolean, x: Ctx): boolean {
  if (f1 === f2) return true;
  const p1 = parseTex(f1, x.deadline, x.now);
  const p2 = parseTex(f2, x.deadline, x.now);
  if (!p1 || !p2) return false;
  if (same(p1, p2)) return true;
  const syms = [...new Set([...p1.symbols, ...p2.symbols])].sort();
  if (p1.symbols.join(',') !== p2.symbols.join(',')) return false;
  let k: C | null = null;
  let valid = 0;
  let zeros = 0;
  for (const pt of samplePoints(syms, 8, 6)) {
    if (x.now() > x.deadline) return false;
    const a = toScalar(evaluate(p1.json, pt));
    const b = toScalar(evaluate(p2.json, pt));
    if (!a || !b) return false;
    if (!isFiniteC(a) || !isFiniteC(b)) continue;
    const za = Math.hypot(a.re, a.im) < 1e-10;
    const zb = Math.hypot(b.re, b.im) < 1e-10;
    if (za && zb) {
      zeros++;
      continue;
    }
    if (za || zb) return false;
    const d = b.re * b.re + b.im * b.im;
    const r: C = { re: (a.re * b.re + a.im * b.im) / d, im: (a.im * b.re - a.re * b.im) / d };
    if (k === null) {
      k = r;
      if (positive && (Math.abs(r.im) > 1e-9 * Math.abs(r.re) || r.re <= 0)) return false;
    } else if (!close(k, r, 1e-7)) return false;
    valid++;
  }
  if (valid >= 3) return true;
  return valid === 0 && zeros >= 3;
}

function relEqual(l1: string, o1: string, r1: string, l2: string, o2: string, r2: string, x: Ctx): boolean {
  const a = canonRel(l1, o1, r1);
  const b = canonRel(l2, o2, r2);
  if (!a || !b || a.op !== b.op) return false;
  return proportional(a.f, b.f, a.op === '<' || a.op === '\\le', x);
}

// ---------------------------------------------------------------------------------------------
// Intervals

interface Interval {
  lo: Node;
  hi: Node;
  lc: boolean;
  hc: boolean;
}

const INF = (t: Node): -1 | 1 | 0 => {
  if (t.k !== 'leaf') return 0;
  if (t.tex === '\\infty' || t.tex === '+\\infty') return 1;
  if (t.tex === '-\\infty') return -1;
  return 0;
};

function leafOf(t: string): Node {
  return parseItem(t);
}

const FLIP: Record<string, string> = { '<': '>', '>': '<', '\\le': '\\ge', '\\ge': '\\le', '\\ne': '\\ne' };

/** Converts a one-variable inequality chain to intervals; var is the normalized variable text. */
function ineqIntervals(n: Extract<Node, { k: 'ineq' }>): { v: string; iv: Interval[] } | null {
  const { terms, ops } = n;
  const inf = leafOf('\\infty');
  const ninf = leafOf('-\\infty');
  let v: string;
  let lo: Node = ninf;
  let hi: Node = inf;
  let lc = false;
  let hc = false;
  if (terms.length === 2) {
    let [l, r] = terms;
    let op = ops[0];
    if (isConstantTex(l) && !isConstantTex(r)) {
      [l, r] = [r, l];
      op = FLIP[op];
    }
    if (isConstantTex(l) || !isConstantTex(r)) return null;
    v = l;
    const cst = leafOf(r);
    if (op === '\\ne')
      return absIntervals(v, [
        { lo: ninf, hi: cst, lc: false, hc: false },
        { lo: cst, hi: inf, lc: false, hc: false },
      ]);
    if (op === '<' || op === '\\le') {
      hi = cst;
      hc = op === '\\le';
    } else {
      lo = cst;
      lc = op === '\\ge';
    }
  } else if (terms.length === 3) {
    const [a, e, b] = terms;
    if (!isConstantTex(a) || !isConstantTex(b) || isConstantTex(e)) return null;
    v = e;
    const up = ops.every((o) => o === '<' || o === '\\le');
    const down = ops.every((o) => o === '>' || o === '\\ge');
    if (up) {
      lo = leafOf(a);
      hi = leafOf(b);
      lc = ops[0] === '\\le';
      hc = ops[1] === '\\le';
    } else if (down) {
      lo = leafOf(b);
      hi = leafOf(a);
      lc = ops[1] === '\\ge';
      hc = ops[0] === '\\ge';
    } else return null;
  } else return null;
  return absIntervals(v, [{ lo, hi, lc, hc }]);
}

/** |v| ∈ I → v ∈ -I ∪ I (for I ⊂ [0, ∞)); plain labels pass through. */
function absIntervals(v: string, iv: Interval[]): { v: string; iv: Interval[] } | null {
  const m = /^\|(.+)\|$/.exec(v);
  if (!m) return isLabel(v) ? { v, iv } : null;
  if (!isLabel(m[1])) return null;
  const out: Interval[] = [];
  const neg = (t: Node): Node => {
    const s = INF(t);
    if (s === 1) return leafOf('-\\infty');
    if (s === -1) return leafOf('\\infty');
    return leafOf(t.k === 'leaf' ? `-(${t.tex})` : '0');
  };
  for (const i of iv) {
    const loNum = i.lo.k === 'leaf' && INF(i.lo) === 0 ? exactNumber(i.lo.tex) : null;
    if (INF(i.lo) === -1 || (loNum && loNum.n <= 0n)) {
      // |v| < b → (-b, b)
      out.push({ lo: neg(i.hi), hi: i.hi, lc: i.hc, hc: i.hc });
    } else {
      out.push({ lo: neg(i.hi), hi: neg(i.lo), lc: i.hc, hc: i.lc });
      out.push(i);
    }
  }
  return { v: m[1], iv: out };
}

function toIntervals(n: Node): Interval[] | null {
  switch (n.k) {
    case 'seq':
      if (n.items.length === 2 && '(['.includes(n.open) && ')]'.includes(n.close)) {
        return [{ lo: n.items[0], hi: n.items[1], lc: n.open === '[', hc: n.close === ']' }];
      }
      return null;
    case 'union': {
      const out: Interval[] = [];
      for (const p of n.parts) {
        const iv = toIntervals(p);
        if (!iv) return null;
        out.push(...iv);
      }
      return out;
    }
    case 'set':
      return n.items.map((it) => ({ lo: it, hi: it, lc: true, hc: true }));
    case 'ineq': {
      const r = ineqIntervals(n);
      return r ? r.iv : null;
    }
    case 'leaf':
      if (n.tex === '\\emptyset' || n.tex === '\\varnothing') return [];
      if (n.tex === '\\mathbb{R}' || n.tex === 'R') return [{ lo: leafOf('-\\infty'), hi: leafOf('\\infty'), lc: false, hc: false }];
      return null;
    default:
      return null;
  }
}

function intervalEqual(a: Interval, b: Interval, x: Ctx): boolean {
  const lcA = INF(a.lo) !== 0 ? false : a.lc;
  const lcB = INF(b.lo) !== 0 ? false : b.lc;
  const hcA = INF(a.hi) !== 0 ? false : a.hc;
  const hcB = INF(b.hi) !== 0 ? false : b.hc;
  return lcA === lcB && hcA === hcB && equalNodes(a.lo, b.lo, x) && equalNodes(a.hi, b.hi, x);
}

function intervalsEqual(a: Interval[], b: Interval[], x: Ctx): boolean {
  return a.every((i) => b.some((j) => intervalEqual(i, j, x))) && b.every((j) => a.some((i) => intervalEqual(i, j, x)));
}

// ---------------------------------------------------------------------------------------------
// Collections

function setEqual(a: Node[], b: Node[], x: Ctx): boolean {
  if (a.length === 0 || b.length === 0) return a.length === b.length;
  const ab = a.every((i) => b.some((j) => equalNodes(i, j, x)));
  return ab && b.every((j) => a.some((i) => equalNodes(i, j, x)));
}

function orderedEqual(a: Node[], b: Node[], x: Ctx): boolean {
  return a.length === b.length && a.every((it, i) => equalNodes(it, b[i], x));
}

const nameKey = (s: string) => s.replace(/[{}\s]/g, '');

/** Lists whose items are all `name = value` with distinct names compare as maps when the names agree. */
function namedEqual(a: Node[], b: Node[], x: Ctx): boolean | null {
  const names = (xs: Node[]) => xs.map((n) => (n.k === 'assign' && n.name ? nameKey(n.name) : null));
  const na = names(a);
  const nb = names(b);
  if (na.some((n) => n === null) || nb.some((n) => n === null)) return null;
  if (new Set(na).size !== na.length || new Set(nb).size !== nb.length) return null;
  if (na.length !== nb.length || !na.every((n) => nb.includes(n))) return null;
  return a.every((it, i) => {
    const j = nb.indexOf(na[i]);
    return equalNodes((it as { value: Node }).value, (b[j] as { value: Node }).value, x);
  });
}

function matrixEntries(n: Node, x: Ctx): M | null {
  if (n.k === 'matexpr') {
    const p = parseTex(n.tex, x.deadline, x.now);
    if (!p || p.symbols.length > 0) return null;
    return toMatrix(evaluate(p.json, new Map()));
  }
  if (n.k === 'matrix') {
    const rows: C[][] = [];
    for (const r of n.rows) {
      const row: C[] = [];
      for (const cell of r) {
        if (cell.k !== 'leaf') return null;
        const v = leafNumber(cell.tex, x);
        if (!v) return null;
        row.push(v.v);
      }
      rows.push(row);
    }
    return { rows };
  }
  return null;
}

function matrixEqual(a: Node, b: Node, x: Ctx): boolean {
  if (a.k === 'matrix' && b.k === 'matrix') {
    if (a.rows.length !== b.rows.length || a.rows[0].length !== b.rows[0].length) return false;
    return a.rows.every((r, i) => r.every((cell, j) => equalNodes(cell, b.rows[i][j], x)));
  }
  const ma = matrixEntries(a, x);
  const mb = matrixEntries(b, x);
  if (!ma || !mb || ma.rows.length !== mb.rows.length || ma.rows[0].length !== mb.rows[0].length) return false;
  return ma.rows.every((r, i) =>
    r.every((v, j) => numEqual({ v, exact: null }, { v: mb.rows[i][j], exact: null }, { ...x, relTol: Math.min(x.relTol, 1e-6) })),
  );
}

/** A matrix with one row or one column, as its entries. */
function vectorItems(n: Node): Node[] | null {
  if (n.k !== 'matrix') return null;
  if (n.rows.length === 1) return n.rows[0];
  if (n.rows.every((r) => r.length === 1)) return n.rows.map((r) => r[0]);
  return null;
}

function seqBracketsMatch(a: Extract<Node, { k: 'seq' }>, b: Extract<Node, { k: 'seq' }>): boolean {
  if (a.items.length !== 2) return true;
  const lo = INF(a.items[0]) !== 0 || INF(b.items[0]) !== 0;
  const hi = INF(a.items[1]) !== 0 || INF(b.items[1]) !== 0;
  return (lo || a.open === b.open) && (hi || a.close === b.close);
}

// ---------------------------------------------------------------------------------------------
// Dispatch

function single(n: Node): Node {
  if ((n.k === 'list' || (n.k === 'set' && !n.pm)) && n.items.length === 1) return single(n.items[0]);
  if (n.k === 'union' && n.parts.length === 1) return single(n.parts[0]);
  return n;
}

function textOf(n: Node): string | null {
  if (n.k === 'text') return n.s;
  if (n.k === 'leaf') return n.tex;
  return null;
}

function textEqual(a: Node, b: Node): boolean {
  const ta = textOf(a);
  const tb = textOf(b);
  if (ta === null || tb === null) return false;
  const mcA = a.k === 'text' && a.mc;
  const mcB = b.k === 'text' && b.mc;
  if (mcA || mcB) {
    const la = /^\(?([A-Ea-e])\)?$/.exec(ta.replace(/[{}\s]/g, ''));
    const lb = /^\(?([A-Ea-e])\)?$/.exec(tb.replace(/[{}\s]/g, ''));
    return !!la && !!lb && la[1].toUpperCase() === lb[1].toUpperCase();
  }
  const k = (s: string) =>
    s
      .toLowerCase()
      .replace(/\\text\{([^{}]*)\}/g, '$1')
      .replace(/[\s{}.,'"]/g, '');
  return k(ta) === k(tb);
}

function ratioEqual(a: Extract<Node, { k: 'ratio' }>, b: Extract<Node, { k: 'ratio' }>, x: Ctx): boolean {
  const asTime = (r: typeof a): number | null => {
    const p = r.parts.map((s) => (/^\d{1,2}$/.test(s) ? Number(s) : NaN));
    if (p.some(Number.isNaN) || p.length < 2 || p.length > 3) return null;
    let h = p[0];
    if (r.ampm) {
      if (h > 12) return null;
      h = (h % 12) + (r.ampm === 'pm' ? 12 : 0);
    }
    return h * 3600 + p[1] * 60 + (p[2] ?? 0);
  };
  if (a.ampm || b.ampm || a.parts.length === 3 || b.parts.length === 3) {
    const ta = asTime(a);
    const tb = asTime(b);
    if (ta !== null && tb !== null) return ta === tb;
  }
  return a.parts.length === b.parts.length && a.parts.every((p, i) => leafEqual({ tex: p, pct: false }, { tex: b.parts[i], pct: false }, x));
}

const COLLECTION = new Set(['list', 'set', 'seq', 'union', 'matrix', 'matexpr']);

/** Mathematical equivalence of two parsed answers (symmetric). */
export function equalNodes(a0: Node, b0: Node, x: Ctx): boolean {
  if (x.now() > x.deadline) return false;
  const a = single(a0);
  const b = single(b0);
  if (a.k === 'text' || b.k === 'text') return textEqual(a, b);

  if (a.k === 'assign' || b.k === 'assign') {
    if (a.k === 'assign' && b.k === 'assign') {
      if (equalNodes(a.value, b.value, x)) return true;
      return !!a.eq && !!b.eq && relEqual(a.eq[0], '=', a.eq[1], b.eq[0], '=', b.eq[1], x);
    }
    const [as, other] = a.k === 'assign' ? [a, b] : [b as Extract<Node, { k: 'assign' }>, a];
    if (other.k === 'eq') return !!as.eq && relEqual(as.eq[0], '=', as.eq[1], other.lhs, '=', other.rhs, x);
    return equalNodes(as.value, other, x);
  }
  if (a.k === 'eq' || b.k === 'eq') {
    if (a.k === 'eq' && b.k === 'eq') return relEqual(a.lhs, '=', a.rhs, b.lhs, '=', b.rhs, x);
    return false;
  }
  if (a.k === 'ineq' || b.k === 'ineq') return ineqEqual(a, b, x);

  if (a.k === 'leaf' && b.k === 'leaf') return leafEqual(a, b, x);
  if (a.k === 'ratio' && b.k === 'ratio') return ratioEqual(a, b, x);
  if (COLLECTION.has(a.k) && COLLECTION.has(b.k)) return collectionEqual(a, b, x);
  return false;
}

function ineqEqual(a: Node, b: Node, x: Ctx): boolean {
  if (a.k === 'ineq' && b.k === 'ineq') {
    if (a.ops.length === b.ops.length) {
      const n = a.ops.length;
      const fwd = a.ops.every((o, i) => relEqual(a.terms[i], o, a.terms[i + 1], b.terms[i], b.ops[i], b.terms[i + 1], x));
      if (fwd) return true;
      const rev = a.ops.every((o, i) => relEqual(a.terms[i], o, a.terms[i + 1], b.terms[n - i], FLIP[b.ops[n - 1 - i]] ?? '', b.terms[n - 1 - i], x));
      if (rev) return true;
    }
    const ia = ineqIntervals(a);
    const ib = ineqIntervals(b);
    return !!ia && !!ib && nameKey(ia.v) === nameKey(ib.v) && intervalsEqual(ia.iv, ib.iv, x);
  }
  const [q, other] = a.k === 'ineq' ? [a, b] : [b as Extract<Node, { k: 'ineq' }>, a];
  const iq = ineqIntervals(q);
  const io = toIntervals(other);
  return !!iq && !!io && intervalsEqual(iq.iv, io, x);
}

function collectionEqual(a: Node, b: Node, x: Ctx): boolean {
  if (a.k === 'union' || b.k === 'union') {
    const ia = toIntervals(a);
    const ib = toIntervals(b);
    if (ia && ib) return intervalsEqual(ia, ib, x);
    if (a.k === 'union' && b.k === 'union') return setEqual(a.parts, b.parts, x);
    return false;
  }
  if (a.k === 'matrix' || a.k === 'matexpr' || b.k === 'matrix' || b.k === 'matexpr') {
    if ((a.k === 'matrix' || a.k === 'matexpr') && (b.k === 'matrix' || b.k === 'matexpr')) return matrixEqual(a, b, x);
    const [m, o] = a.k === 'matrix' || a.k === 'matexpr' ? [a, b] : [b, a];
    const vec = vectorItems(m);
    if (!vec) return false;
    if (o.k === 'seq' || o.k === 'list') return orderedEqual(vec, o.items, x);
    return false;
  }
  if (a.k === 'seq' && b.k === 'seq') return seqBracketsMatch(a, b) && orderedEqual(a.items, b.items, x);
  if ((a.k === 'list' && b.k === 'seq') || (a.k === 'seq' && b.k === 'list')) {
    const s = a.k === 'seq' ? a : (b as Extract<Node, { k: 'seq' }>);
    const l = a.k === 'list' ? a : (b as Extract<Node, { k: 'list' }>);
    if (s.items.length === 2 && s.open !== s.close.replace(')', '(').replace(']', '[')) return false;
    return orderedEqual(l.items, s.items, x);
  }
  const items = (n: Node): Node[] | null => (n.k === 'list' || n.k === 'set' || n.k === 'seq' ? n.items : null);
  const ia = items(a);
  const ib = items(b);
  if (!ia || !ib) return false;
  if (a.k === 'list' && b.k === 'list') {
    const named = namedEqual(ia, ib, x);
    if (named !== null) return named;
  }
  return setEqual(ia, ib, x);
}
