/**
 * String normalization of final answers: turns the many ways of writing one answer in LaTeX or
 * plain text into one canonical string. Structure (lists, relations, intervals, units on a leaf,
 * percent) is decided later in parse.ts; this module only rewrites text. See docs/grading.md.
 */
import { closeBrace, replaceCommandGroups, splitTop } from './text.js';

/** Words that name units: stripped when they follow a number or expression. */
export const UNIT_WORDS = new Set(
  (
    'unit units square squared cubic sq cu meter meters metre metres m cm mm km dm nm um ' +
    'inch inches in ft foot feet yard yards yd yds mile miles mi mph kmh kph kilometer kilometers kilometre ' +
    'centimeter centimeters millimeter millimeters gram grams kg mg kilogram kilograms pound pounds lb lbs ' +
    'ounce ounces oz ton tons tonne tonnes liter liters litre litres ml milliliter milliliters gallon gallons ' +
    'gal quart quarts pint pints cup cups second seconds sec secs minute minutes min mins hour hours hr hrs ' +
    'day days week weeks month months year years yr yrs decade decades century centuries ' +
    'degree degrees deg radian radians rad cent cents dollar dollars usd euro euros yuan yen rupee rupees ' +
    'point points percentage people person persons student students child children adult adults ticket tickets ' +
    'way ways meal meals teacher teachers page pages book books apple apples marble marbles ball balls coin coins ' +
    'edge edges face faces vertex vertices side sides integer integers digit digits number numbers multiple multiples ' +
    'tree trees box boxes game games team teams car cars boy boys girl girls egg eggs cookie cookies candy candies ' +
    'hamburger hamburgers sheep cow cows dog dogs cat cats bird birds item items piece pieces slice slices ' +
    'time times triangle triangles square squares handshake handshakes outfit outfits bag bags friend friends ' +
    'sandwich sandwiches pie pies can cans bottle bottles hat hats shirt shirts worker workers member members ' +
    'calorie calories gallons liters visitor visitors flower flowers seat seats row rows term terms ' +
    'bit bits byte bytes volt volts watt watts joule joules newton newtons kelvin celsius fahrenheit'
  ).split(/\s+/),
);

/** Short words that may appear in a bare answer but must not be stripped as units. */
const NUMBER_WORDS: Record<string, number> = {
  zero: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
  twenty: 20,
  thirty: 30,
  forty: 40,
  fourty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90,
};
const SCALE_WORDS: Record<string, number> = { hundred: 100, thousand: 1000, million: 1e6, billion: 1e9 };

export function isNumberWord(w: string): boolean {
  const l = w.toLowerCase();
  return l in NUMBER_WORDS || l in SCALE_WORDS;
}

/** "twenty-one" → 21, "one hundred and five" → 105; null when `s` is not a number phrase. */
export function numberWords(s: string): number | null {
  const words = s
    .toLowerCase()
    .trim()
    .split(/[\s-]+/)
    .filter((w) => w !== 'and');
  if (words.length === 0 || words.length > 8) return null;
  let total = 0;
  let cur = 0;
  let seen = false;
  let neg = false;
  for (const [i, w] of words.entries()) {
    if (i === 0 && (w === 'minus' || w === 'negative')) {
      neg = true;
      continue;
    }
    if (w in NUMBER_WORDS) {
      cur += NUMBER_WORDS[w];
      seen = true;
    } else if (w in SCALE_WORDS) {
      const k = SCALE_WORDS[w];
      if (!seen && cur === 0) cur = 1;
      if (k === 100) cur *= 100;
      else {
        total += cur * k;
        cur = 0;
      }
      seen = true;
    } else return null;
  }
  if (!seen) return null;
  const v = total + cur;
  return neg ? -v : v;
}

