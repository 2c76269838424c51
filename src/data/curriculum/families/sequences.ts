import { type Ctx, type Family, type Quantity, type Variant, ordinal, vname } from '../core.js';

const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

const GROWTH: Array<{
  start: (n: string, a: number) => string;
  grow: (d: number, per: string) => string;
  unit: string;
  what: (n: string) => string;
  base: string;
  per: string;
}> = [
  {
    start: (n, a) => `${n}'s plant is ${a} cm tall.`,
    grow: (d, per) => `It grows ${d} cm every ${per}.`,
    unit: 'cm',
    what: (n) => `the height of ${n}'s plant in cm`,
    base: 'height',
    per: 'week',
  },
  {
    start: (n, a) => `${n} has $${a} saved.`,
    grow: (d, per) => `${'NAME'} saves $${d} more every ${per}.`,
    unit: 'dollars',
    what: (n) => `the amount ${n} has saved in dollars`,
    base: 'savings',
    per: 'week',
  },
  {
    start: (n, a) => `A tank next to ${n}'s house holds ${a} liters of water.`,
    grow: (d, per) => `Rain adds ${d} liters to the tank every ${per}.`,
    unit: 'liters',
    what: (n) => `the water in the tank next to ${n}'s house in liters`,
    base: 'water',
    per: 'day',
  },
  {
    start: (n, a) => `${n}'s stamp album has ${a} stamps.`,
    grow: (d, per) => `${'NAME'} adds ${d} stamps to it every ${per}.`,
    unit: 'stamps',
    what: (n) => `the number of stamps in ${n}'s album`,
    base: 'stamps',
    per: 'month',
  },
];

const growth: Variant = {
  id: 'sequences.growth',
  ops: 2,
  consumes: true,
  gen(ctx, input) {
    const P = ctx.person();
    const g = ctx.fresh(GROWTH, (x) => x.base);
    const a = ctx.big(2, 30);
    const d = ctx.big(2, 9);
    const k = input ? input.value : ctx.big(2, 10);
    if (k < 1 || k > 5000) return null;
    const per = g.per;
    const st = ctx.sol.step('Calculate the total increase');
    const dv = st.given(`${g.base}_per_${per}`, d);
    const kv = st.input(`${per}s`, k, input);
    const inc = st.calc('total_increase', `${dv} * ${kv}`);
    const st2 = ctx.sol.step('Add the increase to the starting amount');
    const av = st2.given(`start_${g.base}`, a);
    const fin = st2.calc(`final_${g.base}`, `${av} + ${inc.var}`);
    const after = input ? `after a number of ${per}s equal to ${input.ref}` : `after ${k} ${per}s`;
    const what = `${g.what(P.name)} ${after}`;
    const q =
      g.base === 'height'
        ? `How tall is the plant ${after}, in cm?`
        : g.base === 'savings'
          ? `How many dollars does ${P.name} have ${after}?`
          : g.base === 'water'
            ? `How many liters of water are in the tank ${after}?`
            : `How many stamps are in the album ${after}?`;
    return {
      facts: [g.start(P.name, a), g.grow(d, per).replace('NAME', P.name)],
      question: q,
      result: { ...fin, ref: what },
    };
  },
};

const nextDay: Variant = {
  id: 'sequences.next-day',
  ops: 1,
  consumes: true,
  gen(ctx, input) {
    const P = ctx.person();
    const day = ctx.int(0, 5);
    const a = input ? input.value : ctx.big(3, 30);
    if (a < 1 || a > 100000) return null;
    const d = ctx.big(2, 10);
    const thing = ctx.pick([
      { v: 'reads', base: 'read', n: 'pages' },
      { v: 'runs', base: 'run', n: 'laps' },
      { v: 'folds', base: 'fold', n: 'paper cranes' },
      { v: 'solves', base: 'solve', n: 'puzzles' },
    ]);
    const N = vname(thing.n);
    const st = ctx.sol.step(`Add the daily increase to ${DAYS[day]}'s amount`);
    const av = st.input(`${DAYS[day].toLowerCase()}_${N}`, a, input);
    const dv = st.given('daily_increase', d);
    const r = st.calc(`${DAYS[day + 1].toLowerCase()}_${N}`, `${av} + ${dv}`);
    const first = input
      ? `On ${DAYS[day]}, ${P.name} ${thing.v} a number of ${thing.n} equal to ${input.ref}.`
      : `${P.name} ${thing.v} ${a} ${thing.n} on ${DAYS[day]}.`;
    return {
      facts: [first, `Each day ${P.name} ${thing.v} ${d} more ${thing.n} than the day before.`],
      question: `How many ${thing.n} does ${P.name} ${thing.base} on ${DAYS[day + 1]}?`,
      result: { ...r, ref: `the number of ${thing.n} ${P.name} ${thing.v} on ${DAYS[day + 1]}` },
    };
  },
};

function listTerms(ctx: Ctx): { t: number[]; d: number } {
  const a = ctx.big(1, 20);
  const d = ctx.big(2, 9);
  return { t: [a, a + d, a + 2 * d, a + 3 * d], d };
}

