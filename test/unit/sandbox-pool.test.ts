/**
 * WorkerPool against a scripted double of the fork server (a small Node program speaking the same
 * line protocol), for what the real server cannot be made to do on demand: announce its exit.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WorkerPool, type WorkerSpec } from '../../src/sandbox/pool.js';

/** Echoes `code` back as stdout; for code "retire" it answers an infrastructure failure, announces
 *  its exit in the reply and exits (as server.py does when it cannot wipe or its state changed). */
const DOUBLE = String.raw`
const rl = require('node:readline').createInterface({ input: process.stdin });
process.stdout.write(JSON.stringify({ ready: true, pid: process.pid, uid: 1, seccomp: true, selftest: 'denied', python: 'double' }) + '\n');
rl.on('line', (line) => {
  const req = JSON.parse(line);
  if (req.code === 'retire') {
    process.stdout.write(JSON.stringify({ id: req.id, status: 'crash', stdout: '', error: 'Crash: setup', traceback: null, ms: 1, infra: true, retire: 'test' }) + '\n', () => process.exit(4));
    return;
  }
  process.stdout.write(JSON.stringify({ id: req.id, status: 'ok', stdout: req.code + ' from ' + process.pid, error: null, traceback: null, ms: 1 }) + '\n');
});
`;

function spec(): WorkerSpec {
  return { command: process.execPath, args: ['-e', DOUBLE], env: {}, cwd: process.cwd(), startupTimeoutMs: 30_000 };
}

describe('sandbox pool', () => {
  it('dispatches nothing to a server that announced its exit; the reply is marked infra', async () => {
    const pool = new WorkerPool({ workers: 1, spec, graceMs: 5000, recycleAfter: 1000 });
    const [info] = await pool.start();
    try {
      const [r, next] = await Promise.all([pool.run('retire', 1000), pool.run('a', 1000)]);
      assert.deepEqual([r.status, r.infra], ['crash', true]);
      assert.equal(next.status, 'ok');
      assert.match(next.stdout, /^a from \d+$/);
      assert.notEqual(next.stdout, `a from ${info.pid}`, 'answered by the replacement');
      assert.deepEqual([pool.counters.retired, pool.counters.restarts], [1, 1]);
    } finally {
      await pool.close();
    }
  });
});
