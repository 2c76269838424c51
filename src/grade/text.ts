/** Low-level LaTeX string helpers shared by extraction, normalization and parsing. */

/**
 * Index of the `}` closing the `{` at `open`, or -1 when it is never closed. A backslash escapes the
 * next character, so `\{`, `\}` and `\\` do not count.
 */
export function closeBrace(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** Replaces every `\cmd{arg}` (brace-matched) with `f(arg)`. Unclosed groups are left alone. */
export function replaceCommandGroups(s: string, cmd: RegExp, f: (arg: string, name: string) => string): string {
  // cmd must match a command name followed by optional spaces and the opening brace, e.g. /\\text\s*\{/g
  const re = new RegExp(cmd.source, cmd.flags.includes('g') ? cmd.flags : cmd.flags + 'g');
  let out = '';
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) {
    const open = m.index + m[0].length - 1;
    if (s[open] !== '{') continue;
    const close = closeBrace(s, open);
    if (close < 0) break;
    out += s.slice(last, m.index) + f(s.slice(open + 1, close), m[0]);
    last = close + 1;
    re.lastIndex = close + 1;
  }
  return out + s.slice(last);
}

const OPENERS = new Set(['(', '[', '{']);
const CLOSERS = new Set([')', ']', '}']);

/**
 * Splits `s` at top level (outside (), [], {}, \{\}, \begin..\end) on the given separators. A
 * separator is either a literal character (',', ';', '=', '<', '>', ':') or a command name with its
 * backslash ('\\le', '\\cup'). Bracket kinds are not matched against each other, so the half-open
 * interval `[0,1)` balances.
 */
export function splitTop(s: string, seps: readonly string[]): { parts: string[]; ops: string[] } {
  const chars = new Set(seps.filter((x) => x.length === 1));
  const cmds = new Set(seps.filter((x) => x.length > 1 && x.startsWith('\\')));
  const parts: string[] = [];
  const ops: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      const m = /^\\([a-zA-Z]+|.)/.exec(s.slice(i, i + 40));
      if (!m) continue;
      const name = m[0];
      if (name === '\\{' || name === '\\lbrace') depth++;
      else if (name === '\\}' || name === '\\rbrace') depth--;
      else if (name === '\\begin') depth++;
      else if (name === '\\end') depth--;
      else if (depth === 0 && cmds.has(name)) {
        parts.push(s.slice(start, i));
        ops.push(name);
        start = i + name.length;
      }
      i += name.length - 1;
      continue;
    }
    if (OPENERS.has(c)) depth++;
    else if (CLOSERS.has(c)) depth--;
    else if (depth === 0 && chars.has(c)) {
      parts.push(s.slice(start, i));
      ops.push(c);
      start = i + 1;
    }
  }
  parts.push(s.slice(start));
  return { parts, ops };
}

/**
 * When `s` is wholly wrapped by one bracket pair that opens at 0 and closes at the end, returns
 * the opening and closing tokens and the inside; else null. Recognises (), [], {}, \{\} and the
 * mixed interval forms (a,b] / [a,b).
 */
export function wrapped(s: string): { open: string; close: string; inner: string } | null {
  let open: string;
  if (s.startsWith('\\{')) open = '\\{';
  else if (s[0] === '(' || s[0] === '[' || s[0] === '{') open = s[0];
  else return null;
  let close: string;
  if (s.endsWith('\\}') && !s.endsWith('\\\\}')) close = '\\}';
  else if (s.endsWith(')') || s.endsWith(']') || s.endsWith('}')) close = s[s.length - 1];
  else return null;
  if (s.length < open.length + close.length) return null;
  // The opening bracket must close exactly at the end.
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      const m = /^\\([a-zA-Z]+|.)/.exec(s.slice(i, i + 40));
      const name = m ? m[0] : '\\';
      if (name === '\\{') depth++;
      else if (name === '\\}') {
        depth--;
        if (depth === 0 && i + 2 < s.length) return null;
      } else if (name === '\\begin') depth++;
      else if (name === '\\end') depth--;
      i += name.length - 1;
      continue;
    }
    if (OPENERS.has(c)) depth++;
    else if (CLOSERS.has(c)) {
      depth--;
      if (depth === 0 && i < s.length - 1) return null;
    }
  }
  if (depth !== 0) return null;
  return { open, close, inner: s.slice(open.length, s.length - close.length) };
}

/** True when the brackets of `s` balance (any kinds), so it can be split safely. */
export function balanced(s: string): boolean {
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (OPENERS.has(c)) depth++;
    else if (CLOSERS.has(c)) {
      depth--;
      if (depth < 0) return false;
    }
  }
  return depth === 0;
}
