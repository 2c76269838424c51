/**
 * A tiny evaluator for the integer Python expressions the curriculum writes (names, integer literals,
 * + - * // % ** and parentheses), with Python's semantics (floor division and modulo). Every
 * computed line of a worked solution goes through it, so the answer is exactly what the code prints.
 */
export interface Evaluated {
  value: bigint;
  /** Number of arithmetic operators in the expression. */
  ops: number;
}

type Tok = { t: 'num'; v: bigint } | { t: 'name'; v: string } | { t: 'op'; v: string } | { t: 'paren'; v: '(' | ')' };

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  const re = /\s*(?:(\d+)|([A-Za-z_][A-Za-z0-9_]*)|(\*\*|\/\/|[+\-*%])|([()]))/y;
  let i = 0;
  while (i < src.length) {
    if (/^\s*$/.test(src.slice(i))) break;
    re.lastIndex = i;
    const m = re.exec(src);
    if (!m) throw new Error(`cannot parse expression at "${src.slice(i)}" in "${src}"`);
    if (m[1] !== undefined) out.push({ t: 'num', v: BigInt(m[1]) });
    else if (m[2] !== undefined) out.push({ t: 'name', v: m[2] });
    else if (m[3] !== undefined) out.push({ t: 'op', v: m[3] });
    else out.push({ t: 'paren', v: m[4] as '(' | ')' });
    i = re.lastIndex;
  }
  return out;
}

function floorDiv(a: bigint, b: bigint): bigint {
  if (b === 0n) throw new Error('division by zero');
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

function pyMod(a: bigint, b: bigint): bigint {
  if (b === 0n) throw new Error('modulo by zero');
  const r = a % b;
  return r !== 0n && r < 0n !== b < 0n ? r + b : r;
}

export function evaluate(src: string, env: ReadonlyMap<string, bigint>): Evaluated {
  const toks = tokenize(src);
  let pos = 0;
  let ops = 0;
  const peek = (): Tok | undefined => toks[pos];
  const isOp = (...vs: string[]): boolean => {
    const t = peek();
    return t !== undefined && t.t === 'op' && vs.includes(t.v);
  };
  function atom(): bigint {
    const t = toks[pos++];
    if (!t) throw new Error(`unexpected end of expression "${src}"`);
    if (t.t === 'num') return t.v;
    if (t.t === 'name') {
      const v = env.get(t.v);
      if (v === undefined) throw new Error(`name "${t.v}" is not defined in "${src}"`);
      return v;
    }
    if (t.t === 'paren' && t.v === '(') {
      const v = sum();
      const c = toks[pos++];
      if (c?.t !== 'paren' || c.v !== ')') throw new Error(`missing ")" in "${src}"`);
      return v;
    }
    throw new Error(`unexpected token in "${src}"`);
  }
  function power(): bigint {
    const base = atom();
    if (isOp('**')) {
      pos++;
      ops++;
      const exp = power();
      if (exp < 0n) throw new Error('negative exponent');
      return base ** exp;
    }
    return base;
  }
  function product(): bigint {
    let v = power();
    while (isOp('*', '//', '%')) {
      const op = (toks[pos++] as { v: string }).v;
      ops++;
      const r = power();
      v = op === '*' ? v * r : op === '//' ? floorDiv(v, r) : pyMod(v, r);
    }
    return v;
  }
  function sum(): bigint {
    let v = product();
    while (isOp('+', '-')) {
      const op = (toks[pos++] as { v: string }).v;
      ops++;
      const r = product();
      v = op === '+' ? v + r : v - r;
    }
    return v;
  }
  const value = sum();
  if (pos !== toks.length) throw new Error(`trailing tokens in "${src}"`);
  return { value, ops };
}
