# rstar-ts sandbox fork server.
#
# Runs inside bubblewrap as pid 1 of its namespace, as an unprivileged user (see src/sandbox/README.md
# for the design). The warm parent imports math, sympy and numpy once and never runs untrusted code:
# per request it forks a child that drops to hard limits (rlimits + a seccomp filter), executes the
# snippet in a fresh namespace inside a scratch directory, and exits. The parent enforces the
# wall-clock deadline with SIGKILL, caps the output, waits for the child, classifies the result from
# the child's exit and wipes the scratch directory before answering.
#
# Protocol (one JSON object per line):
#   stdin : {"id": any, "code": str, "timeout_ms": int}
#   stdout: {"ready": true, ...}                               once, after warm-up and the self-test
#           {"id", "status", "stdout", "error", "traceback", "ms"}  per request
#           + "infra": true   when the sandbox failed, not the program (never cached)
#           + "retire": why   when the server exits after this reply (it gets no more requests)
# status: ok | error | timeout | output_limit | memory | crash
#
# Configuration: a JSON object in argv[1] (see DEFAULTS).

import ast
import builtins
import ctypes
import errno
import gc
import io
import json
import linecache
import os
import resource
import select
import signal
import stat
import struct
import sys
import time
import traceback
import types

DEFAULTS = {
    "scratch": "/tmp",          # a directory owned by this server; emptied after every run
    "wipe_scratch_root": True,  # inside bwrap /tmp is our own tmpfs: wipe all of it
    "mem_mb": 1024,             # address space the child may add on top of the parent's
    "fsize_mb": 16,             # largest file the child may write
    "nofile": 64,               # open files
    "output_bytes": 65536,      # stdout cap
    "require_seccomp": True,    # fail closed when the seccomp module is missing
    "warm": True,               # import sympy/numpy and exercise them before serving
    "private_tmp": False,       # mount our own /tmp (bytes and inodes bounded); needs a user namespace
    "tmp_bytes": 32 << 20,      # size of that /tmp
    "tmp_inodes": 4096,         # files + directories that /tmp can hold
    "tag": "",                  # diagnostics only: lets tests find every process of a sandbox
}

CFG = dict(DEFAULTS)
if len(sys.argv) > 1:
    CFG.update(json.loads(sys.argv[1]))

OUTPUT_CAP = int(CFG["output_bytes"])
ERROR_CAP = 2000
TRACEBACK_CAP = 8000
RESULT_CAP = 64 * 1024
CODE_FILENAME = "<code>"

# --- the protocol channel ----------------------------------------------------------------------
# Keep the protocol on a private descriptor and point fd 1 at stderr, so nothing printed by
# imported libraries can corrupt the reply stream.
_proto_fd = os.dup(1)
os.dup2(2, 1)
os.set_inheritable(_proto_fd, False)
_PROTO = io.open(_proto_fd, "wb", buffering=0)
_STDIN = io.open(os.dup(0), "rb", buffering=0)
_null_fd = os.open("/dev/null", os.O_RDWR)
os.dup2(_null_fd, 0)


def send(obj):
    data = (json.dumps(obj) + "\n").encode("ascii")
    view = memoryview(data)
    while view:
        n = _PROTO.write(view)
        view = view[n:]


_stdin_buf = bytearray()


def read_request():
    """One line from stdin, or None at EOF."""
    global _stdin_buf
    while True:
        i = _stdin_buf.find(b"\n")
        if i >= 0:
            line = bytes(_stdin_buf[:i])
            del _stdin_buf[: i + 1]
            return line
        chunk = _STDIN.read(1 << 20)
        if not chunk:
            return None
        _stdin_buf += chunk


# --- hardening of the parent itself -------------------------------------------------------------
_libc = ctypes.CDLL(None, use_errno=True)
PR_GET_DUMPABLE, PR_SET_DUMPABLE = 3, 4

CLONE_NEWUSER = 0x10000000
CLONE_NEWNS = 0x00020000
MS_NOSUID, MS_NODEV, MS_NOEXEC = 2, 4, 8
PR_CAPBSET_DROP = 24
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4


def _fail(msg):
    send({"ready": False, "error": msg})
    sys.exit(3)


def _check(rc, what):
    if rc != 0:
        e = ctypes.get_errno()
        _fail("%s failed: %s" % (what, os.strerror(e)))


