/**
 * The symbolic side of grading: parsing LaTeX with the Cortex compute engine (cached), a small
 * complex-valued evaluator over its MathJSON (fast, never hangs, treats unknown one-letter
 * functions as fixed pseudo-random functions), free-symbol collection, and random-point sampling.
 */
import { ComputeEngine } from '@cortex-js/compute-engine';
import { rat, type Rational } from './normalize.js';

type Json = unknown;
type Expr = NonNullable<ReturnType<ComputeEngine['parse']>>;

let engine: ComputeEngine | null = null;
function ce(): ComputeEngine {
  if (!engine) engine = new ComputeEngine();
  return engine;
}

/** Complex value. */
export interface C {
  re: number;
  im: number;
}
/** A matrix value (rows of complex entries). */
export interface M {
  rows: C[][];
}
type V = C | M;

const c = (re: number, im = 0): C => ({ re, im });
const NAN = c(NaN, NaN);
const isM = (v: V): v is M => (v as M).rows !== undefined;

export interface Parsed {
  expr: Expr;
  json: Json;
  /** Free symbols (sorted), computed from the MathJSON. */
  symbols: string[];
  /** Tree size: nodes in the MathJSON. */
  size: number;
  /** True when some power/factorial is large enough that symbolic work could be slow. */
  risky: boolean;
  /** True when a transcendental function occurs (identities may remove symbols). */
  transcendental: boolean;
}

const CACHE = new Map<string, Parsed | null>();
const CACHE_MAX = 4000;

const CONSTANTS: Record<string, C> = {
  Pi: c(Math.PI),
  ExponentialE: c(Math.E),
  ImaginaryUnit: c(0, 1),
  PositiveInfinity: c(Infinity),
  NegativeInfinity: c(-Infinity),
  ComplexInfinity: c(Infinity, Infinity),
  NaN: NAN,
  GoldenRatio: c((1 + Math.sqrt(5)) / 2),
  EulerGamma: c(0.5772156649015329),
  CatalanConstant: c(0.915965594177219),
  Half: c(0.5),
  Nothing: NAN,
};

/**
 * Prepares a leaf for the compute engine: drops leftover \text groups; a single letter other than
 * f, g, h before "(" multiplies (`a(b+c)` is a·(b+c), not the function a).
 */
