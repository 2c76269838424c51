import { type Ctx, type Family, type Quantity, type Variant, divisorsIn, vname } from '../core.js';
import { THINGS } from '../vocab.js';

function thinks(ctx: Ctx): string {
  const P = ctx.person();
  return P.name;
}

const addBack: Variant = {
  id: 'linear.add',
  ops: 1,
  consumes: true,
  gen(ctx, input) {
    const who = thinks(ctx);
    const add = ctx.chance(0.5);
    const a = ctx.big(2, 20);
    let b: number;
    if (input) {
      b = input.value;
      if (add ? b <= a : false) return null;
    } else b = add ? a + ctx.big(1, 25) : ctx.big(1, 25);
    const st = ctx.sol.step(add ? 'Undo the addition by subtracting' : 'Undo the subtraction by adding');
    const r = st.input('result', b, input);
    const av = st.given(add ? 'added' : 'subtracted', a);
    const x = st.calc('number', `${r} ${add ? '-' : '+'} ${av}`);
    const res = input ? `the result is equal to ${input.ref}` : `the result is ${b}`;
    return {
      facts: [`${who} thinks of a number.`, `${who} ${add ? 'adds' : 'subtracts'} ${a} ${add ? 'to' : 'from'} it, and ${res}.`],
      question: `What number did ${who} think of?`,
      result: { ...x, ref: `the number ${who} thought of` },
    };
  },
};

const multiplyBack: Variant = {
  id: 'linear.multiply',
  ops: 1,
  consumes: true,
  gen(ctx, input) {
    const who = thinks(ctx);
    let a: number;
    let b: number;
    if (input) {
      b = input.value;
      const ds = divisorsIn(b, 2, 12).filter((d) => d < b);
      if (!ds.length) return null;
      a = ctx.pick(ds);
    } else {
      a = ctx.int(2, 9);
      b = a * ctx.big(2, 15);
    }
    const st = ctx.sol.step('Undo the multiplication by dividing');
    const r = st.input('result', b, input);
    const av = st.given('multiplier', a);
    const x = st.calc('number', `${r} // ${av}`);
    const res = input ? `the result is equal to ${input.ref}` : `the result is ${b}`;
    return {
      facts: [`${who} thinks of a number.`, `${who} multiplies it by ${a}, and ${res}.`],
      question: `What number did ${who} think of?`,
      result: { ...x, ref: `the number ${who} thought of` },
    };
  },
};

const FEE_SCENES: Array<{ fee: string; per: string; unit: string; what: string }> = [
  { fee: 'A taxi charges a $FEE starting fee', per: 'plus $RATE per mile', unit: 'miles', what: 'How many miles long was the ride' },
  { fee: 'A gym charges a $FEE sign-up fee', per: 'plus $RATE per class', unit: 'classes', what: 'How many classes did NAME take' },
  { fee: 'A bike rental costs $FEE to start', per: 'plus $RATE per hour', unit: 'hours', what: 'How many hours did NAME rent the bike' },
  { fee: 'A plumber charges a $FEE visit fee', per: 'plus $RATE per hour of work', unit: 'hours', what: 'How many hours did the plumber work' },
  { fee: 'A phone plan costs $FEE a month', per: 'plus $RATE per gigabyte of data', unit: 'gigabytes', what: 'How many gigabytes did NAME use' },
];

