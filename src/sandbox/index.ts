/**
 * The Python sandbox: runs model-written (untrusted) Python for every MCTS step, safely and fast.
 *
 * A pool of warm fork servers (one per core by default), each inside bubblewrap as pid 1 of its own
 * namespaces (no network, read-only filesystem, a private /tmp bounded in bytes and inodes, no
 * capabilities) and started as an unprivileged host user with a whitelisted environment. The server
 * imports math, sympy and numpy once; per request it forks a child that sets rlimits, installs a
 * seccomp filter (no processes, exec, ptrace, mounts, namespaces, IPC, memfd, sockets other than
 * AF_UNIX, and nothing that acts on another process), runs the code in a fresh namespace inside a
 * scratch directory and exits. Node drives the pool over pipes with a watchdog, caches programs'
 * results (never infrastructure failures) by a hash of the program, and recycles servers.
 * The design, and what each defence is for: src/sandbox/README.md.
 *
 * Semantics of one run (what the search sees):
 * - `stdout` is everything the program printed (capped at 64 KiB). When the last statement is a bare
 *   expression whose value is not None, `str(value)` is printed after it, like an interactive
 *   session and rStar's tool (so a step ending in `x` shows x's value; one ending in `print(x)` does
 *   not print twice).
 * - History output: the executor runs the path's whole accumulated code and returns its whole
 *   output, earlier steps' prints included; `newOutput(parentStdout, stdout)` gives the part the
 *   latest step added. (rStar-Math also re-executes the accumulated code at every step.)
 * - Errors: `error` is the last line of the traceback, e.g. `NameError: name 'x' is not defined`,
 *   which is what rStar's tool shows the model (`traceback.format_exc().split('\n')[-2]`);
 *   `traceback` has the traceback filtered to the snippet's own frames. Unlike rStar's tool, `stdout`
 *   keeps what was printed before the error (rStar discards it; callers may ignore it).
 * - `sys.exit(0)`/`sys.exit()` is ok; `sys.exit(n)` with n != 0 is an error (`SystemExit: n`);
 *   `os._exit(n)` is an error (the program did not finish); `input()` reads EOF (EOFError).
 * - Status: ok | error (an exception, a denied operation, a too-large file) | timeout (wall clock,
 *   default 5 s, or CPU time) | output_limit | memory (MemoryError under the address-space limit) |
 *   crash (killed by a signal, e.g. a segfault, or the server failed).
 */
import { mkdtempSync, chownSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ResultCache, programKey } from './cache.js';
import { WorkerPool, type PoolResult, type ReadyInfo, type WorkerSpec } from './pool.js';
import { bwrapArgs, checkSandboxSupport, probePython, sandboxEnv, sandboxUser, SandboxUnavailableError, serverScriptPath, UNSAFE_HINT } from './support.js';
import type { ExecOptions, ExecResult, ExecStatus, Executor } from './types.js';

export type { ExecOptions, ExecResult, ExecStatus, Executor } from './types.js';
export { SandboxUnavailableError, SANDBOX_PACKAGES, checkSandboxSupport } from './support.js';

export interface SandboxOptions {
  /** Number of fork servers (default: one per core). */
  workers?: number;
  /** Default wall-clock limit of one run in ms (default 5000); `run(code, { timeoutMs })` overrides. */
  timeoutMs?: number;
  /** Development only: run without bubblewrap (rlimits, and seccomp when available, still apply). */
  unsafeNoSandbox?: boolean;
  /** Result cache keyed by a hash of the program (default on: 100k entries, 64 MiB). */
  cache?: boolean | { maxEntries?: number; maxBytes?: number };
  /** Address space a run may add on top of the warm server's (MiB, default 1024). */
  memoryMb?: number;
  /** Largest file a run may write (MiB, default 16). */
  fileSizeMb?: number;
  /** Size of the private /tmp of each server (MiB, default 32). */
  tmpfsMb?: number;
  /** Files and directories the private /tmp can hold (default 4096). */
  tmpInodes?: number;
  /** Stdout cap (bytes, default 65536). */
  outputBytes?: number;
  /** Replace a server after this many runs (default 2000). */
  recycleAfter?: number;
  /** Watchdog: extra time over a run's timeout before a silent server is killed (ms, default 5000). */
  graceMs?: number;
  /** Host user to run as when we are root (default `nobody`). */
  user?: string;
  /** Time allowed for one server to start (ms, default 60000). */
  startupTimeoutMs?: number;
  /** Path of bwrap (default: found on PATH). */
  bwrapPath?: string;
  /** Where the unsafe-mode warning goes (default: stderr). */
  warn?: (message: string) => void;
}

