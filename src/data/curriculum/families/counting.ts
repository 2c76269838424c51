import { type Ctx, type Family, type Quantity, type Variant, vname } from '../core.js';
import { CHOICE_SCENES, TOWNS } from '../vocab.js';

function countOk(v: number, max = 500): boolean {
  return v >= 2 && v <= max;
}

function scene(ctx: Ctx) {
  return ctx.fresh(CHOICE_SCENES, (s) => s.what);
}

const twoChoices: Variant = {
  id: 'counting.two-choices',
  ops: 1,
  consumes: true,
  gen(ctx, input) {
    const sc = scene(ctx);
    const P = ctx.person();
    const a = input ? input.value : ctx.big(2, 8);
    if (!countOk(a, 5000)) return null;
    const b = ctx.big(2, 8);
    const st = ctx.sol.step('Multiply the number of choices');
    const av = st.input(vname(sc.a), a, input);
    const bv = st.given(vname(sc.b), b);
    const res = st.calc(vname(sc.what), `${av} * ${bv}`);
    const has = input
      ? `${P.name} has ${b} ${sc.b} and a number of ${sc.a} equal to ${input.ref}.`
      : ctx.pick([`${P.name} has ${a} ${sc.a} and ${b} ${sc.b}.`, `${P.name} can pick from ${a} ${sc.a} and ${b} ${sc.b}.`]);
    return {
      facts: [has],
      question: `How many different ${sc.what} with one of each can ${P.name} ${sc.verb}?`,
      result: { ...res, ref: `the number of different ${sc.what} ${P.name} can ${sc.verb}` },
    };
  },
};

function threeFacts(ctx: Ctx, P: string, sc: (typeof CHOICE_SCENES)[number], a: number, b: number, c: number, input?: Quantity): string {
  if (input) return `${P} has ${b} ${sc.b}, ${c} ${sc.c}, and a number of ${sc.a} equal to ${input.ref}.`;
  return ctx.pick([`${P} has ${a} ${sc.a}, ${b} ${sc.b} and ${c} ${sc.c}.`, `${P} can choose from ${a} ${sc.a}, ${b} ${sc.b} and ${c} ${sc.c}.`]);
}

const threeChoices: Variant = {
  id: 'counting.three-choices',
  ops: 2,
  consumes: true,
  gen(ctx, input) {
    const sc = scene(ctx);
    const P = ctx.person();
    const a = input ? input.value : ctx.big(2, 6);
    if (!countOk(a, 5000)) return null;
    const b = ctx.big(2, 6);
    const c = ctx.big(2, 5);
    const st = ctx.sol.step('Multiply the number of choices');
    const av = st.input(vname(sc.a), a, input);
    const bv = st.given(vname(sc.b), b);
    const cv = st.given(vname(sc.c), c);
    const res = st.calc(vname(sc.what), `${av} * ${bv} * ${cv}`);
    return {
      facts: [threeFacts(ctx, P.name, sc, a, b, c, input)],
      question: `How many different ${sc.what} with one of each can ${P.name} ${sc.verb}?`,
      result: { ...res, ref: `the number of different ${sc.what} ${P.name} can ${sc.verb}` },
    };
  },
};

const optionalThird: Variant = {
  id: 'counting.optional-third',
  ops: 3,
  consumes: true,
  gen(ctx, input) {
    const sc = scene(ctx);
    const P = ctx.person();
    const a = input ? input.value : ctx.big(2, 6);
    if (!countOk(a, 5000)) return null;
    const b = ctx.big(2, 6);
    const c = ctx.big(2, 5);
    const st = ctx.sol.step(`Count the choices for the ${sc.c}, including none`);
    const cv = st.given(vname(sc.c), c);
    const cc = st.calc(`${vname(sc.c)}_choices`, `${cv} + 1`);
    const st2 = ctx.sol.step('Multiply the number of choices');
    const av = st2.input(vname(sc.a), a, input);
    const bv = st2.given(vname(sc.b), b);
    const res = st2.calc(vname(sc.what), `${av} * ${bv} * ${cc.var}`);
    return {
      facts: [
        threeFacts(ctx, P.name, sc, a, b, c, input),
        `Each of the ${sc.what} uses one of the ${sc.a} and one of the ${sc.b}, with or without one of the ${sc.c}.`,
      ],
      question: `How many different ${sc.what} can ${P.name} ${sc.verb}?`,
      result: { ...res, ref: `the number of different ${sc.what} ${P.name} can ${sc.verb}` },
    };
  },
};

const ROLES: Array<{ group: string; members: string; roles: string; pick: string }> = [
  {
    group: 'A soccer team',
    members: 'players',
    roles: 'a captain and a vice-captain',
    pick: 'The coach picks a captain and a different vice-captain from the players.',
  },
  {
    group: 'A club',
    members: 'members',
    roles: 'a president and a secretary',
    pick: 'The club elects a president and a different secretary from its members.',
  },
  { group: 'A race', members: 'runners', roles: 'a winner and a runner-up', pick: 'Every runner finishes, and there are no ties for first or second place.' },
  { group: 'A class', members: 'students', roles: 'a leader and a helper', pick: 'The teacher chooses a leader and a different helper from the students.' },
];