const twoStep: Variant = {
  id: 'linear.two-step',
  ops: 2,
  consumes: true,
  gen(ctx, input) {
    let a: number;
    let b: number;
    let c: number;
    if (input) {
      c = input.value;
      a = ctx.int(2, 9);
      const lo = c % a || a;
      if (lo >= c) return null;
      b = lo + a * ctx.int(0, Math.floor((c - 1 - lo) / a));
      if (b < 1 || b >= c) return null;
    } else {
      a = ctx.int(2, 9);
      b = ctx.big(2, 20);
      c = a * ctx.big(2, 15) + b;
    }
    const P = ctx.person();
    if (ctx.chance(0.5)) {
      const st = ctx.sol.step('Undo the addition by subtracting');
      const r = st.input('result', c, input);
      const bv = st.given('added', b);
      const y = st.calc('before_adding', `${r} - ${bv}`);
      const st2 = ctx.sol.step('Undo the multiplication by dividing');
      const av = st2.given('multiplier', a);
      const x = st2.calc('number', `${y.var} // ${av}`);
      const res = input ? `the result is equal to ${input.ref}` : `the result is ${c}`;
      return {
        facts: [`${P.name} thinks of a number, multiplies it by ${a}, then adds ${b}, and ${res}.`],
        question: `What number did ${P.name} think of?`,
        result: { ...x, ref: `the number ${P.name} thought of` },
      };
    }
    const sc = ctx.pick(FEE_SCENES);
    const st = ctx.sol.step('Subtract the fixed fee');
    const tv = st.input('total_paid', c, input);
    const fv = st.given('fixed_fee', b);
    const rest = st.calc('usage_cost', `${tv} - ${fv}`);
    const st2 = ctx.sol.step(`Divide by the price per unit`);
    const rv = st2.given('price_per_unit', a);
    const u = st2.calc(vname(sc.unit), `${rest.var} // ${rv}`);
    const paid = input ? `${P.name} paid a number of dollars equal to ${input.ref}.` : `${P.name} paid $${c} in total.`;
    return {
      facts: [`${sc.fee.replace('FEE', String(b))} ${sc.per.replace('RATE', String(a))}.`, paid],
      question: `${sc.what.replace('NAME', P.name)}?`,
      result: { ...u, ref: `the number of ${sc.unit} ${P.name} paid for` },
    };
  },
};

const bothSides: Variant = {
  id: 'linear.both-sides',
  ops: 3,
  consumes: false,
  gen(ctx) {
    const c = ctx.int(2, 6);
    const a = c + ctx.int(1, 5);
    const x = ctx.big(2, 15);
    const plus = ctx.chance(0.5);
    // a*x + b = c*x + d  (plus)   or   a*x - b = c*x + d  (minus)
    let b: number;
    let d: number;
    if (plus) {
      b = ctx.big(1, 20);
      d = (a - c) * x + b;
    } else {
      b = ctx.big(1, 20);
      d = (a - c) * x - b;
      if (d < 1) return null;
    }
    const st = ctx.sol.step('Collect the terms with the number on one side');
    const av = st.given('left_multiplier', a);
    const cv = st.given('right_multiplier', c);
    const coef = st.calc('coefficient', `${av} - ${cv}`);
    const st2 = ctx.sol.step('Collect the plain numbers on the other side');
    const bv = st2.given(plus ? 'left_added' : 'left_subtracted', b);
    const dv = st2.given('right_added', d);
    const k = st2.calc('constant', plus ? `${dv} - ${bv}` : `${dv} + ${bv}`);
    const st3 = ctx.sol.step('Divide to find the number');
    const n = st3.calc('number', `${k.var} // ${coef.var}`);
    return {
      facts: [`${a} times a number ${plus ? 'plus' : 'minus'} ${b} is equal to ${c} times the same number plus ${d}.`],
      question: ctx.pick(['What is the number?', 'What is the value of the number?']),
      result: { ...n, ref: 'the unknown number' },
    };
  },
};

function consecutive(ctx: Ctx, input: Quantity | undefined, largest: boolean) {
  let S: number;
  if (input) {
    S = input.value;
    if (S % 3 !== 0 || S < 6) return null;
  } else S = 3 * ctx.big(2, 30) + 3;
  const st = ctx.sol.step('Remove the extra 1 and 2 from the two larger numbers');
  const sv = st.input('total', S, input);
  const base = st.calc('three_smallest', `${sv} - 3`);
  const st2 = ctx.sol.step('Divide by three to find the smallest number');
  const small = st2.calc('smallest', `${base.var} // 3`);
  let res = small;
  if (largest) {
    const st3 = ctx.sol.step('Add 2 to find the largest number');
    res = st3.calc('largest', `${small.var} + 2`);
  }
  const fact = input ? `The sum of three consecutive whole numbers is equal to ${input.ref}.` : `The sum of three consecutive whole numbers is ${S}.`;
  const which = largest ? 'largest' : 'smallest';
  return {
    facts: [fact],
    question: `What is the ${which} of the three numbers?`,
    result: { ...res, ref: `the ${which} of the three consecutive numbers` },
  };
}

