import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { rstar } from '../helpers/cli.js';
import { generateProblems } from '../../src/data/curriculum/index.js';
import { createJudge } from '../../src/grade/index.js';

const judge = createJudge();

// End to end with the shipped bundle: real ONNX engine, real sandbox, real grader.
test('rstar solve prints steps, the executed output and a boxed answer', () => {
  const [p] = generateProblems({ level: 1, count: 1, seed: 4242, split: 'test' });
  const r = rstar(['solve', p.question]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /── step 1 ──/);
  assert.match(r.stdout, /── output ──/);
  assert.match(r.stdout, /\\boxed\{/);
  assert.match(r.stdout, new RegExp(`answer: ${p.answer}\\b`));
});

test('rstar solve --json in self-consistency mode: votes tally the samples, the majority answer is chosen and right', () => {
  const [p] = generateProblems({ level: 2, count: 1, seed: 4243, split: 'test' });
  const r = rstar(['solve', '--mode', 'self-consistency', '-n', '4', '--json', p.question]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as {
    answer: string | null;
    chosen: number;
    trajectories: Array<{ answer: string | null }>;
    votes: Array<{ answer: string; count: number }>;
  };
  assert.equal(out.trajectories.length, 4);
  const answers = out.trajectories.map((t) => t.answer).filter((a): a is string => a !== null);
  // Every sample with an answer is counted once, in the class of answers equal to it.
  assert.equal(
    out.votes.reduce((a, v) => a + v.count, 0),
    answers.length,
  );
  for (const v of out.votes) assert.equal(v.count, answers.filter((a) => judge.equal(a, v.answer)).length, `votes for ${v.answer}`);
  // The answer is the most-voted one, it is the chosen sample's, and it is right.
  assert.equal(Math.max(...out.votes.map((v) => v.count)), out.votes.find((v) => judge.equal(v.answer, out.answer!))!.count);
  assert.ok(judge.equal(out.trajectories[out.chosen].answer!, out.answer!));
  assert.ok(out.answer !== null && judge.equal(out.answer, p.answer), `${out.answer} vs ${p.answer}`);
});

test('rstar eval gets most fresh level-1 test problems right with the shipped bundle', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rstar-eval-'));
  const file = join(dir, 'l1.jsonl');
  writeFileSync(
    file,
    generateProblems({ level: 1, count: 12, seed: 999, split: 'test' })
      .map((p) => JSON.stringify(p))
      .join('\n') + '\n',
  );
  const r = rstar(['eval', '--data', file, '--mode', 'greedy', '--json', '--out', join(dir, 'results.jsonl')], { timeoutMs: 300_000 });
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.equal(s.n, 12);
  assert.ok(s.accuracy >= 0.75, `level-1 accuracy ${s.accuracy}`);
  assert.equal(s.perLevel[0].level, '1');
  assert.ok(s.tokensGenerated > 0 && s.wallSeconds > 0);
});
