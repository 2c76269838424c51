/**
 * Grader benchmark over the 5000 MATH test answers (../shared/data/rstar-eval/MATH_test.json).
 * Three passes, each measured cold and warm side by side in one run:
 *  - self_boxed: extract("The answer is \boxed{gold}") then equal to gold (the target: all 5000 in
 *    under 30 s on 2 cores; agreement should be 1),
 *  - self_prose: extract("So the final answer is $gold$.") then equal to gold (extraction without a box),
 *  - cross: each gold's boxed text against the next problem's gold — nearly all unequal, so every
 *    comparison runs the full pipeline (numbers, compute engine, sampling) instead of the string
 *    fast path; `equal` counts pairs judged equal (identical answers such as two "2"s included),
 *    and the first pairs judged equal despite different normalized strings are listed.
 * Cold: the pass alone in a fresh node process (empty answer and parse caches; the compute engine
 * is created on first use inside the pass; the grader's import time is reported apart). Warm: in
 * this process, the same pass again right after a run of it filled the caches. Medians over --reps.
 * Usage: node dist/bench/grade.js [--n 5000] [--reps 3]. Prints one JSON object.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableParallelism, loadavg } from 'node:os';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MATH = join(REPO_ROOT, '..', 'shared', 'data', 'rstar-eval', 'MATH_test.json');
const PASSES = ['self_boxed', 'self_prose', 'cross'] as const;
type PassName = (typeof PASSES)[number];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const numArg = (name: string, dflt: number) => (arg(name) === undefined ? dflt : Number(arg(name)));

interface Problem {
  index: number | string;
  answer: string | string[];
}
type Grader = typeof import('../src/grade/index.js');
interface Pair {
  text: string;
  gold: string | string[];
  expect: boolean | null;
}
interface PassResult {
  gradings: number;
  equal: number;
  agreement: number;
  seconds: number;
  p99_ms: number;
  max_ms: number;
  disagreements: string[];
}

const first = (a: string | string[]) => (Array.isArray(a) ? a[0] : a);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const r3 = (x: number) => Number(x.toFixed(3));

function pairs(problems: Problem[], pass: PassName): Pair[] {
  switch (pass) {
    case 'self_boxed':
      return problems.map((p) => ({ text: `The answer is \\boxed{${first(p.answer)}}`, gold: p.answer, expect: true }));
    case 'self_prose':
      return problems.map((p) => ({ text: `So the final answer is $${first(p.answer)}$.`, gold: p.answer, expect: true }));
    case 'cross':
      return problems.map((p, i) => ({ text: `The answer is \\boxed{${first(p.answer)}}`, gold: problems[(i + 1) % problems.length].answer, expect: null }));
  }
}

function runPass(g: Grader, ps: Pair[]): PassResult {
  const times: number[] = [];
  let equal = 0;
  let agree = 0;
  const disagreements: string[] = [];
  const t0 = performance.now();
  for (const p of ps) {
    const t = performance.now();
    const pred = g.extractAnswer(p.text);
    const ok = pred !== null && g.isEquivalent(pred, p.gold);
    times.push(performance.now() - t);
    if (ok) equal++;
    if (p.expect === null || ok === p.expect) agree++;
    else if (disagreements.length < 10) disagreements.push(`${JSON.stringify(p.gold)} ← ${JSON.stringify(pred)}`);
  }
  const seconds = (performance.now() - t0) / 1000;
  times.sort((a, b) => a - b);
  return {
    gradings: ps.length,
    equal,
    agreement: agree / ps.length,
    seconds: r3(seconds),
    p99_ms: Number(times[Math.floor(times.length * 0.99)].toFixed(2)),
    max_ms: Number(times[times.length - 1].toFixed(2)),
    disagreements,
  };
}

const problems = (JSON.parse(readFileSync(MATH, 'utf8')) as Problem[]).slice(0, numArg('n', 5000));
const coldPass = arg('cold-pass') as PassName | undefined;

if (coldPass) {
  // Child: one cold pass in a fresh process.
  const t0 = performance.now();
  const g: Grader = await import('../src/grade/index.js');
  const importSeconds = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ import_seconds: r3(importSeconds), ...runPass(g, pairs(problems, coldPass)) }));
} else {
  const reps = numArg('reps', 3);
  const loadBefore = loadavg()[0];
  const self = fileURLToPath(import.meta.url);
  const cold = (pass: PassName) =>
    JSON.parse(execFileSync(process.execPath, [self, '--cold-pass', pass, '--n', String(problems.length)], { encoding: 'utf8' })) as PassResult & {
      import_seconds: number;
    };
  const g: Grader = await import('../src/grade/index.js');
  const out: Record<string, unknown> = {};
  for (const pass of PASSES) {
    const ps = pairs(problems, pass);
    const colds = Array.from({ length: reps }, () => cold(pass));
    runPass(g, ps); // fills the caches
    const warms = Array.from({ length: reps }, () => runPass(g, ps));
    const c = colds[0];
    out[pass] = {
      gradings: c.gradings,
      equal: c.equal,
      ...(pass === 'cross' ? {} : { agreement: c.agreement, disagreements: c.disagreements }),
      same_verdicts_cold_and_warm: colds.every((x) => x.equal === c.equal) && warms.every((x) => x.equal === c.equal),
      cold_seconds_median: r3(median(colds.map((x) => x.seconds))),
      cold_seconds: colds.map((x) => x.seconds),
      cold_gradings_per_s: Math.round(c.gradings / median(colds.map((x) => x.seconds))),
      cold_p99_ms: median(colds.map((x) => x.p99_ms)),
      cold_import_seconds_median: r3(median(colds.map((x) => x.import_seconds))),
      warm_seconds_median: r3(median(warms.map((x) => x.seconds))),
      warm_seconds: warms.map((x) => x.seconds),
      warm_gradings_per_s: Math.round(c.gradings / median(warms.map((x) => x.seconds))),
      warm_p99_ms: median(warms.map((x) => x.p99_ms)),
    };
  }
  // Pairs judged equal although their normalized strings differ (for inspection: percent, labels, units).
  const crossEqualDifferent = problems
    .map((p, i) => [first(p.answer), first(problems[(i + 1) % problems.length].answer)])
    .filter(([a, b]) => g.normalizeAnswer(a) !== g.normalizeAnswer(b) && g.isEquivalent(a, b))
    .slice(0, 10);
  console.log(
    JSON.stringify(
      {
        bench: 'grade',
        command: ['node dist/bench/grade.js', ...process.argv.slice(2)].join(' '),
        data: '../shared/data/rstar-eval/MATH_test.json',
        answers: problems.length,
        reps,
        cores: availableParallelism(),
        node: process.version,
        load_average_1m: { before: r3(loadBefore), after: r3(loadavg()[0]) },
        cold: 'each pass alone in a fresh node process: empty caches, compute engine created on first use; import time apart',
        warm: 'the same pass again in one process right after a run of it filled the answer and parse caches',
        ...out,
        cross_equal_but_different_strings: crossEqualDifferent,
      },
      null,
      2,
    ),
  );
}