def private_tmp():
    """Mounts a fresh tmpfs on /tmp that bounds inodes as well as bytes (bwrap's --tmpfs bounds only
    bytes: a program could create ~10^6 directories, i.e. ~1 GB of kernel memory, and make the wipe
    take seconds). bwrap cannot pass nr_inodes, so this process enters a user + mount namespace of its
    own (mapping its uid to itself), mounts the tmpfs, forbids further user namespaces, and then drops
    every capability before any untrusted code exists. Must run while the process is single-threaded."""
    uid, gid = os.getuid(), os.getgid()
    _check(_libc.unshare(CLONE_NEWUSER | CLONE_NEWNS), "unshare(user, mount namespace)")
    with open("/proc/self/setgroups", "w") as fh:
        fh.write("deny")
    with open("/proc/self/uid_map", "w") as fh:
        fh.write("%d %d 1" % (uid, uid))
    with open("/proc/self/gid_map", "w") as fh:
        fh.write("%d %d 1" % (gid, gid))
    opts = "size=%d,nr_inodes=%d,mode=0700" % (int(CFG["tmp_bytes"]), int(CFG["tmp_inodes"]))
    _check(_libc.mount(b"tmpfs", b"/tmp", b"tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts.encode()), "mount(/tmp)")
    os.chdir("/tmp")
    # No user namespaces below this one (the children's seccomp filter denies unshare as well).
    with open("/proc/sys/user/max_user_namespaces", "w") as fh:
        fh.write("0")
    drop_capabilities()


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def drop_capabilities():
    for cap in range(64):
        if _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() != errno.EINVAL:
            _fail("prctl(PR_CAPBSET_DROP, %d) failed: %s" % (cap, os.strerror(ctypes.get_errno())))
    _libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    hdr = _CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(hdr), data), "capset")
    with open("/proc/self/status") as fh:
        caps = {ln.split(":")[0]: int(ln.split()[1], 16) for ln in fh if ln.startswith("Cap")}
    if any(caps.get(k, 1) for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")):
        _fail("capabilities still held after dropping them: %r" % caps)


if CFG["private_tmp"]:
    private_tmp()  # writes /proc/self/*_map: before the process becomes non-dumpable

# Not dumpable: a child running as the same uid cannot open /proc/<parent>/mem, fd, syscall or
# environ. Inside bwrap (--as-pid-1) this process is pid 1 of the namespace: nothing else runs there
# but its own children, and none exists yet.
_libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
if _libc.prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0:
    _fail("could not make the sandbox server non-dumpable")

try:
    import seccomp  # Debian: python3-seccomp
except Exception as e:  # noqa: BLE001
    seccomp = None
    _seccomp_error = repr(e)
else:
    _seccomp_error = None

if seccomp is None and CFG["require_seccomp"]:
    send({"ready": False, "error": "the Python module `seccomp` cannot be imported (" + str(_seccomp_error) +
          "); install the Debian package python3-seccomp"})
    sys.exit(2)

# --- warm imports (trusted) ---------------------------------------------------------------------
import math  # noqa: E402,F401
import cmath  # noqa: E402,F401
import fractions  # noqa: E402,F401
import decimal  # noqa: E402,F401
import itertools  # noqa: E402,F401
import functools  # noqa: E402,F401
import collections  # noqa: E402,F401
import random  # noqa: E402,F401
import re  # noqa: E402,F401
import statistics  # noqa: E402,F401
import operator  # noqa: E402,F401
import heapq  # noqa: E402,F401
import bisect  # noqa: E402,F401
import string  # noqa: E402,F401
import datetime  # noqa: E402,F401
import threading  # noqa: E402,F401

if CFG["warm"]:
    import numpy  # noqa: E402
    import sympy  # noqa: E402

    def _warm():
        x, y = sympy.symbols("x y")
        sympy.solve(x ** 2 - 4, x)
        sympy.solve([x + y - 3, x - y - 1], [x, y])
        sympy.simplify((x ** 2 - 1) / (x - 1))
        sympy.factor(x ** 2 - 5 * x + 6)
        sympy.expand((x + 1) ** 3)
        sympy.Rational(3, 4) + sympy.sqrt(2)
        sympy.N(sympy.pi, 20)
        sympy.integrate(x ** 2, (x, 0, 1))
        sympy.diff(sympy.sin(x) * x, x)
        sympy.limit(sympy.sin(x) / x, x, 0)
        sympy.Matrix([[1, 2], [3, 4]]).det()
        sympy.binomial(10, 3)
        sympy.isprime(97)
        sympy.factorint(360)
        sympy.Eq(x, 1)
        sympy.nsimplify(0.5)
        sympy.latex(x ** 2 / 3)
        str(sympy.Rational(1, 3))
        sympy.solveset(x ** 2 - 1, x, domain=sympy.S.Reals)
        numpy.array([1.0, 2.0]).dot(numpy.array([3.0, 4.0]))
        numpy.linalg.solve(numpy.eye(2), numpy.ones(2))
        numpy.mean([1, 2, 3])
        fractions.Fraction(1, 3) + 1
        math.comb(10, 3)

    _warm()

gc.collect()
gc.freeze()


def collapse_huge_pages():
    """Best effort: back the warm heap with transparent huge pages (MADV_COLLAPSE, Linux >= 6.1).
    Forking and tearing down a child then copies/zaps one entry per 2 MiB instead of 512, which
    halves the fixed cost of a run. Writes in the child still copy 4 KiB pages."""
    if not CFG.get("huge_pages", True):
        return 0
    madvise = _libc.madvise
    madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    MADV_HUGEPAGE, MADV_COLLAPSE, HUGE = 14, 25, 1 << 21
    done = 0
    try:
        with open("/proc/self/maps") as fh:
            maps = fh.read().splitlines()
    except OSError:
        return 0
    for line in maps:
        parts = line.split()
        if len(parts) < 2 or "w" not in parts[1] or (len(parts) > 5 and parts[5] != "[heap]"):
            continue
        a, b = (int(v, 16) for v in parts[0].split("-"))
        start, end = (a + HUGE - 1) & ~(HUGE - 1), b & ~(HUGE - 1)
        if end <= start:
            continue
        madvise(start, end - start, MADV_HUGEPAGE)
        if madvise(start, end - start, MADV_COLLAPSE) == 0:
            done += (end - start) >> 21
    return done


_huge = collapse_huge_pages()

AF_UNIX = 1
PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
PID_PLACEHOLDER = 0x3FFFFFF1


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


# Syscalls neither the server nor its children ever need once the server is set up.
DENY_EVERYWHERE = [
    "execve", "execveat",
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
    "mount", "umount2", "pivot_root", "chroot", "unshare", "setns",
    "move_mount", "open_tree", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
    "bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
    "reboot", "swapon", "swapoff", "syslog", "acct", "quotactl",
    "name_to_handle_at", "open_by_handle_at", "fanotify_init", "lookup_dcookie", "personality",
]

# What only the children are denied (the server forks, and keeps its own IPC namespace empty).
DENY_IN_CHILD = DENY_EVERYWHERE + [
    "fork", "vfork", "clone",
    "pidfd_open", "pidfd_getfd", "pidfd_send_signal", "rt_sigqueueinfo", "rt_tgsigqueueinfo",
    "process_madvise", "process_mrelease",
    "mknod", "mknodat", "setpgid", "setsid",
    # SysV and POSIX IPC: segments and queues would outlive the run (cross-request channel) and hold
    # memory outside RLIMIT_AS.
    "shmget", "shmat", "shmdt", "shmctl", "msgget", "msgsnd", "msgrcv", "msgctl",
    "semget", "semop", "semtimedop", "semctl",
    "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr",
    # Anonymous files: memory outside RLIMIT_AS (the /tmp tmpfs is the only file memory, and bounded).
    "memfd_create", "memfd_secret",
]

# Calls that act on another process given a pid in argument 0 (0 means the caller).
PID_ARG0 = ["prlimit64", "sched_setscheduler", "sched_setparam", "sched_setaffinity", "sched_setattr",
            "migrate_pages", "move_pages"]
F_SETFL, F_SETOWN, F_SETSIG, F_SETOWN_EX, F_SETLEASE, F_NOTIFY = 4, 8, 10, 15, 1024, 1026
O_ASYNC = 0o20000
# ioctls that route SIGIO/SIGURG to a process or turn on async signals: FIOSETOWN, SIOCSPGRP,
# FIOASYNC, TIOCSPGRP.
SIGNAL_IOCTLS = [0x8901, 0x8902, 0x5452, 0x5410]
LOW32 = 0xFFFFFFFF


def _deny_all(f, action, names):
    for name in names:
        try:
            f.add_rule(action, name)
        except Exception:  # noqa: BLE001 - a syscall unknown to this libseccomp/arch
            pass


def build_server_filter():
    f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    _deny_all(f, seccomp.ERRNO(errno.EPERM), DENY_EVERYWHERE)
    return f


def build_seccomp_template():
    """Compiles the children's filter once (libseccomp is slow to do it per child). Deny process
    creation, exec, tracing, namespace and mount games, BPF, IPC, anonymous memory files, non-AF_UNIX
    sockets, and every way of acting on another process: signals (kill/tkill/tgkill to anything but
    the child itself, signal routing through F_SETOWN/F_SETSIG/O_ASYNC and their ioctls), and
    rlimits, priority, scheduling, affinity and memory policy of any pid but 0 (the caller).
    Everything else is allowed (the rest of the isolation comes from bwrap, rlimits and the private
    /tmp). The child's pid is unknown here, so a placeholder is compiled in and patched in the child
    (its offsets are recorded).

    Arguments that the kernel reads as 32-bit ints are compared on their low 32 bits when a match
    means "deny" (MASKED_EQ), so that garbage in the high half cannot slip past the filter; "deny
    unless equal" comparisons are 64-bit, which only errs on the side of denying."""
    f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    eperm = seccomp.ERRNO(errno.EPERM)
    _deny_all(f, eperm, DENY_IN_CHILD)
    # clone3 must fail with ENOSYS so that glibc falls back to clone(2), which is denied above.
    try:
        f.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    except Exception:  # noqa: BLE001
        pass
    f.add_rule(eperm, "socket", seccomp.Arg(0, seccomp.NE, AF_UNIX))
    f.add_rule(eperm, "socketpair", seccomp.Arg(0, seccomp.NE, AF_UNIX))
    f.add_rule(eperm, "kill", seccomp.Arg(0, seccomp.NE, PID_PLACEHOLDER))
    f.add_rule(eperm, "tkill", seccomp.Arg(0, seccomp.NE, PID_PLACEHOLDER))
    f.add_rule(eperm, "tgkill", seccomp.Arg(0, seccomp.NE, PID_PLACEHOLDER))
    for name in PID_ARG0:
        try:
            f.add_rule(eperm, name, seccomp.Arg(0, seccomp.NE, 0))
        except Exception:  # noqa: BLE001
            pass
    # setpriority/ioprio_set(which, who): only PRIO_PROCESS / IOPRIO_WHO_PROCESS of the caller.
    f.add_rule(eperm, "setpriority", seccomp.Arg(0, seccomp.NE, 0))
    f.add_rule(eperm, "setpriority", seccomp.Arg(1, seccomp.NE, 0))
    f.add_rule(eperm, "ioprio_set", seccomp.Arg(0, seccomp.NE, 1))
    f.add_rule(eperm, "ioprio_set", seccomp.Arg(1, seccomp.NE, 0))
    for cmd in (F_SETOWN, F_SETSIG, F_SETOWN_EX, F_SETLEASE, F_NOTIFY):
        f.add_rule(eperm, "fcntl", seccomp.Arg(1, seccomp.MASKED_EQ, LOW32, cmd))
    f.add_rule(eperm, "fcntl", seccomp.Arg(1, seccomp.MASKED_EQ, LOW32, F_SETFL),
               seccomp.Arg(2, seccomp.MASKED_EQ, O_ASYNC, O_ASYNC))
    for req in SIGNAL_IOCTLS:
        f.add_rule(eperm, "ioctl", seccomp.Arg(1, seccomp.MASKED_EQ, LOW32, req))
    r, w = os.pipe()
    with os.fdopen(w, "wb") as fo:
        f.export_bpf(fo)
    with os.fdopen(r, "rb") as fi:
        prog = fi.read()
    if len(prog) % 8 or not prog:
        raise RuntimeError("unexpected BPF program from libseccomp")
    offsets = []
    for i in range(0, len(prog), 8):
        code, _jt, _jf, k = struct.unpack_from("<HBBI", prog, i)
        if k == PID_PLACEHOLDER:
            if code != 0x15:  # BPF_JMP | BPF_JEQ | BPF_K
                raise RuntimeError("unexpected use of the pid placeholder in the BPF program")
            offsets.append(i + 4)
    if not offsets:
        raise RuntimeError("pid placeholder not found in the BPF program")
    buf = ctypes.create_string_buffer(prog, len(prog))
    fprog = _SockFprog(len(prog) // 8, ctypes.cast(buf, ctypes.c_void_p))
    return buf, offsets, fprog


_BPF = build_seccomp_template() if seccomp is not None else None
if seccomp is not None:
    # The server's own filter (the children's is stacked on top of it): even code running in the
    # server could not exec, trace, mount or enter namespaces.
    _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    build_server_filter().load()


def install_seccomp():
    if _BPF is None:
        return False
    buf, offsets, fprog = _BPF
    pid = os.getpid()
    for off in offsets:
        struct.pack_into("<I", buf, off, pid)
    if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    if _libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP) failed")
    return True


def set_limits():
    """Every limit but CPU time (set once the request, and so its timeout, is known)."""
    page = os.sysconf("SC_PAGE_SIZE")
    with open("/proc/self/statm", "rb") as fh:
        vm = int(fh.read().split()[0]) * page
    mem = vm + int(CFG["mem_mb"]) * (1 << 20)
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    fs = int(CFG["fsize_mb"]) * (1 << 20)
    resource.setrlimit(resource.RLIMIT_FSIZE, (fs, fs))
    nofile = int(CFG["nofile"])
    resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
    resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_MEMLOCK, (0, 0))
    resource.setrlimit(resource.RLIMIT_MSGQUEUE, (0, 0))


