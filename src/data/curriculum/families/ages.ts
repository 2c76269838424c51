import type { Ctx, Family, Quantity, Variant } from '../core.js';
import { RELATIVES, type Person } from '../vocab.js';

function ageOk(v: number, max = 100): boolean {
  return v >= 1 && v <= max;
}

function baseFact(ctx: Ctx, A: Person, x: number, input?: Quantity): string {
  if (input) return `${A.name}'s age in years is equal to ${input.ref}.`;
  return ctx.pick([`${A.name} is ${x} years old.`, `${A.name} is ${x}.`, `${A.name}'s age is ${x}.`]);
}

/** B = A + gap (or A - gap): one op. */
function olderYounger(ctx: Ctx, A: Person, B: Person, x: number, input?: Quantity) {
  const older = x < 12 || ctx.chance(0.6);
  const gap = older ? ctx.int(2, 30) : ctx.int(2, Math.max(2, Math.min(20, x - 2)));
  const rel = ctx.pick(RELATIVES[B.he]);
  const st = ctx.sol.step(`Calculate ${B.name}'s age`);
  const a = st.input(`${A.v}_age`, x, input);
  const g = st.given('age_difference', gap);
  const b = st.calc(`${B.v}_age`, `${a} ${older ? '+' : '-'} ${g}`);
  const fact = ctx.pick([
    `${B.name} is ${gap} years ${older ? 'older' : 'younger'} than ${A.name}.`,
    `${A.name}'s ${rel} ${B.name} is ${gap} years ${older ? 'older' : 'younger'} than ${A.name}.`,
  ]);
  return { a, b, fact };
}

function times(ctx: Ctx, A: Person, B: Person, x: number, input?: Quantity) {
  const k = ctx.int(2, x > 20 ? 3 : 5);
  const st = ctx.sol.step(`Calculate ${B.name}'s age`);
  const a = st.input(`${A.v}_age`, x, input);
  const m = st.given('age_multiple', k);
  const b = st.calc(`${B.v}_age`, `${a} * ${m}`);
  const fact = ctx.pick([`${B.name} is ${k} times as old as ${A.name}.`, `${B.name}'s age is ${k} times ${A.name}'s age.`]);
  return { a, b, fact };
}

const plusMinus: Variant = {
  id: 'ages.difference',
  ops: 1,
  consumes: true,
  gen(ctx, input) {
    const A = ctx.person();
    const B = ctx.person();
    const x = input ? input.value : ctx.int(3, 40);
    if (!ageOk(x)) return null;
    const r = olderYounger(ctx, A, B, x, input);
    return {
      facts: [[baseFact(ctx, A, x, input), r.fact]],
      question: ctx.pick([`How old is ${B.name}?`, `What is ${B.name}'s age in years?`]),
      result: { ...r.b, ref: `${B.name}'s age in years` },
    };
  },
};

const multiple: Variant = {
  id: 'ages.multiple',
  ops: 1,
  consumes: true,
  gen(ctx, input) {
    const A = ctx.person();
    const B = ctx.person();
    const x = input ? input.value : ctx.int(2, 15);
    if (!ageOk(x, 30)) return null;
    const r = times(ctx, A, B, x, input);
    return {
      facts: [[baseFact(ctx, A, x, input), r.fact]],
      question: ctx.pick([`How old is ${B.name}?`, `What is ${B.name}'s age in years?`]),
      result: { ...r.b, ref: `${B.name}'s age in years` },
    };
  },
};

const future: Variant = {
  id: 'ages.future',
  ops: 2,
  consumes: true,
  gen(ctx, input) {
    const A = ctx.person();
    const B = ctx.person();
    const x = input ? input.value : ctx.int(3, 40);
    if (!ageOk(x)) return null;
    const r = olderYounger(ctx, A, B, x, input);
    const n = ctx.int(2, 15);
    const st = ctx.sol.step(`Add the years to ${B.name}'s age`);
    const yv = st.given('years_later', n);
    const f = st.calc(`${B.v}_future_age`, `${r.b.var} + ${yv}`);
    return {
      facts: [[baseFact(ctx, A, x, input), r.fact]],
      question: ctx.pick([`How old will ${B.name} be in ${n} years?`, `In ${n} years, how old will ${B.name} be?`]),
      result: { ...f, ref: `${B.name}'s age in ${n} years` },
    };
  },
};

const sumTwo: Variant = {
  id: 'ages.sum-two',
  ops: 2,
  consumes: true,
  gen(ctx, input) {
    const A = ctx.person();
    const B = ctx.person();
    const x = input ? input.value : ctx.int(2, 15);
    if (!ageOk(x, 30)) return null;
    const r = times(ctx, A, B, x, input);
    const st = ctx.sol.step('Add the two ages');
    const s = st.calc('total_age', `${r.a} + ${r.b.var}`);
    return {
      facts: [[baseFact(ctx, A, x, input), r.fact]],
      question: ctx.pick([`What is the sum of their ages?`, `How old are ${A.name} and ${B.name} together?`]),
      result: { ...s, ref: `the sum of the ages of ${A.name} and ${B.name}` },
    };
  },
};

function chain(ctx: Ctx, input?: Quantity) {
  const A = ctx.person();
  const B = ctx.person();
  const C = ctx.person();
  const x = input ? input.value : ctx.int(2, 20);
  if (!ageOk(x, 40)) return null;
  const r1 = olderYounger(ctx, A, B, x, input);
  if (r1.b.value < 1) return null;
  const k = ctx.int(2, 3);
  const st = ctx.sol.step(`Calculate ${C.name}'s age`);
  const m = st.given('age_multiple', k);
  const c = st.calc(`${C.v}_age`, `${r1.b.var} * ${m}`);
  const f3 = ctx.pick([`${C.name} is ${k} times as old as ${B.name}.`, `${C.name}'s age is ${k} times ${B.name}'s age.`]);
  return { A, B, C, a: r1.a, b: r1.b, c, facts: [baseFact(ctx, A, x, input), r1.fact, f3] };
}

const pastChain: Variant = {
  id: 'ages.past-chain',
  ops: 3,
  consumes: true,
  gen(ctx, input) {
    const r = chain(ctx, input);
    if (!r) return null;
    if (r.c.value < 3) return null;
    const n = ctx.int(2, Math.min(20, r.c.value - 1));
    const st = ctx.sol.step(`Subtract the years from ${r.C.name}'s age`);
    const yv = st.given('years_ago', n);
    const p = st.calc(`${r.C.v}_past_age`, `${r.c.var} - ${yv}`);
    return {
      facts: r.facts,
      question: ctx.pick([`How old was ${r.C.name} ${n} years ago?`, `${n} years ago, how old was ${r.C.name}?`]),
      result: { ...p, ref: `${r.C.name}'s age ${n} years ago` },
    };
  },
};

const sumChain: Variant = {
  id: 'ages.sum-chain',
  ops: 4,
  consumes: true,
  gen(ctx, input) {
    const r = chain(ctx, input);
    if (!r) return null;
    const st = ctx.sol.step('Add the three ages');
    const s = st.calc('total_age', `${r.a} + ${r.b.var} + ${r.c.var}`);
    return {
      facts: r.facts,
      question: ctx.pick([`What is the sum of the ages of ${r.A.name}, ${r.B.name} and ${r.C.name}?`, `How old are the three of them together?`]),
      result: { ...s, ref: `the sum of the ages of ${r.A.name}, ${r.B.name} and ${r.C.name}` },
    };
  },
};

export const ages: Family = {
  name: 'ages',
  variants: [plusMinus, multiple, future, sumTwo, pastChain, sumChain],
};
