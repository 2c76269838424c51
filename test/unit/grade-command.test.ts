/** `rstar grade --json`: JSONL in, JSONL out, malformed lines reported with line number and field. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { runGradeCommand } from '../../src/grade/grade-command.js';

async function run(input: string): Promise<{ code: number; out: unknown[]; err: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks: string[] = [];
  const errChunks: string[] = [];
  out.on('data', (d: Buffer) => chunks.push(d.toString()));
  err.on('data', (d: Buffer) => errChunks.push(d.toString()));
  const code = await runGradeCommand(Readable.from([input]), out, err);
  const lines = chunks
    .join('')
    .split('\n')
    .filter((l) => l !== '');
  return { code, out: lines.map((l) => JSON.parse(l) as unknown), err: errChunks.join('') };
}

describe('rstar grade --json', () => {
  it('grades each line', async () => {
    const input = [
      JSON.stringify({ pred: 'So the answer is \\boxed{\\frac{1}{2}}.', gold: '0.5' }),
      '',
      JSON.stringify({ pred: 'The answer is 7', gold: '\\text{(B)}' }),
      JSON.stringify({ pred: '\\boxed{(0,0)}', gold: ['(10,0)', '(0, 0)'] }),
      JSON.stringify({ pred: 'no answer', gold: '3' }),
    ].join('\n');
    const r = await run(input);
    assert.equal(r.code, 0);
    assert.equal(r.err, '');
    assert.deepEqual(r.out, [
      { equal: true, pred_extracted: '\\frac{1}{2}', gold_normalized: '0.5' },
      { equal: false, pred_extracted: '7', gold_normalized: '\\text{(B)}' },
      { equal: true, pred_extracted: '(0,0)', gold_normalized: ['(10, 0)', '(0, 0)'] },
      { equal: false, pred_extracted: null, gold_normalized: '3' },
    ]);
  });

  it('stops at a malformed line, naming the line and field, keeping earlier results', async () => {
    const input = [JSON.stringify({ pred: '\\boxed{1}', gold: '1' }), JSON.stringify({ pred: 'x', gold: 5 }), JSON.stringify({ pred: '2', gold: '2' })].join(
      '\n',
    );
    const r = await run(input);
    assert.equal(r.code, 2);
    assert.equal(r.out.length, 1);
    assert.match(r.err, /line 2/);
    assert.match(r.err, /"gold"/);
  });

  it('reports invalid JSON and a missing field', async () => {
    const bad = await run('{"pred": "1", "gold": "1"}\n{not json');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /line 2: invalid JSON/);
    const missing = await run('{"gold": "1"}');
    assert.equal(missing.code, 2);
    assert.match(missing.err, /line 1: field "pred"/);
  });
});
