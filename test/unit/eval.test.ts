// Unit tests of the evaluation harness: metric math on hand-made samples, dataset specs, and
// crash/resume of the results file with a scripted policy, a fake executor and the real grader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { Completion, GenerateRequest, Policy } from '../../src/models/types.js';
import type { Executor, ExecResult } from '../../src/sandbox/types.js';
import { createJudge } from '../../src/grade/index.js';
import { TAGS } from '../../src/steps/protocol.js';
import { hashSeed } from '../../src/util/rng.js';
import { DEFAULT_SEARCH_CONFIG, type SearchConfig, type SearchDeps } from '../../src/search/types.js';
import { kLadder, majAtK, passAtK, passAtKUnbiased, rmAtK, anyAtK, sampleCurves, type Sample } from '../../src/eval/metrics.js';
import { runEval, type EvalSummary, type ProblemResult } from '../../src/eval/run-eval.js';
import { metaPath, loadResultsForResume, readResultsFile } from '../../src/eval/results-file.js';
import { parseCurriculumSpec, loadDataset, type EvalProblem } from '../../src/eval/datasets.js';

const judge = createJudge();
const eq = (a: string, b: string) => judge.equal(a, b);

// ── metric math ──

const S = (answer: string | null, correct: boolean, tokens = 10, score?: number): Sample =>
  score === undefined ? { answer, correct, tokens } : { answer, correct, tokens, score };

test('kLadder: powers of two up to n, plus n', () => {
  assert.deepEqual(kLadder(1), [1]);
  assert.deepEqual(kLadder(8), [1, 2, 4, 8]);
  assert.deepEqual(kLadder(6), [1, 2, 4, 6]);
  assert.deepEqual(kLadder(0), []);
});

test('maj@k votes among the first k samples; ties go to the answer seen first; invalid samples do not vote', () => {
  const s = [S('7', false), S('1/2', true), S('0.5', true), S('9', false), S(null, false)];
  assert.equal(majAtK(s, 1, eq), false);
  assert.equal(majAtK(s, 2, eq), false, 'tie 7 vs 1/2: first seen wins');
  assert.equal(majAtK(s, 3, eq), true, '1/2 and 0.5 are one class with the real judge');
  assert.equal(majAtK(s, 5, eq), true);
  assert.equal(majAtK([S(null, false), S(null, false)], 2, eq), false);
  assert.equal(majAtK([S(null, false), S('3', true)], 2, eq), true, 'an invalid first sample does not win');
});

test('pass@k: unbiased estimator and coverage', () => {
  assert.equal(passAtKUnbiased(4, 1, 1), 0.25);
  assert.ok(Math.abs(passAtKUnbiased(4, 1, 2) - 0.5) < 1e-12); // 1 − C(3,2)/C(4,2)
  assert.ok(Math.abs(passAtKUnbiased(8, 2, 4) - (1 - 15 / 70)) < 1e-12); // 1 − C(6,4)/C(8,4)
  assert.equal(passAtKUnbiased(4, 0, 4), 0);
  assert.equal(passAtKUnbiased(5, 2, 5), 1);
  assert.throws(() => passAtKUnbiased(2, 1, 3));
  const s = [S('1', false), S('2', false), S('3', true), S('4', false)];
  assert.equal(passAtK(s, 4), 1, 'pass@n is coverage');
  assert.equal(passAtK(s, 1), 0.25);
  assert.equal(anyAtK(s, 2), false);
  assert.equal(anyAtK(s, 3), true);
});

test('rm@k takes the highest-scored answered sample among the first k', () => {
  const s = [S('1', false, 10, 0.2), S(null, false, 10, 0.99), S('3', true, 10, 0.9), S('4', false, 10, 0.95)];
  assert.equal(rmAtK(s, 1), false);
  assert.equal(rmAtK(s, 2), false, 'the invalid sample cannot win');
  assert.equal(rmAtK(s, 3), true);
  assert.equal(rmAtK(s, 4), false);
});

