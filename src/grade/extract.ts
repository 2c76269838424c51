/**
 * Final-answer extraction from a model's text. In order:
 *  1. the last \boxed{…}/\fbox{…} (brace-matched; boxes separated only by connectives are joined),
 *  2. an anchor: "final answer is …", "final answer: … is …", "answer is …", "answer: …",
 *  3. the whole text when it is a bare answer (no prose),
 *  4. the last LaTeX math span ($…$, $$…$$, \(…\), \[…\]; spans joined by , / and / or),
 *  5. the last number (thousands separators allowed) — only when the text has no math spans.
 * A percent sign right after a box or span is kept.
 */
import { closeBrace } from './text.js';
import { UNIT_WORDS, MATH_WORDS, isNumberWord } from './normalize.js';

interface Span {
  start: number;
  end: number; // exclusive
  content: string;
}

const PERCENT_AFTER = /^(?:\s|\$|\\\)|\\\]|\})*\s*(\\?%|percentage|percent|pct)(?![a-zA-Z])/i;

/** All \boxed / \fbox groups, in order. An unclosed last box takes the rest of the text. */
export function boxes(text: string): Span[] {
  const out: Span[] = [];
  const re = /\\(?:boxed|fbox)(?![a-zA-Z])\s*/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    const i = m.index + m[0].length;
    if (text[i] === '{') {
      const close = closeBrace(text, i);
      if (close < 0) {
        out.push({ start: m.index, end: text.length, content: text.slice(i + 1).replace(/[\s$.]+$/, '') });
        break;
      }
      out.push({ start: m.index, end: close + 1, content: text.slice(i + 1, close) });
      re.lastIndex = close + 1;
    } else {
      // \boxed 5  (a single token)
      const t = /^(-?[\d.,]+|\\[a-zA-Z]+|[a-zA-Z])/.exec(text.slice(i));
      if (t) {
        out.push({ start: m.index, end: i + t[0].length, content: t[0] });
        re.lastIndex = i + t[0].length;
      }
    }
  }
  return out;
}

/** Words that end one statement and start another: boxes around them are separate answers. */
const GAP_BREAKERS = new Set('then thus so therefore hence is are was were we but because since get gives yields next finally'.split(' '));

/** True when the text between two boxes only connects them ("and", ",", "\quad", a few words). */
function joinableGap(gap: string): boolean {
  if (gap.length > 120) return false;
  const g = gap
    .replace(/\\text\s*\{([^{}]*)\}/g, ' $1 ')
    .replace(/\\\\n/g, '\n')
    .replace(/\\(?:q?quad|[,;:! ])/g, ' ')
    .replace(/\\[()[\]]/g, ' ')
    .replace(/\$/g, ' ');
  if (/[.!?](?:\s|$)/.test(g) || /\n\s*\n/.test(g) || /[.!?]/.test(g.replace(/\([a-z]\)/g, ''))) return false;
  const words = g.match(/[A-Za-z]+/g) ?? [];
  if (words.some((w) => GAP_BREAKERS.has(w.toLowerCase()))) return false;
  return words.length <= 4;
}

function joinBoxes(text: string, bs: Span[]): string {
  let k = bs.length - 1;
  const parts = [bs[k].content.trim()];
  while (k > 0 && joinableGap(text.slice(bs[k - 1].end, bs[k].start))) {
    k--;
    parts.unshift(bs[k].content.trim());
  }
  let ans = parts.join(', ');
  const pct = PERCENT_AFTER.exec(text.slice(bs[bs.length - 1].end));
  if (pct && !/%|percent|pct/i.test(ans)) ans += '\\%';
  return ans;
}

/** Math spans: $$…$$, \[…\] (may span lines), $…$ and \(…\) (single line), in text order. */
export function mathSpans(text: string): Span[] {
  const out: Span[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === '\\') {
      const nx = text[i + 1];
      if (nx === '[' || nx === '(') {
        const closeTok = nx === '[' ? '\\]' : '\\)';
        const j = text.indexOf(closeTok, i + 2);
        if (j >= 0) {
          const content = text.slice(i + 2, j);
          if (nx === '[' || !content.includes('\n')) {
            out.push({ start: i, end: j + 2, content });
            i = j + 2;
            continue;
          }
        }
      }
      i += 2;
      continue;
    }
    if (c === '$') {
      if (text[i + 1] === '$') {
        const j = text.indexOf('$$', i + 2);
        if (j >= 0) {
          out.push({ start: i, end: j + 2, content: text.slice(i + 2, j) });
          i = j + 2;
          continue;
        }
        i += 2;
        continue;
      }
      // inline: the next unescaped $ on the same line
      let j = i + 1;
      while (j < n && text[j] !== '\n') {
        if (text[j] === '\\') {
          j += 2;
          continue;
        }
        if (text[j] === '$') break;
        j++;
      }
      if (j < n && text[j] === '$' && j > i + 1) {
        const content = text.slice(i + 1, j);
        // "$5 for apples and $" is currency, not math: skip this $ and rescan from the next one.
        if (/^\d/.test(content) && !isBareAnswer(content)) {
          i = j;
          continue;
        }
        out.push({ start: i, end: j + 1, content });
        i = j + 1;
        continue;
      }
      i = j;
      continue;
    }
    i++;
  }
  return out;
}

function joinSpans(text: string, spans: Span[], from: number, dir: 1 | -1): { content: string; last: Span } {
  const parts = [spans[from].content.trim()];
  let k = from;
  const sep = /^\s*(?:,\s*)?(?:,|and|or|\\text\{\s*(?:and|or)\s*\})?\s*$/i;
  if (dir === -1) {
    while (k > 0 && sep.test(text.slice(spans[k - 1].end, spans[k].start))) {
      k--;
      parts.unshift(spans[k].content.trim());
    }
    return { content: parts.join(', '), last: spans[from] };
  }
  while (k < spans.length - 1 && sep.test(text.slice(spans[k].end, spans[k + 1].start))) {
    k++;
    parts.push(spans[k].content.trim());
  }
  return { content: parts.join(', '), last: spans[k] };
}

