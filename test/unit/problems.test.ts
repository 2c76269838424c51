import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { loadProblems, parseProblems, saveJsonl, writeJsonl } from '../../src/data/problems.js';
import { generateProblems } from '../../src/data/curriculum/index.js';
import { RSTAR_EVAL } from '../helpers/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'rstar-problems-'));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

async function rejects(path: string, re: RegExp): Promise<void> {
  await assert.rejects(loadProblems(path), (e: Error) => {
    assert.match(e.message, re);
    return true;
  });
}

const rec = (id: string, extra: Record<string, unknown> = {}) => JSON.stringify({ id, question: `What is ${id}?`, answer: '1', ...extra });

test('JSONL: records load, blank lines are skipped, answers are strings or lists of strings', async () => {
  const p = file(
    'ok.jsonl',
    [
      rec('a', { level: 2, source: 'curriculum', solution: '<code>\nprint(1)\n<end_of_code>' }),
      '',
      '   ',
      JSON.stringify({ id: 7, question: 'Q?', answer: 12.5 }),
      JSON.stringify({ id: 'c', question: 'Q?', answer: ['1/2', '0.5'], extra: 'ignored' }),
      '',
    ].join('\r\n'),
  );
  const ps = await loadProblems(p);
  assert.equal(ps.length, 3);
  assert.deepEqual(ps[0], { id: 'a', question: 'What is a?', answer: '1', level: 2, source: 'curriculum', solution: '<code>\nprint(1)\n<end_of_code>' });
  assert.deepEqual(ps[1], { id: '7', question: 'Q?', answer: '12.5' });
  assert.deepEqual(ps[2], { id: 'c', question: 'Q?', answer: ['1/2', '0.5'] });
});

test('rStar eval JSON arrays load: MATH500 and GSM8K', async () => {
  const math = await loadProblems(join(RSTAR_EVAL, 'math500_test.json'));
  assert.equal(math.length, 500);
  assert.equal(math[0].id, 'math500_test-0');
  assert.equal(math[0].source, 'math500_test');
  assert.equal(math[0].answer, '\\left( 3, \\frac{\\pi}{2} \\right)');
  assert.ok(math[0].question.startsWith('Convert the point $(0,3)$'));
  const gsm = await loadProblems(join(RSTAR_EVAL, 'GSM8K_test.json'));
  assert.equal(gsm.length, 1319);
  assert.equal(gsm[0].answer, '18');
  assert.ok(gsm.every((p) => typeof p.answer === 'string' && p.question.length > 0));
  assert.equal(new Set(gsm.map((p) => p.id)).size, 1319);
  // MATH has a few list answers
  const full = await loadProblems(join(RSTAR_EVAL, 'MATH_test.json'));
  assert.ok(full.some((p) => Array.isArray(p.answer)));
});

test('rStar JSON: answer as a number or a list, and element errors name the element line', async () => {
  const p = file('mini_test.json', '[\n  {"index": 0, "question": "A?", "answer": 3},\n  {"index": 1, "question": "B?", "answer": ["x", "y"]}\n]\n');
  assert.deepEqual(await loadProblems(p), [
    { id: 'mini_test-0', question: 'A?', answer: '3', source: 'mini_test' },
    { id: 'mini_test-1', question: 'B?', answer: ['x', 'y'], source: 'mini_test' },
  ]);
  await rejects(
    file('bad_el.json', '[\n  {"index": 0, "question": "A?", "answer": "1"},\n  {"index": 1,\n   "question": "B?"}\n]'),
    /bad_el\.json:3: field "answer" is required/,
  );
  await rejects(file('bad_q.json', '[\n{"index": 0, "answer": "1"}\n]'), /bad_q\.json:2: field "question" is required/);
  await rejects(
    file('bad_syntax.json', '[\n{"index": 0, "question": "A?", "answer": "1"},\n{"index": 1, "question": "B?"\n "answer": "2"}\n]'),
    /bad_syntax\.json:4: invalid JSON/,
  );
  await rejects(file('trailing.json', '[\n{"index": 0, "question": "A?", "answer": "1"},\n]'), /trailing\.json:3: invalid JSON: trailing ","/);
  await rejects(file('open.json', '[\n{"index": 0, "question": "A?", "answer": "1"}\n'), /open\.json:\d+: invalid JSON: the array is not closed/);
  await rejects(
    file('dup.json', '[\n{"index": 0, "question": "A?", "answer": "1"},\n{"index": 0, "question": "B?", "answer": "2"}\n]'),
    /dup\.json:3: duplicate id "dup-0" \(first used on line 2\)/,
  );
});

