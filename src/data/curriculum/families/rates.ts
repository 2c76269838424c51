import { type Ctx, type Family, type Quantity, type Variant, divisorsIn, vname } from '../core.js';
import { JOBS, MACHINES, MOVERS, type Person } from '../vocab.js';

function hoursOk(v: number): boolean {
  return v >= 1 && v <= 1000;
}

const distance: Variant = {
  id: 'rates.distance',
  ops: 1,
  consumes: true,
  gen(ctx, input) {
    const P = ctx.person();
    const m = ctx.pick(MOVERS);
    const s = ctx.int(m.lo, m.hi);
    const t = input ? input.value : ctx.big(2, 8);
    if (!hoursOk(t)) return null;
    const st = ctx.sol.step('Calculate the distance');
    const sp = st.given('speed', s);
    const h = st.input('hours', t, input);
    const d = st.calc('distance', `${sp} * ${h}`);
    const fact = input
      ? `${P.name} ${m.verb} at ${s} miles per hour for a number of hours equal to ${input.ref}.`
      : ctx.pick([`${P.name} ${m.verb} at ${s} miles per hour for ${t} hours.`, `For ${t} hours, ${P.name} ${m.verb} at a speed of ${s} miles per hour.`]);
    return {
      facts: [fact],
      question: ctx.pick([`How many miles does ${P.name} travel?`, `How far does ${P.name} go, in miles?`]),
      result: { ...d, ref: `the distance ${P.name} travels in miles` },
    };
  },
};

const speed: Variant = {
  id: 'rates.speed',
  ops: 1,
  consumes: true,
  gen(ctx, input) {
    const P = ctx.person();
    const m = ctx.pick(MOVERS);
    let D: number;
    let t: number;
    if (input) {
      D = input.value;
      const ts = divisorsIn(D, 2, 12);
      if (!ts.length || D > 100000) return null;
      t = ctx.pick(ts);
    } else {
      t = ctx.big(2, 6);
      D = t * ctx.int(m.lo, m.hi);
    }
    const st = ctx.sol.step('Divide the distance by the time');
    const d = st.input('distance', D, input);
    const h = st.given('hours', t);
    const sp = st.calc('speed', `${d} // ${h}`);
    const fact = input
      ? `${P.name} ${m.verb} a number of miles equal to ${input.ref}, and the trip takes ${t} hours.`
      : ctx.pick([`${P.name} ${m.verb} ${D} miles in ${t} hours.`, `It takes ${P.name} ${t} hours to travel ${D} miles.`]);
    return {
      facts: [fact],
      question: ctx.pick([`What is ${P.name}'s average speed in miles per hour?`, `How many miles per hour does ${P.name} travel on average?`]),
      result: { ...sp, ref: `${P.name}'s average speed in miles per hour` },
    };
  },
};

const machineDays: Variant = {
  id: 'rates.machine-days',
  ops: 2,
  consumes: true,
  gen(ctx, input) {
    const m = ctx.fresh(MACHINES, (x) => x.product.p);
    const r = ctx.big(m.lo, m.hi);
    const h = ctx.int(2, 10);
    const d = input ? input.value : ctx.big(2, 7);
    if (d < 1 || d > 1000) return null;
    const prod = vname(m.product.p);
    const st = ctx.sol.step(`Calculate the ${m.product.p} made in one day`);
    const ph = st.given(`${prod}_per_hour`, r);
    const hd = st.given('hours_per_day', h);
    const pd = st.calc(`${prod}_per_day`, `${ph} * ${hd}`);
    const st2 = ctx.sol.step('Multiply by the number of days');
    const dv = st2.input('days', d, input);
    const tot = st2.calc(`total_${prod}`, `${pd.var} * ${dv}`);
    const facts = [
      `A ${m.machine} makes ${r} ${m.product.p} per hour.`,
      input ? `It runs ${h} hours a day for a number of days equal to ${input.ref}.` : `It runs ${h} hours a day for ${d} days.`,
    ];
    return {
      facts,
      question: `How many ${m.product.p} does the ${m.machine} make in all?`,
      result: { ...tot, ref: `the number of ${m.product.p} the ${m.machine} makes` },
    };
  },
};

