/** The Python sandbox: normal behaviour, cache, concurrency, watchdog, recycling, fail-closed. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSandbox, newOutput, SandboxUnavailableError, UNSAFE_WARNING, type Sandbox } from '../../src/sandbox/index.js';

describe('sandbox: normal programs', { concurrency: false }, () => {
  let sb: Sandbox;
  before(async () => {
    sb = await createSandbox({ workers: 2 });
  });
  after(async () => {
    await sb?.close();
  });

  it('runs inside bwrap as an unprivileged user with seccomp', () => {
    assert.equal(sb.sandboxed, true);
    assert.equal(sb.servers.length, 2);
    for (const s of sb.servers) {
      assert.equal(s.seccomp, true);
      assert.equal(s.selftest, 'denied');
      assert.notEqual(s.uid, 0);
    }
  });

  it('returns the output of a program', async () => {
    const r = await sb.run('x = 2\nprint(x + 3)\nprint("héllo ∑ 😀")');
    assert.equal(r.status, 'ok');
    assert.equal(r.stdout, '5\nhéllo ∑ 😀\n');
    assert.equal(r.error, null);
    assert.ok(Number.isFinite(r.ms) && r.ms >= 0);
  });

  it('prints the value of a final bare expression (str), once', async () => {
    assert.equal((await sb.run('x = 3\nx * 2')).stdout, '6\n');
    assert.equal((await sb.run('x = 3\nprint(x)')).stdout, '3\n');
    assert.equal((await sb.run('None')).stdout, '');
    assert.equal((await sb.run("'a' + 'b'")).stdout, 'ab\n');
    assert.equal((await sb.run('print(1)\nx = 5')).stdout, '1\n');
    const s = await sb.run('from sympy import symbols, solve\nx = symbols("x")\nsolve(x**2 - 4, x)');
    assert.equal(s.stdout, '[-2, 2]\n');
  });

  it('reports errors as the last traceback line, with the snippet-only traceback', async () => {
    const r = await sb.run('a = 1\nb = a + y\nprint(b)');
    assert.equal(r.status, 'error');
    assert.equal(r.error, "NameError: name 'y' is not defined");
    assert.match(r.traceback ?? '', /File "<code>", line 2, in <module>\n\s+b = a \+ y/);
    assert.ok(!/server|<string>/.test(r.traceback ?? ''), r.traceback ?? '');

    const z = await sb.run('print("before")\n1/0');
    assert.equal(z.error, 'ZeroDivisionError: division by zero');
    assert.equal(z.stdout, 'before\n');

    const syn = await sb.run('x = (1 +\n');
    assert.equal(syn.status, 'error');
    assert.match(syn.error ?? '', /^SyntaxError: /);

    // Frames inside libraries are dropped; the snippet's own frames stay.
    const lib = await sb.run('import sympy\ndef f():\n    return sympy.sympify("1 +* 2")\nf()');
    assert.equal(lib.status, 'error');
    assert.match(lib.error ?? '', /^sympy\.core\.sympify\.SympifyError|SyntaxError|TokenError/);
    assert.ok(!(lib.traceback ?? '').includes('site-packages') && !(lib.traceback ?? '').includes('dist-packages'));
    assert.match(lib.traceback ?? '', /line 3, in f/);
  });

  it('times out under the time limit of the run', async () => {
    const r = await sb.run('while True:\n    pass', { timeoutMs: 300 });
    assert.equal(r.status, 'timeout');
    // The server enforced this run's own 0.3 s limit (not the default, not the watchdog).
    assert.equal(r.error, 'TimeoutError: execution exceeded 0.3 s');
    assert.equal(sb.stats().watchdogKills, 0);
  });

  it('caches results by program and dedups identical programs in flight', async () => {
    const code = 'import time\ntime.sleep(0.2)\nprint("cached?")';
    const before = sb.stats();
    const [a, b] = await Promise.all([sb.run(code), sb.run(code)]);
    assert.equal(a.stdout, 'cached?\n');
    assert.equal(b.stdout, 'cached?\n');
    assert.equal([a.cached, b.cached].filter(Boolean).length, 1);
    const c = await sb.run(code);
    assert.equal(c.cached, true);
    assert.equal(c.stdout, 'cached?\n');
    const after = sb.stats();
    assert.equal(after.executed - before.executed, 1);
    assert.equal(after.cacheHits - before.cacheHits, 1);
    assert.equal(after.dedupHits - before.dedupHits, 1);
    // A different time limit is a different key.
    const d = await sb.run(code, { timeoutMs: 4000 });
    assert.notEqual(d.cached, true);
  });

  it('runs on both servers at once', async () => {
    const running = [0, 1].map((i) => sb.run(`import os\nprint(${i}, os.readlink("/proc/self/ns/pid"))`));
    // Both were dispatched at once (one per server), none waits in the queue.
    assert.deepEqual([sb.stats().busy, sb.stats().queued], [2, 0]);
    const rs = await Promise.all(running);
    const [a, b] = rs.map((r) => r.stdout.trim().split(' '));
    assert.deepEqual([a[0], b[0]], ['0', '1']);
    assert.match(a[1], /^pid:\[\d+\]$/);
    assert.notEqual(a[1], b[1], 'two different servers (PID namespaces)');
  });

  it('serves many small programs', async () => {
    const rs = await Promise.all(Array.from({ length: 60 }, (_, i) => sb.run(`print(${i} * ${i})`)));
    rs.forEach((r, i) => assert.equal(r.stdout, `${i * i}\n`));
  });

  it('keeps no state between programs', async () => {
    await sb.run('import math\nmath.pi = 3\nvalue = 41');
    for (let i = 0; i < 3; i++) {
      const r = await sb.run(`import math\nprint(math.pi, ${i})`);
      assert.equal(r.stdout, `3.141592653589793 ${i}\n`);
      const v = await sb.run(`print(value + ${i})`);
      assert.equal(v.error, "NameError: name 'value' is not defined");
    }
  });

  it('supports __name__ == "__main__" and dataclasses', async () => {
    const r = await sb.run('from dataclasses import dataclass\n@dataclass\nclass P:\n    x: int\nif __name__ == "__main__":\n    print(P(3))');
    assert.equal(r.stdout, 'P(x=3)\n');
  });
});

describe('sandbox: supervision', { concurrency: false }, () => {
  it('the watchdog kills and restarts a wedged server', async () => {
    const sb = await createSandbox({ workers: 1, graceMs: 400, cache: false });
    try {
      // Freeze every process of the sandbox (the server can no longer answer).
      for (const pid of descendants(sb.pids()[0])) process.kill(pid, 'SIGSTOP');
      const r = await sb.run('print(1)', { timeoutMs: 300 });
      assert.equal(r.status, 'timeout');
      assert.match(r.error ?? '', /did not answer/);
      const ok = await sb.run('print(2)');
      assert.equal(ok.stdout, '2\n');
      const st = sb.stats();
      assert.equal(st.watchdogKills, 1);
      assert.equal(st.restarts, 1);
    } finally {
      await sb.close();
    }
  });

  it('a server that dies is replaced; the run in flight reports a crash, which is not cached', async () => {
    const sb = await createSandbox({ workers: 1 });
    try {
      const code = 'import time\ntime.sleep(0.2)\nprint(3)';
      const running = sb.run(code); // dispatched synchronously
      assert.equal(sb.stats().busy, 1);
      process.kill(sb.pids()[0], 'SIGKILL');
      const r = await running;
      assert.equal(r.status, 'crash');
      assert.match(r.error ?? '', /the sandbox server exited \(SIGKILL\)/);
      // The same program again runs for real on the replacement.
      const ok = await sb.run(code);
      assert.equal(ok.cached, undefined);
      assert.equal(ok.stdout, '3\n');
      assert.equal((await sb.run(code)).cached, true, 'the real outcome is cached');
      assert.equal(sb.stats().restarts, 1);
    } finally {
      await sb.close();
    }
  });

  it('after a watchdog kill, the queued job goes to the replacement, not the dying server', async () => {
    const sb = await createSandbox({ workers: 1, graceMs: 400 });
    try {
      for (const pid of descendants(sb.pids()[0])) process.kill(pid, 'SIGSTOP');
      const wedged = sb.run('print(1)', { timeoutMs: 300 });
      const queued = sb.run('print(6 * 7)', { timeoutMs: 300 });
      const [w, q] = await Promise.all([wedged, queued]);
      assert.equal(w.status, 'timeout');
      assert.match(w.error ?? '', /did not answer/);
      assert.equal(q.status, 'ok', `queued job: ${q.error}`);
      assert.equal(q.stdout, '42\n');
      // The watchdog's timeout was the infrastructure's, not the program's: not cached.
      const again = await sb.run('print(1)', { timeoutMs: 300 });
      assert.deepEqual([again.status, again.stdout, again.cached], ['ok', '1\n', undefined]);
      assert.deepEqual([sb.stats().watchdogKills, sb.stats().restarts], [1, 1]);
    } finally {
      await sb.close();
    }
  });

  it('recycles servers after many runs without dropping work', async () => {
    const sb = await createSandbox({ workers: 1, cache: false, recycleAfter: 5 });
    try {
      const first = sb.pids()[0];
      for (let i = 0; i < 12; i++) {
        const r = await sb.run(`print(${i})`);
        assert.equal(r.stdout, `${i}\n`);
      }
      // Let a pending replacement finish warming up.
      const done = (): boolean => sb.stats().recycled >= 1 && !sb.pids().includes(first);
      for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(sb.stats().recycled >= 1, 'recycled');
      assert.ok(!sb.pids().includes(first), 'the old server is gone');
      assert.equal(sb.pids().length, 1);
      assert.equal((await sb.run('print("fresh")')).stdout, 'fresh\n');
    } finally {
      await sb.close();
    }
  });

  it('fails closed with an actionable message when bwrap is missing', async () => {
    await assert.rejects(createSandbox({ bwrapPath: '/nonexistent/bwrap' }), (e: Error) => {
      assert.ok(e instanceof SandboxUnavailableError);
      assert.match(e.message, /bubblewrap/);
      assert.match(e.message, /python3-seccomp/);
      assert.match(e.message, /apt-get install/);
      return true;
    });
  });

  it('fails closed, naming user namespaces, when bwrap cannot create its sandbox', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rstar-fake-bwrap-'));
    try {
      chmodSync(dir, 0o755);
      const fake = join(dir, 'bwrap');
      writeFileSync(
        fake,
        '#!/bin/sh\n[ "$1" = --help ] && { echo "    --as-pid-1  Do not install a reaper process with PID=1"; exit 0; }\n' +
          'echo "bwrap: No permissions to create new namespace" >&2\nexit 1\n',
        { mode: 0o755 },
      );
      await assert.rejects(createSandbox({ workers: 1, bwrapPath: fake }), (e: Error) => {
        assert.ok(e instanceof SandboxUnavailableError);
        assert.match(e.message, /user namespaces/);
        assert.match(e.message, /No permissions to create new namespace/);
        return true;
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails closed when bwrap is too old to run the server as pid 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rstar-old-bwrap-'));
    try {
      chmodSync(dir, 0o755);
      const fake = join(dir, 'bwrap');
      writeFileSync(fake, '#!/bin/sh\necho "usage: bwrap [OPTIONS...] [--] COMMAND [ARGS...]"\nexit 0\n', { mode: 0o755 });
      await assert.rejects(createSandbox({ workers: 1, bwrapPath: fake }), (e: Error) => {
        assert.ok(e instanceof SandboxUnavailableError);
        assert.match(e.message, /too old \(bubblewrap >= 0\.8 is needed for --as-pid-1\)/);
        return true;
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('unsafe mode warns loudly and still runs', async () => {
    const warnings: string[] = [];
    const sb = await createSandbox({ workers: 1, unsafeNoSandbox: true, warn: (m) => warnings.push(m) });
    try {
      assert.deepEqual(warnings, [UNSAFE_WARNING]);
      assert.equal(sb.sandboxed, false);
      const r = await sb.run('print(sum(range(10)))');
      assert.equal(r.stdout, '45\n');
      const t = await sb.run('while True: pass', { timeoutMs: 300 });
      assert.equal(t.status, 'timeout');
    } finally {
      await sb.close();
    }
  });
});

describe('sandbox: helpers', () => {
  it('newOutput strips the parent path output', () => {
    assert.equal(newOutput('1\n', '1\n2\n'), '2\n');
    assert.equal(newOutput('', '2\n'), '2\n');
    assert.equal(newOutput('x\n', 'y\n'), 'y\n');
  });
});

/** Host pids of a process and all its descendants. */
function descendants(root: number): number[] {
  const out = [root];
  for (let i = 0; i < out.length; i++) {
    const pid = out[i];
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const t of tasks) {
      try {
        const kids = readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim();
        if (kids) out.push(...kids.split(/\s+/).map(Number));
      } catch {
        /* gone */
      }
    }
  }
  return out;
}
