/** `rstar exec --json` (runExecCommand): JSONL in, JSONL out, clear errors on malformed input. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { runExecCommand } from '../../src/sandbox/exec-command.js';
import { REPO_ROOT } from '../helpers/paths.js';

async function exec(input: string, opts: { workers?: number } = {}): Promise<{ code: number; out: Record<string, unknown>[]; err: string }> {
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
    assert.deepEqual(
      ok.out.map((o) => o.stdout),
      ['7\n'],
    );
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

/** Host pids whose command line carries the tag (every process of a sandbox started with it). */
function tagged(tag: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${p}/cmdline`, 'latin1');
    } catch {
      continue; // exited while we looked
    }
    if (cmdline.includes(tag)) out.push(Number(p));
  }
  return out;
}

/** `rstar exec` as a real process whose sandbox carries a unique tag; results are read as they come. */
function startExec(tag: string) {
  const proc = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'rstar.js'), 'exec', '--workers', '2'], {
    cwd: REPO_ROOT,
    env: { ...process.env, RSTAR_SANDBOX_TAG: tag },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown>> => {
    const r = await lines.next();
    assert.ok(!r.done, `rstar exec ended early: ${stderr}`);
    return JSON.parse(r.value as string) as Record<string, unknown>;
  };
  const send = (o: object): void => void proc.stdin!.write(JSON.stringify(o) + '\n');
  return { proc, next, send, stderr: () => stderr };
}

const OUTLIVER =
  'import os, signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nsignal.signal(signal.SIGHUP, signal.SIG_IGN)\n' +
  'os.close(1)\nos.close(4)\nwhile True: pass';

describe('rstar exec leaves no sandbox process behind', () => {
  it('after it exits, whatever the programs tried', async (t) => {
    const tag = `rstar-test-${randomUUID()}`;
    const x = startExec(tag);
    t.after(() => x.proc.kill('SIGKILL'));
    x.send({ id: 'live', code: 'print(6 * 7)' });
    assert.deepEqual((await x.next()).stdout, '42\n');
    // The tag finds the sandbox while it runs: per server, at least bwrap and the server.
    assert.ok(tagged(tag).length >= 4, `tagged processes: ${tagged(tag).join(' ')}`);
    x.send({ id: 'outlive', code: OUTLIVER, timeout_ms: 1000 });
    x.send({ id: 'pid1', code: 'open("/proc/1/mem", "r+b")' });
    x.proc.stdin!.end();
    const rest = [await x.next(), await x.next()];
    const [code] = (await once(x.proc, 'exit')) as [number];
    assert.equal(code, 0, x.stderr());
    assert.deepEqual(
      rest.map((r) => [r.id, r.status]),
      [
        ['outlive', 'timeout'],
        ['pid1', 'error'],
      ],
    );
    assert.deepEqual(tagged(tag), []);
  });

  it('after it is killed', async (t) => {
    const tag = `rstar-test-${randomUUID()}`;
    const x = startExec(tag);
    t.after(() => x.proc.kill('SIGKILL'));
    x.send({ id: 'live', code: 'print(1)' });
    await x.next();
    x.send({ id: 'outlive', code: OUTLIVER, timeout_ms: 60_000 });
    assert.ok(tagged(tag).length >= 4);
    x.proc.kill('SIGKILL');
    await once(x.proc, 'exit');
    // The kernel tears the namespaces down asynchronously (bwrap dies with its parent, the server
    // with bwrap, everything else with the server): wait for that, with a bound.
    for (let i = 0; i < 100 && tagged(tag).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(tagged(tag), []);
  });
});