function combined(ctx: Ctx): { P: Person; Q: Person; job: (typeof JOBS)[number]; r1: number; r2: number; rate: Quantity } {
  const P = ctx.person();
  const Q = ctx.person();
  const job = ctx.fresh(JOBS, (j) => j.thing.p);
  const r1 = ctx.big(job.lo, job.hi);
  const r2 = ctx.big(job.lo, job.hi);
  const st = ctx.sol.step('Add the two rates');
  const a = st.given(`${P.v}_rate`, r1);
  const b = st.given(`${Q.v}_rate`, r2);
  const rate = st.calc('combined_rate', `${a} + ${b}`);
  return { P, Q, job, r1, r2, rate };
}

function rateFacts(ctx: Ctx, c: ReturnType<typeof combined>): string[] {
  return ctx.shuffle([`${c.P.name} can ${c.job.verb} ${c.r1} ${c.job.thing.p} per hour.`, `${c.Q.name} can ${c.job.verb} ${c.r2} ${c.job.thing.p} per hour.`]);
}

const together: Variant = {
  id: 'rates.together',
  ops: 2,
  consumes: true,
  gen(ctx, input) {
    const h = input ? input.value : ctx.big(2, 8);
    if (!hoursOk(h)) return null;
    const c = combined(ctx);
    const st = ctx.sol.step(`Calculate the ${c.job.thing.p} done together`);
    const hv = st.input('hours', h, input);
    const tot = st.calc(`total_${vname(c.job.thing.p)}`, `${c.rate.var} * ${hv}`);
    const thing = c.job.thing.p;
    const facts = [rateFacts(ctx, c), input ? `They work together for a number of hours equal to ${input.ref}.` : `They work together for ${h} hours.`];
    return {
      facts,
      question: `How many ${thing} do they ${c.job.verb} in all?`,
      result: { ...tot, ref: `the number of ${thing} ${c.P.name} and ${c.Q.name} ${c.job.verb} together` },
    };
  },
};

const togetherTime: Variant = {
  id: 'rates.together-time',
  ops: 2,
  consumes: true,
  gen(ctx, input) {
    const c = combined(ctx);
    let W: number;
    if (input) {
      W = input.value;
      if (W % c.rate.value !== 0 || W === 0) return null;
    } else W = c.rate.value * ctx.big(2, 6);
    const st = ctx.sol.step('Divide the work by the combined rate');
    const w = st.input(`${vname(c.job.thing.p)}_needed`, W, input);
    const hrs = st.calc('hours', `${w} // ${c.rate.var}`);
    const thing = c.job.thing.p;
    const task = input ? `a number of ${thing} equal to ${input.ref}` : `${W} ${thing}`;
    return {
      facts: [rateFacts(ctx, c)],
      question: `Working together, how many hours do they need to ${c.job.verb} ${task}?`,
      result: { ...hrs, ref: `the number of hours ${c.P.name} and ${c.Q.name} need to ${c.job.verb} ${task}` },
    };
  },
};

function twoLegs(ctx: Ctx, input?: Quantity) {
  const P = ctx.person();
  const m = ctx.pick(MOVERS);
  const s1 = ctx.int(m.lo, m.hi);
  const s2 = ctx.int(m.lo, m.hi);
  const t1 = input ? input.value : ctx.big(2, 5);
  if (!hoursOk(t1)) return null;
  const t2 = ctx.big(2, 5);
  const st = ctx.sol.step('Calculate the distance of the first part');
  const a = st.given('first_speed', s1);
  const b = st.input('first_hours', t1, input);
  const d1 = st.calc('first_distance', `${a} * ${b}`);
  const st2 = ctx.sol.step('Calculate the distance of the second part');
  const c = st2.given('second_speed', s2);
  const d = st2.given('second_hours', t2);
  const d2 = st2.calc('second_distance', `${c} * ${d}`);
  const st3 = ctx.sol.step('Add the two distances');
  const tot = st3.calc('total_distance', `${d1.var} + ${d2.var}`);
  const first = input
    ? `${P.name} ${m.verb} at ${s1} miles per hour for a number of hours equal to ${input.ref}.`
    : `${P.name} ${m.verb} at ${s1} miles per hour for ${t1} hours.`;
  return { P, t1, t2, b, d, tot, facts: [first, `Then ${P.name} ${m.verb} at ${s2} miles per hour for ${t2} hours.`] };
}