def set_cpu_limit(timeout_ms):
    cpu = int(math.ceil(timeout_ms / 1000.0)) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))


def _clip(s, n):
    return s if len(s) <= n else s[: n - 3] + "..."


def format_error(exc):
    """(last line, traceback filtered to the snippet's own frames), like rStar's tool shows the
    model: `traceback.format_exc().split('\\n')[-2]` -> e.g. "NameError: name 'x' is not defined"."""
    try:
        te = traceback.TracebackException.from_exception(exc, limit=None, lookup_lines=True)
        te.stack = traceback.StackSummary.from_list([f for f in te.stack if f.filename == CODE_FILENAME])
        lines = list(te.format(chain=False))
        only = [ln for ln in "".join(te.format_exception_only()).splitlines() if ln.strip()]
        last = only[-1].strip() if only else type(exc).__name__
        tb = "".join(lines).rstrip("\n")
    except BaseException:  # noqa: BLE001 - a hostile __str__ must not break the report
        last = type(exc).__name__
        tb = last
    return _clip(last, ERROR_CAP), _clip(tb, TRACEBACK_CAP)


def _read_all(fd):
    chunks = []
    while True:
        b = os.read(fd, 1 << 20)
        if not b:
            return b"".join(chunks)
        chunks.append(b)


def _no_system(command):
    raise PermissionError(errno.EPERM, "Operation not permitted")


