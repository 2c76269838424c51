// Distributed synthesis benchmark (JSON on stdout): the same `rstar synth` run three ways on this
// machine, each with fresh processes, wall time of the synth command from start to exit:
//   local       rstar synth (one process; loads the model itself)
//   queue1      rstar synth --queue and one rstar worker, started together (the worker's start-up,
//               model loading included, competes with the coordinator's: the conservative figure)
//   queue1Warm  the same, the clock started once the worker says it is ready (a fleet whose workers
//               outlive runs; the coordinator loads no model, the local run does, so this favours the queue)
//   queue2      rstar synth --queue and two rstar workers, started together
// overhead = median(queue1) / median(local) - 1 (target <= 5%); scaling = median(queue1) / median(queue2).
// The variants are interleaved within each rep. Every queued run's trees are compared with the local
// run's (same seed, same trees). Needs redis-server (scripts/install-system-deps.sh).
//   node dist/bench/queue.js [--reps 3] [--problems 40] [--level 1] [--rollouts 4] [--candidates 2]
//                            [--max-depth 4] [--concurrency 16] [--seed 7]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateProblems } from '../src/data/curriculum/index.js';
import { loadBundle } from '../src/models/bundle.js';
import { readRun, type SynthRecord } from '../src/synth/synth-run.js';
import { DEFAULT_BUNDLE, PACKAGE_ROOT } from '../src/paths.js';
import { startRedis } from '../test/helpers/redis.js';
import { bundleInfo } from './bundle-info.js';

const { values } = parseArgs({
  options: {
    reps: { type: 'string', default: '3' },
    problems: { type: 'string', default: '40' },
    level: { type: 'string', default: '1' },
    rollouts: { type: 'string', default: '4' },
    candidates: { type: 'string', default: '2' },
    'max-depth': { type: 'string', default: '4' },
    concurrency: { type: 'string', default: '16' },
    seed: { type: 'string', default: '7' },
  },
});
const num = (k: keyof typeof values) => {
  const n = Number(values[k]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${k} must be a positive integer, got "${values[k]}"`);
  return n;
};
const reps = num('reps');
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const dir = mkdtempSync(join(tmpdir(), 'rstar-bench-queue-'));
const data = join(dir, 'problems.jsonl');
const problems = generateProblems({ level: num('level') as 1, count: num('problems'), seed: num('seed'), split: 'train' });
writeFileSync(data, problems.map((p) => JSON.stringify(p)).join('\n') + '\n');
const search = [
  '--rollouts',
  String(num('rollouts')),
  '--candidates',
  String(num('candidates')),
  '--max-depth',
  String(num('max-depth')),
  '--seed',
  String(num('seed')),
  '--concurrency',
  String(num('concurrency')),
];

function start(args: string[]): { done: Promise<number>; ready: Promise<void> } {
  const child = spawn(process.execPath, [join(PACKAGE_ROOT, 'bin', 'rstar.js'), ...args], { cwd: PACKAGE_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  let onReady = () => {};
  const ready = new Promise<void>((res) => (onReady = res));
  child.stderr!.on('data', (d) => {
    err = (err + d).slice(-4000);
    if (/worker: ready/.test(err)) onReady();
  });
  const done = new Promise<number>((res, rej) => child.on('exit', (code) => (code === 0 ? res(0) : rej(new Error(`rstar ${args[0]} exited ${code}: ${err}`)))));
  return { done, ready };
}
const run = (args: string[]) => start(args).done;

const fingerprint = (rs: SynthRecord[]) =>
  JSON.stringify([...rs].sort((a, b) => a.id.localeCompare(b.id)).map((r) => [r.id, r.answer, r.tokens, r.tree.nodes.map((n) => [n.text, n.visits, n.qSum])]));

const redis = await startRedis();
const VARIANTS = ['local', 'queue1', 'queue1Warm', 'queue2'] as const;
const walls: Record<(typeof VARIANTS)[number], number[]> = { local: [], queue1: [], queue1Warm: [], queue2: [] };
let sameTrees = true;
let localPrint: string | null = null;
const load = [loadavg()[0]];
try {
  for (let rep = 0; rep < reps; rep++) {
    // Interleaved, the order rotated per rep, so drift in the machine's load spreads over all three.
    const order = VARIANTS.map((_, i, a) => a[(i + rep) % a.length]);
    for (const variant of order) {
      const out = join(dir, `${variant}-${rep}`);
      if (variant === 'local') {
        const t0 = performance.now();
        await run(['synth', '--data', data, '--out', out, ...search, '--json']);
        walls.local.push((performance.now() - t0) / 1000);
      } else {
        const n = variant === 'queue2' ? 2 : 1;
        let t0 = performance.now();
        const workers = Array.from({ length: n }, () =>
          start(['worker', '--queue', redis.url, '--concurrency', String(num('concurrency')), '--idle-exit', '1', '--quiet']),
        );
        if (variant === 'queue1Warm') {
          await Promise.race([Promise.all(workers.map((w) => w.ready)), ...workers.map((w) => w.done)]);
          t0 = performance.now();
        }
        await run(['synth', '--data', data, '--out', out, ...search, '--queue', redis.url, '--json']);
        walls[variant].push((performance.now() - t0) / 1000);
        await Promise.all(workers.map((w) => w.done));
      }
      const print = fingerprint(readRun(out));
      localPrint ??= print;
      if (print !== localPrint) sameTrees = false;
      load.push(loadavg()[0]);
      process.stderr.write(`rep ${rep + 1}/${reps} ${variant}: ${walls[variant][walls[variant].length - 1].toFixed(1)} s\n`);
    }
  }
} finally {
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
}
const m = Object.fromEntries(VARIANTS.map((v) => [v, median(walls[v])])) as Record<(typeof VARIANTS)[number], number>;
process.stdout.write(
  JSON.stringify(
    {
      bench: 'queue',
      date: new Date().toISOString(),
      command: ['node dist/bench/queue.js', ...process.argv.slice(2)].join(' '),
      machine: {
        cpus: availableParallelism(),
        cpuModel: cpus()[0]?.model ?? null,
        loadAvg1m: { min: round(Math.min(...load), 2), max: round(Math.max(...load), 2) },
      },
      ...bundleInfo(DEFAULT_BUNDLE, loadBundle(DEFAULT_BUNDLE)),
      sample: {
        problems: problems.length,
        level: num('level'),
        rollouts: num('rollouts'),
        candidates: num('candidates'),
        maxDepth: num('max-depth'),
        concurrency: num('concurrency'),
        seed: num('seed'),
      },
      reps,
      wallSeconds: Object.fromEntries(VARIANTS.map((v) => [v, walls[v].map((x) => round(x, 2))])),
      median: Object.fromEntries(VARIANTS.map((v) => [v, round(m[v], 2)])),
      overhead: round(m.queue1 / m.local - 1, 4),
      overheadWarm: round(m.queue1Warm / m.local - 1, 4),
      overheadTarget: 0.05,
      scaling: round(m.queue1 / m.queue2, 3),
      sameTrees,
    },
    null,
    2,
  ) + '\n',
);
