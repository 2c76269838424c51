/**
 * Sandbox benchmark: executions/s and p50/p99 latency for a trivial snippet and a typical sympy step
 * (2 workers, 2 requests in flight, every snippet unique, result cache off), side by side with
 *  - inproc: rStar-style in-process `exec` in a plain Python loop server (shared globals, signal
 *    timeout, no isolation; 2 warm processes), and
 *  - fresh: a fresh `python3 -c` per snippet (imports paid every time).
 * Usage: node dist/bench/sandbox.js [--n-trivial 1000] [--n-sympy 400] [--n-fresh 12] [--workers 2]
 * Prints one JSON object.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism, cpus } from 'node:os';
import { createSandbox } from '../src/sandbox/index.js';
import { probePython } from '../src/sandbox/support.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

const N_TRIVIAL = arg('n-trivial', 1000);
const N_SYMPY = arg('n-sympy', 400);
const N_FRESH = arg('n-fresh', 12);
const WORKERS = arg('workers', 2);

const trivial = (i: number): string => `x = ${i}\ny = x * 2 + 1\nprint(y)\n`;
/** The accumulated code of a typical rStar-style path (expand, coefficient, an equation). */
const sympyStep = (i: number): string =>
  [
    'from sympy import symbols, expand, Eq, solve, Rational',
    '',
    '# Define the variable x',
    "x = symbols('x')",
    '',
    '# Expand the expression',
    `expanded_expression = expand(x**2 * (1 - 2*x)**6 + ${i})`,
    '',
    '# Extract the coefficient of x^5 and solve a linear equation',
    'coefficient = expanded_expression.coeff(x, 5)',
    `sol = solve(Eq(3*x + ${i}, coefficient), x)`,
    '',
    '# Now print the final answer',
    'print(coefficient, sol[0] * Rational(1, 2))',
    '',
  ].join('\n');

interface Stats {
  n: number;
  execs_per_s: number;
  p50_ms: number;
  p99_ms: number;
  ok: number;
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

/** Closed loop: `concurrency` requests in flight; latency measured per request from Node. */
async function measure(
  n: number,
  concurrency: number,
  make: (i: number) => string,
  exec: (code: string) => Promise<{ ok: boolean }>,
  offset: number,
): Promise<Stats> {
  const lat: number[] = [];
  let next = 0;
  let ok = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        const t = performance.now();
        const r = await exec(make(offset + i));
        lat.push(performance.now() - t);
        if (r.ok) ok++;
      }
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  const r2 = (x: number): number => Math.round(x * 100) / 100;
  return { n, execs_per_s: r2(n / wall), p50_ms: r2(pct(lat, 50)), p99_ms: r2(pct(lat, 99)), ok };
}

/** rStar's tool, reduced: in-process exec in shared globals, stdout redirected, signal timeout. */
const INPROC_SERVER = String.raw`
import sys, json, io, signal, traceback
from contextlib import redirect_stdout
import math, sympy, numpy
GLOBALS = {"__name__": "__main__"}
class Timeout(Exception): pass
def on_alarm(*_): raise Timeout("Timeout Error")
signal.signal(signal.SIGALRM, on_alarm)
out = sys.stdout
sys.stdout = sys.stderr
print(json.dumps({"ready": True}), file=out, flush=True)
for line in sys.stdin:
    req = json.loads(line)
    buf = io.StringIO()
    try:
        signal.setitimer(signal.ITIMER_REAL, req.get("timeout_ms", 5000) / 1000)
        with redirect_stdout(buf):
            exec(req["code"], GLOBALS)
        signal.setitimer(signal.ITIMER_REAL, 0)
        res = {"ok": True, "stdout": buf.getvalue()}
    except BaseException:
        signal.setitimer(signal.ITIMER_REAL, 0)
        res = {"ok": False, "error": traceback.format_exc().split("\n")[-2]}
    print(json.dumps(res), file=out, flush=True)
`;

class LineServer {
  private proc: ChildProcess;
  private buf = '';
  private waiters: ((line: string) => void)[] = [];
  readonly ready: Promise<void>;
  constructor(python: string) {
    this.proc = spawn(python, ['-s', '-c', INPROC_SERVER], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { PATH: '/usr/bin:/bin', OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' },
    });
    this.proc.stdout!.setEncoding('utf8');
    this.proc.stdout!.on('data', (d: string) => {
      this.buf += d;
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        this.waiters.shift()?.(line);
      }
    });
    this.ready = new Promise((res) => this.waiters.push(() => res()));
  }
  exec(code: string): Promise<{ ok: boolean }> {
    return new Promise((res) => {
      this.waiters.push((line) => res(JSON.parse(line) as { ok: boolean }));
      this.proc.stdin!.write(JSON.stringify({ code, timeout_ms: 5000 }) + '\n');
    });
  }
  close(): void {
    this.proc.stdin!.end();
  }
}

