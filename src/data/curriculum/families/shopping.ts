import { type Ctx, type Fact, type Family, type Quantity, type StepWriter, type Variant, vname } from '../core.js';
import { SHOP_ITEMS, type Person, type ShopItem } from '../vocab.js';

const PERCENTS = [10, 20, 25, 50, 5, 15, 30, 40, 75];

function buyFacts(ctx: Ctx, P: Person, it: ShopItem, q: number, p: number, input?: Quantity): Fact[] {
  if (input) return [[`${P.name} buys a number of ${it.p} equal to ${input.ref}.`, `Each ${it.s} costs $${p}.`]];
  return ctx.pick<Fact[]>([
    [`${P.name} buys ${q} ${it.p} for $${p} each.`],
    [[`${P.name} buys ${q} ${it.p}.`, `Each ${it.s} costs $${p}.`]],
    [`${P.name} buys ${q} ${it.p} that cost $${p} each.`],
    [`A ${it.s} costs $${p}, and ${P.name} buys ${q} ${it.p}.`],
  ]);
}

/** Step: cost = count * price. */
function costStep(ctx: Ctx, it: ShopItem, q: number, p: number, input?: Quantity): Quantity {
  const base = vname(it.s);
  const st = ctx.sol.step(`Calculate the cost of the ${it.p}`);
  const c = st.input(`${base}_count`, q, input);
  const pr = st.given(`${base}_price`, p);
  return st.calc(`${base}_cost`, `${c} * ${pr}`);
}

function quantityOk(v: number): boolean {
  return v >= 2 && v <= 5000;
}

/** Picks the bill handed over: a bill bigger than the cost. */
function billFor(ctx: Ctx, cost: number): number {
  if (cost < 100) return ctx.pick([10, 20, 50, 100].filter((b) => b > cost));
  return (Math.floor(cost / 100) + ctx.int(1, 3)) * 100;
}

function changeStep(ctx: Ctx, bill: number, cost: Quantity): Quantity {
  const st = ctx.sol.step('Calculate the change');
  const b = st.given('paid', bill);
  return st.calc('change', `${b} - ${cost.var}`);
}

/** Picks a percent p with (amount * p) divisible by 100, or null. */
function percentFor(ctx: Ctx, amount: number): number | null {
  const ok = PERCENTS.slice(0, ctx.level <= 2 ? 4 : PERCENTS.length).filter((d) => (amount * d) % 100 === 0);
  return ok.length ? ctx.pick(ok) : null;
}

/** discount = amount * percent // 100; final = amount - discount. `amount` may be written in the first step. */
function discountSteps(ctx: Ctx, amount: string | ((st: StepWriter) => string), d: number, finalBase: string): Quantity {
  const st = ctx.sol.step('Calculate the discount');
  const a = typeof amount === 'string' ? amount : amount(st);
  const pc = st.given('discount_percent', d);
  const disc = st.calc('discount', `${a} * ${pc} // 100`);
  const st2 = ctx.sol.step('Subtract the discount');
  return st2.calc(finalBase, `${a} - ${disc.var}`);
}

const buy: Variant = {
  id: 'shopping.buy',
  ops: 1,
  consumes: true,
  gen(ctx, input) {
    const P = ctx.person();
    const it = ctx.fresh(SHOP_ITEMS, (i) => i.s);
    const q = input ? input.value : ctx.big(2, 9);
    if (!quantityOk(q)) return null;
    const p = ctx.big(it.lo, it.hi);
    const facts = buyFacts(ctx, P, it, q, p, input);
    const cost = costStep(ctx, it, q, p, input);
    return {
      facts,
      question: ctx.pick([`How much does ${P.name} spend?`, `How many dollars does ${P.name} spend?`, `How much money does ${P.name} spend on the ${it.p}?`]),
      result: { ...cost, ref: `the amount ${P.name} spends on the ${it.p} in dollars` },
    };
  },
};

const change: Variant = {
  id: 'shopping.change',
  ops: 2,
  consumes: true,
  gen(ctx, input) {
    const P = ctx.person();
    const it = ctx.fresh(SHOP_ITEMS, (i) => i.s);
    const q = input ? input.value : ctx.big(2, 8);
    if (!quantityOk(q)) return null;
    const p = ctx.big(it.lo, it.hi);
    const bill = billFor(ctx, q * p);
    const facts = buyFacts(ctx, P, it, q, p, input);
    facts.push(`${P.name} pays with $${bill}.`);
    const cost = costStep(ctx, it, q, p, input);
    const ch = changeStep(ctx, bill, cost);
    return {
      facts,
      question: ctx.pick([`How much change does ${P.name} get?`, `How many dollars does ${P.name} get back?`]),
      result: { ...ch, ref: `the change ${P.name} gets in dollars` },
    };
  },
};

