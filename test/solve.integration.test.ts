import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { rstar } from './helpers/cli.js';
import { generateProblems } from '../src/data/curriculum/index.js';

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

test('rstar solve --json in self-consistency mode reports votes', () => {
  const [p] = generateProblems({ level: 2, count: 1, seed: 4243, split: 'test' });
  const r = rstar(['solve', '--mode', 'self-consistency', '-n', '4', '--json', p.question]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.trajectories.length, 4);
  assert.ok(out.votes.length >= 1);
  assert.equal(out.votes.reduce((a: number, v: { count: number }) => a + v.count, 0) <= 4, true);
});

test('rstar eval gets most fresh level-1 test problems right with the shipped bundle', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rstar-eval-'));
  const file = join(dir, 'l1.jsonl');
  writeFileSync(file, generateProblems({ level: 1, count: 12, seed: 999, split: 'test' }).map((p) => JSON.stringify(p)).join('\n') + '\n');
  const r = rstar(['eval', '--data', file, '--mode', 'greedy', '--json', '--out', join(dir, 'results.jsonl')], { timeoutMs: 300_000 });
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.equal(s.n, 12);
  assert.ok(s.accuracy >= 0.75, `level-1 accuracy ${s.accuracy}`);
  assert.equal(s.perLevel[0].level, '1');
  assert.ok(s.tokensGenerated > 0 && s.wallSeconds > 0);
});
