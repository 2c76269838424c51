/**
 * Turns a normalized answer string into a structure: lists, tuples/intervals, sets, unions,
 * matrices, relations (assignments, equations, inequality chains), ratios/times, text, and leaves
 * (single expressions, with a percent flag).
 */
import { closeBrace, splitTop, wrapped } from './text.js';
import { normalizeAnswer } from './normalize.js';

export type Node =
  | { k: 'text'; s: string; mc: boolean }
  | { k: 'leaf'; tex: string; pct: boolean }
  /** `name = value` (name null for a constant computation chain "1+1 = 2"). eq: the sides when it is one equation. */
  | { k: 'assign'; name: string | null; value: Node; eq: [string, string] | null }
  /** A genuine equation (both sides are expressions). */
  | { k: 'eq'; lhs: string; rhs: string }
  /** A chain of inequalities / ≠ (terms.length === ops.length + 1). */
  | { k: 'ineq'; terms: string[]; ops: string[] }
  /** Tuple, point, interval or bracketed list: ordered. */
  | { k: 'seq'; open: string; close: string; items: Node[] }
  /** \{…\} and ± expansions: unordered. pm marks a ± pair (flattened into enclosing lists). */
  | { k: 'set'; items: Node[]; pm?: boolean }
  /** A bare comma list: unordered against lists and sets, ordered against tuples. */
  | { k: 'list'; items: Node[] }
  | { k: 'union'; parts: Node[] }
  | { k: 'matrix'; rows: Node[][] }
  /** An expression involving matrices (sum, product): evaluated numerically. */
  | { k: 'matexpr'; tex: string }
  /** a:b(:c), with an optional am/pm marker (times). */
  | { k: 'ratio'; parts: string[]; ampm: 'am' | 'pm' | null };

const REL_OPS = ['=', '<', '>', '\\le', '\\ge', '\\ne', '\\approx', '\\in', '\\notin', '\\subset', '\\subseteq', '\\to'];
const INEQ = new Set(['<', '>', '\\le', '\\ge', '\\ne']);

const GREEK =
  'alpha|beta|gamma|delta|epsilon|varepsilon|zeta|eta|theta|vartheta|iota|kappa|lambda|mu|nu|xi|rho|sigma|tau|upsilon|phi|varphi|chi|psi|omega|Gamma|Delta|Theta|Lambda|Xi|Sigma|Upsilon|Phi|Psi|Omega';
const LABEL_CMDS = new RegExp(
  `\\\\(?:${GREEK}|frac|angle|triangle|overline|overrightarrow|vec|hat|bar|tilde|mathbf|mathrm|mathit|mathcal|prime|text|operatorname|left|right)(?![a-zA-Z])`,
  'g',
);

/**
 * True when `t` names something rather than computing it: x, a_n, f(x), \Phi(x,y), (p,q), |AB|,
 * \frac{NO}{BO}, S_{ABC}:S. No digits outside subscripts, no arithmetic operators, no functions.
 */