const nextTerm: Variant = {
  id: 'sequences.next-term',
  ops: 2,
  consumes: false,
  gen(ctx) {
    const { t } = listTerms(ctx);
    const st = ctx.sol.step('Find the common difference');
    const f = st.given('first_term', t[0]);
    const s = st.given('second_term', t[1]);
    const d = st.calc('difference', `${s} - ${f}`);
    const st2 = ctx.sol.step('Add the difference to the last term');
    const l = st2.given('last_term', t[3]);
    const n = st2.calc('next_term', `${l} + ${d.var}`);
    return {
      facts: [
        ctx.pick([`A number pattern goes ${t.join(', ')}, and so on.`, `The numbers ${t.join(', ')} form a pattern that adds the same amount each time.`]),
      ],
      question: 'What is the next number in the pattern?',
      result: { ...n, ref: 'the next number in the pattern' },
    };
  },
};

function rowTerm(ctx: Ctx, input: Quantity | undefined) {
  const a = input ? input.value : ctx.big(5, 25);
  if (a < 1 || a > 100000) return null;
  const d = ctx.int(2, 6);
  const n = ctx.big(3, 12);
  const place = ctx.pick([
    { where: 'a theater', row: 'row', seat: 'seats' },
    { where: 'a stadium', row: 'row', seat: 'seats' },
    { where: 'a display of cans', row: 'layer', seat: 'cans' },
  ]);
  const st = ctx.sol.step(`Count the increases after the first ${place.row}`);
  const nv = st.given(`${place.row}_number`, n);
  const gaps = st.calc('increases', `${nv} - 1`);
  const st2 = ctx.sol.step('Calculate the total increase');
  const dv = st2.given(`extra_${place.seat}_per_${place.row}`, d);
  const inc = st2.calc('total_increase', `${gaps.var} * ${dv}`);
  const st3 = ctx.sol.step(`Add the increase to the first ${place.row}`);
  const av = st3.input(`first_${place.row}_${place.seat}`, a, input);
  const term = st3.calc(`${place.row}_${place.seat}`, `${av} + ${inc.var}`);
  const first = input
    ? `In ${place.where}, the number of ${place.seat} in the first ${place.row} is equal to ${input.ref}.`
    : `In ${place.where}, the first ${place.row} has ${a} ${place.seat}.`;
  return { a, d, n, place, nv, dv, av, term, facts: [first, `Each ${place.row} has ${d} more ${place.seat} than the ${place.row} before it.`] };
}

const nthTerm: Variant = {
  id: 'sequences.nth-term',
  ops: 3,
  consumes: true,
  gen(ctx, input) {
    const r = rowTerm(ctx, input);
    if (!r) return null;
    return {
      facts: r.facts,
      question: `How many ${r.place.seat} are in ${r.place.row} ${r.n}?`,
      result: { ...r.term, ref: `the number of ${r.place.seat} in ${r.place.row} ${r.n}` },
    };
  },
};

const seriesSum: Variant = {
  id: 'sequences.sum',
  ops: 6,
  consumes: true,
  gen(ctx, input) {
    const r = rowTerm(ctx, input);
    if (!r) return null;
    if (((r.a + r.term.value) * r.n) % 2 !== 0) return null;
    const st = ctx.sol.step(`Add the first and the last ${r.place.row}`);
    const ps = st.calc('pair_sum', `${r.av} + ${r.term.var}`);
    const st2 = ctx.sol.step(`Multiply by the number of ${r.place.row}s and halve`);
    const tot = st2.calc(`total_${r.place.seat}`, `${ps.var} * ${r.nv} // 2`);
    return {
      facts: r.facts,
      question: `How many ${r.place.seat} are there in the first ${r.n} ${r.place.row}s altogether?`,
      result: { ...tot, ref: `the number of ${r.place.seat} in the first ${r.n} ${r.place.row}s` },
    };
  },
};

const listNth: Variant = {
  id: 'sequences.list-nth',
  ops: 4,
  consumes: true,
  gen(ctx, input) {
    const { t } = listTerms(ctx);
    const n = input ? input.value : ctx.big(6, 25);
    if (n < 5 || n > 2000) return null;
    const st = ctx.sol.step('Find the common difference');
    const f = st.given('first_term', t[0]);
    const s = st.given('second_term', t[1]);
    const d = st.calc('difference', `${s} - ${f}`);
    const st2 = ctx.sol.step('Count the steps from the first term');
    const nv = st2.input('term_number', n, input);
    const gaps = st2.calc('steps', `${nv} - 1`);
    const st3 = ctx.sol.step('Add the steps times the difference to the first term');
    const term = st3.calc('term', `${f} + ${gaps.var} * ${d.var}`);
    const facts = [`A sequence begins ${t.slice(0, 3).join(', ')}, ${t[3]}, and keeps adding the same amount.`];
    if (input) facts.push(`Let n be equal to ${input.ref}.`);
    return {
      facts,
      question: input ? 'What is term number n of the sequence?' : `What is the ${ordinal(n)} term of the sequence?`,
      result: { ...term, ref: input ? 'term number n of the sequence' : `the ${ordinal(n)} term of the sequence` },
    };
  },
};

export const sequences: Family = {
  name: 'sequences',
  variants: [nextDay, growth, nextTerm, nthTerm, listNth, seriesSum],
};