const orderedPair: Variant = {
  id: 'counting.ordered-pair',
  ops: 2,
  consumes: true,
  gen(ctx, input) {
    const r = ctx.fresh(ROLES, (x) => x.members);
    const n = input ? input.value : ctx.big(3, 12);
    if (!countOk(n, 2000)) return null;
    const M = vname(r.members);
    const st = ctx.sol.step('Count the choices for the second role');
    const nv = st.input(M, n, input);
    const o = st.calc(`other_${M}`, `${nv} - 1`);
    const st2 = ctx.sol.step('Multiply the choices for the two roles');
    const w = st2.calc('ways', `${nv} * ${o.var}`);
    const has = input ? `${r.group} has a number of ${r.members} equal to ${input.ref}.` : `${r.group} has ${n} ${r.members}.`;
    return {
      facts: [has, r.pick],
      question: r.members === 'runners' ? 'In how many ways can the first and second places be filled?' : 'In how many ways can this be done?',
      result: { ...w, ref: `the number of ways to choose ${r.roles}` },
    };
  },
};

const PAIR_SCENES: Array<{ who: string; act: string; what: string }> = [
  { who: 'people at a meeting', act: 'Each person shakes hands with every other person once.', what: 'handshakes' },
  { who: 'teams in a league', act: 'Each team plays every other team once.', what: 'games' },
  { who: 'friends at a party', act: 'Each friend clinks glasses with every other friend once.', what: 'clinks' },
  { who: 'players in a chess club', act: 'Each player plays every other player once.', what: 'matches' },
];

function pairs(ctx: Ctx, input?: Quantity) {
  const sc = ctx.fresh(PAIR_SCENES, (s) => s.what);
  const n = input ? input.value : ctx.big(4, 15);
  if (!countOk(n, 2000) || n < 3) return null;
  const who = sc.who.split(' ')[0];
  const st = ctx.sol.step('Count the ordered pairs');
  const nv = st.input(vname(who), n, input);
  const op = st.calc('ordered_pairs', `${nv} * (${nv} - 1)`);
  const st2 = ctx.sol.step('Divide by 2 because each pair is counted twice');
  const res = st2.calc(vname(sc.what), `${op.var} // 2`);
  const fact = input ? `The number of ${sc.who} is equal to ${input.ref}.` : `There are ${n} ${sc.who}.`;
  return { sc, res, facts: [fact, sc.act] };
}

const handshakes: Variant = {
  id: 'counting.pairs',
  ops: 3,
  consumes: true,
  gen(ctx, input) {
    const r = pairs(ctx, input);
    if (!r) return null;
    return {
      facts: r.facts,
      question: `How many ${r.sc.what} are there in all?`,
      result: { ...r.res, ref: `the number of ${r.sc.what}` },
    };
  },
};

const pairsRepeated: Variant = {
  id: 'counting.pairs-repeated',
  ops: 4,
  consumes: true,
  gen(ctx, input) {
    const r = pairs(ctx, input);
    if (!r) return null;
    const k = ctx.int(2, 4);
    const st = ctx.sol.step('Multiply by the number of rounds');
    const kv = st.given('rounds', k);
    const tot = st.calc(`total_${vname(r.sc.what)}`, `${r.res.var} * ${kv}`);
    return {
      facts: [...r.facts, `They do this ${k} times in total, once in each of ${k} rounds.`],
      question: `How many ${r.sc.what} are there over all ${k} rounds?`,
      result: { ...tot, ref: `the total number of ${r.sc.what}` },
    };
  },
};

const codes: Variant = {
  id: 'counting.codes',
  ops: 1,
  consumes: false,
  gen(ctx) {
    const k = ctx.int(2, ctx.level <= 2 ? 6 : 9);
    const n = ctx.int(2, ctx.level <= 2 ? 3 : 4);
    const P = ctx.person();
    const what = ctx.pick([
      { s: `${P.name}'s lock code has ${n} digits, and each digit can be any of ${k} values.`, w: 'codes' },
      { s: `A password has ${n} letters, and each letter is one of ${k} letters.`, w: 'passwords' },
      { s: `A license tag has ${n} symbols, and each symbol is one of ${k} shapes.`, w: 'tags' },
    ]);
    const st = ctx.sol.step('Raise the number of choices to the number of positions');
    const kv = st.given('choices', k);
    const nv = st.given('positions', n);
    const res = st.calc(what.w, `${kv} ** ${nv}`);
    return {
      facts: [what.s],
      question: `How many different ${what.w} are possible?`,
      result: { ...res, ref: `the number of possible ${what.w}` },
    };
  },
};

const routes: Variant = {
  id: 'counting.routes',
  ops: 2,
  consumes: true,
  gen(ctx, input) {
    const [X, Y, Z] = ctx.shuffle(TOWNS).slice(0, 3);
    const a = input ? input.value : ctx.big(2, 6);
    if (!countOk(a, 5000)) return null;
    const b = ctx.big(2, 6);
    const c = ctx.big(1, 5);
    const st = ctx.sol.step(`Count the routes through ${Y}`);
    const av = st.input(`roads_${vname(X)}_${vname(Y)}`, a, input);
    const bv = st.given(`roads_${vname(Y)}_${vname(Z)}`, b);
    const via = st.calc(`routes_via_${vname(Y)}`, `${av} * ${bv}`);
    const st2 = ctx.sol.step('Add the direct roads');
    const cv = st2.given('direct_roads', c);
    const tot = st2.calc('total_routes', `${via.var} + ${cv}`);
    const first = input ? `The number of roads from ${X} to ${Y} is equal to ${input.ref}.` : `There are ${a} roads from ${X} to ${Y}.`;
    return {
      facts: [
        [first, `There are ${b} roads from ${Y} to ${Z}.`, `There ${c === 1 ? 'is also 1 direct road' : `are also ${c} direct roads`} from ${X} to ${Z}.`],
      ],
      question: `How many different routes are there from ${X} to ${Z}?`,
      result: { ...tot, ref: `the number of routes from ${X} to ${Z}` },
    };
  },
};

export const counting: Family = {
  name: 'counting',
  variants: [twoChoices, codes, threeChoices, orderedPair, routes, optionalThird, handshakes, pairsRepeated],
};