export function isLabel(t: string): boolean {
  const s = t.trim();
  if (s === '' || s.length > 40) return false;
  const noSub = s.replace(/_\{[^{}]*\}|_\\?\w+/g, '').replace(/\^\{?\\prime\}?|'/g, '');
  if (/\d/.test(noSub)) return false;
  if (/[+\-*^=<>!/]/.test(noSub.replace(/\\frac/g, ''))) return false;
  const noCmd = noSub.replace(LABEL_CMDS, ' ');
  if (/\\[a-zA-Z]+/.test(noCmd)) return false;
  if (!/[a-zA-Z]/.test(noCmd)) return false;
  return /^[a-zA-Z\s{}()[\]|:,.]*$/.test(noCmd);
}

/** True when `t` has no letters outside LaTeX commands (a constant computation like 5+5+1). */
export function isConstantTex(t: string): boolean {
  const s = t.replace(/\\(?:text|mbox)\{[^{}]*\}/g, '').replace(/\\[a-zA-Z]+/g, ' ');
  return !/[a-zA-Z]/.test(s);
}

const TEXT_WRAP = /^\\(?:text|textbf|textit|textrm|textsf|texttt|textup|textnormal|mbox|mathrm|mathbf|mathit|mathsf)\{/;

/** The content when `s` is wholly one \text-like group. */
function wholeText(s: string): string | null {
  const m = TEXT_WRAP.exec(s);
  if (!m) return null;
  const close = closeBrace(s, m[0].length - 1);
  return close === s.length - 1 ? s.slice(m[0].length, -1) : null;
}

function textNode(content: string): Node {
  const t = content.trim();
  const mc = /^\(?([A-Ea-e])\)?[.:]?$/.exec(t);
  if (mc) return { k: 'text', s: mc[1].toUpperCase(), mc: true };
  return { k: 'text', s: t.toLowerCase().replace(/\s+/g, ' ').replace(/[.]$/, ''), mc: false };
}

/** A single expression: percent flag, degree sign, MC letters, \text answers. */
export function leaf(t: string): Node {
  let s = t.trim();
  const txt = wholeText(s);
  if (txt !== null) {
    const inner = normalizeAnswer(txt);
    if (inner !== '' && !/[a-zA-Z]{2,}/.test(inner.replace(/\\[a-zA-Z]+/g, '')) && /\d/.test(inner)) return parseAnswer(inner);
    return textNode(txt);
  }
  const mc = /^\(([A-Ea-e])\)$/.exec(s);
  if (mc) return { k: 'text', s: mc[1].toUpperCase(), mc: true };
  let pct = false;
  if (/\\%$/.test(s)) {
    pct = true;
    s = s.replace(/(?:\\%)+$/, '').trim();
  }
  s = s
    .replace(/\^\\circ$/, '')
    .replace(/\\circ$/, '')
    .trim();
  if (s.startsWith('+') && s.length > 1) s = s.slice(1);
  return { k: 'leaf', tex: s, pct };
}

/** Expands \pm / \mp into the two signs (all occurrences together). */
function expandPm(s: string): [string, string] {
  const plus = s.replace(/\\pm/g, '+').replace(/\\mp/g, '-');
  const minus = s.replace(/\\pm/g, '-').replace(/\\mp/g, '+');
  const tidy = (x: string) => x.replace(/^\+/, '').replace(/\(\+/g, '(').replace(/\{\+/g, '{').replace(/,\+/g, ',');
  return [tidy(plus), tidy(minus)];
}

function flatten(items: Node[]): Node[] {
  const out: Node[] = [];
  for (const it of items) {
    if (it.k === 'set' && it.pm) out.push(...it.items);
    else out.push(it);
  }
  return out;
}

const MATRIX_ENV = /^\\begin\{(pmatrix|bmatrix|Bmatrix|vmatrix|Vmatrix|matrix|smallmatrix|array)\}/;

function parseMatrix(s: string): Node | null {
  const m = MATRIX_ENV.exec(s);
  if (!m) return null;
  const endTok = `\\end{${m[1]}}`;
  if (!s.endsWith(endTok)) return null;
  let inner = s.slice(m[0].length, s.length - endTok.length);
  if (/\\begin\{/.test(inner)) return null;
  if (m[1] === 'array' && inner.startsWith('{')) {
    const close = closeBrace(inner, 0);
    if (close > 0) inner = inner.slice(close + 1);
  }
  const rows = splitTop(inner, ['\\\\']).parts.map((r) => r.trim());
  while (rows.length > 0 && rows[rows.length - 1] === '') rows.pop();
  if (rows.length === 0) return null;
  const cells = rows.map((r) => splitTop(r, ['&']).parts.map((x) => parseItem(x.trim())));
  if (cells.some((r) => r.length !== cells[0].length)) return null;
  return { k: 'matrix', rows: cells };
}

function parseRelation(parts: string[], ops: string[], whole: string): Node {
  const terms = parts.map((p) => p.trim());
  if (terms.some((t) => t === '')) return leaf(whole);
  const inIdx = ops.indexOf('\\in');
  if (inIdx >= 0) {
    if (ops.length === 1) return parseItem(terms[1]);
    return leaf(whole);
  }
  if (ops.some((o) => o === '\\notin' || o === '\\subset' || o === '\\subseteq' || o === '\\to')) return leaf(whole);
  if (ops.every((o) => o === '=' || o === '\\approx')) {
    if (terms.length === 2 && ops[0] === '=') {
      const [lhs, rhs] = terms;
      if (isLabel(lhs)) return { k: 'assign', name: lhs, value: parseItem(rhs), eq: [lhs, rhs] };
      if (isConstantTex(lhs) && isConstantTex(rhs)) return { k: 'assign', name: null, value: parseItem(rhs), eq: null };
      return { k: 'eq', lhs, rhs };
    }
    const lastEq = ops.lastIndexOf('=');
    const value = lastEq >= 0 ? terms[lastEq + 1] : terms[terms.length - 1];
    return { k: 'assign', name: isLabel(terms[0]) ? terms[0] : null, value: parseItem(value), eq: null };
  }
  if (ops.every((o) => INEQ.has(o))) return { k: 'ineq', terms, ops };
  return { k: 'ineq', terms, ops };
}

/** One list item: relation, union, bracketed structure, ±, matrix, ratio or leaf. */
export function parseItem(input: string): Node {
  const s = input.trim();
  if (s === '') return { k: 'text', s: '', mc: false };
  if (wholeText(s) !== null) return leaf(s);
  const rel = splitTop(s, REL_OPS);
  if (rel.ops.length > 0) return parseRelation(rel.parts, rel.ops, s);
  const u = splitTop(s, ['\\cup']);
  if (u.ops.length > 0 && u.parts.every((p) => p.trim() !== '')) return { k: 'union', parts: u.parts.map((p) => parseItem(p)) };
  const w = wrapped(s);
  if (w) {
    if (w.open === '\\{') {
      const inner = splitTop(w.inner, [',', ';']);
      return { k: 'set', items: flatten(inner.parts.filter((p) => p.trim() !== '').map((p) => parseItem(p))) };
    }
    if (w.open === '{' && w.close === '}') return parseAnswer(w.inner);
    const items = splitTop(w.inner, [',']);
    let parts = items.parts;
    if (parts.length === 1) {
      const semi = splitTop(w.inner, [';']);
      if (semi.parts.length > 1) parts = semi.parts;
    }
    if (parts.length >= 2 && parts.every((p) => p.trim() !== '')) {
      return { k: 'seq', open: w.open, close: w.close, items: parts.map((p) => parseItem(p)) };
    }
    if (parts.length === 1 && (w.open === '(' || w.open === '[') && (w.close === ')' || w.close === ']')) {
      const inner = w.inner.trim();
      if (MATRIX_ENV.test(inner) || wrapped(inner)) return parseItem(inner);
    }
  }
  if (/\\pm|\\mp/.test(s)) {
    const [a, b] = expandPm(s);
    return { k: 'set', items: [parseItem(a), parseItem(b)], pm: true };
  }
  const mat = parseMatrix(s);
  if (mat) return mat;
  if (/\\begin\{[pbBvV]?matrix\}/.test(s)) return { k: 'matexpr', tex: s };
  const col = splitTop(s, [':']);
  if (col.ops.length > 0 && col.parts.every((p) => p.trim() !== '')) {
    const parts = col.parts.map((p) => p.trim());
    let ampm: 'am' | 'pm' | null = null;
    const last = parts[parts.length - 1];
    const m = /^(\d+)\\text\{\s*([ap])\.?\s*m\.?\s*\}$/i.exec(last);
    if (m) {
      parts[parts.length - 1] = m[1];
      ampm = m[2].toLowerCase() === 'a' ? 'am' : 'pm';
    }
    return { k: 'ratio', parts, ampm };
  }
  return leaf(s);
}

/** A whole answer: `;`-separated groups of `,`-separated items. */
export function parseAnswer(norm: string): Node {
  const s = norm.trim();
  if (s === '') return { k: 'text', s: '', mc: false };
  const semi = splitTop(s, [';']);
  const groups = semi.parts.map((p) => p.trim()).filter((p) => p !== '');
  if (groups.length > 1) return { k: 'list', items: flatten(groups.map(parseGroup)) };
  return parseGroup(s);
}

function parseGroup(s: string): Node {
  const parts = splitTop(s, [','])
    .parts.map((p) => p.trim())
    .filter((p) => p !== '');
  if (parts.length > 1) return { k: 'list', items: flatten(parts.map((p) => parseItem(p))) };
  if (parts.length === 0) return { k: 'text', s: '', mc: false };
  return parseItem(parts[0]);
}
