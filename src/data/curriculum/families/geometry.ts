import { type Ctx, type Family, type Quantity, type Variant, divisorsIn, vname } from '../core.js';
import { RECTS, TRIANGLES, type Rect } from '../vocab.js';

function singular(unit: string): string {
  return unit === 'feet' ? 'foot' : unit === 'inches' ? 'inch' : unit.replace(/s$/, '');
}

function lengthOk(v: number): boolean {
  return v >= 1 && v <= 100000;
}

function rect(ctx: Ctx, input?: Quantity) {
  const r = ctx.fresh(RECTS, (x) => x.thing);
  const l = input ? input.value : ctx.big(r.lo, r.hi);
  const w = ctx.big(r.lo, r.hi);
  return { r, l, w, T: vname(r.thing) };
}

function rectFact(ctx: Ctx, r: Rect, l: number, w: number, input?: Quantity): string {
  if (input) return `A rectangular ${r.thing} is ${w} ${r.unit} wide, and its length in ${r.unit} is equal to ${input.ref}.`;
  return ctx.pick([
    `A rectangular ${r.thing} is ${l} ${r.unit} long and ${w} ${r.unit} wide.`,
    `A rectangular ${r.thing} has a length of ${l} ${r.unit} and a width of ${w} ${r.unit}.`,
    `A ${r.thing} is shaped like a rectangle that measures ${l} ${r.unit} by ${w} ${r.unit}.`,
  ]);
}

function areaStep(ctx: Ctx, T: string, thing: string, l: number, w: number, input?: Quantity): Quantity {
  const st = ctx.sol.step(`Calculate the area of the ${thing}`);
  const lv = st.input(`${T}_length`, l, input);
  const wv = st.given(`${T}_width`, w);
  return st.calc(`${T}_area`, `${lv} * ${wv}`);
}

function perimeterSteps(ctx: Ctx, T: string, l: number, w: number, input?: Quantity): Quantity {
  const st = ctx.sol.step('Add the length and the width');
  const lv = st.input(`${T}_length`, l, input);
  const wv = st.given(`${T}_width`, w);
  const s = st.calc('side_sum', `${lv} + ${wv}`);
  const st2 = ctx.sol.step('Double the sum to get the perimeter');
  return st2.calc(`${T}_perimeter`, `2 * ${s.var}`);
}

const area: Variant = {
  id: 'geometry.area',
  ops: 1,
  consumes: true,
  gen(ctx, input) {
    const { r, l, w, T } = rect(ctx, input);
    if (!lengthOk(l)) return null;
    const a = areaStep(ctx, T, r.thing, l, w, input);
    return {
      facts: [rectFact(ctx, r, l, w, input)],
      question: ctx.pick([`What is the area of the ${r.thing} in square ${r.unit}?`, `How many square ${r.unit} is the ${r.thing}?`]),
      result: { ...a, ref: `the area of the ${r.thing} in square ${r.unit}` },
    };
  },
};

const perimeter: Variant = {
  id: 'geometry.perimeter',
  ops: 2,
  consumes: true,
  gen(ctx, input) {
    const { r, l, w, T } = rect(ctx, input);
    if (!lengthOk(l)) return null;
    const p = perimeterSteps(ctx, T, l, w, input);
    return {
      facts: [rectFact(ctx, r, l, w, input)],
      question: ctx.pick([`What is the perimeter of the ${r.thing} in ${r.unit}?`, `How many ${r.unit} of edging go all the way around the ${r.thing}?`]),
      result: { ...p, ref: `the perimeter of the ${r.thing} in ${r.unit}` },
    };
  },
};