async function inprocPool(python: string, n: number): Promise<{ exec: (code: string) => Promise<{ ok: boolean }>; close: () => void }> {
  const servers = Array.from({ length: n }, () => new LineServer(python));
  await Promise.all(servers.map((s) => s.ready));
  const free = [...servers];
  const waiting: ((s: LineServer) => void)[] = [];
  const acquire = (): Promise<LineServer> => (free.length ? Promise.resolve(free.pop()!) : new Promise((r) => waiting.push(r)));
  const release = (s: LineServer): void => {
    const w = waiting.shift();
    if (w) w(s);
    else free.push(s);
  };
  return {
    async exec(code) {
      const s = await acquire();
      try {
        return await s.exec(code);
      } finally {
        release(s);
      }
    },
    close: () => servers.forEach((s) => s.close()),
  };
}

function fresh(python: string, code: string): Promise<{ ok: boolean }> {
  return new Promise((res) => {
    const p = spawn(python, ['-s', '-c', code], {
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { PATH: '/usr/bin:/bin', OPENBLAS_NUM_THREADS: '1' },
    });
    p.stdout!.resume();
    p.on('exit', (c) => res({ ok: c === 0 }));
  });
}

async function main(): Promise<void> {
  const python = probePython();
  const t0 = performance.now();
  const sb = await createSandbox({ workers: WORKERS, cache: false });
  const startupMs = Math.round(performance.now() - t0);
  const run = async (code: string): Promise<{ ok: boolean }> => ({ ok: (await sb.run(code)).status === 'ok' });
  const inproc = await inprocPool(python.exe, WORKERS);

  // Warm-up (untimed).
  await measure(40, WORKERS, sympyStep, run, 1_000_000);
  await measure(40, WORKERS, sympyStep, inproc.exec, 1_000_000);

  const results: Record<string, Record<string, Stats>> = { trivial: {}, sympy: {} };
  results.trivial.sandbox = await measure(N_TRIVIAL, WORKERS, trivial, run, 0);
  results.trivial.inproc = await measure(N_TRIVIAL, WORKERS, trivial, inproc.exec, 0);
  results.trivial.fresh = await measure(N_FRESH, WORKERS, trivial, (c) => fresh(python.exe, c), 0);
  results.sympy.sandbox = await measure(N_SYMPY, WORKERS, sympyStep, run, 0);
  results.sympy.inproc = await measure(N_SYMPY, WORKERS, sympyStep, inproc.exec, 0);
  results.sympy.fresh = await measure(N_FRESH, WORKERS, sympyStep, (c) => fresh(python.exe, c), 0);
  const stats = sb.stats();
  await sb.close();
  inproc.close();

  const ratio = (a: number, b: number): number => Math.round((a / b) * 100) / 100;
  const out = {
    bench: 'sandbox',
    machine: { cpus: cpus().length, parallelism: availableParallelism(), node: process.version, python: python.version },
    workers: WORKERS,
    sandbox_startup_ms: startupMs,
    results,
    ratios: {
      trivial_sandbox_vs_inproc_throughput: ratio(results.trivial.sandbox.execs_per_s, results.trivial.inproc.execs_per_s),
      trivial_sandbox_vs_fresh_throughput: ratio(results.trivial.sandbox.execs_per_s, results.trivial.fresh.execs_per_s),
      sympy_sandbox_vs_inproc_throughput: ratio(results.sympy.sandbox.execs_per_s, results.sympy.inproc.execs_per_s),
      sympy_sandbox_vs_fresh_throughput: ratio(results.sympy.sandbox.execs_per_s, results.sympy.fresh.execs_per_s),
    },
    targets: {
      trivial_per_s_ge_400: results.trivial.sandbox.execs_per_s >= 400,
      sympy_per_s_ge_100: results.sympy.sandbox.execs_per_s >= 100,
      sympy_p99_lt_50ms: results.sympy.sandbox.p99_ms < 50,
    },
    sandbox_stats: { executed: stats.executed, byStatus: stats.byStatus, restarts: stats.restarts },
  };
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(String((e as Error)?.stack ?? e) + '\n');
  process.exit(1);
});
