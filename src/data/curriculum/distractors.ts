import type { Prng } from './rng.js';

/** Sentences with a number that no question in the curriculum needs. `key` must not occur in the problem. */
const DISTRACTORS: Array<{ key: string; lo: number; hi: number; make: (name: string, n: number) => string }> = [
  { key: 'cousin', lo: 2, hi: 14, make: (p, n) => `${p} has ${n} cousins.` },
  { key: 'window', lo: 3, hi: 20, make: (p, n) => `There are ${n} windows in ${p}'s classroom.` },
  { key: 'novel', lo: 20, hi: 300, make: (p, n) => `${p} read ${n} pages of a novel last week.` },
  { key: 'goldfish', lo: 2, hi: 12, make: (p, n) => `${p} has ${n} goldfish at home.` },
  { key: 'floor', lo: 3, hi: 40, make: (p, n) => `The building next to ${p}'s school has ${n} floors.` },
  { key: 'bus stop', lo: 4, hi: 60, make: (p, n) => `${p}'s town has ${n} bus stops.` },
  { key: 'tulip', lo: 5, hi: 80, make: (p, n) => `Last spring, ${p} planted ${n} tulips.` },
  { key: 'school', lo: 5, hi: 45, make: (p, n) => `${p}'s walk to school takes ${n} minutes.` },
  { key: 'degree', lo: 40, hi: 95, make: (_p, n) => `The temperature outside is ${n} degrees.` },
  { key: 'song', lo: 3, hi: 30, make: (p, n) => `${p} listened to ${n} songs that morning.` },
  { key: 'email', lo: 2, hi: 50, make: (p, n) => `${p} got ${n} emails today.` },
  { key: 'spoon', lo: 4, hi: 24, make: (_p, n) => `There are ${n} spoons in the kitchen drawer.` },
  { key: 'street', lo: 10, hi: 999, make: (p, n) => `${p} lives at number ${n} on Oak Street.` },
  { key: 'jigsaw', lo: 100, hi: 1000, make: (p, n) => `${p}'s favorite jigsaw has ${n} pieces.` },
  { key: 'pet', lo: 2, hi: 15, make: (p, n) => `${p}'s pet turtle is ${n} years old.` },
];

/** One distractor sentence whose key word and number do not already appear in `text`. */
export function distractor(rng: Prng, text: string, names: string[], otherName: string): string {
  const lower = text.toLowerCase();
  const ok = DISTRACTORS.filter((d) => !lower.includes(d.key));
  for (;;) {
    const d = rng.pick(ok);
    const n = rng.int(d.lo, d.hi);
    if (new RegExp(`(^|[^0-9])${n}([^0-9]|$)`).test(text)) continue;
    const who = names.length && rng.chance(0.6) ? rng.pick(names) : otherName;
    return d.make(who, n);
  }
}
