import { type Ctx, type Family, type Quantity, type Variant, divisorsIn, gcd, vname } from '../core.js';
import { RATIO_PAIRS, RECIPES, SHOP_ITEMS } from '../vocab.js';

const proportion: Variant = {
  id: 'ratios.proportion',
  ops: 2,
  consumes: true,
  gen(ctx, input) {
    const it = ctx.fresh(SHOP_ITEMS, (i) => i.s);
    const a = ctx.int(2, 6);
    const unit = ctx.big(it.lo, it.hi);
    const b = input ? input.value : ctx.big(a + 1, 12);
    if (b < 1 || b > 5000) return null;
    const c = a * unit;
    const base = vname(it.p);
    const st = ctx.sol.step(`Find the price of one ${it.s}`);
    const kc = st.given(`known_${base}`, a);
    const kp = st.given('known_cost', c);
    const up = st.calc(`${vname(it.s)}_price`, `${kp} // ${kc}`);
    const st2 = ctx.sol.step(`Multiply by the number of ${it.p} wanted`);
    const w = st2.input(`wanted_${base}`, b, input);
    const cost = st2.calc('wanted_cost', `${up.var} * ${w}`);
    if (input) {
      const P = ctx.person();
      return {
        facts: [`${a} ${it.p} cost $${c}.`, `${P.name} wants to buy a number of ${it.p} equal to ${input.ref}.`],
        question: `At the same price, how many dollars will ${P.name} pay?`,
        result: { ...cost, ref: `the cost of the ${it.p} in dollars` },
      };
    }
    const form = ctx.int(ctx.producer ? 1 : 0, 2);
    return {
      facts: form === 0 ? [] : form === 1 ? [`${a} ${it.p} cost $${c}.`] : [`A store sells ${a} ${it.p} for $${c}.`],
      question: form === 0 ? `If ${a} ${it.p} cost $${c}, how many dollars do ${b} ${it.p} cost?` : `At the same price, how many dollars do ${b} ${it.p} cost?`,
      result: { ...cost, ref: `the cost of ${b} ${it.p} in dollars` },
    };
  },
};

function ratioParts(ctx: Ctx): [number, number] {
  for (;;) {
    const a = ctx.int(1, ctx.level <= 2 ? 5 : 9);
    const b = ctx.int(1, ctx.level <= 2 ? 5 : 9);
    if (a !== b && gcd(a, b) === 1) return [a, b];
  }
}

const knownPart: Variant = {
  id: 'ratios.known-part',
  ops: 2,
  consumes: true,
  gen(ctx, input) {
    const pair = ctx.fresh(RATIO_PAIRS, (p) => p.whole);
    let [a, b] = ratioParts(ctx);
    let X: number;
    if (input) {
      X = input.value;
      const ds = divisorsIn(X, 2, 9).filter((d) => d !== b && gcd(d, b) === 1);
      if (!ds.length || X > 100000) return null;
      a = ctx.pick(ds);
    } else X = a * ctx.big(2, 8);
    const A = vname(pair.a);
    const B = vname(pair.b);
    const st = ctx.sol.step('Find the size of one part');
    const xa = st.input(A, X, input);
    const pa = st.given(`${A}_parts`, a);
    const part = st.calc('part_size', `${xa} // ${pa}`);
    const st2 = ctx.sol.step(`Calculate the number of ${pair.b}`);
    const pb = st2.given(`${B}_parts`, b);
    const res = st2.calc(B, `${part.var} * ${pb}`);
    const ratio = `The ratio of ${pair.a} to ${pair.b} in ${pair.place} is ${a}:${b}.`;
    const count = input ? `The number of ${pair.a} is equal to ${input.ref}.` : `There are ${X} ${pair.a}.`;
    return {
      facts: [ctx.shuffle([ratio, count])],
      question: `How many ${pair.b} are there?`,
      result: { ...res, ref: `the number of ${pair.b} in ${pair.place}` },
    };
  },
};