test('sampleCurves: maj, pass, rm and tokens on the k ladder', () => {
  const s = [S('5', false, 3, 0.1), S('6', true, 4, 0.5), S('6', true, 5, 0.4), S('5', false, 6, 0.3)];
  const c = sampleCurves(s, eq);
  assert.deepEqual(c.k, [1, 2, 4]);
  assert.deepEqual(c.maj, [false, false, false]); // 2-2 tie at k=4: "5" seen first
  assert.deepEqual(
    c.pass.map((x) => +x.toFixed(12)),
    [0.5, +(5 / 6).toFixed(12), 1],
  );
  assert.deepEqual(c.rm, [false, true, true]);
  assert.deepEqual(c.tokens, [3, 7, 18]);
  // Best-of-N where no sample has an answer (none scored): rm@k is still recorded, as wrong.
  const none = [S(null, false, 3), S(null, false, 4)];
  assert.equal(sampleCurves(none, eq).rm, undefined);
  assert.deepEqual(sampleCurves(none, eq, true).rm, [false, false]);
});

test('curriculum specs: levels, ranges, defaults, and errors that name the field', async () => {
  assert.deepEqual(parseCurriculumSpec('curriculum:level=3,count=100,seed=999'), { levels: [3], count: 100, seed: 999, split: 'test' });
  assert.deepEqual(parseCurriculumSpec('curriculum:level=2-4,count=5,split=train').levels, [2, 3, 4]);
  assert.deepEqual(parseCurriculumSpec('curriculum:level=1+5').levels, [1, 5]);
  assert.deepEqual(parseCurriculumSpec('curriculum:').levels, [1, 2, 3, 4, 5]);
  assert.throws(() => parseCurriculumSpec('curriculum:level=7'), /field "level"/);
  assert.throws(() => parseCurriculumSpec('curriculum:count=0'), /field "count"/);
  assert.throws(() => parseCurriculumSpec('curriculum:colour=3'), /unknown key "colour"/);
  const d = await loadDataset('curriculum:level=1-2,count=3,seed=999');
  assert.equal(d.problems.length, 6);
  assert.deepEqual([...new Set(d.problems.map((p) => p.level))], [1, 2]);
  assert.ok(d.problems.every((p) => typeof p.subject === 'string' && p.source === 'curriculum'));
});

test('datasets: JSONL records keep subject (or MATH "type") for per-subject breakdowns', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rstar-evalds-'));
  const f = join(dir, 'p.jsonl');
  writeFileSync(
    f,
    [
      { id: 'a', question: 'q1', answer: '1', level: 2, subject: 'Algebra' },
      { id: 'b', question: 'q2', answer: ['2', '-2'], type: 'Geometry' },
    ]
      .map((r) => JSON.stringify(r))
      .join('\n') + '\n',
  );
  const d = await loadDataset(f);
  assert.deepEqual(
    d.problems.map((p) => [p.id, p.subject]),
    [
      ['a', 'Algebra'],
      ['b', 'Geometry'],
    ],
  );
});

// ── the harness with scripted doubles ──

/** "Problem k" questions; the policy answers k*3, except: k%4==3 wrong, k%5==4 failing code; samples vary by seed. */
class CannedPolicy implements Policy {
  readonly name = 'canned';
  async generate(requests: GenerateRequest[]): Promise<Completion[][]> {
    await new Promise((r) => setImmediate(r));
    return requests.map((req) => {
      if (req.stop.includes(TAGS.endOfAnswer)) {
        const m = /<output>([\s\S]*?)<end_of_output>\n?$/.exec(req.prompt);
        return [{ text: `${TAGS.answer}The answer is \\boxed{${(m?.[1] ?? '').trim()}}.\n${TAGS.endOfAnswer}`, tokens: 7, finishReason: 'stop' as const }];
      }
      const k = Number(/Problem (\d+)/.exec(req.prompt)?.[1] ?? 0);
      return Array.from({ length: req.n }, (_, i) => {
        let value: string = String(3 * k);
        if (k === 2) value = '0.5'; // gold \frac{1}{2}: the real judge must accept it
        if (k === 6) value = '-18'; // gold is the list ["18", "-18"]
        const r = req.temperature === 0 ? 0 : hashSeed(req.seed ?? 0, i) % 3;
        if (k % 4 === 3 || r === 1) value = String(3 * k + 1);
        const code = k % 5 === 4 && r !== 2 ? 'fail()' : `print(${value})`;
        const text = `${TAGS.code}\n# Step 1: compute\nx = ${k}\n${TAGS.endOfStep}\n\n# Now print the final answer\n${code}\n${TAGS.endOfCode}`;
        return { text, tokens: 20 + k, finishReason: 'stop' as const };
      });
    });
  }
  async close(): Promise<void> {}
}