function forEngine(tex: string): string {
  return tex
    .replace(/\\(?:text|mbox|textbf|textnormal)\{[^{}]*\}/g, ' ')
    .replace(/(?<![\\a-zA-Z_^])([a-eA-Ei-zI-Z])\s*\(/g, '$1\\cdot(')
    .replace(/\\operatorname\{(sgn|sign)\}/g, '\\operatorname{sgn}')
    .replace(/\\infty/g, '\\infty ')
    .trim();
}

const TRANSCENDENTAL = new Set(['Sin', 'Cos', 'Tan', 'Cot', 'Sec', 'Csc', 'Log', 'Ln', 'Exp', 'Sinh', 'Cosh', 'Tanh', 'Arcsin', 'Arccos', 'Arctan']);

interface WalkState {
  size: number;
  risky: boolean;
  transcendental: boolean;
}

function walk(j: Json, syms: Set<string>, st: WalkState, head = false): void {
  st.size++;
  if (typeof j === 'string') {
    if (head) return;
    if (j.startsWith("'")) return;
    if (j in CONSTANTS) return;
    syms.add(j);
    return;
  }
  if (Array.isArray(j)) {
    const [h, ...args] = j as Json[];
    if (typeof h === 'string') {
      if (TRANSCENDENTAL.has(h)) st.transcendental = true;
      if ((h === 'Power' || h === 'Root') && args.length === 2) {
        const e = numberOf(args[1]);
        if (e !== null && Math.abs(e) > 300) st.risky = true;
      }
      if ((h === 'Factorial' || h === 'Factorial2' || h === 'Binomial') && args.length > 0) {
        const e = numberOf(args[0]);
        if (e === null || e > 300) st.risky = true;
      }
      if (h === 'Sum' || h === 'Product' || h === 'Integrate' || h === 'Limit' || h === 'D') st.risky = true;
    }
    if (h === 'Complex' || h === 'Rational') return;
    walk(h, syms, st, true);
    for (const a of args) walk(a, syms, st);
    return;
  }
  if (j && typeof j === 'object') {
    const o = j as Record<string, unknown>;
    if (typeof o.sym === 'string') walk(o.sym, syms, st, head);
    else if (Array.isArray(o.fn)) walk(o.fn, syms, st, head);
  }
}

function numberOf(j: Json): number | null {
  if (typeof j === 'number') return j;
  if (j && typeof j === 'object' && !Array.isArray(j) && typeof (j as { num?: unknown }).num === 'string') {
    return Number((j as { num: string }).num.replace(/^\+/, ''));
  }
  if (Array.isArray(j) && j[0] === 'Rational' && j.length === 3) {
    const a = numberOf(j[1]);
    const b = numberOf(j[2]);
    return a !== null && b !== null ? a / b : null;
  }
  if (Array.isArray(j) && j[0] === 'Negate' && j.length === 2) {
    const a = numberOf(j[1]);
    return a === null ? null : -a;
  }
  return null;
}

/**
 * Runs `fn` in a fresh scope: the engine declares the symbols it meets while parsing (`a(b)` makes
 * `a` a function), and those declarations must not leak from one answer into the next.
 */
function scoped<T>(fn: () => T): T {
  const e = ce();
  e.pushScope();
  try {
    return fn();
  } finally {
    e.popScope();
  }
}

/** Parses a leaf with the compute engine (canonical form); null when the result is not valid. */
export function parseTex(tex: string, deadline: number, now: () => number = Date.now): Parsed | null {
  const key = forEngine(tex);
  if (CACHE.has(key)) return CACHE.get(key) ?? null;
  if (key === '' || key.length > 2000 || now() > deadline) return null;
  let out: Parsed | null = null;
  try {
    const engineRef = ce();
    const ms = Math.max(10, deadline - now());
    const expr = scoped(() => engineRef.withTimeLimit(ms, () => engineRef.parse(key))) as Expr | null;
    if (expr?.isValid) {
      const json = expr.json;
      const syms = new Set<string>();
      const st: WalkState = { size: 0, risky: false, transcendental: false };
      walk(json, syms, st);
      out = { expr, json, symbols: [...syms].sort(), size: st.size, risky: st.risky, transcendental: st.transcendental };
    }
  } catch {
    out = null;
  }
  if (CACHE.size >= CACHE_MAX) CACHE.delete(CACHE.keys().next().value as string);
  CACHE.set(key, out);
  return out;
}

/** Structural identity of two canonical forms (the compute engine's `isSame`). */
export function same(a: Parsed, b: Parsed): boolean {
  // Parses live in separate scopes, so bound variables (the k of a sum) are distinct objects for
  // isSame; identical canonical MathJSON is the same expression.
  if (JSON.stringify(a.json) === JSON.stringify(b.json)) return true;
  try {
    return a.expr.isSame(b.expr);
  } catch {
    return false;
  }
}

/** True when the compute engine simplifies `a - b` (or `b - a`: its rules are not symmetric) to 0 within `ms`. */
export function simplifiesToZero(a: Parsed, b: Parsed, ms: number, now: () => number = Date.now): boolean {
  if (ms < 5 || a.risky || b.risky || a.size + b.size > 120) return false;
  const isZero = (j: Json) => j === 0 || (typeof j === 'object' && j !== null && (j as { num?: string }).num === '0');
  const e = ce();
  const end = now() + ms;
  for (const [x, y] of [
    [a, b],
    [b, a],
  ]) {
    const left = end - now();
    if (left < 5) return false;
    try {
      const r = scoped(() => e.withTimeLimit(left, () => e.box(['Subtract', x.json, y.json] as never).simplify())) as Expr;
      if (isZero(r.json)) return true;
    } catch {
      // timeout or engine error: not proven
    }
  }
  return false;
}

/** Numeric value through the compute engine's N() (used when the local evaluator cannot). */
export function engineValue(p: Parsed, ms: number): C | null {
  if (p.risky || ms < 5) return null;
  try {
    const e = ce();
    const r = scoped(() => e.withTimeLimit(ms, () => p.expr.N())) as Expr;
    const v = evaluate(r.json, new Map());
    return v && !isM(v) ? v : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Complex arithmetic

const add = (a: C, b: C): C => c(a.re + b.re, a.im + b.im);
const mul = (a: C, b: C): C => (a.im === 0 && b.im === 0 ? c(a.re * b.re) : c(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re));
function div(a: C, b: C): C {
  if (a.im === 0 && b.im === 0) return c(a.re / b.re);
  const d = b.re * b.re + b.im * b.im;
  return c((a.re * b.re + a.im * b.im) / d, (a.im * b.re - a.re * b.im) / d);
}
const abs = (a: C): number => (a.im === 0 ? Math.abs(a.re) : Math.hypot(a.re, a.im));
function cexp(a: C): C {
  const r = Math.exp(a.re);
  return a.im === 0 ? c(r) : c(r * Math.cos(a.im), r * Math.sin(a.im));
}
function clog(a: C): C {
  if (a.im === 0 && a.re > 0) return c(Math.log(a.re));
  return c(Math.log(abs(a)), Math.atan2(a.im, a.re));
}
function isInt(x: number): boolean {
  return Number.isInteger(x);
}
/** Power with the real-valued convention for odd roots of negative reals. */
function cpow(a: C, b: C, ratDen?: number): C {
  if (a.im === 0 && b.im === 0) {
    if (a.re >= 0 || isInt(b.re)) return c(a.re ** b.re);
    if (ratDen !== undefined && ratDen % 2 === 1) {
      // (-x)^(p/q) with q odd: real value
      const p = Math.round(b.re * ratDen);
      const mag = (-a.re) ** b.re;
      return c(p % 2 === 0 ? mag : -mag);
    }
  }
  if (a.re === 0 && a.im === 0) return b.re > 0 ? c(0) : c(Infinity);
  return cexp(mul(b, clog(a)));
}
function csqrt(a: C): C {
  if (a.im === 0) return a.re >= 0 ? c(Math.sqrt(a.re)) : c(0, Math.sqrt(-a.re));
  const r = abs(a);
  const re = Math.sqrt((r + a.re) / 2);
  const im = Math.sign(a.im) * Math.sqrt((r - a.re) / 2);
  return c(re, im);
}
function real(f: (x: number) => number): (a: C) => C {
  return (a) => (a.im === 0 ? c(f(a.re)) : NAN);
}
function csin(a: C): C {
  return a.im === 0 ? c(Math.sin(a.re)) : c(Math.sin(a.re) * Math.cosh(a.im), Math.cos(a.re) * Math.sinh(a.im));
}
function ccos(a: C): C {
  return a.im === 0 ? c(Math.cos(a.re)) : c(Math.cos(a.re) * Math.cosh(a.im), -Math.sin(a.re) * Math.sinh(a.im));
}
function gamma(x: number): number {
  if (x < 0.5) return Math.PI / (Math.sin(Math.PI * x) * gamma(1 - x));
  const g = 7;
  const p = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
    9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  x -= 1;
  let a = p[0];
  const t = x + g + 0.5;
  for (let i = 1; i < g + 2; i++) a += p[i] / (x + i);
  return Math.sqrt(2 * Math.PI) * t ** (x + 0.5) * Math.exp(-t) * a;
}
function factorial(x: number): number {
  if (x < 0 && isInt(x)) return NaN;
  if (isInt(x)) {
    if (x > 170) return Infinity;
    let r = 1;
    for (let i = 2; i <= x; i++) r *= i;
    return r;
  }
  return gamma(x + 1);
}
function igcd(a: number, b: number): number {
  a = Math.abs(a);
  b = Math.abs(b);
  while (b) [a, b] = [b, a % b];
  return a;
}

/** A fixed pseudo-random function for an uninterpreted function symbol (f(x), g(x,y)). */
function uninterpreted(name: string, args: C[]): C {
  let h = 2166136261;
  for (const ch of name) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  let re = ((h >>> 0) % 1000) / 250 + 0.5;
  let im = 0;
  for (const [i, a] of args.entries()) {
    re += Math.sin(a.re * (1.3 + i) + (h % 7)) * 1.7 + a.re * 0.31;
    im += a.im * 0.29;
  }
  return c(re, im);
}

const UNARY: Record<string, (a: C) => C> = {
  Sqrt: csqrt,
  Exp: cexp,
  Ln: clog,
  Sin: csin,
  Cos: ccos,
  Tan: (a) => div(csin(a), ccos(a)),
  Cot: (a) => div(ccos(a), csin(a)),
  Sec: (a) => div(c(1), ccos(a)),
  Csc: (a) => div(c(1), csin(a)),
  Arcsin: real((x) => (Math.abs(x) <= 1 ? Math.asin(x) : NaN)),
  Arccos: real((x) => (Math.abs(x) <= 1 ? Math.acos(x) : NaN)),
  Arctan: real(Math.atan),
  Arccot: real((x) => Math.atan(1 / x)),
  Arcsec: real((x) => Math.acos(1 / x)),
  Arccsc: real((x) => Math.asin(1 / x)),
  Sinh: real(Math.sinh),
  Cosh: real(Math.cosh),
  Tanh: real(Math.tanh),
  Arsinh: real(Math.asinh),
  Arcosh: real(Math.acosh),
  Artanh: real(Math.atanh),
  Abs: (a) => c(abs(a)),
  Floor: real(Math.floor),
  Ceil: real(Math.ceil),
  Round: real(Math.round),
  Sign: real(Math.sign),
  Square: (a) => mul(a, a),
  Negate: (a) => c(-a.re, -a.im),
  Factorial: real(factorial),
  Gamma: real(gamma),
  Lb: (a) => div(clog(a), c(Math.LN2)),
  Lg: (a) => div(clog(a), c(Math.LN10)),
  Degrees: (a) => mul(a, c(Math.PI / 180)),
  Delimiter: (a) => a,
  Hold: (a) => a,
  Real: (a) => c(a.re),
  Imaginary: (a) => c(a.im),
  Conjugate: (a) => c(a.re, -a.im),
};

class Unsupported extends Error {}

/** True for function heads that are user symbols (f, g, W, Phi, a_n), not library functions. */
function isUserFunction(h: string): boolean {
  return (
    /^[A-Za-z](?:_\w+)?$/.test(h) || /^(?:alpha|beta|gamma|delta|phi|Phi|psi|Psi|theta|Theta|omega|Omega|varphi|sigma|Sigma|tau|rho|mu|lambda|Lambda)$/.test(h)
  );
}

function scalar(v: V): C {
  if (isM(v)) throw new Unsupported('matrix');
  return v;
}

function matMap(a: M, f: (x: C) => C): M {
  return { rows: a.rows.map((r) => r.map(f)) };
}

function addV(a: V, b: V): V {
  if (isM(a) && isM(b)) {
    if (a.rows.length !== b.rows.length || a.rows[0].length !== b.rows[0].length) throw new Unsupported('shape');
    return { rows: a.rows.map((r, i) => r.map((x, j) => add(x, b.rows[i][j]))) };
  }
  if (isM(a) || isM(b)) throw new Unsupported('matrix + scalar');
  return add(a, b);
}
function mulV(a: V, b: V): V {
  if (isM(a) && isM(b)) {
    const n = a.rows.length;
    const k = a.rows[0].length;
    if (b.rows.length !== k) throw new Unsupported('shape');
    const m = b.rows[0].length;
    const rows: C[][] = [];
    for (let i = 0; i < n; i++) {
      const row: C[] = [];
      for (let j = 0; j < m; j++) {
        let s = c(0);
        for (let t = 0; t < k; t++) s = add(s, mul(a.rows[i][t], b.rows[t][j]));
        row.push(s);
      }
      rows.push(row);
    }
    return { rows };
  }
  if (isM(a)) return matMap(a, (x) => mul(x, b as C));
  if (isM(b)) return matMap(b, (x) => mul(a, x));
  return mul(a, b);
}

/**
 * Evaluates canonical MathJSON at the given variable values. Returns null for unsupported
 * constructs; NaN components mark a point outside the domain.
 */
export function evaluate(j: Json, vars: Map<string, C>): V | null {
  try {
    return ev(j, vars);
  } catch (e) {
    if (e instanceof Unsupported) return null;
    throw e;
  }
}

function ev(j: Json, vars: Map<string, C>): V {
  if (typeof j === 'number') return c(j);
  if (typeof j === 'string') {
    if (j in CONSTANTS) return CONSTANTS[j];
    const v = vars.get(j);
    if (v) return v;
    throw new Unsupported(`symbol ${j}`);
  }
  if (!Array.isArray(j)) {
    if (j && typeof j === 'object') {
      const o = j as Record<string, unknown>;
      if (typeof o.num === 'string') {
        const s = o.num.replace(/^\+/, '').replace(/\(\d+\)$/, '');
        if (/infinity/i.test(s)) return c(s.startsWith('-') ? -Infinity : Infinity);
        return c(Number(s));
      }
      if (typeof o.sym === 'string') return ev(o.sym, vars);
      if (Array.isArray(o.fn)) return ev(o.fn, vars);
    }
    throw new Unsupported('object');
  }
  const [h, ...args] = j as Json[];
  if (typeof h !== 'string') throw new Unsupported('head');
  switch (h) {
    case 'Add': {
      let s: V = ev(args[0], vars);
      for (const a of args.slice(1)) s = addV(s, ev(a, vars));
      return s;
    }
    case 'Subtract': {
      const a = ev(args[0], vars);
      const b = ev(args[1], vars);
      return addV(a, isM(b) ? matMap(b, (x) => c(-x.re, -x.im)) : c(-b.re, -b.im));
    }
    case 'Multiply':
    case 'InvisibleOperator':
    case 'MatrixMultiply': {
      let p: V = c(1);
      for (const a of args) p = mulV(p, ev(a, vars));
      return p;
    }
    case 'Negate': {
      const a = ev(args[0], vars);
      return isM(a) ? matMap(a, (x) => c(-x.re, -x.im)) : c(-a.re, -a.im);
    }
    case 'Divide': {
      const a = ev(args[0], vars);
      const b = scalar(ev(args[1], vars));
      return isM(a) ? matMap(a, (x) => div(x, b)) : div(a, b);
    }
    case 'Rational':
      return div(scalar(ev(args[0], vars)), scalar(ev(args[1], vars)));
    case 'Complex':
      return c(scalar(ev(args[0], vars)).re, scalar(ev(args[1], vars)).re);
    case 'Power': {
      const base = scalar(ev(args[0], vars));
      const e = args[1];
      let den: number | undefined;
      if (Array.isArray(e) && e[0] === 'Rational') den = numberOf(e[2]) ?? undefined;
      return cpow(base, scalar(ev(e, vars)), den);
    }
    case 'Root': {
      const base = scalar(ev(args[0], vars));
      const n = scalar(ev(args[1], vars)).re;
      if (base.im === 0 && base.re < 0 && isInt(n) && n % 2 === 1) return c(-((-base.re) ** (1 / n)));
      return cpow(base, c(1 / n));
    }
    case 'Log': {
      const a = scalar(ev(args[0], vars));
      const base = args.length > 1 ? scalar(ev(args[1], vars)) : c(10);
      return div(clog(a), clog(base));
    }
    case 'Binomial': {
      const n = scalar(ev(args[0], vars)).re;
      const k = scalar(ev(args[1], vars)).re;
      if (!isInt(k) || k < 0) return NAN;
      let r = 1;
      for (let i = 0; i < k; i++) r = (r * (n - i)) / (i + 1);
      return c(Math.round(r) === r || !isInt(n) ? r : Math.round(r));
    }
    case 'GCD':
    case 'LCM': {
      const xs = args.map((a) => scalar(ev(a, vars)).re);
      if (!xs.every(isInt)) return NAN;
      if (h === 'GCD') return c(xs.reduce(igcd));
      return c(xs.reduce((a, b) => (a * b) / igcd(a, b)));
    }
    case 'Max':
    case 'Min': {
      const xs = args.map((a) => scalar(ev(a, vars)));
      if (xs.some((x) => x.im !== 0)) return NAN;
      return c(h === 'Max' ? Math.max(...xs.map((x) => x.re)) : Math.min(...xs.map((x) => x.re)));
    }
    case 'Mod': {
      const a = scalar(ev(args[0], vars)).re;
      const b = scalar(ev(args[1], vars)).re;
      return c(((a % b) + b) % b);
    }
    case 'BaseForm':
      return ev(args[0], vars);
    case 'Matrix':
      return ev(args[0], vars);
    case 'List': {
      // A matrix is a List of Lists.
      const rows = args.map((r) => {
        if (Array.isArray(r) && r[0] === 'List') return (r.slice(1) as Json[]).map((x) => scalar(ev(x, vars)));
        return [scalar(ev(r, vars))];
      });
      if (rows.length === 0 || rows.some((r) => r.length !== rows[0].length)) throw new Unsupported('ragged');
      return { rows };
    }
    default:
      break;
  }
  const u = UNARY[h];
  if (u && args.length === 1) {
    const a = ev(args[0], vars);
    return isM(a) ? matMap(a, u) : u(a);
  }
  if (isUserFunction(h))
    return uninterpreted(
      h,
      args.map((a) => scalar(ev(a, vars))),
    );
  throw new Unsupported(h);
}

/** Evaluates a parsed leaf with no free symbols; null when unsupported. */
export function constantValue(p: Parsed, deadline: number, now: () => number = Date.now): V | null {
  const v = evaluate(p.json, new Map());
  if (v !== null) return v;
  return engineValue(p, Math.min(200, deadline - now()));
}

export function toMatrix(v: V | null): M | null {
  return v && isM(v) ? v : null;
}
export function toScalar(v: V | null): C | null {
  return v && !isM(v) ? v : null;
}

/**
 * Relative closeness of two complex values. A non-finite value is never close to anything: it is
 * either an infinity (not a number) or a float overflow (a huge number whose value is lost), and
 * `\\infty` must not equal `10^{10^{10^{10}}}`, nor `9^{9^9}` equal `9^{9^9}+7`.
 */
export function close(a: C, b: C, relTol: number, absTol = 1e-12): boolean {
  if (!Number.isFinite(a.re) || !Number.isFinite(b.re) || !Number.isFinite(a.im) || !Number.isFinite(b.im)) return false;
  const d = Math.hypot(a.re - b.re, a.im - b.im);
  return d <= absTol || d <= relTol * Math.max(abs(a), abs(b));
}

export const isFiniteC = (a: C): boolean => Number.isFinite(a.re) && Number.isFinite(a.im);

const INT_POINTS = [2, 3, 5, -1, 7, -2, 4, -3, 11, 6, 13, -5];
const FRAC_POINTS = [0.5, 1.5, -0.7, 2.3, 0.37, -1.6, 3.7, 1.21];

/**
 * Assignments of sample values to `symbols`: integers first (each symbol a different value), then
 * non-integers.
 */
export function samplePoints(symbols: string[], nInt = 6, nFrac = 4): Array<Map<string, C>> {
  const pts: Array<Map<string, C>> = [];
  for (let t = 0; t < nInt; t++) {
    const m = new Map<string, C>();
    symbols.forEach((s, i) => m.set(s, c(INT_POINTS[(t + 3 * i) % INT_POINTS.length])));
    pts.push(m);
  }
  for (let t = 0; t < nFrac; t++) {
    const m = new Map<string, C>();
    symbols.forEach((s, i) => m.set(s, c(FRAC_POINTS[(t + 3 * i) % FRAC_POINTS.length] + 0.013 * i)));
    pts.push(m);
  }
  return pts;
}

// ---------------------------------------------------------------------------------------------
// Exact rational evaluation (BigInt) of constant arithmetic, so that big integers compare exactly.

function q(n: bigint, d: bigint): Rational {
  if (d === 0n) throw new Unsupported('division by zero');
  return rat(n, d);
}
const MAX_BITS = 20000n;
function bits(x: bigint): bigint {
  return BigInt((x < 0n ? -x : x).toString(16).length * 4);
}
function qpow(b: Rational, e: bigint): Rational {
  if (e < 0n) return qpow(q(b.d, b.n), -e);
  // biome-ignore lint/complexity/useMathMinMax: bigints; Math.max takes numbers only
  const nb = bits(b.n) > bits(b.d) ? bits(b.n) : bits(b.d);
  if (nb * e > MAX_BITS) throw new Unsupported('too big');
  return q(b.n ** e, b.d ** e);
}

function ex(j: Json): Rational {
  if (typeof j === 'number') {
    if (Number.isSafeInteger(j)) return q(BigInt(j), 1n);
    // A written decimal (1.5 in 1.5\\times 10^{20}) is exact as its shortest decimal form.
    const m = Number.isFinite(j) ? /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(j)) : null;
    if (!m) throw new Unsupported('float');
    const frac = m[3] ?? '';
    const exp = Number(m[4] ?? 0) - frac.length;
    if (Math.abs(exp) > 400) throw new Unsupported('too big');
    const digits = BigInt(m[1] + m[2] + frac);
    return exp >= 0 ? q(digits * 10n ** BigInt(exp), 1n) : q(digits, 10n ** BigInt(-exp));
  }
  if (!Array.isArray(j)) {
    if (j && typeof j === 'object' && typeof (j as { num?: unknown }).num === 'string') {
      const s = (j as { num: string }).num;
      if (/^[+-]?\d+$/.test(s)) return q(BigInt(s), 1n);
    }
    throw new Unsupported('not exact');
  }
  const [h, ...a] = j as Json[];
  switch (h) {
    case 'Add':
      return a.map(ex).reduce((x, y) => q(x.n * y.d + y.n * x.d, x.d * y.d));
    case 'Subtract': {
      const [x, y] = [ex(a[0]), ex(a[1])];
      return q(x.n * y.d - y.n * x.d, x.d * y.d);
    }
    case 'Negate': {
      const x = ex(a[0]);
      return q(-x.n, x.d);
    }
    case 'Multiply':
      return a.map(ex).reduce((x, y) => q(x.n * y.n, x.d * y.d));
    case 'Divide':
    case 'Rational': {
      const [x, y] = [ex(a[0]), ex(a[1])];
      return q(x.n * y.d, x.d * y.n);
    }
    case 'Power': {
      const e = ex(a[1]);
      if (e.d !== 1n) throw new Unsupported('root');
      return qpow(ex(a[0]), e.n);
    }
    case 'Square':
      return qpow(ex(a[0]), 2n);
    case 'Factorial': {
      const x = ex(a[0]);
      if (x.d !== 1n || x.n < 0n || x.n > 2000n) throw new Unsupported('factorial');
      let r = 1n;
      for (let i = 2n; i <= x.n; i++) r *= i;
      return q(r, 1n);
    }
    case 'Binomial': {
      const [n, k] = [ex(a[0]), ex(a[1])];
      if (n.d !== 1n || k.d !== 1n || k.n < 0n || k.n > 5000n) throw new Unsupported('binomial');
      let r = 1n;
      for (let i = 0n; i < k.n; i++) r = (r * (n.n - i)) / (i + 1n);
      return q(r, 1n);
    }
    case 'Delimiter':
    case 'BaseForm':
      return ex(a[0]);
    default:
      throw new Unsupported(String(h));
  }
}

/** The exact rational value of constant integer/rational arithmetic; null otherwise. */
export function exactValue(j: Json): Rational | null {
  try {
    return ex(j);
  } catch (e) {
    if (e instanceof Unsupported || e instanceof RangeError) return null;
    throw e;
  }
}