const UNICODE: Array<[RegExp, string]> = [
  [/[\u2212\u2012\u2013\u2014\ufe63\uff0d]/g, '-'],
  [/\u00d7/g, '\\times '],
  [/\u00f7/g, '\\div '],
  [/[\u00b7\u22c5]/g, '\\cdot '],
  [/\u2264/g, '\\le '],
  [/\u2265/g, '\\ge '],
  [/\u2260/g, '\\ne '],
  [/\u2248/g, '\\approx '],
  [/\u221e/g, '\\infty '],
  [/\u03c0/g, '\\pi '],
  [/\u221a/g, '\\sqrt'],
  [/\u222a/g, '\\cup '],
  [/\u2229/g, '\\cap '],
  [/\u2208/g, '\\in '],
  [/\u00b1/g, '\\pm '],
  [/\u2213/g, '\\mp '],
  [/\u00b0/g, '^\\circ '],
  [/\u00b2/g, '^2'],
  [/\u00b3/g, '^3'],
  [/\u00bd/g, '\\frac{1}{2}'],
  [/\u00bc/g, '\\frac{1}{4}'],
  [/\u00be/g, '\\frac{3}{4}'],
  [/[\u00a0\u2009\u202f\u2002\u2003]/g, ' '],
  [/[\u2018\u2019]/g, "'"],
  [/[\u201c\u201d]/g, '"'],
  [/\uff0c/g, ','],
];

/** Commands whose argument is text (units, words, letters of a multiple-choice answer). */
const TEXT_CMD = /\\(?:text|textbf|textit|textrm|textsf|texttt|textup|textnormal|mbox|mathrm|mathbf|mathit|mathsf|mathtt|mathnormal|boldsymbol|bm|emph)\s*\{/g;

/** Commands the double-escaped form `\\cmd` is collapsed for (JSON-escaped model outputs). */
const KNOWN_CMDS =
  'boxed|fbox|text|textbf|mbox|mathrm|frac|dfrac|tfrac|cfrac|sqrt|le|leq|ge|geq|neq|ne|lt|gt|pm|mp|cdot|times|div|pi|infty|in|cup|cap|circ|approx|quad|qquad|sin|cos|tan|log|ln|angle|degree|left|right';
const DOUBLE_ESCAPED = new RegExp(`(?<!\\\\)\\\\\\\\(?=(?:${KNOWN_CMDS})(?![a-zA-Z]))`, 'g');

/** Removes every \boxed{…}/\fbox{…} wrapper, keeping the content. */
export function unbox(s: string): string {
  let prev = '';
  let out = s;
  while (out !== prev) {
    prev = out;
    out = replaceCommandGroups(out, /\\(?:boxed|fbox)\s*\{/g, (a) => a);
  }
  return out;
}

/** Applies `f` to the text outside \text{…}-like groups (which are kept verbatim). */
function outsideText(s: string, f: (x: string) => string): string {
  const groups: string[] = [];
  const masked = replaceCommandGroups(s, TEXT_CMD, (arg, name) => {
    groups.push(`${name}${arg}}`);
    return `\u0000${groups.length - 1}\u0000`;
  });
  // eslint-disable-next-line no-control-regex
  return f(masked).replace(/\u0000(\d+)\u0000/g, (_m, i: string) => groups[Number(i)]);
}

/** Fixes `\frac12`, `\frac1{72}`, `\frac{3}2`, `\frac ab`, `\sqrt3`, `\sqrt x`. */
export function fixMalformed(s: string): string {
  let out = s;
  // \frac with single-token arguments: \frac12, \frac1{72}, \frac{1}2, \frac ab
  const tok = String.raw`(\{(?:[^{}]|\{[^{}]*\})*\}|\\[a-zA-Z]+|[0-9a-zA-Z])`;
  const fracRe = new RegExp(String.raw`\\(frac|binom)\s*` + tok + String.raw`\s*` + tok, 'g');
  let prev = '';
  while (prev !== out) {
    prev = out;
    out = out.replace(fracRe, (_m, cmd: string, a: string, b: string) => {
      const wrap = (x: string) => (x.startsWith('{') ? x : `{${x}}`);
      return `\\${cmd}${wrap(a)}${wrap(b)}`;
    });
  }
  // \sqrt3 → \sqrt{3}; \sqrt x → \sqrt{x}; \sqrt[3]8 → \sqrt[3]{8}
  out = out.replace(/\\sqrt\s*(\[[^\]]*\])?\s*(\d+(?:\.\d+)?|[a-zA-Z](?![a-zA-Z])|\\[a-zA-Z]+)/g, (m, idx: string | undefined, a: string) => {
    if (a.startsWith('\\') && /^\\(?:left|frac|dfrac|tfrac|sqrt)$/.test(a)) return m;
    // \sqrt23 means \sqrt{2}3 in TeX; keep only the first digit as the radicand.
    if (/^\d/.test(a)) return `\\sqrt${idx ?? ''}{${a[0]}}${a.slice(1)}`;
    return `\\sqrt${idx ?? ''}{${a}}`;
  });
  return out;
}

/** Maps relation spellings to one form: \le \ge \ne < > = \approx. */
export function canonRelations(s: string): string {
  return s
    .replace(/\\(?:leqslant|leqq|leq|le)(?![a-zA-Z])/g, '\\le ')
    .replace(/\\(?:geqslant|geqq|geq|ge)(?![a-zA-Z])/g, '\\ge ')
    .replace(/\\(?:neq|ne)(?![a-zA-Z])/g, '\\ne ')
    .replace(/\\lt(?![a-zA-Z])/g, '<')
    .replace(/\\gt(?![a-zA-Z])/g, '>')
    .replace(/\\(?:approx|simeq|thickapprox|sim)(?![a-zA-Z])/g, '\\approx ')
    .replace(/<=|=</g, '\\le ')
    .replace(/>=|=>/g, '\\ge ')
    .replace(/!=|=\\not=|\\not\s*=/g, '\\ne ')
    .replace(/\\coloneqq|:=/g, '=');
}

/** Bracket depth before each index of `s` (escaped characters skipped). */
function depths(s: string): Int32Array {
  const d = new Int32Array(s.length + 1);
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    d[i] = depth;
    const c = s[i];
    if (c === '\\') {
      d[i + 1] = depth;
      i++;
      continue;
    }
    if (c === '{' || c === '(' || c === '[') depth++;
    else if (c === '}' || c === ')' || c === ']') depth--;
  }
  d[s.length] = depth;
  return d;
}