class FakeExecutor implements Executor {
  async run(code: string): Promise<ExecResult> {
    await new Promise((r) => setImmediate(r));
    if (/fail\(\)/.test(code)) return { status: 'error', stdout: '', error: 'NameError: fail', ms: 0 };
    const out = [...code.matchAll(/print\(([^)]*)\)/g)].map((m) => m[1]).join('\n');
    return { status: 'ok', stdout: out + '\n', error: null, ms: 0 };
  }
  async close(): Promise<void> {}
}

function problems(): EvalProblem[] {
  return Array.from({ length: 14 }, (_, k) => ({
    id: `p${k}`,
    question: `Problem ${k}: what is three times ${k}?`,
    answer: k === 2 ? '\\frac{1}{2}' : k === 6 ? ['18', '-18'] : String(3 * k),
    level: 1 + (k % 3),
    subject: k % 2 ? 'odd' : 'even',
  }));
}

const deps = (): SearchDeps => ({ policy: new CannedPolicy(), executor: new FakeExecutor(), judge });

/** The summary without the fields that depend on timing or on how the run was split. */
function stable(s: EvalSummary): Partial<EvalSummary> {
  const { wallSeconds: _w, totalWallSeconds: _t, problemSeconds: _p, tokensPerSecond: _r, resumed: _x, meanPolicyBatch: _m, ...rest } = s;
  return rest;
}
const noMs = (r: ProblemResult) => ({ ...r, ms: 0 });

function readLines(f: string): string[] {
  return readFileSync(f, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
}

const SC: SearchConfig = { ...DEFAULT_SEARCH_CONFIG, mode: 'self-consistency', n: 4, seed: 5 };

test('greedy harness: verdicts, list golds, equivalence, per level/subject and the results file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rstar-evalg-'));
  const out = join(dir, 'r.jsonl');
  const { summary, results } = await runEval(problems(), deps(), { ...DEFAULT_SEARCH_CONFIG, mode: 'greedy' }, { concurrency: 3, outFile: out, data: 'test' });
  const byId = new Map(results.map((r) => [r.id, r]));
  assert.equal(byId.get('p2')!.verdict, 'correct', '0.5 == \\frac{1}{2}');
  assert.equal(byId.get('p6')!.verdict, 'correct', '-18 is in the gold list');
  assert.deepEqual(byId.get('p6')!.gold, ['18', '-18']);
  assert.equal(byId.get('p3')!.verdict, 'wrong');
  assert.equal(byId.get('p4')!.verdict, 'invalid');
  assert.equal(byId.get('p4')!.answer, null);
  // Wrong: 3, 7, 11; invalid: 4, 9 → 9 of 14.
  assert.equal(summary.n, 14);
  assert.equal(summary.correct, 9);
  assert.equal(summary.invalid, 2);
  assert.deepEqual(
    summary.perLevel.map((l) => l.level),
    ['1', '2', '3'],
  );
  assert.equal(
    summary.perLevel.reduce((a, l) => a + l.n, 0),
    14,
  );
  assert.deepEqual(
    summary.perSubject.map((g) => g.key),
    ['even', 'odd'],
  );
  assert.deepEqual(summary.accuracyVsTokens, [{ metric: 'pass@1', k: 1, accuracy: 9 / 14, tokensPerProblem: summary.tokensPerProblem }]);
  const lines = readLines(out).map((l) => JSON.parse(l) as ProblemResult);
  assert.equal(lines.length, 14);
  for (const r of lines) {
    assert.ok(['correct', 'wrong', 'invalid'].includes(r.verdict));
    assert.equal(typeof r.prediction, 'string');
    assert.ok(r.tokens > 0 && r.ms >= 0);
  }
  const meta = JSON.parse(readFileSync(metaPath(out), 'utf8'));
  assert.equal(meta.mode, 'greedy');
  assert.equal(meta.sessions.length, 1);
});

