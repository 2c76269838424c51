/**
 * Hostile model output: every case gets its expected classification, nothing escapes, and the pool
 * keeps serving afterwards. Runs against the real bubblewrap + seccomp sandbox (fails closed when it
 * is unavailable: install bubblewrap and python3-seccomp).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSandbox, type Sandbox, type ExecResult, type ExecStatus } from '../../src/sandbox/index.js';

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
    code: 'import os\nprint(sorted(int(p) for p in os.listdir("/proc") if p.isdigit()) == [1, os.getpid()], os.getppid())\nprint(os.getuid())',
    status: 'ok',
    check: (r) => {
      // Only the fork server (pid 1, our parent) and this program.
      const [procs, uid] = r.stdout.trim().split('\n');
      assert.equal(procs, 'True 1');
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

/**
 * Issue 15 regressions. One server, so the innocent request after each case runs on the same server
 * the case attacked; it checks that the answer is right, that no process but the server (pid 1) and
 * itself exists, and that the scratch area is clean. No case may cost the server its life.
 */
interface Regression {
  name: string;
  code: string;
  status: ExecStatus;
  stdout?: string;
  error?: RegExp;
  timeoutMs?: number;
}

const EPERM_PROBE = String.raw`
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
out = []
def t(name, f):
    try:
        r = f()
    except OSError as e:
        out.append(e.errno)
        return
    if isinstance(r, int) and r < 0:
        out.append(ctypes.get_errno())
    else:
        out.append(name)
`;