const triangle: Variant = {
  id: 'geometry.triangle',
  ops: 2,
  consumes: true,
  gen(ctx, input) {
    const t = ctx.fresh(TRIANGLES, (x) => x.thing);
    const b = input ? input.value : ctx.big(3, 20);
    if (!lengthOk(b)) return null;
    let h = ctx.big(2, 20);
    if ((b * h) % 2 !== 0) h += 1;
    const T = vname(t.thing);
    const st = ctx.sol.step('Multiply the base by the height');
    const bv = st.input(`${T}_base`, b, input);
    const hv = st.given(`${T}_height`, h);
    const p = st.calc('product', `${bv} * ${hv}`);
    const st2 = ctx.sol.step('Halve the product to get the area');
    const a = st2.calc(`${T}_area`, `${p.var} // 2`);
    const fact = input
      ? `A triangular ${t.thing} has a height of ${h} ${t.unit}, and its base in ${t.unit} is equal to ${input.ref}.`
      : ctx.pick([
          `A triangular ${t.thing} has a base of ${b} ${t.unit} and a height of ${h} ${t.unit}.`,
          `The base of a triangular ${t.thing} is ${b} ${t.unit} and its height is ${h} ${t.unit}.`,
        ]);
    return {
      facts: [fact],
      question: `What is the area of the ${t.thing} in square ${t.unit}?`,
      result: { ...a, ref: `the area of the ${t.thing} in square ${t.unit}` },
    };
  },
};

const fenceCost: Variant = {
  id: 'geometry.fence-cost',
  ops: 3,
  consumes: true,
  gen(ctx, input) {
    const { r, l, w, T } = rect(ctx, input);
    if (!lengthOk(l)) return null;
    const price = ctx.int(2, 12);
    const unit = singular(r.unit);
    const p = perimeterSteps(ctx, T, l, w, input);
    const st = ctx.sol.step('Multiply the perimeter by the price of the fence');
    const pv = st.given(`fence_price_per_${unit}`, price);
    const c = st.calc('fence_cost', `${p.var} * ${pv}`);
    return {
      facts: [rectFact(ctx, r, l, w, input), `A fence around it costs $${price} per ${unit}.`],
      question: `How many dollars does it cost to fence the whole ${r.thing}?`,
      result: { ...c, ref: `the cost of fencing the ${r.thing} in dollars` },
    };
  },
};

const fenceGate: Variant = {
  id: 'geometry.fence-gate',
  ops: 4,
  consumes: true,
  gen(ctx, input) {
    const { r, l, w, T } = rect(ctx, input);
    if (!lengthOk(l)) return null;
    const price = ctx.int(2, 12);
    const gate = ctx.int(2, Math.max(2, Math.min(6, l + w - 1)));
    const unit = singular(r.unit);
    const p = perimeterSteps(ctx, T, l, w, input);
    const st = ctx.sol.step('Leave out the gate');
    const gv = st.given('gate_width', gate);
    const f = st.calc('fence_length', `${p.var} - ${gv}`);
    const st2 = ctx.sol.step('Multiply the fence length by the price');
    const pv = st2.given(`fence_price_per_${unit}`, price);
    const c = st2.calc('fence_cost', `${f.var} * ${pv}`);
    return {
      facts: [
        rectFact(ctx, r, l, w, input),
        `A fence will go around it except for a gate that is ${gate} ${r.unit} wide.`,
        `The fence costs $${price} per ${unit}.`,
      ],
      question: `How many dollars does the fence cost?`,
      result: { ...c, ref: `the cost of the fence in dollars` },
    };
  },
};