function totalSplit(ctx: Ctx, input: Quantity | undefined) {
  const pair = ctx.fresh(RATIO_PAIRS, (p) => p.whole);
  let a = 0;
  let b = 0;
  let T = 0;
  if (input) {
    T = input.value;
    if (T > 200000) return null;
    const options: Array<[number, number]> = [];
    for (let x = 1; x <= 9; x++) for (let y = 1; y <= 9; y++) if (x > y && gcd(x, y) === 1 && T % (x + y) === 0 && T > x + y) options.push([x, y]);
    if (!options.length) return null;
    [a, b] = ctx.pick(options);
  } else {
    [a, b] = ratioParts(ctx);
    if (a < b) [a, b] = [b, a];
    T = (a + b) * ctx.big(2, 9);
  }
  const A = vname(pair.a);
  const B = vname(pair.b);
  const st = ctx.sol.step('Find the total number of parts');
  const pa = st.given(`${A}_parts`, a);
  const pb = st.given(`${B}_parts`, b);
  const parts = st.calc('total_parts', `${pa} + ${pb}`);
  const st2 = ctx.sol.step('Find the size of one part');
  const tv = st2.input(`total_${vname(pair.whole)}`, T, input);
  const part = st2.calc('part_size', `${tv} // ${parts.var}`);
  const st3 = ctx.sol.step(`Calculate the number of ${pair.a}`);
  const ca = st3.calc(A, `${part.var} * ${pa}`);
  const ratio = `The ratio of ${pair.a} to ${pair.b} is ${a}:${b}.`;
  const total = input
    ? `The number of ${pair.whole} in ${pair.place} is equal to ${input.ref}.`
    : ctx.pick([`There are ${T} ${pair.whole} in ${pair.place}.`, `${cap(pair.place)} has ${T} ${pair.whole} in total.`]);
  return { pair, part, pb, ca, facts: [total, ratio] };
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

const splitTotal: Variant = {
  id: 'ratios.split-total',
  ops: 3,
  consumes: true,
  gen(ctx, input) {
    const r = totalSplit(ctx, input);
    if (!r) return null;
    return {
      facts: r.facts,
      question: `How many ${r.pair.a} are there?`,
      result: { ...r.ca, ref: `the number of ${r.pair.a} in ${r.pair.place}` },
    };
  },
};

const splitDifference: Variant = {
  id: 'ratios.split-difference',
  ops: 5,
  consumes: true,
  gen(ctx, input) {
    const r = totalSplit(ctx, input);
    if (!r) return null;
    const st = ctx.sol.step(`Calculate the number of ${r.pair.b}`);
    const cb = st.calc(vname(r.pair.b), `${r.part.var} * ${r.pb}`);
    const st2 = ctx.sol.step('Subtract to find the difference');
    const diff = st2.calc('difference', `${r.ca.var} - ${cb.var}`);
    return {
      facts: r.facts,
      question: `How many more ${r.pair.a} than ${r.pair.b} are there?`,
      result: { ...diff, ref: `the number of extra ${r.pair.a} in ${r.pair.place}` },
    };
  },
};

const recipe: Variant = {
  id: 'ratios.recipe',
  ops: 4,
  consumes: true,
  gen(ctx, input) {
    const rc = ctx.fresh(RECIPES, (r) => r.makes.p);
    let per = 0;
    let n = 0;
    if (input) {
      n = input.value;
      const ds = divisorsIn(n, 2, 24).filter((d) => d < n);
      if (!ds.length || n > 100000) return null;
      per = ctx.pick(ds);
    } else {
      per = ctx.int(2, 12);
      n = per * ctx.big(2, 6);
    }
    const f = ctx.int(2, 6);
    const s = ctx.int(2, 6);
    const M = vname(rc.makes.p);
    const F = vname(rc.first);
    const S = vname(rc.second);
    const st = ctx.sol.step('Find how many batches are needed');
    const want = st.input(`${M}_wanted`, n, input);
    const pb = st.given(`${M}_per_batch`, per);
    const batches = st.calc('batches', `${want} // ${pb}`);
    const st2 = ctx.sol.step(`Calculate the ${rc.first} needed`);
    const fv = st2.given(`${F}_per_batch`, f);
    const ft = st2.calc(`${F}_needed`, `${batches.var} * ${fv}`);
    const st3 = ctx.sol.step(`Calculate the ${rc.second} needed`);
    const sv = st3.given(`${S}_per_batch`, s);
    const stt = st3.calc(`${S}_needed`, `${batches.var} * ${sv}`);
    const st4 = ctx.sol.step('Add the two amounts');
    const tot = st4.calc(`total_${vname(rc.unit)}`, `${ft.var} + ${stt.var}`);
    const P = ctx.person();
    const uses = `A recipe uses ${f} ${rc.unit} of ${rc.first} and ${s} ${rc.unit} of ${rc.second} to make ${per} ${rc.makes.p}.`;
    const wants = input ? `${P.name} wants to make a number of ${rc.makes.p} equal to ${input.ref}.` : `${P.name} wants to make ${n} ${rc.makes.p}.`;
    return {
      facts: [ctx.shuffle([uses, wants])],
      question: `How many ${rc.unit} of ${rc.first} and ${rc.second} does ${P.name} need in total?`,
      result: { ...tot, ref: `the number of ${rc.unit} of ${rc.first} and ${rc.second} ${P.name} needs` },
    };
  },
};

export const ratios: Family = {
  name: 'ratios',
  variants: [proportion, knownPart, splitTotal, recipe, splitDifference],
};