const REGRESSIONS: Regression[] = [
  {
    // Breach 1: pid 1 is the fork server itself (non-dumpable, filtered, no capabilities), not a
    // bwrap init that a program can write code into through /proc/1/mem.
    name: 'pid 1 is not injectable',
    code: String.raw`
import os, ctypes
libc = ctypes.CDLL(None, use_errno=True)
r = [os.getppid()]
for path, mode in [("/proc/1/mem", "r+b"), ("/proc/1/syscall", "r"), ("/proc/1/environ", "rb"), ("/proc/1/maps", "r")]:
    try:
        open(path, mode)
        r.append("opened " + path)
    except PermissionError:
        r.append("denied")
r.append(libc.ptrace(16, 1, 0, 0) == -1 and ctypes.get_errno())
status = dict(l.split(":\t", 1) for l in open("/proc/1/status").read().splitlines() if ":\t" in l)
r.append((status["Seccomp"], status["CapEff"], status["CapBnd"], status["NoNewPrivs"]))
print(r)
`,
    status: 'ok',
    stdout: "[1, 'denied', 'denied', 'denied', 'denied', 1, ('2', '0000000000000000', '0000000000000000', '1')]\n",
  },
  {
    // Breach 2: SysV and POSIX IPC are denied (they would outlive the run and hold memory outside
    // RLIMIT_AS); the next request checks that this worker's IPC namespace holds nothing.
    name: 'SysV IPC is denied',
    code:
      EPERM_PROBE +
      String.raw`
t("shmget", lambda: libc.shmget(0, 1 << 30, 0o1600))
t("shmget key", lambda: libc.shmget(0x5EED, 1 << 20, 0o1666))
t("shmat", lambda: libc.shmat(0, None, 0))
t("msgget", lambda: libc.msgget(0x5EED, 0o1666))
t("semget", lambda: libc.semget(0x5EED, 1, 0o1666))
t("mq_open", lambda: libc.syscall(240, b"q", 0o100 | 2, 0o600, None))
print(out)
`,
    status: 'ok',
    stdout: '[1, 1, 1, 1, 1, 1]\n',
  },
  {
    name: 'nothing IPC persists into the next request',
    code: 'print([len(open(f"/proc/sysvipc/{k}").read().splitlines()) for k in ("shm", "msg", "sem")])',
    status: 'ok',
    stdout: '[1, 1, 1]\n', // the header line only
  },
  {
    // Breach 3: rlimits, priority, scheduling, affinity, I/O priority of any process but the caller.
    name: 'the fork server cannot be changed',
    code:
      EPERM_PROBE +
      String.raw`
import resource
p = os.getppid()
t("prlimit AS", lambda: resource.prlimit(p, resource.RLIMIT_AS, (1 << 26, 1 << 26)))
t("prlimit NOFILE", lambda: resource.prlimit(p, resource.RLIMIT_NOFILE, (8, 8)))
t("prlimit64 high bits", lambda: libc.syscall(302, (1 << 32) | p, 7, None, None))
t("setpriority", lambda: os.setpriority(os.PRIO_PROCESS, p, 19))
t("setpriority pgrp", lambda: os.setpriority(os.PRIO_PGRP, 0, 19))
t("setpriority user", lambda: os.setpriority(os.PRIO_USER, 0, 19))
t("sched_setscheduler", lambda: os.sched_setscheduler(p, os.SCHED_IDLE, os.sched_param(0)))
t("sched_setparam", lambda: os.sched_setparam(p, os.sched_param(0)))
t("sched_setaffinity", lambda: os.sched_setaffinity(p, {0}))
t("ioprio_set", lambda: libc.syscall(251, 1, p, 7 << 13))
t("ioprio_set pgrp", lambda: libc.syscall(251, 2, 0, 7 << 13))
# Its own limits and priority stay the program's business.
resource.setrlimit(resource.RLIMIT_NOFILE, (32, 32))
os.setpriority(os.PRIO_PROCESS, 0, 5)
os.sched_setaffinity(0, os.sched_getaffinity(0))
print(out, resource.getrlimit(resource.RLIMIT_NOFILE), os.getpriority(os.PRIO_PROCESS, 0))
`,
    status: 'ok',
    stdout: '[1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1] (32, 32) 5\n',
  },
  {
    // Weakness 4: signal routing to another process (SIGIO owner + F_SETSIG) in all its forms.
    name: 'no signal routing to the server',
    code:
      EPERM_PROBE +
      String.raw`
import socket, fcntl, signal, struct
a, b = socket.socketpair()
fd, p = a.fileno(), os.getppid()
t("F_SETOWN", lambda: fcntl.fcntl(fd, fcntl.F_SETOWN, p))
t("F_SETOWN pgrp", lambda: fcntl.fcntl(fd, fcntl.F_SETOWN, -os.getpgrp()))
t("F_SETOWN_EX", lambda: fcntl.fcntl(fd, 15, struct.pack("ii", 1, p)))
t("F_SETSIG", lambda: fcntl.fcntl(fd, 10, signal.SIGKILL))
t("O_ASYNC", lambda: fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_ASYNC))
t("FIOSETOWN", lambda: fcntl.ioctl(fd, 0x8901, struct.pack("i", p)))
t("SIOCSPGRP", lambda: fcntl.ioctl(fd, 0x8902, struct.pack("i", p)))
t("FIOASYNC", lambda: fcntl.ioctl(fd, 0x5452, struct.pack("i", 1)))
buf = ctypes.create_string_buffer(struct.pack("i", p))
t("FIOSETOWN high bits", lambda: libc.syscall(16, fd, (1 << 32) | 0x8901, buf))
t("fcntl high bits", lambda: libc.syscall(72, fd, (1 << 32) | 8, p))
t("F_SETLEASE", lambda: fcntl.fcntl(os.open(".", os.O_RDONLY), fcntl.F_SETLEASE, fcntl.F_RDLCK))
b.send(b"x")
print(out)
`,
    status: 'ok',
    stdout: '[1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n',
  },
  {
    // Weakness 6a: nested directories chmod-ed to 0.
    name: 'chmod-0 nested directories',
    code: String.raw`
import os
os.makedirs("a/b/c/d")
open("a/b/c/d/f", "w").write("x")
os.symlink("/tmp", "a/b/loop")
for p in ["a/b/c/d", "a/b/c", "a/b", "a"]:
    os.chmod(p, 0)
os.chmod("/tmp", 0)
print("ok")
`,
    status: 'ok',
    stdout: 'ok\n',
  },
  {
    // Weakness 6b: a tree deeper than any recursive wipe, with a chmod-0 directory half way down.
    name: '3000-deep directories',
    code: String.raw`
import os
for i in range(3000):
    os.mkdir("d")
    os.chdir("d")
    if i == 1500:
        os.chmod(".", 0o300)
print("deep")
`,
    status: 'ok',
    stdout: 'deep\n',
  },
  {
    // Weakness 6c: the private /tmp bounds inodes, so a directory (or file) flood stops early with
    // ENOSPC instead of taking kernel memory and a long wipe.
    name: 'directory and file flood',
    code: String.raw`
import os, time
n, t0 = 0, time.time()
try:
    while time.time() - t0 < 3:
        os.mkdir(f"d{n}")
        n += 1
except OSError as e:
    err = e.errno
m = 0
try:
    while True:
        open(f"/tmp/f{m}", "w").close()
        m += 1
except OSError as e:
    err2 = e.errno
print(n < 4096, err, m < 4096, err2)
`,
    status: 'ok',
    stdout: 'True 28 True 28\n',
  },
  {
    // The same class through /proc: the child is non-dumpable like its server, so it cannot renice
    // the session's autogroup (shared with the server) or touch the server's /proc files.
    name: 'no changes to the server through /proc',
    code:
      EPERM_PROBE +
      String.raw`
for path, data in [("/proc/self/autogroup", "19"), ("/proc/1/autogroup", "19"), ("/proc/1/oom_score_adj", "1000"),
                   ("/proc/1/comm", "x"), ("/proc/1/timerslack_ns", "1000000"), ("/proc/sys/user/max_user_namespaces", "9")]:
    t(path, lambda: os.write(os.open(path, os.O_WRONLY), data.encode()))
print(out, open("/proc/1/autogroup").read().split()[-1])
`,
    status: 'ok',
    stdout: '[13, 13, 13, 13, 1, 13] 0\n',
  },
  {
    // Weakness 7: memfd_create would hold memory outside RLIMIT_AS.
    name: 'memfd_create is denied',
    code: EPERM_PROBE + 't("memfd", lambda: os.memfd_create("x"))\nt("memfd libc", lambda: libc.memfd_create(b"y", 0))\nprint(out)',
    status: 'ok',
    stdout: '[1, 1]\n',
  },
  {
    // Weakness 8: a forged report before a crash is overruled by the exit status.
    name: 'forged ok, then a segfault',
    code: 'import os, ctypes\nos.write(4, b\'\\n{"status": "ok", "error": null, "traceback": null}\\n\')\nctypes.string_at(0)',
    status: 'crash',
    error: /SIGSEGV/,
  },
  {
    name: 'forged ok, then an exception',
    code: 'import os\nos.write(4, b\'{"status": "ok", "error": null, "traceback": null}\\n\')\nraise ValueError("real")',
    status: 'error',
    error: /^ValueError: real$/,
  },
  {
    name: 'forged ok, channels closed, then no end',
    code: 'import os\nos.write(4, b\'\\n{"status": "ok", "error": null, "traceback": null}\\n\')\nos.close(1)\nos.close(4)\nwhile True: pass',
    status: 'timeout',
    timeoutMs: 1000,
  },
  {
    name: 'forged setup failure',
    code: 'import os\nos.write(4, b"Esandbox setup failed")\nos._exit(71)',
    status: 'error',
    error: /exited early with status 71/,
  },
  {
    // Nothing outlives its request: a program that ignores SIGTERM and hides from the pipes is still
    // gone when the next request runs (the innocent check lists /proc).
    name: 'a program that ignores the end of its request',
    code: 'import os, signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nsignal.signal(signal.SIGHUP, signal.SIG_IGN)\nos.close(1)\nos.close(4)\nwhile True: pass',
    status: 'timeout',
    timeoutMs: 1000,
  },
];