const paint: Variant = {
  id: 'geometry.paint',
  ops: 3,
  consumes: true,
  gen(ctx, input) {
    const { r, l, w, T } = rect(ctx, input);
    if (!lengthOk(l)) return null;
    const cs = divisorsIn(l * w, 2, 60).filter((c) => c < l * w);
    if (!cs.length) return null;
    const c = ctx.pick(cs);
    const price = ctx.int(3, 25);
    const what = ctx.pick([
      { verb: 'paint', item: 'can of paint', one: 'can', many: 'cans' },
      { verb: 'cover', item: 'roll of turf', one: 'roll', many: 'rolls' },
      { verb: 'tile', item: 'box of tiles', one: 'box', many: 'boxes' },
    ]);
    const a = areaStep(ctx, T, r.thing, l, w, input);
    const st = ctx.sol.step(`Divide the area by the area one ${what.one} covers`);
    const cv = st.given(`area_per_${what.one}`, c);
    const n = st.calc(`${what.many}_needed`, `${a.var} // ${cv}`);
    const st2 = ctx.sol.step('Multiply by the price');
    const pv = st2.given(`price_per_${what.one}`, price);
    const cost = st2.calc('total_cost', `${n.var} * ${pv}`);
    return {
      facts: [rectFact(ctx, r, l, w, input), `One ${what.item} covers ${c} square ${r.unit} and costs $${price}.`],
      question: `How many dollars does it cost to ${what.verb} the whole ${r.thing}?`,
      result: { ...cost, ref: `the cost to ${what.verb} the ${r.thing} in dollars` },
    };
  },
};

const cutout: Variant = {
  id: 'geometry.cutout',
  ops: 3,
  consumes: true,
  gen(ctx, input) {
    const { r, l, w, T } = rect(ctx, input);
    if (!lengthOk(l) || Math.min(l, w) < 3) return null;
    const s = ctx.int(2, Math.min(l, w) - 1);
    const a = areaStep(ctx, T, r.thing, l, w, input);
    const st = ctx.sol.step('Calculate the area of the square part');
    const sv = st.given('square_side', s);
    const sq = st.calc('square_area', `${sv} * ${sv}`);
    const st2 = ctx.sol.step('Subtract the square area');
    const rem = st2.calc('remaining_area', `${a.var} - ${sq.var}`);
    return {
      facts: [rectFact(ctx, r, l, w, input), `A square corner of the ${r.thing} with sides of ${s} ${r.unit} is used for storage.`],
      question: `How many square ${r.unit} of the ${r.thing} are not used for storage?`,
      result: { ...rem, ref: `the area of the ${r.thing} not used for storage in square ${r.unit}` },
    };
  },
};

const twoRooms: Variant = {
  id: 'geometry.two-rooms',
  ops: 4,
  consumes: true,
  gen(ctx, input) {
    const l1 = input ? input.value : ctx.big(8, 20);
    if (!lengthOk(l1)) return null;
    const w1 = ctx.big(8, 20);
    const l2 = ctx.big(6, 16);
    const w2 = ctx.big(6, 16);
    const price = ctx.int(2, 9);
    const [n1, n2] = ctx.shuffle(['bedroom', 'office', 'hallway', 'kitchen', 'den']).slice(0, 2);
    const P = ctx.person();
    const a1 = areaStep(ctx, vname(n1), n1, l1, w1, input);
    const a2 = areaStep(ctx, vname(n2), n2, l2, w2);
    const st = ctx.sol.step('Add the two areas');
    const tot = st.calc('total_area', `${a1.var} + ${a2.var}`);
    const st2 = ctx.sol.step('Multiply the total area by the price');
    const pv = st2.given('price_per_square_foot', price);
    const cost = st2.calc('carpet_cost', `${tot.var} * ${pv}`);
    const f1 = input
      ? `${P.name}'s ${n1} is ${w1} feet wide, and its length in feet is equal to ${input.ref}.`
      : `${P.name}'s ${n1} is ${l1} feet by ${w1} feet.`;
    return {
      facts: [[f1, `${P.name}'s ${n2} is ${l2} feet by ${w2} feet.`], `Carpet costs $${price} per square foot.`],
      question: `How many dollars does it cost to carpet both rooms?`,
      result: { ...cost, ref: `the cost of carpeting both rooms in dollars` },
    };
  },
};

export const geometry: Family = {
  name: 'geometry',
  variants: [area, perimeter, triangle, fenceCost, paint, cutout, twoRooms, fenceGate],
};
