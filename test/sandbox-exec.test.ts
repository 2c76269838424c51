/** `rstar exec --json` (runExecCommand): JSONL in, JSONL out, clear errors on malformed input. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { runExecCommand } from '../src/sandbox/exec-command.js';

async function exec(
  input: string,
  opts: { workers?: number } = {},
): Promise<{ code: number; out: Record<string, unknown>[]; err: string }> {
  const inp = new PassThrough();
  const out = new PassThrough();
  const err = new PassThrough();
  let outText = '';
  let errText = '';
  out.on('data', (d: Buffer) => (outText += d.toString('utf8')));
  err.on('data', (d: Buffer) => (errText += d.toString('utf8')));
  inp.end(input);
  const code = await runExecCommand(inp, out, { workers: opts.workers ?? 2, stderr: err });
  const lines = outText.split('\n').filter((l) => l.trim());
  return { code, out: lines.map((l) => JSON.parse(l) as Record<string, unknown>), err: errText };
}

describe('rstar exec --json', () => {
  it('runs each line and answers in input order; stops at a malformed line, keeping earlier results', async () => {
    const good = [
      { id: 'a', code: 'import time\ntime.sleep(0.3)\nprint("slow")' },
      { id: 2, code: 'print(1 + 1)' },
      { id: 'c', code: 'y = x', timeout_ms: 2000 },
      { id: 'd', code: 'while True: pass', timeout_ms: 200 },
    ];
    const input =
      good.map((g) => JSON.stringify(g)).join('\n') +
      '\n\n' + // a blank line is skipped
      '{"id": "bad", "code": 42}\n' +
      JSON.stringify({ id: 'never', code: 'print(0)' }) +
      '\n';
    const r = await exec(input);
    assert.equal(r.code, 2);
    assert.match(r.err, /line 6/);
    assert.match(r.err, /field code/);
    assert.deepEqual(
      r.out.map((o) => [o.id, o.status, o.stdout, o.error]),
      [
        ['a', 'ok', 'slow\n', null],
        [2, 'ok', '2\n', null],
        ['c', 'error', '', "NameError: name 'x' is not defined"],
        ['d', 'timeout', '', 'TimeoutError: execution exceeded 0.2 s'],
      ],
    );
    for (const o of r.out) {
      assert.deepEqual(Object.keys(o).sort(), ['error', 'id', 'ms', 'status', 'stdout']);
      assert.equal(typeof o.ms, 'number');
    }
  });

  it('exits 0 on valid input and reports invalid JSON and unknown fields by line', async () => {
    const ok = await exec('{"id":1,"code":"print(7)"}\n', { workers: 1 });
    assert.equal(ok.code, 0);
    assert.equal(ok.err, '');
    assert.deepEqual(ok.out.map((o) => o.stdout), ['7\n']);
    const bad = await exec('{"id":1,"code":"print(7)"}\n{"id":2,"code":"x",\n', { workers: 1 });
    assert.equal(bad.code, 2);
    assert.match(bad.err, /input line 2: invalid JSON/);
    assert.equal(bad.out.length, 1);
    const typo = await exec('{"id":1,"code":"print(7)","timeoutMs":5}\n', { workers: 1 });
    assert.equal(typo.code, 2);
    assert.match(typo.err, /line 1/);
    assert.match(typo.err, /timeoutMs/);
  });
});