/** Removes thousands separators: `1,234,567` (only a [1-9]d{0,2}(,ddd)+ number at top level), `1\,000`, `11,\!111`. */
export function stripThousands(s: string): string {
  let out = s.replace(/(\d)\s*,\s*\\!\s*(?=\d{3}(?!\d))/g, '$1').replace(/(\d)\\[,!]\s*(?=\d{3}(?!\d))/g, '$1');
  const d = depths(out);
  out = out.replace(/(?<![\d.,])-?[1-9]\d{0,2}(?:,\d{3})+(?![\d]|,\d)/g, (m, offset: number) => (d[offset] > 0 ? m : m.replace(/,/g, '')));
  return out;
}

/** `.5` → `0.5`, `2.50` → `2.5`, `3.0` → `3`, `3.` → `3`. */
export function canonDecimals(s: string): string {
  return s
    .replace(/(?<![\d}a-zA-Z])\.(\d)/g, '0.$1')
    .replace(/(\d+\.\d*?)0+(?![\d])/g, '$1')
    .replace(/(\d)\.(?![\d\\])/g, '$1');
}

/**
 * The canonical string form of an answer. Keeps `\%` (percent is a flag, decided per leaf), `\text{…}`
 * groups that carry words, and structure (commas, relations, brackets). Idempotent.
 */