test('self-consistency: maj@N equals the mode score; maj@k, pass@k ladder and tokens in the summary', async () => {
  const { summary, results } = await runEval(problems(), deps(), SC, { concurrency: 4 });
  for (const r of results) {
    assert.equal(r.samples!.length, 4);
    assert.deepEqual(r.curves!.k, [1, 2, 4]);
    assert.equal(r.curves!.maj[2], r.correct, `${r.id}: maj@4 is the mode's own vote`);
    assert.equal(r.curves!.tokens[2], r.tokens);
  }
  const metrics = summary.accuracyVsTokens.map((p) => p.metric);
  assert.deepEqual(metrics, ['maj@1', 'maj@2', 'maj@4', 'pass@1', 'pass@2', 'pass@4']);
  const maj4 = summary.accuracyVsTokens[2];
  assert.equal(maj4.accuracy, summary.accuracy);
  assert.equal(maj4.tokensPerProblem, summary.tokensPerProblem);
  const p = Object.fromEntries(summary.accuracyVsTokens.map((x) => [x.metric, x]));
  assert.ok(p['pass@4'].accuracy >= p['pass@1'].accuracy && p['pass@4'].accuracy >= p['maj@4'].accuracy);
  assert.ok(p['maj@1'].tokensPerProblem < p['maj@4'].tokensPerProblem);
  // Without a results file the run's own wall time still drives throughput.
  assert.ok(
    summary.totalWallSeconds > 0 && Math.abs(summary.totalWallSeconds - summary.wallSeconds) < 0.05,
    `${summary.totalWallSeconds} vs ${summary.wallSeconds}`,
  );
  assert.ok(Math.abs(summary.tokensPerSecond - summary.tokensGenerated / summary.totalWallSeconds) < 1e-6);
});

test('resume after a crash (torn last line) gives the same results and summary as an uninterrupted run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rstar-evalr-'));
  const full = join(dir, 'full.jsonl');
  const a = await runEval(problems(), deps(), SC, { concurrency: 3, outFile: full, data: 'test' });

  // The crash: the file ends in the middle of record 6; the sidecar is the one the run wrote.
  const crashed = join(dir, 'crashed.jsonl');
  const text = readFileSync(full, 'utf8');
  const cut = text.split('\n').slice(0, 5).join('\n').length + 1 + 40;
  writeFileSync(crashed, text.slice(0, cut));
  copyFileSync(metaPath(full), metaPath(crashed));

  const infos: Array<{ kept: number; droppedBytes: number }> = [];
  const b = await runEval(problems(), deps(), SC, { concurrency: 2, outFile: crashed, resume: true, data: 'test', onResume: (i) => infos.push(i) });
  assert.deepEqual(
    infos.map((i) => ({ kept: i.kept, dropped: i.droppedBytes })),
    [{ kept: 5, dropped: 40 }],
  );
  assert.equal(b.summary.resumed, 5);
  assert.deepEqual(stable(b.summary), stable(a.summary));
  assert.deepEqual(b.results.map(noMs), a.results.map(noMs));
  // The file now holds every problem exactly once, all lines valid.
  const ids = readLines(crashed).map((l) => (JSON.parse(l) as ProblemResult).id);
  assert.equal(ids.length, 14);
  assert.equal(new Set(ids).size, 14);
  const meta = JSON.parse(readFileSync(metaPath(crashed), 'utf8'));
  assert.equal(meta.sessions.length, 2);
  assert.equal(meta.sessions[1].problems, 9);

  // Resuming a finished file solves nothing and reports the same summary.
  let calls = 0;
  const d = deps();
  const gen = d.policy.generate.bind(d.policy);
  d.policy = { name: 'counting', generate: (r) => (calls++, gen(r)), close: async () => {} };
  const c = await runEval(problems(), d, SC, { concurrency: 2, outFile: crashed, resume: true, data: 'test' });
  assert.equal(calls, 0);
  assert.deepEqual(stable(c.summary), stable(a.summary));
});

