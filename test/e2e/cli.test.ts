import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, mkdirSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { rstar, DEFAULT_BUNDLE } from '../helpers/cli.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'rstar-cli-'));
const oneLine = (s: string) => s.trim().split('\n').length === 1;

test('an unknown flag is a one-line error and a non-zero exit', () => {
  const r = rstar(['solve', '--bogus', 'x']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /unknown option '--bogus'/);
});

test('an empty question is rejected', () => {
  const r = rstar(['solve', '   ']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /question is empty/);
  assert.ok(oneLine(r.stderr), r.stderr);
});

test('a 40k-character question is a clear error (exit 2), never a native crash, as argument or from a file or stdin', () => {
  // A command line of ~30k bytes used to overflow onnxruntime's native stack (exit 139, no message).
  const question = `What is ${'1'.repeat(40_000)} + 1?`;
  const asArg = rstar(['solve', question]);
  assert.equal(asArg.code, 2, asArg.stderr);
  assert.match(asArg.stderr, /the question is \d+ tokens long; the policy's context is 1024 tokens/);
  assert.ok(oneLine(asArg.stderr), asArg.stderr);
  // The argument reached the CLI whole through the launcher's re-exec: same count as from a file.
  const dir = tmp();
  writeFileSync(join(dir, 'q.txt'), question);
  const fromFile = rstar(['solve', '--question-file', join(dir, 'q.txt')]);
  assert.equal(fromFile.code, 2, fromFile.stderr);
  assert.equal(fromFile.stderr, asArg.stderr);
  const fromStdin = rstar(['solve', '--question-file', '-'], { input: question });
  assert.equal(fromStdin.stderr, asArg.stderr);
  const both = rstar(['solve', '--question-file', '-', 'x'], { input: question });
  assert.equal(both.code, 2);
  assert.match(both.stderr, /not both/);
});

test('rstar grade exits 2 on malformed input, naming the line', () => {
  const r = rstar(['grade'], { input: '{"pred":"1","gold":"1"}\n{"pred":"x"}\n' });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /line 2: field "gold"/);
  assert.equal(JSON.parse(r.stdout).equal, true);
});

test('a missing bundle is named', () => {
  const r = rstar(['solve', '--bundle', '/nonexistent/bundle', 'What is 1+1?']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /model bundle not found: \/nonexistent\/bundle/);
  assert.ok(oneLine(r.stderr));
});

test('a corrupt bundle manifest is named with its field', () => {
  const dir = tmp();
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ format: 'rstar-bundle/1', name: 'x' }));
  const r = rstar(['solve', '--bundle', dir, 'What is 1+1?']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /manifest\.json: field "created"/);
  assert.ok(oneLine(r.stderr));
  writeFileSync(join(dir, 'manifest.json'), '{not json');
  const r2 = rstar(['solve', '--bundle', dir, 'What is 1+1?']);
  assert.match(r2.stderr, /manifest\.json: not valid JSON/);
});

test('a bundle whose ONNX file is corrupt is rejected with the file named', () => {
  const dir = tmp();
  for (const f of ['manifest.json', 'tokenizer.json', 'ppm.onnx']) copyFileSync(join(DEFAULT_BUNDLE, f), join(dir, f));
  writeFileSync(join(dir, 'policy.onnx'), 'garbage');
  const r = rstar(['solve', '--bundle', dir, 'What is 1+1?']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /policy\.onnx: cannot load the ONNX model/);
  // The shipped bundle carries its PPM; a corrupt ppm.onnx is named too.
  copyFileSync(join(DEFAULT_BUNDLE, 'policy.onnx'), join(dir, 'policy.onnx'));
  writeFileSync(join(dir, 'ppm.onnx'), 'garbage');
  const p = rstar(['solve', '--bundle', dir, 'What is 1+1?']);
  assert.notEqual(p.code, 0);
  assert.match(p.stderr, /ppm\.onnx/);
  mkdirSync(join(dir, 'empty'));
});

test('a malformed JSONL line in eval data names the file and line', () => {
  const dir = tmp();
  const f = join(dir, 'p.jsonl');
  writeFileSync(f, '{"id":"a","question":"1+1?","answer":"2"}\n{"id":"b","question":"2+2?"}\n');
  const r = rstar(['eval', '--data', f]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /p\.jsonl:2: field "answer"/);
  assert.ok(oneLine(r.stderr));
});

test('a bad option value is rejected', () => {
  const r = rstar(['gen', '--curriculum', 'v1', '--level', '9']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /--level must be between 1 and 5/);
});

test('rstar gen writes deterministic JSONL; levels 1-2 carry solutions, 3-5 do not', () => {
  const a = rstar(['gen', '--level', '2', '--count', '5', '--seed', '7', '--split', 'test']);
  const b = rstar(['gen', '--level', '2', '--count', '5', '--seed', '7', '--split', 'test']);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(a.stdout, b.stdout);
  const rows = a.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(rows.length, 5);
  assert.ok(rows.every((r) => r.level === 2 && typeof r.solution === 'string'));
  const c = rstar(['gen', '--level', '4', '--count', '3', '--seed', '7']);
  assert.ok(
    c.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .every((r) => r.solution === undefined && r.answer),
  );
});