export function normalizeAnswer(input: string): string {
  let s = input;
  for (const [re, rep] of UNICODE) s = s.replace(re, rep);
  s = s.replace(/[\t\n\r\f\v]+/g, ' ');
  if (!/\\begin\s*\{/.test(s)) s = s.replace(DOUBLE_ESCAPED, '\\');
  s = unbox(s);
  // Math delimiters and display commands.
  s = s
    .replace(/\\\$/g, ' ')
    .replace(/\$/g, ' ')
    .replace(/\\\\|\\[()[\]]/g, (m) => (m === '\\\\' ? m : ' '))
    .replace(/\\(?:displaystyle|textstyle|scriptstyle|limits|nolimits|mathstrut|strut|phantom\{[^{}]*\})(?![a-zA-Z])/g, ' ')
    .replace(/[€£¥₹]/g, ' ');
  // \left. and \right. (invisible delimiters), then the sizing commands themselves.
  s = s
    .replace(/\\(?:left|right|middle)\s*\.(?!\d)/g, ' ')
    .replace(/\\(?:left|right|middle|bigl|bigr|Bigl|Bigr|biggl|biggr|Biggl|Biggr|bigm|Bigm|big|Big|bigg|Bigg)(?![a-zA-Z])\s*/g, '')
    .replace(/\\lvert|\\rvert|\\vert|\\mid/g, '|')
    .replace(/\\lVert|\\rVert|\\Vert/g, '\\|')
    .replace(/\\lbrace/g, '\\{')
    .replace(/\\rbrace/g, '\\}')
    .replace(/\\langle/g, '(')
    .replace(/\\rangle/g, ')');
  // Whole-answer number words: "five", "twenty-one", "one hundred and five".
  const nw = numberWords(s.replace(/\\text\{([^{}]*)\}/g, '$1').replace(/[.]\s*$/, ''));
  if (nw !== null) return String(nw);
  s = stripThousands(s);
  // Spacing commands.
  s = s
    .replace(/\\\\|\\!/g, (m) => (m === '\\\\' ? m : ''))
    .replace(/\\(?:qquad|quad)/g, ' ')
    .replace(/\\(?:hspace|vspace|hskip|kern)\*?\s*\{[^{}]*\}/g, ' ')
    .replace(/\\(?:enspace|thinspace|medspace|thickspace|negthinspace|space|nobreak|allowbreak)(?![a-zA-Z])/g, ' ')
    .replace(/\\\\|\\[,;: ]/g, (m) => (m === '\\\\' ? m : ' '))
    .replace(/~/g, ' ');
  s = s.replace(/\\(?:dfrac|tfrac|cfrac|nicefrac)(?![a-zA-Z])/g, '\\frac').replace(/\\(?:dbinom|tbinom)(?![a-zA-Z])/g, '\\binom');
  s = s.replace(/\\(?:text|mbox|textnormal|textrm|mathrm|operatorname)\s+\{/g, (m) => m.replace(/\s+/g, ''));
  s = s
    .replace(/\\degree(?![a-zA-Z])/g, '^\\circ')
    .replace(/\^\s*\{\s*\\circ\s*\}/g, '^\\circ')
    .replace(/\^\s*\\circ/g, '^\\circ');
  s = canonRelations(s);
  s = fixMalformed(s);
  // \mathrm{e}, \mathrm{i}: the constants.
  s = s.replace(/\\(?:mathrm|mathit|rm)\{\s*([ei])\s*\}/g, '$1');
  // "and" / "or" joining list items (in \text{} or as plain words) become commas.
  s = s.replace(/\\text\{\s*,?\s*(?:and|or)\s*,?\s*\}/gi, ',');
  s = outsideText(s, (x) => x.replace(/(^|[\s,])(?:and|or)(?=[\s,]|$)/gi, '$1,').replace(/(?<=[\d)\]}])\s*or\s*(?=[([{A-Z\d\\-])/g, ','));
  // Spoken infinity.
  s = outsideText(s, (x) => x.replace(/(^|[^a-zA-Z\\])(?:infinity|infty|inf)(?![a-zA-Z])/gi, '$1\\infty '));
  s = s.replace(/\+\s*\\infty/g, '\\infty');
  // Percent words → \%.
  s = outsideText(s, (x) => x.replace(/\s*(?:percentage|percent|pct)(?![a-zA-Z])/gi, '\\%').replace(/(?<!\\)%/g, '\\%'));
  s = s.replace(/\\text\{\s*(?:percentage|percent|pct|%|\\%)\s*\}/gi, '\\%');
  s = stripUnits(s);
  s = mixedNumbers(s);
  s = s.replace(/_\{\s*(\w)\s*\}/g, '_$1').replace(/\^\{\s*(\w)\s*\}/g, '^$1');
  // Whitespace: keep one space only where it separates a command name from a following letter.
  s = collapseSpaces(s);
  s = canonDecimals(s);
  // Degrees after a plain number (a whole item): 30^\circ → 30. Inside functions (\sin 30^\circ) they stay.
  s = s.replace(/(^|[,;([])(-?\d+(?:\.\d+)?)\^\\circ(?=$|[,;)\]])/g, '$1$2');
  // Whole answer "1 000" was joined by collapseSpaces; strip a trailing sentence period and punctuation.
  s = s.replace(/^[:=\s]+/, '').replace(/(?:[.,;:\s]|\\\\)+$/g, '');
  // Redundant grouping braces around the whole answer: {1,3} → 1,3 (not \{1,3\}).
  for (;;) {
    if (s.startsWith('{') && closeBrace(s, 0) === s.length - 1) s = s.slice(1, -1).trim();
    else break;
  }
  return s.trim();
}

/** Strips unit words after a number/expression: `10 weeks`, `10\text{ cm}^2`, `5 \mbox{ inches}`. */
function stripUnits(s: string): string {
  const isUnitText = (t: string) => {
    const w = t.trim().replace(/\.$/, '');
    if (w === '' || !/[a-zA-Z]/.test(w)) return false;
    if (/^(?:a\.?m\.?|p\.?m\.?)$/i.test(w)) return false;
    if (/^\(?[A-Ea-e]\)?$/.test(w)) return false;
    if (/^(?:and|or)$/i.test(w)) return false;
    return /^[a-zA-Z][a-zA-Z .'\-/]*(?:\^\d)?$/.test(w);
  };
  // \text{…} groups that follow math and carry only words (units) are dropped with a trailing exponent.
  const re = /\\(?:text|mbox|textnormal|textrm|mathrm|textbf|textit)\{/g;
  let out = '';
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) {
    const open = m.index + m[0].length - 1;
    const close = closeBrace(s, open);
    if (close < 0) break;
    const arg = s.slice(open + 1, close);
    const before = out + s.slice(last, m.index);
    if (isUnitText(arg) && before.trim() !== '' && !/[,;=([{]\s*$/.test(before)) {
      const exp = /^\s*\^\s*(?:\{\s*\d\s*\}|\d)/.exec(s.slice(close + 1));
      out = before;
      last = close + 1 + (exp ? exp[0].length : 0);
    } else {
      out = before + s.slice(m.index, close + 1);
      last = close + 1;
    }
    re.lastIndex = close + 1;
  }
  out += s.slice(last);
  // Plain unit words after a number or closing bracket: "10 weeks", "10 cm^2", "10 square units".
  const unitRe = /(?<=[\d)}\]]|\\pi|\\circ|\\%)\s+((?:[a-zA-Z]+\.?)(?:\s+[a-zA-Z]+\.?){0,2})(\s*\^\s*\{?\d\}?)?(?=\s*(?:[,;)\]]|$))/g;
  out = out.replace(unitRe, (mm, words: string) => {
    const ws = words.split(/\s+/).map((w) => w.replace(/\.$/, '').toLowerCase());
    if (ws.every((w) => UNIT_WORDS.has(w) || (w.length >= 4 && !isNumberWord(w) && !MATH_WORDS.has(w)))) return '';
    return mm;
  });
  return out;
}

/** Plain words that are mathematics, never units. */
export const MATH_WORDS = new Set(
  'and or pi sqrt frac sin cos tan cot sec csc log ln exp lim max min mod gcd lcm det arg inf infty infinity undefined none'.split(' '),
);

/** `1 1/2` → `\frac{3}{2}`; `2\frac58` → `\frac{21}{8}` (whole leaf, proper fraction). */
function mixedNumbers(s: string): string {
  const toFrac = (sign: string, w: string, n: string, d: string) => {
    const W = BigInt(w);
    const N = BigInt(n);
    const D = BigInt(d);
    if (D === 0n || N >= D) return null;
    return `${sign}\\frac{${W * D + N}}{${D}}`;
  };
  const parts = splitTop(s, [',', ';']);
  if (parts.parts.length > 1) {
    let out = '';
    parts.parts.forEach((p, i) => {
      out += mixedNumbers(p) + (i < parts.ops.length ? parts.ops[i] : '');
    });
    return out;
  }
  let m = /^(\s*)(-?)(\d+)\s+(\d+)\s*\/\s*(\d+)(\s*)$/.exec(s);
  if (m) return toFrac(m[2], m[3], m[4], m[5]) ?? s;
  m = /^(\s*)(-?)(\d+)\s*\\frac\{(\d+)\}\{(\d+)\}(\s*)$/.exec(s);
  if (m) return toFrac(m[2], m[3], m[4], m[5]) ?? s;
  return s;
}

/** Removes whitespace except between a command name and a following letter; text groups keep inner spaces. */
function collapseSpaces(s: string): string {
  const groups: string[] = [];
  const masked = replaceCommandGroups(s, TEXT_CMD, (arg, name) => {
    groups.push(`${name.replace(/\s+/g, '')}${arg.replace(/\s+/g, ' ').trim()}}`);
    return `\u0000${groups.length - 1}\u0000`;
  });
  // "1 000 000" at top level: a space-separated thousands number as the whole answer.
  let t = masked.trim();
  if (/^-?\d{1,3}(?: \d{3})+(?:\.\d+)?$/.test(t)) t = t.replace(/ /g, '');
  t = t
    .replace(/(\\[a-zA-Z]+)\s+(?=[a-zA-Z0-9])/g, '$1\u0003')
    .replace(/\s+/g, '')
    .replace(/\u0003/g, ' ');
  // Commas are written ", " so that a list "45, 135" never reads back as the number 45,135.
  t = t.replace(/,/g, ', ');
  // eslint-disable-next-line no-control-regex
  return t.replace(/\u0000(\d+)\u0000/g, (_m, i: string) => groups[Number(i)]);
}

/** Exact rational value: numerator/denominator as BigInt (denominator > 0). */
export interface Rational {
  n: bigint;
  d: bigint;
}

function gcd(a: bigint, b: bigint): bigint {
  a = a < 0n ? -a : a;
  b = b < 0n ? -b : b;
  while (b) [a, b] = [b, a % b];
  return a;
}

export function rat(n: bigint, d: bigint): Rational {
  if (d < 0n) {
    n = -n;
    d = -d;
  }
  const g = gcd(n, d) || 1n;
  return { n: n / g, d: d / g };
}

function decimalRat(s: string): Rational | null {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:(?:e|E|\\times10\^|\*10\^|\\cdot10\^)\{?([+-]?\d{1,4})\}?)?$/.exec(s);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return null;
  const frac = m[3] ?? '';
  let n = BigInt((m[2] || '0') + frac);
  let d = 10n ** BigInt(frac.length);
  if (m[4] !== undefined) {
    const e = Number(m[4]);
    if (e >= 0) n *= 10n ** BigInt(e);
    else d *= 10n ** BigInt(-e);
  }
  if (m[1] === '-') n = -n;
  return rat(n, d);
}

