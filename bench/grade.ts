/**
 * Grader benchmark over the 5000 MATH test answers (../shared/data/rstar-eval/MATH_test.json).
 * Side by side in one run:
 *  - self_boxed: extract("The answer is \boxed{gold}") then equal to gold (the target: all 5000 in
 *    under 30 s on 2 cores; agreement should be 1),
 *  - self_prose: extract("So the final answer is $gold$.") then equal to gold (extraction without a box),
 *  - cross: each gold's boxed text against the next problem's gold — nearly all unequal, so every
 *    comparison runs the full pipeline (numbers, compute engine, sampling) instead of the string
 *    fast path; `equal` counts pairs judged equal (identical answers such as two "2"s included),
 *    and the first pairs judged equal despite different normalized strings are listed.
 * Usage: node dist/bench/grade.js [--n 5000]. Prints one JSON object.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import { extractAnswer, isEquivalent, normalizeAnswer } from '../src/grade/index.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MATH = join(REPO_ROOT, '..', 'shared', 'data', 'rstar-eval', 'MATH_test.json');

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

interface Problem {
  index: number | string;
  answer: string | string[];
}

interface Section {
  gradings: number;
  equal: number;
  agreement: number;
  seconds: number;
  gradings_per_s: number;
  p99_ms: number;
  max_ms: number;
}

function section(pairs: Array<{ text: string; gold: string | string[]; expect: boolean | null }>): Section & { disagreements: string[] } {
  const times: number[] = [];
  let equal = 0;
  let agree = 0;
  const disagreements: string[] = [];
  const t0 = performance.now();
  for (const p of pairs) {
    const t = performance.now();
    const pred = extractAnswer(p.text);
    const ok = pred !== null && isEquivalent(pred, p.gold);
    times.push(performance.now() - t);
    if (ok) equal++;
    if (p.expect === null || ok === p.expect) agree++;
    else if (disagreements.length < 10) disagreements.push(`${JSON.stringify(p.gold)} ← ${JSON.stringify(pred)}`);
  }
  const seconds = (performance.now() - t0) / 1000;
  times.sort((a, b) => a - b);
  return {
    gradings: pairs.length,
    equal,
    agreement: agree / pairs.length,
    seconds: Number(seconds.toFixed(3)),
    gradings_per_s: Math.round(pairs.length / seconds),
    p99_ms: Number(times[Math.floor(times.length * 0.99)].toFixed(2)),
    max_ms: Number(times[times.length - 1].toFixed(2)),
    disagreements,
  };
}

const problems = (JSON.parse(readFileSync(MATH, 'utf8')) as Problem[]).slice(0, arg('n', 5000));
const first = (a: string | string[]) => (Array.isArray(a) ? a[0] : a);

const tStart = performance.now();
const selfBoxed = section(problems.map((p) => ({ text: `The answer is \\boxed{${first(p.answer)}}`, gold: p.answer, expect: true })));
const selfProse = section(problems.map((p) => ({ text: `So the final answer is $${first(p.answer)}$.`, gold: p.answer, expect: true })));
const cross = section(
  problems.map((p, i) => ({ text: `The answer is \\boxed{${first(p.answer)}}`, gold: problems[(i + 1) % problems.length].answer, expect: null })),
);
// Pairs judged equal although their normalized strings differ (for inspection: percent, labels, units).
const crossEqualDifferent = problems
  .map((p, i) => [first(p.answer), first(problems[(i + 1) % problems.length].answer)])
  .filter(([a, b]) => normalizeAnswer(a) !== normalizeAnswer(b) && isEquivalent(a, b))
  .slice(0, 10);
const total = (performance.now() - tStart) / 1000;

console.log(
  JSON.stringify(
    {
      bench: 'grade',
      answers: problems.length,
      cores: availableParallelism(),
      node: process.version,
      gradings_per_s: selfBoxed.gradings_per_s,
      total_seconds: Number(selfBoxed.seconds.toFixed(3)),
      agreement: selfBoxed.agreement,
      self_boxed: selfBoxed,
      self_prose: selfProse,
      cross: { ...cross, agreement: undefined, disagreements: undefined, equal_but_different_strings: crossEqualDifferent },
      all_sections_seconds: Number(total.toFixed(3)),
    },
    null,
    2,
  ),
);