ARMED = b"R"
SETUP_FAILED = b"E"


def child_main(code_r, out_w, res_w, scratch):
    """Runs in the pre-forked child: waits for one request, runs it, exits. Never returns."""
    rc = 70
    try:
        os.dup2(out_w, 1)
        os.dup2(_null_fd, 0)
        os.dup2(_null_fd, 2)
        os.dup2(code_r, 3)
        os.dup2(res_w, 4)
        code_r, res_w = 3, 4
        # Drop every other descriptor (the protocol pipes above all).
        os.closerange(5, 1 << 20)
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        # Lock down before the request arrives (this is off the latency path).
        os.chdir(scratch)
        set_limits()
        install_seccomp()
        # "Armed": everything after this byte on the result pipe may come from the program.
        os.write(res_w, ARMED)
        out = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", errors="backslashreplace",
                               newline="\n", write_through=False)
        sys.stdout = sys.__stdout__ = out
        sys.stderr = sys.__stderr__ = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8",
                                                       errors="backslashreplace")
        sys.stdin = sys.__stdin__ = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
        sys.argv = [""]
        # system(3) would only report a failed shell (exit status 127); raise like fork/exec do.
        os.system = _no_system
        main = types.ModuleType("__main__")
        main.__dict__["__builtins__"] = builtins
        ns = main.__dict__

        req = _read_all(code_r)
        os.close(code_r)
        if not req:
            os._exit(0)  # the parent is shutting down
        timeout_ms = int.from_bytes(req[:4], "little")
        set_cpu_limit(timeout_ms)
        code = req[4:].decode("utf-8", "surrogatepass")
        sys.modules["__main__"] = main
        linecache.cache[CODE_FILENAME] = (len(code), None, code.splitlines(True), CODE_FILENAME)

        status, error, tb = "ok", None, None
        try:
            tree = ast.parse(code, CODE_FILENAME, "exec")
            last = None
            if tree.body and isinstance(tree.body[-1], ast.Expr):
                last = ast.Expression(tree.body.pop().value)
            exec(compile(tree, CODE_FILENAME, "exec"), ns)
            if last is not None:
                value = eval(compile(last, CODE_FILENAME, "eval"), ns)
                if value is not None:
                    out.write(str(value) + "\n")
        except SystemExit as e:
            if e.code not in (None, 0):
                status = "error"
                error, tb = format_error(e)
        except MemoryError as e:
            status = "memory"
            error, tb = format_error(e)
            if error == "MemoryError":
                error = "MemoryError: out of memory"
        except BaseException as e:  # noqa: BLE001
            status = "error"
            error, tb = format_error(e)
        try:
            out.flush()
        except BaseException:  # noqa: BLE001
            pass
        # Framed as the last line: a program that wrote to this pipe itself cannot displace it.
        payload = b"\n" + json.dumps({"status": status, "error": error, "traceback": tb}).encode() + b"\n"
        # Close stdout first so that the parent sees EOF without waiting for our exit.
        try:
            os.close(1)
        except BaseException:  # noqa: BLE001
            pass
        try:
            os.write(res_w, payload)
            os.close(res_w)
        except BaseException:  # noqa: BLE001
            pass
        rc = 0
    except BaseException as e:  # noqa: BLE001 - a failure while setting up the child
        # Only reachable before ARMED is written (the request is read after it), so the server can
        # tell this infrastructure failure from anything a program writes.
        try:
            os.write(4, SETUP_FAILED + ("sandbox setup failed: " + repr(e)[:500]).encode())
        except BaseException:  # noqa: BLE001
            pass
        rc = 71
    finally:
        os._exit(rc)