test('JSONL errors name the file, the line and the field', async () => {
  const lines = [rec('a'), rec('b'), '', rec('c'), rec('d'), rec('e'), JSON.stringify({ id: 'f', question: 'Q?' })];
  await rejects(file('problems.jsonl', lines.join('\n')), /problems\.jsonl:7: field "answer" is required/);
  await rejects(file('noq.jsonl', JSON.stringify({ id: 'x', answer: '1' })), /noq\.jsonl:1: field "question" is required/);
  await rejects(file('noid.jsonl', `${rec('a')}\n${JSON.stringify({ question: 'Q?', answer: '1' })}`), /noid\.jsonl:2: field "id" is required/);
  await rejects(file('emptyq.jsonl', rec('a', { question: '' })), /emptyq\.jsonl:1: field "question" must be a non-empty string/);
  await rejects(file('nullans.jsonl', rec('a', { answer: null })), /nullans\.jsonl:1: field "answer" must be/);
  await rejects(file('emptylist.jsonl', rec('a', { answer: [] })), /emptylist\.jsonl:1: field "answer" must be/);
  await rejects(file('level.jsonl', rec('a', { level: 'hard' })), /level\.jsonl:1: field "level" must be a non-negative integer/);
  await rejects(file('source.jsonl', rec('a', { source: 3 })), /source\.jsonl:1: field "source" must be a string/);
  await rejects(file('array.jsonl', `${rec('a')}\n[1, 2]`), /array\.jsonl:2: expected a JSON object/);
});

test('JSONL: bad JSON is reported with its line; duplicate ids with both lines', async () => {
  await rejects(file('badjson.jsonl', `${rec('a')}\n\n{"id": "b", "question": "Q?", "answer": }\n`), /badjson\.jsonl:3: invalid JSON/);
  await rejects(file('dup.jsonl', `${rec('a')}\n${rec('b')}\n\n${rec('a')}`), /dup\.jsonl:4: duplicate id "a" \(first used on line 1\)/);
  await rejects(file('empty.jsonl', '\n\n'), /empty\.jsonl: no problems/);
  await rejects(join(dir, 'missing.jsonl'), /missing\.jsonl: cannot read/);
});

test('writeJsonl / saveJsonl round-trip curriculum problems through loadProblems', async () => {
  const ps = [...generateProblems({ level: 1, count: 20, seed: 1, split: 'train' }), ...generateProblems({ level: 4, count: 20, seed: 1, split: 'test' })];
  const path = join(dir, 'out', 'curriculum.jsonl');
  assert.equal(await saveJsonl(path, ps), 40);
  const back = await loadProblems(path);
  assert.equal(back.length, 40);
  for (let i = 0; i < ps.length; i++) {
    assert.equal(back[i].id, ps[i].id);
    assert.equal(back[i].question, ps[i].question);
    assert.equal(back[i].answer, ps[i].answer);
    assert.equal(back[i].level, ps[i].level);
    assert.equal(back[i].solution, ps[i].solution);
  }
  assert.equal(readFileSync(path, 'utf8').split('\n').length, 41);
  // a stream with a tiny buffer exercises backpressure
  const s = new PassThrough({ highWaterMark: 16 });
  const chunks: string[] = [];
  s.on('data', (c: Buffer) => chunks.push(c.toString()));
  async function* gen() {
    for (const p of ps) yield p;
  }
  assert.equal(await writeJsonl(s, gen()), 40);
  s.end();
  assert.deepEqual(
    parseProblems(chunks.join(''), 'stream.jsonl').map((p) => p.id),
    ps.map((p) => p.id),
  );
});
