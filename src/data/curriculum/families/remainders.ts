import { type Ctx, type Family, type Quantity, type Variant, vname } from '../core.js';
import { CONTAINERS, THINGS, type Noun, type Person } from '../vocab.js';

function hasFact(ctx: Ctx, P: Person, th: Noun, N: number, input?: Quantity): string {
  if (input) return `${P.name} has a number of ${th.p} equal to ${input.ref}.`;
  return ctx.pick([`${P.name} has ${N} ${th.p}.`, `${P.name} collected ${N} ${th.p}.`, `There are ${N} ${th.p} in ${P.name}'s collection.`]);
}

function setup(ctx: Ctx, input: Quantity | undefined, lo: number, hi: number) {
  const P = ctx.person();
  const th = ctx.fresh(THINGS, (t) => t.p);
  const co = ctx.pick(CONTAINERS);
  const N = input ? input.value : ctx.big(lo, hi);
  return { P, th, co, N };
}

const fullGroups: Variant = {
  id: 'remainders.full-groups',
  ops: 1,
  consumes: true,
  gen(ctx, input) {
    const { P, th, co, N } = setup(ctx, input, 10, 60);
    if (N < 6 || N > 1000000) return null;
    const g = ctx.int(3, Math.min(12, Math.floor(N / 2)));
    const T = vname(th.p);
    const st = ctx.sol.step(`Divide the ${th.p} into ${co.p}`);
    const n = st.input(T, N, input);
    const per = st.given(`${T}_per_${vname(co.s)}`, g);
    const full = st.calc(`full_${vname(co.p)}`, `${n} // ${per}`);
    return {
      facts: [hasFact(ctx, P, th, N, input), `${P.name} puts them into ${co.p} of ${g}.`],
      question: `How many full ${co.p} can ${P.name} make?`,
      result: { ...full, ref: `the number of full ${co.p} ${P.name} makes` },
    };
  },
};

const leftover: Variant = {
  id: 'remainders.leftover',
  ops: 1,
  consumes: true,
  gen(ctx, input) {
    const { P, th, co, N } = setup(ctx, input, 10, 60);
    const gs: number[] = [];
    for (let g = 3; g <= 12; g++) if (N % g !== 0 && g < N) gs.push(g);
    if (!gs.length || N > 1000000) return null;
    const g = ctx.pick(gs);
    const T = vname(th.p);
    const st = ctx.sol.step('Find the remainder');
    const n = st.input(T, N, input);
    const per = st.given(`${T}_per_${vname(co.s)}`, g);
    const left = st.calc(`leftover_${T}`, `${n} % ${per}`);
    return {
      facts: [hasFact(ctx, P, th, N, input), `${P.name} fills as many ${co.p} of ${g} as possible.`],
      question: `How many ${th.p} are left over?`,
      result: { ...left, ref: `the number of leftover ${th.p}` },
    };
  },
};

const shareEqually: Variant = {
  id: 'remainders.share',
  ops: 2,
  consumes: true,
  gen(ctx, input) {
    const { P, th, N } = setup(ctx, input, 5, 40);
    if (N > 1000000) return null;
    const k = ctx.int(2, 9);
    const M = k - (N % k) + k * ctx.int(0, 3 * ctx.scale);
    const T = vname(th.p);
    const st = ctx.sol.step(`Calculate the total number of ${th.p}`);
    const n = st.input(T, N, input);
    const m = st.given(`more_${T}`, M);
    const tot = st.calc(`total_${T}`, `${n} + ${m}`);
    const st2 = ctx.sol.step('Share them equally');
    const fr = st2.given('friends', k);
    const each = st2.calc(`${T}_each`, `${tot.var} // ${fr}`);
    return {
      facts: [hasFact(ctx, P, th, N, input), `${P.name} gets ${M} more ${th.p}.`, `${P.name} shares all of them equally among ${k} friends.`],
      question: `How many ${th.p} does each friend get?`,
      result: { ...each, ref: `the number of ${th.p} each friend gets` },
    };
  },
};

const SEATING: Array<{ who: string; what: Noun; cap: string }> = [
  { who: 'students', what: { s: 'bus', p: 'buses' }, cap: 'Each bus holds' },
  { who: 'people', what: { s: 'car', p: 'cars' }, cap: 'Each car holds' },
  { who: 'guests', what: { s: 'table', p: 'tables' }, cap: 'Each table seats' },
  { who: 'eggs', what: { s: 'carton', p: 'cartons' }, cap: 'Each carton holds' },
  { who: 'books', what: { s: 'shelf', p: 'shelves' }, cap: 'Each shelf holds' },
  { who: 'players', what: { s: 'van', p: 'vans' }, cap: 'Each van holds' },
];

