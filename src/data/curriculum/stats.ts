/**
 * Measures a ladder's distribution per level: operations, distractors, composition, number sizes
 * and phrasing variety (distinct question skeletons), for the docs and the curriculum tests.
 */
import * as vocab from './vocab.js';
import type { ReferenceProblem } from './index.js';

/** Every noun-like string in the word lists (longest first), masked out of skeletons. */
const NOUNS: string[] = (() => {
  const out = new Set<string>();
  const walk = (x: unknown, key: string) => {
    if (typeof x === 'string') {
      if (!['he', 'his', 'him', 'v'].includes(key) && x.length > 2) out.add(x);
    } else if (Array.isArray(x)) x.forEach((y) => walk(y, key));
    else if (x && typeof x === 'object') for (const [k, v] of Object.entries(x)) walk(v, k);
  };
  for (const v of Object.values(vocab)) walk(v, '');
  for (const p of vocab.NAMES) out.delete(p.name);
  return [...out].sort((a, b) => b.length - a.length);
})();
const NAME_RE = new RegExp(`\\b(${vocab.NAMES.map((p) => p.name).join('|')})\\b`, 'g');
const NOUN_RE = new RegExp(`\\b(${NOUNS.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})\\b`, 'gi');
const NUMBER_WORD_RE = /\b(two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\b/gi;

/**
 * A question's phrasing skeleton: numbers, people's names and nouns from the word lists masked, so
 * two questions share a skeleton when only their numbers, names or things differ. An approximation
 * of "distinct templates" (it cannot see templates that differ only in a masked word).
 */
export function phrasingSkeleton(question: string): string {
  return question
    .replace(NAME_RE, 'P')
    .replace(NOUN_RE, 'N')
    .replace(/\$?\d+/g, '#')
    .replace(NUMBER_WORD_RE, '#')
    .replace(/\s+/g, ' ')
    .trim();
}

function quantiles(xs: number[]): { p50: number; p90: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => (s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : 0);
  return { p50: at(0.5), p90: at(0.9), max: s.length ? s[s.length - 1] : 0 };
}

export interface RungStats {
  level: number;
  problems: number;
  seed: boolean;
  ops: { min: number; mean: number; max: number };
  /** Fraction of problems with at least one distractor sentence. */
  distractorRate: number;
  meanDistractors: number;
  /** Fraction of problems chaining two or more families. */
  compositionRate: number;
  threeFamilyRate: number;
  /** The largest number written in each question (digits). */
  maxNumber: { p50: number; p90: number; max: number };
  answer: { p50: number; p90: number; max: number };
  families: Record<string, number>;
  /** Distinct question skeletons among these problems. */
  distinctSkeletons: number;
  meanWords: number;
}

export function rungStats(level: number, problems: ReferenceProblem[]): RungStats {
  const n = problems.length || 1;
  const ops = problems.map((p) => p.ops);
  const families: Record<string, number> = {};
  for (const p of problems) for (const f of p.families) families[f] = (families[f] ?? 0) + 1;
  return {
    level,
    problems: problems.length,
    seed: problems.some((p) => p.solution !== undefined),
    ops: { min: Math.min(...ops), mean: Math.round((ops.reduce((a, b) => a + b, 0) / n) * 100) / 100, max: Math.max(...ops) },
    distractorRate: problems.filter((p) => p.distractors > 0).length / n,
    meanDistractors: Math.round((problems.reduce((a, p) => a + p.distractors, 0) / n) * 100) / 100,
    compositionRate: problems.filter((p) => p.families.length > 1).length / n,
    threeFamilyRate: problems.filter((p) => p.families.length > 2).length / n,
    maxNumber: quantiles(problems.map((p) => Math.max(0, ...(p.question.match(/\d+/g) ?? []).map(Number)))),
    answer: quantiles(problems.map((p) => Number(p.answer))),
    families,
    distinctSkeletons: new Set(problems.map((p) => phrasingSkeleton(p.question))).size,
    meanWords: Math.round((problems.reduce((a, p) => a + p.question.split(/\s+/).length, 0) / n) * 10) / 10,
  };
}

export function ladderStats(levels: Array<{ level: number; problems: ReferenceProblem[] }>): { rungs: RungStats[] } {
  return { rungs: levels.map((l) => rungStats(l.level, l.problems)) };
}