test('a torn line that ends in a newline byte is dropped too; corruption elsewhere is an error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rstar-evalt-'));
  const f = join(dir, 'r.jsonl');
  writeFileSync(f, '{"id":"a","correct":true}\n{"id":"b","correct"\n');
  const r = loadResultsForResume(f);
  assert.deepEqual(
    r.results.map((x) => x.id),
    ['a'],
  );
  assert.equal(readFileSync(f, 'utf8'), '{"id":"a","correct":true}\n');
  writeFileSync(f, '{"id":"a"}\nnot json\n{"id":"c"}\n');
  assert.throws(() => loadResultsForResume(f), /r\.jsonl:2: invalid result record/);
});

test('read for a report, a results file is left as it is: a torn tail is skipped, the fields a report reads are checked, a repeated id keeps its first record', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rstar-evalr-'));
  const f = join(dir, 'r.jsonl');
  const rec = (id: string, correct: boolean) => JSON.stringify({ id, level: 1, verdict: correct ? 'correct' : 'wrong', correct, tokens: 10, ms: 5 });
  const text = `${rec('a', true)}\n${rec('b', false)}\n${rec('a', false)}\n{"id":"c","verd`;
  writeFileSync(f, text);
  const r = readResultsFile(f, 'report');
  assert.deepEqual(
    r.results.map((x) => [x.id, x.correct]),
    [
      ['a', true],
      ['b', false],
    ],
  );
  assert.equal(r.duplicates, 1);
  assert.equal(readFileSync(f, 'utf8'), text, 'an eval may still be writing it: never truncated');
  writeFileSync(f, `${rec('a', true)}\n{"id":"b","correct":true}\n`);
  assert.throws(() => readResultsFile(f, 'report'), /r\.jsonl:2: .*verdict/);
  // Resuming needs only the ids.
  assert.deepEqual(
    loadResultsForResume(f).results.map((x) => x.id),
    ['a', 'b'],
  );
});

test('resume refuses a results file from a different run and one without its sidecar', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rstar-evalm-'));
  const out = join(dir, 'r.jsonl');
  const few = problems().slice(0, 3);
  await runEval(few, deps(), SC, { concurrency: 2, outFile: out, data: 'test' });
  await assert.rejects(runEval(few, deps(), { ...SC, seed: 6 }, { concurrency: 2, outFile: out, resume: true }), /cannot resume: seed was 5.*has 6/);
  await assert.rejects(runEval(few, deps(), { ...SC, n: 8 }, { concurrency: 2, outFile: out, resume: true }), /cannot resume: config\.n/);
  await assert.rejects(runEval(few, deps(), { ...SC, mode: 'greedy' }, { concurrency: 2, outFile: out, resume: true }), /cannot resume: mode/);
  const other = problems().slice(1, 4);
  await assert.rejects(runEval(other, deps(), SC, { concurrency: 2, outFile: out, resume: true }), /cannot resume: datasetHash/);
  const bare = join(dir, 'bare.jsonl');
  writeFileSync(bare, '');
  assert.equal(existsSync(metaPath(bare)), false);
  await assert.rejects(runEval(few, deps(), SC, { concurrency: 2, outFile: bare, resume: true }), /meta\.json: not found/);
});

test('a problem whose search throws is recorded as invalid with its error; the run goes on', async () => {
  const d = deps();
  const gen = d.policy.generate.bind(d.policy);
  d.policy = {
    name: 'throws-on-p5',
    generate: async (r) => {
      if (r.some((q) => q.prompt.includes('Problem 5:'))) throw new Error('prompt of 1073 tokens does not fit the model context');
      return gen(r);
    },
    close: async () => {},
  };
  const { summary, results } = await runEval(problems(), d, { ...DEFAULT_SEARCH_CONFIG, mode: 'greedy' }, { concurrency: 2 });
  const p5 = results.find((r) => r.id === 'p5')!;
  assert.equal(p5.verdict, 'invalid');
  assert.match(p5.error ?? '', /does not fit/);
  assert.equal(summary.n, 14);
  assert.equal(summary.errors, 1);
  assert.equal(summary.correct, 8);
});