const INNOCENT = String.raw`
import os, sympy
x = sympy.symbols("x")
procs = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
print(sympy.solve(x**2 - 4, x), procs == [1, os.getpid()], sorted(os.listdir("/tmp")), os.listdir("."))
`;

describe('sandbox: issue 15 regressions, each followed by an innocent request on the same server', { concurrency: false }, () => {
  let sb: Sandbox;
  before(async () => {
    sb = await createSandbox({ workers: 1, cache: false, timeoutMs: 5000 });
  });
  after(async () => {
    await sb?.close();
  });

  for (const c of REGRESSIONS) {
    it(c.name, async () => {
      const r = await sb.run(c.code, { timeoutMs: c.timeoutMs ?? 8000 });
      assert.equal(r.status, c.status, `status (error: ${r.error}, stdout: ${r.stdout})`);
      if (c.stdout !== undefined) assert.equal(r.stdout, c.stdout);
      if (c.error) assert.match(r.error ?? '', c.error);
      const ok = await sb.run(INNOCENT);
      assert.equal(ok.status, 'ok', `innocent request: ${ok.error}`);
      assert.equal(ok.stdout, "[-2, 2] True ['run'] []\n");
      const st = sb.stats();
      assert.deepEqual([st.restarts, st.retired, st.watchdogKills], [0, 0, 0], 'the server survived');
    });
  }
});