def _fix_dir(name, dir_fd):
    """Makes a directory entry ours to empty (a program may have chmod-ed it to 0)."""
    os.chmod(name, 0o700, dir_fd=dir_fd)


def _untouched(root):
    """The common case, cheaply: /tmp holds just the empty, unchanged scratch directory."""
    try:
        if stat.S_IMODE(os.stat(root).st_mode) != 0o700 or os.listdir(root) != ["run"]:
            return False
        st = os.stat(os.path.join(root, "run"), follow_symlinks=False)
        return stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o700 and not os.listdir(os.path.join(root, "run"))
    except OSError:
        return False


def wipe(scratch):
    """Empties the scratch area (the whole private /tmp inside bwrap), without recursion and with two
    descriptors at most: every directory found inside a top-level directory is first moved up to the
    top level (renameat), so depth never matters, and permissions are restored on the way. Only the
    server runs while it wipes (the child has been reaped), so nothing changes under it. The private
    /tmp bounds the number of entries (tmp_inodes), so this is bounded too."""
    root = scratch if not CFG["wipe_scratch_root"] else "/tmp"
    if CFG["wipe_scratch_root"] and _untouched(root):
        return
    os.chmod(root, 0o700)
    rfd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    moved = 0
    try:
        while True:
            names = os.listdir(rfd)
            if not names:
                return
            for name in names:
                st = os.stat(name, dir_fd=rfd, follow_symlinks=False)
                if not stat.S_ISDIR(st.st_mode):
                    os.unlink(name, dir_fd=rfd)
                    continue
                _fix_dir(name, rfd)
                dfd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=rfd)
                try:
                    for sub in os.listdir(dfd):
                        sst = os.stat(sub, dir_fd=dfd, follow_symlinks=False)
                        if stat.S_ISDIR(sst.st_mode):
                            _fix_dir(sub, dfd)
                            while True:
                                moved += 1
                                try:
                                    os.rename(sub, ".w%d" % moved, src_dir_fd=dfd, dst_dir_fd=rfd)
                                    break
                                except OSError as e:  # a program's own entry of that name
                                    if e.errno not in (errno.EEXIST, errno.ENOTEMPTY, errno.ENOTDIR):
                                        raise
                        else:
                            os.unlink(sub, dir_fd=dfd)
                finally:
                    os.close(dfd)
                os.rmdir(name, dir_fd=rfd)
    finally:
        os.close(rfd)


