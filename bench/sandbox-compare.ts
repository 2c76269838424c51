/**
 * Side-by-side sandbox throughput: runs bench/sandbox of a baseline checkout and of this one
 * alternately (base, current, base, current, ...) and reports the medians of each and their ratios.
 * Usage: node dist/bench/sandbox-compare.js --base <dir of a built checkout> [--reps 3] [--label <text>]
 *   [-- <args passed to both benches, e.g. --n-trivial 1000 --n-sympy 400 --n-fresh 2>]
 * Prints one JSON object (no absolute paths).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Stats {
  execs_per_s: number;
  p50_ms: number;
  p99_ms: number;
}
interface BenchOut {
  results: { trivial: { sandbox: Stats }; sympy: { sandbox: Stats } };
  machine: unknown;
}

const argv = process.argv.slice(2);
const sep = argv.indexOf('--');
const own = sep >= 0 ? argv.slice(0, sep) : argv;
const passed = sep >= 0 ? argv.slice(sep + 1) : [];
const opt = (name: string): string | undefined => {
  const i = own.indexOf(`--${name}`);
  return i >= 0 ? own[i + 1] : undefined;
};
const base = opt('base');
if (!base) {
  process.stderr.write('usage: sandbox-compare --base <built checkout> [--reps N] [-- bench args]\n');
  process.exit(2);
}
const reps = Number(opt('reps') ?? 3);
const here = fileURLToPath(new URL('../..', import.meta.url));

function runBench(root: string): BenchOut {
  const out = execFileSync(process.execPath, [join(root, 'dist', 'bench', 'sandbox.js'), ...passed], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  return JSON.parse(out) as BenchOut;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const r2 = (x: number): number => Math.round(x * 100) / 100;

const runs: Record<'base' | 'current', BenchOut[]> = { base: [], current: [] };
let machine: unknown = null;
for (let i = 0; i < reps; i++) {
  runs.base.push(runBench(base));
  const cur = runBench(here);
  machine = cur.machine;
  runs.current.push(cur);
}

type Kind = 'trivial' | 'sympy';
const summary = (which: 'base' | 'current', kind: Kind) => {
  const xs = runs[which].map((r) => r.results[kind].sandbox);
  return {
    execs_per_s: xs.map((x) => x.execs_per_s),
    p50_ms: xs.map((x) => x.p50_ms),
    p99_ms: xs.map((x) => x.p99_ms),
    median_execs_per_s: r2(median(xs.map((x) => x.execs_per_s))),
    median_p50_ms: r2(median(xs.map((x) => x.p50_ms))),
    median_p99_ms: r2(median(xs.map((x) => x.p99_ms))),
  };
};
const out: Record<string, unknown> = { bench: 'sandbox-compare', label: opt('label') ?? null, reps, bench_args: passed, machine };
for (const kind of ['trivial', 'sympy'] as Kind[]) {
  const b = summary('base', kind);
  const c = summary('current', kind);
  out[kind] = {
    base: b,
    current: c,
    throughput_ratio_current_vs_base: r2(c.median_execs_per_s / b.median_execs_per_s),
  };
}
process.stdout.write(JSON.stringify(out, null, 2) + '\n');
