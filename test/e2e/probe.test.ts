import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { rstar } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { parseLevels, probeProblems, summarizeProbe, type ProbeOptions } from '../../src/evolve/probe.js';
import type { ProblemResult } from '../../src/eval/types.js';

const ROUND0 = join(REPO_ROOT, 'models', 'round0');

function result(id: string, level: number, correct: boolean[]): ProblemResult {
  return {
    id,
    level,
    gold: '1',
    prediction: '',
    answer: '1',
    verdict: 'correct',
    correct: correct[0],
    tokens: 10,
    ms: 1,
    samples: correct.map((c) => ({ answer: c ? '1' : '2', correct: c, tokens: 5 })),
  };
}

const OPTS: ProbeOptions = { curriculum: 'v2', levels: [1, 2, 3], count: 2, samples: 4, temperature: 1, seed: 1, split: 'test', policyName: 'round 0' };

test('summarizeProbe: pass@1 is the mean per-problem rate, pass@k the solved fraction; frontier inside the band', () => {
  const s = summarizeProbe(
    OPTS,
    [
      result('a', 1, [true, true, true, true]),
      result('b', 1, [true, true, true, true]),
      result('c', 2, [true, false, false, false]),
      result('d', 2, [false, false, false, false]),
      result('e', 3, [false, false, false, false]),
      result('f', 3, [false, false, false, false]),
    ],
    null,
  );
  assert.deepEqual(
    s.levels.map((l) => [l.level, l.pass1, l.passK, l.correctSamples, l.solvedProblems, l.frontier, l.seed]),
    [
      [1, 1, 1, 8, 2, false, true],
      [2, 0.125, 0.5, 1, 1, true, true],
      [3, 0, 0, 0, 0, false, true],
    ],
  );
  assert.deepEqual(s.frontier, [2]);
  assert.deepEqual(s.warnings, ['round 0 solves 0% of level 3 even with 4 samples: the loop will not climb there']);
});

test('summarizeProbe: no frontier is a warning; a failed search counts its samples as wrong', () => {
  const failed: ProblemResult = { ...result('x', 1, []), samples: undefined, error: 'prompt too long' };
  const s = summarizeProbe({ ...OPTS, levels: [1] }, [failed, result('y', 1, [false, false, false, false])], null);
  assert.equal(s.levels[0].pass1, 0);
  assert.equal(s.levels[0].problems, 2);
  assert.deepEqual(s.frontier, []);
  assert.match(s.warnings[0], /^no frontier: no probed v2 level has pass@4 > 0/);
  assert.match(s.warnings[1], /round 0 solves 0% of level 1 even with 4 samples/);
});

test('probe problems and levels: bad levels are named', () => {
  assert.deepEqual(parseLevels('1-4'), [1, 2, 3, 4]);
  assert.deepEqual(parseLevels('1+5+5'), [1, 5]);
  assert.throws(() => parseLevels('3-1'), /empty range/);
  assert.throws(() => parseLevels('x'), /expected a level/);
  assert.throws(() => probeProblems({ curriculum: 'v1', levels: [6], count: 1, seed: 1, split: 'test' }), /level 6 is outside the v1 levels 1-5/);
  const ps = probeProblems({ curriculum: 'v2', levels: [1, 7], count: 3, seed: 1, split: 'test' });
  assert.deepEqual(
    ps.map((p) => p.level),
    [1, 1, 1, 7, 7, 7],
  );
});

test('rstar gen --ladder --json prints the rungs of each ladder', () => {
  const r = rstar(['gen', '--ladder', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { curriculum: string; levels: Array<{ level: number; seed: boolean; ops: [number, number]; adds: string }> };
  assert.equal(j.curriculum, 'v2');
  assert.deepEqual(
    j.levels.map((l) => l.level),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  );
  assert.deepEqual(
    j.levels.map((l) => l.seed),
    [true, true, true, false, false, false, false, false, false, false],
  );
  assert.ok(j.levels.every((l) => l.ops[0] === l.level && l.ops[1] === l.level && l.adds.length > 0));
  const v1 = JSON.parse(rstar(['gen', '--ladder', '--json', '--curriculum', 'v1']).stdout) as { levels: unknown[] };
  assert.equal(v1.levels.length, 5);
  const g = rstar(['gen', '--level', '10', '--count', '2', '--seed', '3']);
  assert.equal(g.code, 0, g.stderr);
  const rows = g.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.ok(rows.every((p) => p.level === 10 && /^cur2-L10-/.test(p.id) && p.solution === undefined));
  const bad = rstar(['gen', '--level', '11']);
  assert.equal(bad.code, 2);
});

test('rstar probe against the shipped round-0 bundle: JSON shape, pass@k >= pass@1, consistent counts', () => {
  const r = rstar(['probe', '--bundle', ROUND0, '--curriculum', 'v1', '--levels', '1-2', '--count', '3', '--samples', '2', '--greedy', '--json'], {
    timeoutMs: 300_000,
  });
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.format, 'rstar-ts/probe@1');
  assert.equal(j.curriculum, 'v1');
  assert.deepEqual(
    j.levels.map((l: { level: number }) => l.level),
    [1, 2],
  );
  assert.equal(j.problems.length, 6);
  for (const l of j.levels) {
    assert.equal(l.problems, 3);
    assert.equal(l.samples, 2);
    assert.ok(l.passK >= l.pass1, `pass@k ${l.passK} < pass@1 ${l.pass1}`);
    assert.ok(l.correctSamples >= l.solvedProblems && l.correctSamples <= 2 * l.solvedProblems);
    assert.equal(l.pass1, l.correctSamples / 6);
    assert.equal(l.passK, l.solvedProblems / 3);
    assert.equal(typeof l.greedy, 'number');
    const mine = j.problems.filter((p: { level: number }) => p.level === l.level);
    assert.equal(
      mine.reduce((a: number, p: { correct: number }) => a + p.correct, 0),
      l.correctSamples,
    );
  }
  // the bundle was trained on v1 levels 1-2: it solves some of them
  assert.ok(j.levels[0].passK > 0);
  assert.match(r.stderr, /probe: /);
});