export interface SandboxStats {
  sandboxed: boolean;
  workers: number;
  /** run() calls. */
  requests: number;
  /** Programs actually executed by a server. */
  executed: number;
  /** Answered from the cache. */
  cacheHits: number;
  /** Answered by an identical program already in flight. */
  dedupHits: number;
  cacheEntries: number;
  byStatus: Record<ExecStatus, number>;
  /** Servers restarted after dying or being killed by the watchdog. */
  restarts: number;
  watchdogKills: number;
  recycled: number;
  /** Servers that exited after announcing it in a reply (could not wipe, state changed). */
  retired: number;
  queued: number;
  busy: number;
}

export interface Sandbox extends Executor {
  /** False only with unsafeNoSandbox. */
  readonly sandboxed: boolean;
  readonly workers: number;
  readonly defaultTimeoutMs: number;
  stats(): SandboxStats;
  /** Host pids of the server processes (bwrap, or python in unsafe mode); for diagnostics. */
  pids(): number[];
  /** What each server reported when it became ready. */
  readonly servers: ReadyInfo[];
}

/** Programs larger than this are refused without running. */
export const MAX_CODE_CHARS = 1 << 20;
const MAX_TIMEOUT_MS = 10 * 60 * 1000;

/** The part of `stdout` that the latest step added, given the output of the path without it. */
export function newOutput(parentStdout: string, stdout: string): string {
  return parentStdout && stdout.startsWith(parentStdout) ? stdout.slice(parentStdout.length) : stdout;
}

export const UNSAFE_WARNING =
  'WARNING: --unsafe-no-sandbox: model-written Python runs WITHOUT bubblewrap isolation ' +
  '(filesystem, network and processes are reachable). Use only for development, never on untrusted output.';