SIGNAMES = {getattr(signal, n): n for n in dir(signal) if n.startswith("SIG") and not n.startswith("SIG_")}


def scratch_dir():
    base = CFG["scratch"]
    return os.path.join(base, "run") if CFG["wipe_scratch_root"] else base


def prefork():
    """Forks the child for the next request ahead of time, so that the fork is off the latency path.
    The child blocks until the request arrives on its code pipe."""
    os.makedirs(scratch_dir(), mode=0o700, exist_ok=True)
    code_r, code_w = os.pipe()
    out_r, out_w = os.pipe()
    res_r, res_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        child_main(code_r, out_w, res_w, scratch_dir())
    os.close(code_r)
    os.close(out_w)
    os.close(res_w)
    return pid, out_r, res_r, code_w


_next = None


def reap(pid):
    """SIGKILL (a no-op when it has exited) and wait: no child outlives its request."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return os.waitpid(pid, 0)[1]


def _classify_exit(wstatus):
    if os.WIFSIGNALED(wstatus):
        sig = os.WTERMSIG(wstatus)
        if sig == signal.SIGXCPU:
            return "timeout", "TimeoutError: CPU time limit exceeded"
        if sig == signal.SIGXFSZ:
            return "error", "OSError: file size limit exceeded"
        return "crash", "Crash: the program was killed by signal %s" % SIGNAMES.get(sig, sig)
    return "error", "SystemExit: the program exited early with status %d" % os.WEXITSTATUS(wstatus)


def _last_report(res):
    """The harness's report: the last non-empty line after ARMED, if it is one."""
    lines = [ln for ln in bytes(res[1:]).split(b"\n") if ln.strip()]
    if not lines:
        return None
    try:
        reply = json.loads(lines[-1].decode("utf-8", "replace"))
    except ValueError:
        return None
    if isinstance(reply, dict) and reply.get("status") in ("ok", "error", "memory"):
        return reply
    return None


