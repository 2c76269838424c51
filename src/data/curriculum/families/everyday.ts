/**
 * Everyday stories (curriculum v2 only): a person starts with some things and a few events change
 * the count, worded as a person would write it ("Tom has 3 boxes of 12 pencils and gives away 7. How
 * many pencils does he have left?"). Each event is one operation (a few are two), so a story can
 * have any number of operations: it is what fills the higher rungs without composition.
 */
import { type Ctx, type Family, type Quantity, type StepWriter, type Variant, cap, vname } from '../core.js';
import { CONTAINERS, THINGS, type Noun, type Person } from '../vocab.js';

type Tense = 'present' | 'past';

/** A verb phrase in both tenses: [present, past]. */
type Vp = [string, string];

interface Event {
  ops: number;
  /** Applies the event to the running count (a step of the solution); null when the numbers do not fit. */
  apply(ctx: Ctx, count: Quantity, P: Person, T: Noun, friend: Person): { vp: Vp; next: Quantity } | null;
}

const FOOD = new Set(['cookie', 'candy', 'muffin', 'egg']);

function maybeThing(ctx: Ctx, T: Noun, n: number): string {
  return ctx.chance(0.5) ? `${n} ${n === 1 ? T.s : T.p}` : String(n);
}

function stepOf(ctx: Ctx, comment: string): StepWriter {
  return ctx.sol.step(comment);
}

const giveAway: Event = {
  ops: 1,
  apply(ctx, count, P, T, friend) {
    if (count.value < 3) return null;
    const k = ctx.int(1, Math.min(count.value - 1, Math.max(2, Math.round(count.value * 0.6))));
    const what = maybeThing(ctx, T, k);
    const vps: Vp[] = [
      [`gives away ${what}`, `gave away ${what}`],
      [`gives ${what} to ${friend.name}`, `gave ${what} to ${friend.name}`],
      [`loses ${what}`, `lost ${what}`],
      [`sells ${what}`, `sold ${what}`],
      [`donates ${what}`, `donated ${what}`],
    ];
    if (FOOD.has(T.s)) vps.push([`eats ${what}`, `ate ${what}`]);
    const st = stepOf(ctx, `Subtract the ${T.p} ${P.name} no longer has`);
    const kv = st.given(`${vname(T.p)}_gone`, k);
    const next = st.calc(`${vname(T.p)}_left`, `${count.var} - ${kv}`);
    return { vp: ctx.pick(vps), next };
  },
};

const gain: Event = {
  ops: 1,
  apply(ctx, count, _P, T, friend) {
    const k = ctx.big(2, 25);
    const what = maybeThing(ctx, T, k);
    const vps: Vp[] = [
      [`finds ${what} more`, `found ${what} more`],
      [`gets ${what} more from ${friend.name}`, `got ${what} more from ${friend.name}`],
      [`buys ${k} more ${T.p}`, `bought ${k} more ${T.p}`],
      [`is given ${k} more ${T.p}`, `was given ${k} more ${T.p}`],
      [`picks up another ${what}`, `picked up another ${what}`],
    ];
    const st = stepOf(ctx, `Add the new ${T.p}`);
    const kv = st.given(`${vname(T.p)}_added`, k);
    const next = st.calc(`${vname(T.p)}_now`, `${count.var} + ${kv}`);
    return { vp: ctx.pick(vps), next };
  },
};

const multiply: Event = {
  ops: 1,
  apply(ctx, count, P, T) {
    if (count.value > 5000) return null;
    const m = ctx.int(2, 4);
    const vp: Vp =
      m === 2
        ? ctx.pick<Vp>([
            [`doubles ${P.his} ${T.p}`, `doubled ${P.his} ${T.p}`],
            [`ends up with twice as many ${T.p}`, `ended up with twice as many ${T.p}`],
          ])
        : ctx.pick<Vp>([
            [`ends up with ${m} times as many ${T.p}`, `ended up with ${m} times as many ${T.p}`],
            [`makes the number of ${T.p} ${m} times bigger`, `made the number of ${T.p} ${m} times bigger`],
          ]);
    const st = stepOf(ctx, `Multiply the ${T.p}`);
    const mv = st.given('factor', m);
    const next = st.calc(`${vname(T.p)}_now`, `${count.var} * ${mv}`);
    return { vp, next };
  },
};