/**
 * Parses a normalized leaf that is a plain number: integer, decimal, scientific, a/b, \frac{a}{b}
 * with numeric parts, optionally negated. Null for anything else.
 */
export function exactNumber(s: string): Rational | null {
  if (s.length > 400) return null;
  let t = s;
  let sign = 1n;
  while (t.startsWith('-') || t.startsWith('+')) {
    if (t[0] === '-') sign = -sign;
    t = t.slice(1);
  }
  if (t.startsWith('(') && t.endsWith(')') && !/[()]/.test(t.slice(1, -1))) t = t.slice(1, -1);
  let r = decimalRat(t);
  if (!r) {
    let m = /^\\frac\{([+-]?[\d.]+)\}\{([+-]?[\d.]+)\}$/.exec(t);
    if (!m) m = /^([+-]?[\d.]+)\/([+-]?[\d.]+)$/.exec(t);
    if (!m) return null;
    const a = decimalRat(m[1]);
    const b = decimalRat(m[2]);
    if (!a || !b || b.n === 0n) return null;
    r = rat(a.n * b.d, a.d * b.n);
  }
  return rat(sign * r.n, r.d);
}

export function ratToNumber(r: Rational): number {
  const n = Number(r.n);
  const d = Number(r.d);
  if (Number.isFinite(n) && Number.isFinite(d)) return n / d;
  // Huge numerator/denominator: divide the leading digits and scale by the difference in length.
  const lead = (x: bigint) => {
    const s = (x < 0n ? -x : x).toString();
    return { m: Number(s.slice(0, 17)) * (x < 0n ? -1 : 1), e: s.length - Math.min(17, s.length) };
  };
  const a = lead(r.n);
  const b = lead(r.d);
  return (a.m / b.m) * 10 ** (a.e - b.e);
}