def run(code, timeout_ms):
    """Runs one request on the pre-forked child and waits for it to exit: the outcome is decided by
    the server from the child's exit status, its deadline and its own pipes; the child's report only
    adds the exception text, and only counts when the child exited with status 0 after it.
    Returns the reply; the child is gone when it returns."""
    global _next
    child, _next = _next or prefork(), None
    pid, out_r, res_r, code_w = child
    pidfd = os.pidfd_open(pid)
    t0 = time.monotonic()
    deadline = t0 + timeout_ms / 1000.0
    payload = int(timeout_ms).to_bytes(4, "little") + code.encode("utf-8", "surrogatepass")
    try:
        # The child reads until EOF; a large program does not fit the pipe at once, so the write blocks
        # until the child has drained it (it does nothing else before).
        view = memoryview(payload)
        while view:
            n = os.write(code_w, view)
            view = view[n:]
    except OSError:
        pass
    finally:
        os.close(code_w)
    out = bytearray()
    res = bytearray()
    open_fds = {out_r: out, res_r: res}
    exited = False
    killed = None
    try:
        while open_fds or not exited:
            left = deadline - time.monotonic()
            if left <= 0:
                killed = "timeout"
                break
            watch = list(open_fds) + ([] if exited else [pidfd])
            try:
                ready, _, _ = select.select(watch, [], [], left)
            except InterruptedError:
                continue
            for fd in ready:
                if fd == pidfd:
                    exited = True
                    continue
                buf = open_fds[fd]
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    del open_fds[fd]
                    continue
                buf += chunk
                if fd == out_r and len(out) > OUTPUT_CAP:
                    killed = "output_limit"
                elif fd == res_r and len(res) > RESULT_CAP:
                    killed = "crash"
            if killed:
                break
    finally:
        os.close(out_r)
        os.close(res_r)
        os.close(pidfd)
    wstatus = reap(pid)
    ms = (time.monotonic() - t0) * 1000.0

    stdout = bytes(out[:OUTPUT_CAP]).decode("utf-8", "replace")
    status, error, tb, infra = "crash", None, None, False
    if res[:1] == SETUP_FAILED:
        status, error, infra = "crash", "Crash: " + bytes(res[1:RESULT_CAP]).decode("utf-8", "replace"), True
    elif killed == "timeout":
        status, error = "timeout", "TimeoutError: execution exceeded %g s" % (timeout_ms / 1000.0)
    elif killed == "output_limit":
        status, error = "output_limit", "OutputLimitError: output exceeded %d bytes" % OUTPUT_CAP
    elif killed == "crash":
        status, error = "crash", "Crash: malformed result from the child"
    elif res[:1] != ARMED:
        status, error, infra = "crash", "Crash: the sandboxed process did not start (%s)" % _describe_status(wstatus), True
    else:
        reply = _last_report(res) if os.WIFEXITED(wstatus) and os.WEXITSTATUS(wstatus) == 0 else None
        if reply is not None:
            status = reply["status"]
            error = reply.get("error") if isinstance(reply.get("error"), str) else None
            tb = reply.get("traceback") if isinstance(reply.get("traceback"), str) else None
            if status != "ok" and not error:
                error = "Error"
        else:
            status, error = _classify_exit(wstatus)
    reply = {"status": status, "stdout": stdout, "error": error, "traceback": tb, "ms": round(ms, 3)}
    if infra:
        reply["infra"] = True
    return reply


