/**
 * Hostile model output: every case gets its expected classification, nothing escapes, and the pool
 * keeps serving afterwards. Runs against the real bubblewrap + seccomp sandbox (fails closed when it
 * is unavailable: install bubblewrap and python3-seccomp).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSandbox, type Sandbox, type ExecResult, type ExecStatus } from '../src/sandbox/index.js';

const T = 1500; // time limit for the cases that must time out

interface Case {
  name: string;
  code: string;
  status: ExecStatus;
  /** Regex the error must match. */
  error?: RegExp;
  check?: (r: ExecResult) => void;
  timeoutMs?: number;
}

const CASES: Case[] = [
  { name: 'busy loop', code: 'while True: pass', status: 'timeout', error: /^TimeoutError/, timeoutMs: T },
  { name: 'time.sleep(100)', code: 'import time\ntime.sleep(100)', status: 'timeout', timeoutMs: T },
  { name: '10**10**9', code: 'x = 10**10**9', status: 'timeout', timeoutMs: T },
  { name: '[0]*10**10', code: '[0]*10**10', status: 'memory', error: /^MemoryError/ },
  {
    name: 'numpy.ones((10**5,10**5))',
    code: 'import numpy\nnumpy.ones((10**5, 10**5))',
    status: 'memory',
    error: /Unable to allocate/,
  },
  {
    name: 'print loop',
    code: 'while True: print("spam")',
    status: 'output_limit',
    check: (r) => {
      assert.ok(r.stdout.startsWith('spam\n'));
      assert.ok(Buffer.byteLength(r.stdout) <= 65536);
    },
  },
  {
    name: "print('x'*10**8)",
    code: "print('x'*10**8)",
    status: 'output_limit',
    check: (r) => assert.ok(Buffer.byteLength(r.stdout) <= 65536),
  },
  { name: 'fork bomb', code: 'import os\nwhile True:\n    os.fork()', status: 'error', error: /^PermissionError/ },
  {
    name: 'subprocess.run',
    code: 'import subprocess\nsubprocess.run(["/usr/bin/touch", "/tmp/run/pwned"])',
    status: 'error',
    error: /^PermissionError/,
  },
  { name: 'os.system', code: 'import os\nos.system("echo pwned")', status: 'error', error: /^PermissionError/ },
  {
    name: 'os.execv',
    code: 'import os\nos.execv("/usr/bin/true", ["true"])',
    status: 'error',
    error: /^PermissionError/,
  },
  {
    name: 'TCP connect',
    code: 'import socket\nsocket.create_connection(("1.1.1.1", 80), timeout=1)',
    status: 'error',
    error: /^PermissionError/,
  },
  {
    name: 'urllib fetch',
    code: 'import urllib.request\nurllib.request.urlopen("http://1.1.1.1/", timeout=1).read()',
    status: 'error',
    error: /^urllib\.error\.URLError/,
  },
  { name: 'kill the server', code: 'import os\nos.kill(os.getppid(), 9)', status: 'error', error: /^PermissionError/ },
  { name: 'kill everything', code: 'import os\nos.kill(-1, 9)', status: 'error', error: /^PermissionError/ },
  {
    name: 'ptrace the server',
    code: 'import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\nprint(libc.ptrace(16, os.getppid(), 0, 0), ctypes.get_errno())',
    status: 'ok',
    check: (r) => assert.equal(r.stdout, '-1 1\n'),
  },
  {
    name: "the server's memory",
    code: 'import os\nopen(f"/proc/{os.getppid()}/mem", "rb")',
    status: 'error',
    error: /^PermissionError/,
  },
  {
    name: "the server's pipes",
    code: 'import os\nos.listdir(f"/proc/{os.getppid()}/fd")',
    status: 'error',
    error: /^PermissionError/,
  },
  {
    name: 'inherited descriptors',
    code: 'import os\nprint(sorted(int(f) for f in os.listdir("/proc/self/fd")))',
    status: 'ok',
    // stdin (/dev/null), stdout (the output pipe), stderr (/dev/null), the one listdir opens (3),
    // and the result pipe (4): nothing that reaches the protocol.
    check: (r) => assert.equal(r.stdout, '[0, 1, 2, 3, 4]\n'),
  },
  { name: 'write /etc', code: 'open("/etc/rstar", "w").write("x")', status: 'error', error: /Read-only file system/ },
  { name: 'write /usr', code: 'open("/usr/lib/rstar", "w").write("x")', status: 'error', error: /Read-only file system/ },
  { name: 'write /dev/shm', code: 'open("/dev/shm/rstar", "w").write("x")', status: 'error', error: /Read-only file system/ },
  { name: 'write /', code: 'open("/rstar", "w").write("x")', status: 'error', error: /Read-only file system/ },
  {
    name: 'write the home directory',
    code: 'import os\nopen(os.path.expanduser("~/rstar"), "w").write("x")',
    status: 'error',
    error: /^(FileNotFoundError|PermissionError|OSError)/,
  },
  { name: 'write /root', code: 'open("/root/.bashrc", "a").write("x")', status: 'error', error: /^(FileNotFoundError|PermissionError)/ },
  {
    name: 'fill the scratch disk',
    code: 'i = 0\nwhile True:\n    open(f"f{i}", "wb").write(b"x" * (8 << 20))\n    i += 1',
    status: 'error',
    error: /No space left on device/,
  },
  { name: 'a 64 MB file', code: 'open("big", "wb").write(b"x" * (64 << 20))', status: 'error', error: /File too large/ },
  { name: 'ctypes.string_at(0)', code: 'import ctypes\nctypes.string_at(0)', status: 'crash', error: /SIGSEGV/ },
  {
    name: 'unbounded recursion',
    code: 'def f(n):\n    return f(n + 1)\nf(0)',
    status: 'error',
    error: /^RecursionError: maximum recursion depth exceeded/,
  },
  {
    name: 'thread bomb',
    code: 'import threading, time\nwhile True:\n    threading.Thread(target=time.sleep, args=(100,)).start()',
    status: 'error',
    error: /^RuntimeError: can't start new thread/,
  },
  { name: 'sys.exit(3)', code: 'import sys\nprint("a")\nsys.exit(3)', status: 'error', error: /^SystemExit: 3$/ },
  { name: 'sys.exit(0)', code: 'import sys\nprint("a")\nsys.exit(0)', status: 'ok', check: (r) => assert.equal(r.stdout, 'a\n') },
  { name: 'os._exit(0)', code: 'import os\nos._exit(0)', status: 'error', error: /exited early with status 0/ },
  { name: 'input()', code: 'x = input()', status: 'error', error: /^EOFError/ },
  {
    name: 'environment variables',
    code: 'import os\nprint(sorted(os.environ))',
    status: 'ok',
    check: (r) => {
      assert.ok(!r.stdout.includes('RSTAR_TEST_SECRET'), r.stdout);
      const keys = JSON.parse(r.stdout.replace(/'/g, '"')) as string[];
      for (const k of keys) assert.match(k, /^(PATH|PWD|HOME|LANG|LC_ALL|TMPDIR|PYTHON\w+|\w+_NUM_THREADS)$/);
    },
  },
  {
    name: '/proc shows only the sandbox',
    code: 'import os\nprint(sorted(int(p) for p in os.listdir("/proc") if p.isdigit()))\nprint(os.getuid())',
    status: 'ok',
    check: (r) => {
      const [pids, uid] = r.stdout.trim().split('\n');
      assert.ok((JSON.parse(pids) as number[]).length <= 4, pids);
      assert.notEqual(uid, '0');
    },
  },
  {
    name: 'host files are not visible',
    code: 'import os\nprint(sorted(os.listdir("/")))',
    status: 'ok',
    check: (r) => {
      for (const p of ['work', 'root', 'home', 'var', 'opt']) assert.ok(!r.stdout.includes(`'${p}'`), r.stdout);
    },
  },
];

describe('sandbox: hostile input', { concurrency: false }, () => {
  let sb: Sandbox;
  before(async () => {
    process.env.RSTAR_TEST_SECRET = 'hunter2';
    sb = await createSandbox({ workers: 2, cache: false, timeoutMs: 5000 });
  });
  after(async () => {
    await sb?.close();
  });

  it('classifies every hostile case and keeps serving', async () => {
    // Run them two at a time (the pool has two servers) and check each one.
    const results = await Promise.all(CASES.map((c) => sb.run(c.code, { timeoutMs: c.timeoutMs ?? 5000 })));
    const failures: string[] = [];
    CASES.forEach((c, i) => {
      const r = results[i];
      try {
        assert.equal(r.status, c.status, `status (error: ${r.error})`);
        if (c.error) assert.match(r.error ?? '', c.error);
        c.check?.(r);
      } catch (e) {
        failures.push(`${c.name}: ${(e as Error).message}`);
      }
    });
    assert.deepEqual(failures, []);
    // The pool still serves, with nothing left behind by the hostile programs.
    const r = await sb.run('import os\nprint(sorted(os.listdir("/tmp")), os.listdir("."), 6 * 7)');
    assert.equal(r.status, 'ok');
    assert.equal(r.stdout, "['run'] [] 42\n");
    const st = sb.stats();
    assert.equal(st.restarts, 0, 'no server died');
    assert.equal(st.watchdogKills, 0);
  });

  it('state does not leak between programs (math.pi = 3)', async () => {
    const a = await sb.run('import math\nmath.pi = 3\nimport builtins\nbuiltins.len = None\nsecret = 1\nprint(math.pi)');
    assert.equal(a.stdout, '3\n');
    for (let i = 0; i < 4; i++) {
      // both servers
      const b = await sb.run(`import math\nprint(math.pi, len("ab"), ${i})`);
      assert.equal(b.stdout, `3.141592653589793 2 ${i}\n`);
      const c = await sb.run(`print(secret + ${i})`);
      assert.equal(c.error, "NameError: name 'secret' is not defined");
    }
  });

  it('files written by one program are gone for the next', async () => {
    await sb.run('open("note.txt", "w").write("x")\nopen("/tmp/elsewhere", "w").write("y")');
    for (let i = 0; i < 2; i++) {
      const r = await sb.run(`import os\nprint(os.path.exists("note.txt"), os.path.exists("/tmp/elsewhere"), ${i})`);
      assert.equal(r.stdout, `False False ${i}\n`);
    }
  });

  it('a program that signals itself only affects itself', async () => {
    const r = await sb.run('import os, signal\nos.kill(os.getpid(), signal.SIGKILL)');
    assert.equal(r.status, 'crash');
    assert.match(r.error ?? '', /SIGKILL/);
    const ok = await sb.run('print("still here")');
    assert.equal(ok.stdout, 'still here\n');
  });
});