function twoItems(ctx: Ctx, input?: Quantity): { P: Person; facts: Fact[]; total: Quantity; items: [ShopItem, ShopItem] } | null {
  const P = ctx.person();
  const a = ctx.fresh(SHOP_ITEMS, (i) => i.s);
  const b = ctx.fresh(SHOP_ITEMS, (i) => i.s);
  const q1 = input ? input.value : ctx.big(2, 8);
  if (!quantityOk(q1)) return null;
  const q2 = ctx.big(2, 8);
  const p1 = ctx.big(a.lo, a.hi);
  const p2 = ctx.big(b.lo, b.hi);
  const first = input ? `${P.name} buys a number of ${a.p} equal to ${input.ref}, at $${p1} each.` : `${P.name} buys ${q1} ${a.p} at $${p1} each.`;
  const facts: Fact[] =
    ctx.chance(0.5) && !input
      ? [`${P.name} buys ${q1} ${a.p} at $${p1} each and ${q2} ${b.p} at $${p2} each.`]
      : [[first, `${P.name} also buys ${q2} ${b.p} at $${p2} each.`].map((s, i) => (i === 1 && ctx.chance(0.5) ? s.replace(' also', '') : s))];
  const c1 = costStep(ctx, a, q1, p1, input);
  const c2 = costStep(ctx, b, q2, p2);
  const st = ctx.sol.step('Add the two costs');
  const total = st.calc('total_cost', `${c1.var} + ${c2.var}`);
  return { P, facts, total, items: [a, b] };
}

const twoItemsTotal: Variant = {
  id: 'shopping.two-items',
  ops: 3,
  consumes: true,
  gen(ctx, input) {
    const r = twoItems(ctx, input);
    if (!r) return null;
    return {
      facts: r.facts,
      question: ctx.pick([`How much does ${r.P.name} spend in total?`, `How many dollars does ${r.P.name} spend altogether?`]),
      result: { ...r.total, ref: `the total amount ${r.P.name} spends in dollars` },
    };
  },
};

const twoItemsChange: Variant = {
  id: 'shopping.two-items-change',
  ops: 4,
  consumes: true,
  gen(ctx, input) {
    const r = twoItems(ctx, input);
    if (!r) return null;
    const bill = billFor(ctx, r.total.value);
    r.facts.push(`${r.P.name} pays with $${bill}.`);
    const ch = changeStep(ctx, bill, r.total);
    return {
      facts: r.facts,
      question: ctx.pick([`How much change does ${r.P.name} get?`, `How many dollars does ${r.P.name} get back?`]),
      result: { ...ch, ref: `the change ${r.P.name} gets in dollars` },
    };
  },
};

const salePrice: Variant = {
  id: 'shopping.sale-price',
  ops: 3,
  consumes: true,
  gen(ctx, input) {
    const it = ctx.fresh(SHOP_ITEMS, (i) => i.s);
    let price: number;
    let d: number | null;
    if (input) {
      price = input.value;
      if (price < 2 || price > 100000) return null;
      d = percentFor(ctx, price);
      if (d === null) return null;
    } else {
      d = ctx.pick(PERCENTS.slice(0, ctx.level <= 2 ? 4 : PERCENTS.length));
      const step = 100 / gcd100(d);
      price = step * ctx.int(Math.max(1, Math.ceil(it.lo / step)), Math.max(1, Math.ceil((it.hi * 2 * ctx.scale) / step)));
    }
    const sale = discountSteps(ctx, (st) => st.input(`${vname(it.s)}_price`, price, input), d, 'sale_price');
    const priceFact = input ? `The price of a ${it.s} in dollars is equal to ${input.ref}.` : `A ${it.s} costs $${price}.`;
    return {
      facts: [priceFact, ctx.pick([`It is on sale for ${d}% off.`, `The store takes ${d}% off its price.`])],
      question: ctx.pick([`What is the sale price of the ${it.s} in dollars?`, `How many dollars does the ${it.s} cost after the discount?`]),
      result: { ...sale, ref: `the sale price of the ${it.s} in dollars` },
    };
  },
};

function gcd100(d: number): number {
  let a = 100;
  let b = d;
  while (b) [a, b] = [b, a % b];
  return a;
}

function discountTotal(ctx: Ctx, input: Quantity | undefined, withChange: boolean) {
  const P = ctx.person();
  const it = ctx.fresh(SHOP_ITEMS, (i) => i.s);
  const q = input ? input.value : ctx.big(2, 9);
  if (!quantityOk(q)) return null;
  let p = 0;
  let d: number | null = null;
  for (let tries = 0; tries < 20 && d === null; tries++) {
    p = ctx.big(it.lo, it.hi);
    d = percentFor(ctx, q * p);
  }
  if (d === null) return null;
  const facts = buyFacts(ctx, P, it, q, p, input);
  facts.push(ctx.pick([`The store gives ${P.name} ${d}% off the total.`, `${P.name} gets a ${d}% discount on the whole purchase.`]));
  const cost = costStep(ctx, it, q, p, input);
  const paid = discountSteps(ctx, cost.var, d, 'final_cost');
  if (!withChange) {
    return {
      facts,
      question: ctx.pick([`How much does ${P.name} pay?`, `How many dollars does ${P.name} pay after the discount?`]),
      result: { ...paid, ref: `the amount ${P.name} pays in dollars` },
    };
  }
  const bill = billFor(ctx, paid.value);
  facts.push(`${P.name} pays with $${bill}.`);
  const ch = changeStep(ctx, bill, paid);
  return {
    facts,
    question: ctx.pick([`How much change does ${P.name} get?`, `How many dollars does ${P.name} get back?`]),
    result: { ...ch, ref: `the change ${P.name} gets in dollars` },
  };
}

const discount: Variant = { id: 'shopping.discount', ops: 4, consumes: true, gen: (ctx, input) => discountTotal(ctx, input, false) };
const discountChange: Variant = { id: 'shopping.discount-change', ops: 5, consumes: true, gen: (ctx, input) => discountTotal(ctx, input, true) };

export const shopping: Family = {
  name: 'shopping',
  variants: [buy, change, twoItemsTotal, salePrice, twoItemsChange, discount, discountChange],
};