const keepShare: Event = {
  ops: 1,
  apply(ctx, count, P, T) {
    const ms = [2, 3, 4, 5].filter((m) => count.value % m === 0 && count.value / m >= 1);
    if (!ms.length) return null;
    const m = ctx.pick(ms);
    const vp: Vp =
      m === 2 && ctx.chance(0.5)
        ? ctx.pick<Vp>([
            [`gives away half of them`, `gave away half of them`],
            [`keeps only half of ${P.his} ${T.p}`, `kept only half of ${P.his} ${T.p}`],
          ])
        : ctx.pick<Vp>([
            [`splits them into ${m} equal piles and keeps one pile`, `split them into ${m} equal piles and kept one pile`],
            [
              `shares them equally with ${m - 1} ${m - 1 === 1 ? 'friend' : 'friends'}, keeping one share`,
              `shared them equally with ${m - 1} ${m - 1 === 1 ? 'friend' : 'friends'}, keeping one share`,
            ],
          ]);
    const st = stepOf(ctx, `Divide the ${T.p} into equal shares`);
    const mv = st.given('shares', m);
    const next = st.calc(`${vname(T.p)}_kept`, `${count.var} // ${mv}`);
    return { vp, next };
  },
};

/** Two operations: buys m packs of k more. */
const buyPacks: Event = {
  ops: 2,
  apply(ctx, count, P, T) {
    const C = ctx.pick(CONTAINERS);
    const m = ctx.int(2, 6);
    const k = ctx.big(3, 12);
    const vp: Vp = ctx.pick<Vp>([
      [`buys ${m} more ${C.p} of ${k}`, `bought ${m} more ${C.p} of ${k}`],
      [`buys ${m} ${C.p} with ${k} ${T.p} in each`, `bought ${m} ${C.p} with ${k} ${T.p} in each`],
    ]);
    const st = stepOf(ctx, `Calculate the ${T.p} in the new ${C.p}`);
    const mv = st.given(vname(C.p), m);
    const kv = st.given(`${vname(T.p)}_per_${vname(C.s)}`, k);
    const added = st.calc(`new_${vname(T.p)}`, `${mv} * ${kv}`);
    const st2 = stepOf(ctx, `Add them to the ${T.p} ${P.name} had`);
    const next = st2.calc(`${vname(T.p)}_now`, `${count.var} + ${added.var}`);
    return { vp, next };
  },
};

/** Two operations: gives k to each of m friends. */
const giveEach: Event = {
  ops: 2,
  apply(ctx, count, _P, T) {
    const m = ctx.int(2, 5);
    const maxK = Math.floor((count.value - 1) / m);
    if (maxK < 1) return null;
    const k = ctx.int(1, Math.min(maxK, 12));
    const vp: Vp = ctx.pick<Vp>([
      [`gives ${k} to each of ${m} friends`, `gave ${k} to each of ${m} friends`],
      [`hands out ${k} ${k === 1 ? T.s : T.p} to each of ${m} classmates`, `handed out ${k} ${k === 1 ? T.s : T.p} to each of ${m} classmates`],
    ]);
    const st = stepOf(ctx, `Calculate the ${T.p} given to the friends`);
    const mv = st.given('friends', m);
    const kv = st.given(`${vname(T.p)}_each`, k);
    const given = st.calc(`${vname(T.p)}_given`, `${mv} * ${kv}`);
    const st2 = stepOf(ctx, `Subtract them`);
    const next = st2.calc(`${vname(T.p)}_left`, `${count.var} - ${given.var}`);
    return { vp, next };
  },
};

const ONE_OP = [giveAway, gain, giveAway, gain, multiply, keepShare];
const TWO_OP = [buyPacks, giveEach];

/** Start of the story: a plain count (0 operations) or containers / dozens (1 operation). */
function start(ctx: Ctx, P: Person, T: Noun, tense: Tense, withOp: boolean, input?: Quantity): { text: string; count: Quantity } {
  const has = tense === 'present' ? 'has' : 'had';
  if (input) {
    const st = ctx.sol.step(`Take the number of ${T.p} ${P.name} starts with`);
    const v = st.link(vname(T.p), input);
    return { text: `${P.name} ${has} a number of ${T.p} equal to ${input.ref}`, count: { var: v, value: input.value, ref: '' } };
  }
  if (!withOp) {
    const n = ctx.big(8, 60);
    const st = ctx.sol.step(`Write down the ${T.p} ${P.name} starts with`);
    const v = st.given(vname(T.p), n);
    const text = ctx.pick([
      `${P.name} ${has} ${n} ${T.p}`,
      `${P.name} ${tense === 'present' ? 'starts' : 'started'} with ${n} ${T.p}`,
      `There ${tense === 'present' ? 'are' : 'were'} ${n} ${T.p} in ${P.name}'s room`,
    ]);
    return { text, count: { var: v, value: n, ref: '' } };
  }
  const st = ctx.sol.step(`Calculate the ${T.p} ${P.name} starts with`);
  if (FOOD.has(T.s) && ctx.chance(0.4)) {
    const d = ctx.int(2, 5);
    const dv = st.given('dozens', d);
    const per = st.given(`${vname(T.p)}_per_dozen`, 12);
    const count = st.calc(vname(T.p), `${dv} * ${per}`);
    return { text: `${P.name} ${tense === 'present' ? 'bakes' : 'baked'} ${d} dozen ${T.p}`, count };
  }
  const C = ctx.pick(CONTAINERS);
  const m = ctx.int(2, 6);
  const k = ctx.big(4, 15);
  const mv = st.given(vname(C.p), m);
  const kv = st.given(`${vname(T.p)}_per_${vname(C.s)}`, k);
  const count = st.calc(vname(T.p), `${mv} * ${kv}`);
  const text = ctx.pick([
    `${P.name} ${has} ${m} ${C.p} of ${k} ${T.p}`,
    `${P.name} ${has} ${m} ${C.p} of ${k} ${T.p}`,
    `${P.name} ${has} ${m} ${C.p} with ${k} ${T.p} in each`,
    `${P.name} ${tense === 'present' ? 'buys' : 'bought'} ${m} ${C.p} of ${T.p}, ${k} in each ${C.s}`,
  ]);
  return { text, count };
}