const twoLegsTotal: Variant = {
  id: 'rates.two-legs',
  ops: 3,
  consumes: true,
  gen(ctx, input) {
    const r = twoLegs(ctx, input);
    if (!r) return null;
    return {
      facts: r.facts,
      question: ctx.pick([`How many miles does ${r.P.name} travel in total?`, `What is the total distance ${r.P.name} covers, in miles?`]),
      result: { ...r.tot, ref: `the total distance ${r.P.name} travels in miles` },
    };
  },
};

const averageSpeed: Variant = {
  id: 'rates.average-speed',
  ops: 5,
  consumes: false,
  gen(ctx) {
    for (let tries = 0; tries < 40; tries++) {
      const mark = ctx.sol.steps.length;
      const r = twoLegs(ctx);
      if (!r) return null;
      if (r.tot.value % (r.t1 + r.t2) === 0) {
        const st = ctx.sol.step('Add the two times');
        const th = st.calc('total_hours', `${r.b} + ${r.d}`);
        const st2 = ctx.sol.step('Divide the total distance by the total time');
        const avg = st2.calc('average_speed', `${r.tot.var} // ${th.var}`);
        return {
          facts: r.facts,
          question: `What is ${r.P.name}'s average speed for the whole trip, in miles per hour?`,
          result: { ...avg, ref: `${r.P.name}'s average speed in miles per hour` },
        };
      }
      // roll back and try other numbers
      for (const s of ctx.sol.steps.splice(mark)) for (const line of s.lines) ctx.sol.env.delete(line.split(' = ')[0]);
    }
    return null;
  },
};

const remainingTime: Variant = {
  id: 'rates.remaining-time',
  ops: 3,
  consumes: true,
  gen(ctx, input) {
    const P = ctx.person();
    const m = ctx.pick(MOVERS);
    const s1 = ctx.int(m.lo, m.hi);
    const s2 = ctx.int(m.lo, m.hi);
    const t1 = input ? input.value : ctx.big(2, 4);
    if (!hoursOk(t1) || t1 > 50) return null;
    const t2 = ctx.big(2, 5);
    const D = s1 * t1 + s2 * t2;
    const st = ctx.sol.step('Calculate the distance already traveled');
    const a = st.given('first_speed', s1);
    const b = st.input('first_hours', t1, input);
    const done = st.calc('distance_done', `${a} * ${b}`);
    const st2 = ctx.sol.step('Calculate the distance left');
    const tot = st2.given('trip_distance', D);
    const left = st2.calc('distance_left', `${tot} - ${done.var}`);
    const st3 = ctx.sol.step('Divide the distance left by the new speed');
    const sp2 = st3.given('second_speed', s2);
    const hrs = st3.calc('hours_left', `${left.var} // ${sp2}`);
    const first = input
      ? `${P.name} ${m.verb} at ${s1} miles per hour for a number of hours equal to ${input.ref}.`
      : `${P.name} ${m.verb} at ${s1} miles per hour for ${t1} hours.`;
    return {
      facts: [`${P.name} has a trip of ${D} miles.`, first, `${P.name} covers the rest of the trip at ${s2} miles per hour.`],
      question: `How many more hours does the rest of the trip take?`,
      result: { ...hrs, ref: `the number of hours the rest of ${P.name}'s trip takes` },
    };
  },
};

export const rates: Family = {
  name: 'rates',
  variants: [distance, speed, machineDays, together, togetherTime, twoLegsTotal, remainingTime, averageSpeed],
};
