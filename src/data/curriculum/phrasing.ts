/**
 * Phrasing variety for curriculum v2: question forms built from the result's noun phrase ("What
 * is …?", "Find ….", "How much is …?"), and surface rewrites of the whole question (units written
 * out, number words, synonyms), so the policy reads English rather than a handful of templates.
 * Every rewrite keeps the numbers' values, so answers and reference solutions are unchanged.
 */
import type { Prng } from './rng.js';

const QUESTION_FORMS: Array<(ref: string) => string> = [
  (r) => `What is ${r}?`,
  (r) => `Find ${r}.`,
  (r) => `Calculate ${r}.`,
  (r) => `Work out ${r}.`,
  (r) => `Can you find ${r}?`,
  (r) => `What's ${r}?`,
  (r) => `Determine ${r}.`,
  (r) => `Tell me ${r}.`,
  (r) => `What would ${r} be?`,
];

const NUMBER_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve'];

/** Phrase swaps applied to the whole question, each with its own chance. */
const SYNONYMS: Array<{ p: number; from: RegExp; to: string[] }> = [
  { p: 0.3, from: /\bbuys\b/g, to: ['purchases', 'gets'] },
  { p: 0.3, from: /\bbought\b/g, to: ['purchased', 'got'] },
  { p: 0.4, from: / in total\?/g, to: [' altogether?', ' in all?', ' overall?'] },
  { p: 0.3, from: /(\$\d+) each\./g, to: ['$1 apiece.', '$1 per item.'] },
  { p: 0.3, from: /\bmiles per hour\b/g, to: ['mph', 'miles an hour'] },
  { p: 0.2, from: /\bHow many dollars\b/g, to: ['How much money, in dollars,'] },
  { p: 0.3, from: /\bgives away\b/g, to: ['hands out', 'gives out'] },
];

function question(rng: Prng, own: string, ref: string): string {
  if (ref === '' || rng.chance(0.5)) return own;
  return rng.pick(QUESTION_FORMS)(ref);
}

function surface(rng: Prng, text: string): string {
  let t = text;
  for (const s of SYNONYMS) if (rng.chance(s.p)) t = t.replace(s.from, rng.pick(s.to));
  if (rng.chance(0.25)) t = t.replace(/\$(\d+)/g, '$1 dollars');
  if (rng.chance(0.2)) {
    // Small counts as words ("three boxes"), never money, percents, ordinals or parts of bigger numbers.
    t = t.replace(/(?<![$\d.,])\b([2-9]|1[0-2])\b(?![\d%,.]\d|%| dollars)/g, (m, n: string) => (rng.chance(0.6) ? NUMBER_WORDS[Number(n)] : m));
  }
  return t;
}

export const rephrase = { question, surface, QUESTION_FORMS };