function questionFor(ctx: Ctx, P: Person, T: Noun, tense: Tense): string {
  const now = tense === 'present';
  const forms = now
    ? [
        `How many ${T.p} does ${P.name} have now?`,
        `How many ${T.p} does ${P.he} have left?`,
        `How many ${T.p} does ${P.name} end up with?`,
        `How many ${T.p} are left?`,
        `What is the number of ${T.p} ${P.name} has now?`,
        `Find how many ${T.p} ${P.name} has now.`,
        `How many does ${P.he} have at the end?`,
        `So how many ${T.p} does ${P.name} have?`,
      ]
    : [
        `How many ${T.p} did ${P.name} have left?`,
        `How many ${T.p} did ${P.he} end up with?`,
        `How many ${T.p} did ${P.name} have at the end?`,
        `How many were left?`,
        `Find how many ${T.p} ${P.name} had in the end.`,
      ];
  return ctx.pick(forms);
}

function story(ops: number): Variant {
  return {
    id: `everyday.story-${ops}`,
    ops,
    consumes: true,
    gen(ctx, input) {
      const P = ctx.person();
      const friend = ctx.person();
      const T = ctx.fresh(THINGS, (t) => t.p);
      const tense: Tense = ctx.chance(0.7) ? 'present' : 'past';
      let budget = ops;
      const startOp = !input && budget >= 1 && ctx.chance(budget === 1 ? 0.3 : 0.5);
      if (startOp) budget--;
      const s = start(ctx, P, T, tense, startOp, input);
      let count = s.count;
      const vps: string[] = [];
      while (budget > 0) {
        const pool = budget >= 2 && ctx.chance(0.25) ? TWO_OP : ONE_OP;
        let done = false;
        for (let tries = 0; tries < 8 && !done; tries++) {
          const ev = ctx.pick(pool);
          const mark = ctx.sol.steps.length;
          const r = ev.apply(ctx, count, P, T, friend);
          if (!r) {
            ctx.sol.steps.splice(mark);
            continue;
          }
          vps.push(r.vp[tense === 'present' ? 0 : 1]);
          count = r.next;
          budget -= ev.ops;
          done = true;
        }
        if (!done) return null;
      }
      if (count.value <= 0) return null;
      const sentences = tellStory(ctx, P, s.text, vps, tense);
      return {
        facts: sentences,
        question: input ? `How many ${T.p} does ${P.name} have at the end?` : questionFor(ctx, P, T, tense),
        result: { ...count, ref: `the number of ${T.p} ${P.name} has at the end` },
      };
    },
  };
}

/** The start and the events as sentences, with everyday joins ("and", "Then", "Later"). */
function tellStory(ctx: Ctx, P: Person, startText: string, vps: string[], tense: Tense): string[] {
  const out: string[] = [];
  let i = 0;
  if (vps.length && ctx.chance(0.5)) {
    out.push(`${startText} and ${vps[0]}.`);
    i = 1;
  } else out.push(`${startText}.`);
  for (; i < vps.length; i++) {
    const subject = ctx.chance(0.6) ? P.he : P.name;
    const lead = ctx.pick(['', '', 'Then ', 'After that, ', 'Later, ', tense === 'present' ? 'Next, ' : 'The next day, ']);
    const who = lead === '' ? cap(subject) : subject;
    if (i + 1 < vps.length && ctx.chance(0.3)) {
      out.push(`${lead}${who} ${vps[i]} and then ${vps[i + 1]}.`);
      i++;
    } else out.push(`${lead}${who} ${vps[i]}.`);
  }
  return out;
}

export const STORY_MAX_OPS = 10;

export const everyday: Family = {
  name: 'everyday',
  variants: Array.from({ length: STORY_MAX_OPS }, (_, i) => story(i + 1)),
};