def _describe_status(wstatus):
    if os.WIFSIGNALED(wstatus):
        return "signal %s" % SIGNAMES.get(os.WTERMSIG(wstatus), os.WTERMSIG(wstatus))
    return "exit status %d" % os.WEXITSTATUS(wstatus)


def self_test():
    """Fails closed when the limits are not actually enforced here."""
    probe = (
        "import os, socket, ctypes, resource\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "r = []\n"
        "try:\n    os.fork(); r.append('fork')\nexcept OSError: pass\n"
        "try:\n    socket.socket(socket.AF_INET, socket.SOCK_STREAM); r.append('socket')\nexcept OSError: pass\n"
        "try:\n    os.kill(os.getppid(), 0); r.append('kill')\nexcept OSError: pass\n"
        "try:\n    open('/etc/rstar-probe', 'w'); r.append('write')\nexcept OSError: pass\n"
        "try:\n    resource.prlimit(os.getppid(), resource.RLIMIT_NOFILE); r.append('prlimit')\nexcept OSError: pass\n"
        "if libc.shmget(0, 4096, 0o1600) >= 0: r.append('shmget')\n"
        "if libc.memfd_create(b'x', 0) >= 0: r.append('memfd')\n"
        "print(','.join(r) or 'denied')\n"
    )
    out = run(probe, 10000)
    wipe(CFG["scratch"])
    return out


# The server's own state, which no child may change (the filter denies it; this catches what it
# does not): checked before every fork, and a server found changed retires instead of serving.
_LIMITS = [getattr(resource, n) for n in dir(resource) if n.startswith("RLIMIT_")]


def server_state():
    return (
        tuple(resource.getrlimit(r) for r in _LIMITS),
        os.getpriority(os.PRIO_PROCESS, 0),
        os.sched_getscheduler(0),
        tuple(sorted(os.sched_getaffinity(0))),
    )


def main():
    global _next
    seccomp_ok = _BPF is not None
    st = self_test()
    if CFG["require_seccomp"] and (st["status"] != "ok" or st["stdout"].strip() != "denied"):
        send({"ready": False, "error": "sandbox self-test failed: " + json.dumps(st)})
        sys.exit(3)
    state = server_state()
    _next = prefork()
    send({"ready": True, "pid": os.getpid(), "uid": os.getuid(), "seccomp": seccomp_ok, "huge_pages": _huge,
          "selftest": st["stdout"].strip(), "python": sys.version.split()[0]})
    while True:
        line = read_request()
        if line is None:
            if _next:
                reap(_next[0])
            return
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
            rid = req.get("id")
            code = req["code"]
            timeout_ms = int(req.get("timeout_ms") or 5000)
            if not isinstance(code, str):
                raise TypeError("code must be a string")
        except Exception as e:  # noqa: BLE001
            send({"id": None, "status": "crash", "stdout": "", "error": "bad request: " + repr(e)[:200],
                  "traceback": None, "ms": 0, "infra": True})
            continue
        reply = run(code, min(max(1, timeout_ms), 3600 * 1000))
        reply["id"] = rid
        # Before answering, make sure the next request will find a clean server: wipe the scratch
        # area and check the server's own state. If either fails, say so in the reply (the pool then
        # dispatches nothing more here and starts a replacement) and exit.
        retire = None
        if reply.get("infra"):
            retire = "the sandboxed process failed to start"
        else:
            try:
                wipe(CFG["scratch"])
            except Exception as e:  # noqa: BLE001 - never serve from a dirty scratch area
                retire = "could not wipe the scratch area: %r" % (e,)
            if retire is None and server_state() != state:
                retire = "the server's limits, priority or affinity changed"
        if retire:
            reply["retire"] = retire
            send(reply)
            sys.stderr.write("rstar sandbox: %s; exiting for a fresh start\n" % retire)
            sys.exit(4)
        send(reply)
        _next = prefork()


if __name__ == "__main__":
    main()