const roundUp: Variant = {
  id: 'remainders.round-up',
  ops: 3,
  consumes: true,
  gen(ctx, input) {
    const sc = ctx.fresh(SEATING, (s) => s.who);
    const N = input ? input.value : ctx.big(20, 80);
    const gs: number[] = [];
    for (let g = 3; g <= 15; g++) if (N % g !== 0 && g < N) gs.push(g);
    if (!gs.length || N > 1000000) return null;
    const g = ctx.pick(gs);
    const W = vname(sc.who);
    const st = ctx.sol.step(`Divide and round up to get the number of ${sc.what.p}`);
    const n = st.input(W, N, input);
    const per = st.given(`${W}_per_${vname(sc.what.s)}`, g);
    const res = st.calc(`${vname(sc.what.p)}_needed`, `(${n} + ${per} - 1) // ${per}`);
    const first = input ? `The number of ${sc.who} is equal to ${input.ref}.` : `There are ${N} ${sc.who}.`;
    return {
      facts: [[first, `${sc.cap} ${g} ${sc.who}.`]],
      question: `How many ${sc.what.p} are needed for all of the ${sc.who}?`,
      result: { ...res, ref: `the number of ${sc.what.p} needed` },
    };
  },
};

const giveThenPack: Variant = {
  id: 'remainders.give-then-pack',
  ops: 2,
  consumes: true,
  gen(ctx, input) {
    const { P, th, co, N } = setup(ctx, input, 20, 70);
    const Q = ctx.person();
    if (N < 10 || N > 1000000) return null;
    const x = ctx.int(2, Math.min(N - 5, 9 * ctx.scale));
    const rest = N - x;
    const gs: number[] = [];
    for (let g = 3; g <= 10; g++) if (rest % g !== 0 && g < rest) gs.push(g);
    if (!gs.length) return null;
    const g = ctx.pick(gs);
    const T = vname(th.p);
    const st = ctx.sol.step(`Calculate the ${th.p} left after giving some away`);
    const n = st.input(T, N, input);
    const gv = st.given(`given_${T}`, x);
    const r = st.calc(`remaining_${T}`, `${n} - ${gv}`);
    const st2 = ctx.sol.step('Find the remainder');
    const per = st2.given(`${T}_per_${vname(co.s)}`, g);
    const left = st2.calc(`leftover_${T}`, `${r.var} % ${per}`);
    return {
      facts: [hasFact(ctx, P, th, N, input), `${P.name} gives ${x} ${th.p} to ${Q.name}.`, `Then ${P.name} packs the rest into ${co.p} of ${g}.`],
      question: `How many ${th.p} are left over after filling as many ${co.p} as possible?`,
      result: { ...left, ref: `the number of ${th.p} left over` },
    };
  },
};

const boxSale: Variant = {
  id: 'remainders.box-sale',
  ops: 5,
  consumes: true,
  gen(ctx, input) {
    const P = ctx.person();
    const th = ctx.fresh(
      [
        { s: 'cookie', p: 'cookies' },
        { s: 'muffin', p: 'muffins' },
        { s: 'egg', p: 'eggs' },
        { s: 'candle', p: 'candles' },
      ],
      (t) => t.p,
    );
    const N = input ? input.value : ctx.big(20, 80);
    const gs: number[] = [];
    for (let g = 3; g <= 12; g++) if (N % g !== 0 && g < N) gs.push(g);
    if (!gs.length || N > 1000000) return null;
    const g = ctx.pick(gs);
    const bp = ctx.int(5, 20);
    const sp = ctx.int(1, 3);
    const T = vname(th.p);
    const st = ctx.sol.step('Find the number of full boxes');
    const n = st.input(T, N, input);
    const per = st.given(`${T}_per_box`, g);
    const boxes = st.calc('full_boxes', `${n} // ${per}`);
    const st2 = ctx.sol.step(`Find the number of leftover ${th.p}`);
    const left = st2.calc(`leftover_${T}`, `${n} % ${per}`);
    const st3 = ctx.sol.step('Calculate the money from the boxes');
    const bpv = st3.given('box_price', bp);
    const bm = st3.calc('box_money', `${boxes.var} * ${bpv}`);
    const st4 = ctx.sol.step(`Calculate the money from the single ${th.p}`);
    const spv = st4.given(`single_price`, sp);
    const sm = st4.calc('single_money', `${left.var} * ${spv}`);
    const st5 = ctx.sol.step('Add the two amounts');
    const tot = st5.calc('total_money', `${bm.var} + ${sm.var}`);
    const first = input ? `${P.name} has a number of ${th.p} equal to ${input.ref}.` : `${P.name} has ${N} ${th.p}.`;
    return {
      facts: [first, `${P.name} packs them into boxes of ${g} and sells each full box for $${bp}.`, `Each leftover ${th.s} sells for $${sp}.`],
      question: `How many dollars does ${P.name} make if ${P.he} sells all of them?`,
      result: { ...tot, ref: `the number of dollars ${P.name} makes` },
    };
  },
};

export const remainders: Family = {
  name: 'remainders',
  variants: [fullGroups, leftover, shareEqually, giveThenPack, roundUp, boxSale],
};