const consecutiveSmallest: Variant = { id: 'linear.consecutive-smallest', ops: 2, consumes: true, gen: (ctx, input) => consecutive(ctx, input, false) };
const consecutiveLargest: Variant = { id: 'linear.consecutive-largest', ops: 3, consumes: true, gen: (ctx, input) => consecutive(ctx, input, true) };

const reverseOps: Variant = {
  id: 'linear.reverse',
  ops: 3,
  consumes: true,
  gen(ctx, input) {
    const a = ctx.int(2, 5);
    const b = ctx.big(1, 12);
    const c = ctx.int(2, 4);
    let d: number;
    if (input) {
      d = input.value;
      if (d % c !== 0 || d / c <= b || (d / c - b) % a !== 0) return null;
    } else d = c * (a * ctx.big(1, 12) + b);
    const P = ctx.person();
    const st = ctx.sol.step('Undo the last multiplication');
    const dv = st.input('result', d, input);
    const cv = st.given('second_multiplier', c);
    const y = st.calc('before_second_multiply', `${dv} // ${cv}`);
    const st2 = ctx.sol.step('Undo the addition');
    const bv = st2.given('added', b);
    const z = st2.calc('before_adding', `${y.var} - ${bv}`);
    const st3 = ctx.sol.step('Undo the first multiplication');
    const av = st3.given('first_multiplier', a);
    const x = st3.calc('number', `${z.var} // ${av}`);
    const res = input ? `the final result is equal to ${input.ref}` : `the final result is ${d}`;
    return {
      facts: [`${P.name} multiplies a number by ${a}, adds ${b}, and then multiplies the sum by ${c}.`, `${cap(res)}.`],
      question: `What was the starting number?`,
      result: { ...x, ref: `the number ${P.name} started with` },
    };
  },
};

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

const sharedTotal: Variant = {
  id: 'linear.shared-total',
  ops: 4,
  consumes: true,
  gen(ctx, input) {
    const A = ctx.person();
    const B = ctx.person();
    const th = ctx.fresh(THINGS, (t) => t.p);
    let k: number;
    let T: number;
    if (input) {
      T = input.value;
      const ks = divisorsIn(T, 3, 10)
        .map((d) => d - 1)
        .filter((x) => x >= 2 && T / (x + 1) >= 1);
      if (!ks.length) return null;
      k = ctx.pick(ks);
    } else {
      k = ctx.int(2, 6);
      T = (k + 1) * ctx.big(2, 20);
    }
    const Tn = vname(th.p);
    const st = ctx.sol.step('Count the equal parts');
    const kv = st.given('multiple', k);
    const parts = st.calc('parts', `${kv} + 1`);
    const st2 = ctx.sol.step(`Calculate ${B.name}'s ${th.p}`);
    const tv = st2.input(`total_${Tn}`, T, input);
    const b = st2.calc(`${B.v}_${Tn}`, `${tv} // ${parts.var}`);
    const st3 = ctx.sol.step(`Calculate ${A.name}'s ${th.p}`);
    const a = st3.calc(`${A.v}_${Tn}`, `${b.var} * ${kv}`);
    const st4 = ctx.sol.step('Subtract to find the difference');
    const diff = st4.calc('difference', `${a.var} - ${b.var}`);
    const tot = input
      ? `Together ${A.name} and ${B.name} have a number of ${th.p} equal to ${input.ref}.`
      : `${A.name} and ${B.name} have ${T} ${th.p} together.`;
    return {
      facts: [[tot, `${A.name} has ${k} times as many ${th.p} as ${B.name}.`]],
      question: `How many more ${th.p} does ${A.name} have than ${B.name}?`,
      result: { ...diff, ref: `the number of extra ${th.p} ${A.name} has` },
    };
  },
};

export const linear: Family = {
  name: 'linear',
  variants: [addBack, multiplyBack, twoStep, consecutiveSmallest, consecutiveLargest, bothSides, reverseOps, sharedTotal],
};