export async function createSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const nWorkers = Math.max(1, Math.floor(opts.workers ?? availableParallelism()));
  const defaultTimeoutMs = opts.timeoutMs ?? 5000;
  const unsafe = opts.unsafeNoSandbox === true;
  const user = sandboxUser(opts.user ?? 'nobody');
  const serverSource = readFileSync(serverScriptPath(), 'utf8');
  const outputBytes = opts.outputBytes ?? 65536;
  const baseConfig = {
    mem_mb: opts.memoryMb ?? 1024,
    fsize_mb: opts.fileSizeMb ?? 16,
    nofile: 64,
    output_bytes: outputBytes,
    // Diagnostics: every process of the sandbox carries this in its command line.
    tag: process.env.RSTAR_SANDBOX_TAG ?? '',
  };
  const startupTimeoutMs = opts.startupTimeoutMs ?? 60_000;
  let specFactory: () => WorkerSpec;
  let cleanup = (): void => undefined;

  if (!unsafe) {
    const { bwrap, python } = checkSandboxSupport(opts.bwrapPath);
    const tmpfsBytes = (opts.tmpfsMb ?? 32) * (1 << 20);
    const args = bwrapArgs({
      bwrap,
      python,
      serverSource,
      serverConfig: {
        ...baseConfig,
        scratch: '/tmp',
        wipe_scratch_root: true,
        require_seccomp: true,
        private_tmp: true,
        tmp_bytes: tmpfsBytes,
        tmp_inodes: opts.tmpInodes ?? 4096,
      },
      env: sandboxEnv('/tmp/run'),
      tmpfsBytes,
    });
    specFactory = () => ({
      command: bwrap,
      args,
      env: { PATH: '/usr/bin:/bin' },
      cwd: '/',
      uid: user?.uid,
      gid: user?.gid,
      startupTimeoutMs,
    });
  } else {
    (opts.warn ?? ((m: string) => process.stderr.write(m + '\n')))(UNSAFE_WARNING);
    const python = probePython();
    const base = mkdtempSync(join(tmpdir(), 'rstar-sandbox-'));
    if (user) chownSync(base, user.uid, user.gid);
    let n = 0;
    cleanup = () => rmSync(base, { recursive: true, force: true });
    specFactory = () => {
      const scratch = join(base, `w${n++}`);
      mkdirSync(scratch, { mode: 0o700 });
      if (user) chownSync(scratch, user.uid, user.gid);
      return {
        command: python.exe,
        args: ['-s', '-c', serverSource, JSON.stringify({ ...baseConfig, scratch, wipe_scratch_root: false, require_seccomp: false })],
        env: sandboxEnv(scratch),
        cwd: scratch,
        uid: user?.uid,
        gid: user?.gid,
        startupTimeoutMs,
      };
    };
  }

  const pool = new WorkerPool({
    workers: nWorkers,
    spec: specFactory,
    graceMs: opts.graceMs ?? 5000,
    recycleAfter: opts.recycleAfter ?? 2000,
  });
  let servers: ReadyInfo[];
  try {
    servers = await pool.start();
  } catch (e) {
    cleanup();
    const msg = (e as Error).message;
    if (unsafe) throw e;
    const userns = /namespace|permission|Operation not permitted|setting up uid map|No permissions/i.test(msg)
      ? 'bubblewrap could not create its namespaces (unprivileged user namespaces must be enabled: ' +
        '`sysctl -w kernel.unprivileged_userns_clone=1`, user.max_user_namespaces > 0, and on Ubuntu >= 23.10 ' +
        '`sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`; in a container, allow unshare/clone, ' +
        'e.g. docker --security-opt seccomp=unconfined)'
      : 'the sandboxed Python server failed to start';
    throw new SandboxUnavailableError(`${userns}: ${msg}`, UNSAFE_HINT);
  }

  const cacheOpt = opts.cache ?? true;
  const cache =
    cacheOpt === false
      ? null
      : new ResultCache(
          (typeof cacheOpt === 'object' ? cacheOpt.maxEntries : undefined) ?? 100_000,
          (typeof cacheOpt === 'object' ? cacheOpt.maxBytes : undefined) ?? 64 * (1 << 20),
        );
  const inflight = new Map<string, Promise<ExecResult>>();
  const counts = {
    requests: 0,
    executed: 0,
    cacheHits: 0,
    dedupHits: 0,
    byStatus: { ok: 0, error: 0, timeout: 0, output_limit: 0, memory: 0, crash: 0 } as Record<ExecStatus, number>,
  };
  let closed = false;

  const clean = (r: PoolResult): ExecResult => ({
    status: r.status,
    stdout: r.stdout,
    error: r.error,
    ms: r.ms,
    traceback: r.traceback ?? null,
  });

  const sandbox: Sandbox = {
    sandboxed: !unsafe,
    workers: nWorkers,
    defaultTimeoutMs,
    servers,
    async run(code: string, runOpts?: ExecOptions): Promise<ExecResult> {
      if (closed) throw new Error('the sandbox is closed');
      if (typeof code !== 'string') throw new TypeError('code must be a string');
      counts.requests++;
      const t = runOpts?.timeoutMs ?? defaultTimeoutMs;
      const timeoutMs = Math.max(1, Math.min(MAX_TIMEOUT_MS, Math.round(Number.isFinite(t) ? t : defaultTimeoutMs)));
      if (code.length > MAX_CODE_CHARS) {
        return { status: 'error', stdout: '', error: `ValueError: program too large (${code.length} characters)`, ms: 0, traceback: null };
      }
      const key = cache ? programKey(code, timeoutMs) : '';
      if (cache) {
        const hit = cache.get(key);
        if (hit) {
          counts.cacheHits++;
          return { ...hit, cached: true };
        }
        const running = inflight.get(key);
        if (running) {
          counts.dedupHits++;
          return { ...(await running), cached: true };
        }
      }
      const p = pool.run(code, timeoutMs).then((r) => {
        counts.executed++;
        counts.byStatus[r.status]++;
        const out = clean(r);
        if (cache && !r.infra) cache.set(key, out);
        return out;
      });
      if (cache) {
        inflight.set(key, p);
        void p.finally(() => inflight.delete(key)).catch(() => undefined);
      }
      return { ...(await p) };
    },
    stats(): SandboxStats {
      return {
        sandboxed: !unsafe,
        workers: nWorkers,
        requests: counts.requests,
        executed: counts.executed,
        cacheHits: counts.cacheHits,
        dedupHits: counts.dedupHits,
        cacheEntries: cache?.size ?? 0,
        byStatus: { ...counts.byStatus },
        restarts: pool.counters.restarts,
        watchdogKills: pool.counters.watchdogKills,
        recycled: pool.counters.recycled,
        retired: pool.counters.retired,
        queued: pool.queueLength,
        busy: pool.busy,
      };
    },
    pids: () => pool.pids(),
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await pool.close();
      cache?.clear();
      cleanup();
    },
  };
  return sandbox;
}