function withPercent(text: string, span: Span, ans: string): string {
  const pct = PERCENT_AFTER.exec(text.slice(span.end));
  return pct && !/%|percent|pct/i.test(ans) ? `${ans}\\%` : ans;
}

/** Prose words that never occur in a bare answer. */
const PROSE = new Set(
  'is are was were be the so we thus hence therefore then of to it its that this for with as at by on an if since because answer final solution which where there has have can will would should our from let'.split(
    ' ',
  ),
);

/**
 * True when `t` reads as an answer by itself (no prose): after dropping \text-like groups and LaTeX
 * commands, every word of 4+ letters is a unit, number or percent word, and no prose word occurs.
 */
export function isBareAnswer(t: string): boolean {
  const s = t.trim();
  if (s === '' || s.length > 400) return false;
  const stripped = s
    .replace(/\\(?:begin|end)\s*\{[^{}]*\}/g, ' ')
    .replace(/\\(?:text|textbf|textit|textrm|mbox|mathrm|textnormal|operatorname)\s*\{[^{}]*\}/g, ' ')
    .replace(/\\[a-zA-Z]+/g, ' ');
  const words = stripped.match(/[A-Za-z]+/g) ?? [];
  for (const w of words) {
    const l = w.toLowerCase();
    if (PROSE.has(l)) return false;
    if (w.length >= 4 && !UNIT_WORDS.has(l) && !isNumberWord(l) && !MATH_WORDS.has(l) && !/^(?:percent|percentage|square|cubic|and|or)$/.test(l)) return false;
  }
  // Words of 2-3 letters: allowed (variables, units, "and"), but many of them are prose.
  return words.filter((w) => w.length > 1).length <= 6;
}

const NUMBER_RE =
  /(?<=^|[\s=(:,$€£¥*[{]|\\\$)(-?(?:[1-9]\d{0,2}(?:,\d{3})+|\d+)(?:\.\d+)?(?:\s*\/\s*\d+)?|-?\.\d+)(\s*(?:\\?%|percent(?:age)?|pct)(?![a-zA-Z]))?/gi;

function numbersIn(t: string): string[] {
  const out: string[] = [];
  for (const m of t.matchAll(NUMBER_RE)) out.push(m[1] + (m[2] ? '\\%' : ''));
  return out;
}

function hasMathDelimiters(t: string): boolean {
  // "$5", "$10" are prices; a $ not followed by a digit opens or closes math.
  const dollars = (t.match(/(?<!\\)\$(?!\d)/g) ?? []).length;
  return dollars >= 2 || mathSpans(t).length > 0 || /\\\(|\\\[|\$\$/.test(t);
}

/** Cleans the text captured after an answer anchor. */
function refine(capture: string): string | null {
  let c = capture.replace(/^[\s:：*]+/, '');
  if (c === '') return null;
  const spans = mathSpans(c);
  if (spans.length > 0 && c.slice(0, spans[0].start).trim() === '') {
    const j = joinSpans(c, spans, 0, 1);
    return withPercent(c, j.last, j.content);
  }
  // Up to the end of the sentence.
  const stop = /\.(?=\s|$)|\n/.exec(c);
  if (stop) c = c.slice(0, stop.index);
  c = c
    .replace(/\*\*/g, '')
    .trim()
    .replace(/[.,;]+$/, '');
  if (c === '') return null;
  if (isBareAnswer(c) && !/\$/.test(c)) return c;
  const inner = mathSpans(c);
  if (inner.length > 0) {
    const j = joinSpans(c, inner, 0, 1);
    return withPercent(c, j.last, j.content);
  }
  if (hasMathDelimiters(c)) return null;
  const nums = numbersIn(c);
  return nums.length > 0 ? nums[0] : null;
}

const ANCHORS: RegExp[] = [
  /^####\s*/gm,
  /final answer is\s*:?/gi,
  /final answer[^\n]{0,100}?\s+is\s*:?/gi,
  /final answer\s*:/gi,
  /answer is\s*:?/gi,
  /answer\s*:/gi,
];

function lastMatchEnd(text: string, re: RegExp): number {
  let end = -1;
  for (const m of text.matchAll(re)) end = (m.index ?? 0) + m[0].length;
  return end;
}

/** Extracts the final answer from a model's text; null when none is found. */
export function extractAnswer(text: string): string | null {
  if (typeof text !== 'string') return null;
  const t = text.length > 50000 ? text.slice(-50000) : text;
  if (t.trim() === '') return null;

  const bs = boxes(t);
  if (bs.length > 0) {
    const ans = joinBoxes(t, bs).trim();
    if (ans !== '') return ans;
  }

  for (const re of ANCHORS) {
    const end = lastMatchEnd(t, re);
    if (end < 0) continue;
    const line = t.slice(end).split(/\n\s*\n/)[0];
    const r = refine(line);
    if (r !== null && r !== '') return r;
  }

  if (isBareAnswer(t))
    return t
      .trim()
      .replace(/(?<!\\)[.。]+$/, '')
      .trim();

  const spans = mathSpans(t);
  if (spans.length > 0) {
    const j = joinSpans(t, spans, spans.length - 1, -1);
    return withPercent(t, spans[spans.length - 1], j.content);
  }
  if (hasMathDelimiters(t)) return null;
  const nums = numbersIn(t);
  return nums.length > 0 ? nums[nums.length - 1] : null;
}
