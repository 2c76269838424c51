// Synthesis throughput benchmark (JSON on stdout): a real `runSynth` (terminal-guided MCTS, trees
// written to a run directory's shards) with the embedded default model over fresh curriculum
// problems, levels mixed. Reports problems per hour, generated tokens per second, problems solved
// (≥1 correct terminal) per level and the mean policy batch (sequences per engine call).
//   node dist/bench/synth.js [--problems 500] [--rollouts 16] [--levels 1,2,3,4,5] [--concurrency 64]
//                            [--candidates 8] [--max-depth 16] [--seed <fresh>] [--out DIR] [--keep] [--kv-cache-mb 256]
// Side by side against another checkout: bench/synth-compare.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { loadBundle } from '../src/models/bundle.js';
import { DEFAULT_KV_CACHE_MB } from '../src/models/onnx/engine.js';
import { openRuntime } from '../src/runtime.js';
import { generateProblems } from '../src/data/curriculum/index.js';
import { DEFAULT_SEARCH_CONFIG, type SearchConfig, type SearchDeps } from '../src/search/types.js';
import { runSynth } from '../src/synth/synth-run.js';
import { DEFAULT_BUNDLE } from '../src/paths.js';
import { bundleInfo } from './bundle-info.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v)) throw new Error(`--${name} must be a number, got "${process.argv[i + 1]}"`);
  return v;
}
const str = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const round = (x: number, d = 3): number => Math.round(x * 10 ** d) / 10 ** d;

const count = arg('problems', 500);
const rollouts = arg('rollouts', 16);
const candidates = arg('candidates', 8);
const maxDepth = arg('max-depth', 16);
const concurrency = arg('concurrency', 64);
// A fresh seed by default: problems the model has not been benchmarked on before.
const seed = arg('seed', Date.now() % 1_000_000_007);
const levels = (str('levels') ?? '1,2,3,4,5').split(',').map(Number) as Array<1 | 2 | 3 | 4 | 5>;
if (levels.some((l) => ![1, 2, 3, 4, 5].includes(l))) throw new Error(`--levels must list curriculum levels 1-5, got "${str('levels')}"`);

// Levels mixed: round-robin over the levels, then the first `count`.
const per = Math.ceil(count / levels.length);
const byLevel = levels.map((level) => generateProblems({ level, count: per, seed, split: 'train' }));
const problems = Array.from({ length: per }, (_, i) => byLevel.map((ps) => ps[i]))
  .flat()
  .filter(Boolean)
  .slice(0, count);

const bundle = loadBundle(DEFAULT_BUNDLE);
const info = bundleInfo(DEFAULT_BUNDLE, bundle);
const kvCacheMb = arg('kv-cache-mb', DEFAULT_KV_CACHE_MB);
// Wired as the CLI wires it; terminal-guided synthesis uses no reward model.
const rt = await openRuntime({ bundle: DEFAULT_BUNDLE, seed, kvCacheMb, noReward: true });
const engine = rt.engine!;
const policy = rt.batching;
const deps: SearchDeps = rt.deps;
let peakRss = process.memoryUsage().rss;
const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 500);
const search: SearchConfig = { ...DEFAULT_SEARCH_CONFIG, mode: 'mcts', guide: 'terminal', temperature: 1.0, rollouts, candidates, maxDepth, seed };
const out = str('out') ?? mkdtempSync(join(tmpdir(), 'rstar-bench-synth-'));

const t0 = performance.now();
let lastLog = 0;
const { records, progress } = await runSynth(
  problems,
  deps,
  search,
  {
    data: `curriculum levels ${levels.join(',')} seed ${seed}`,
    dataSha256: `curriculum:${levels.join(',')}:${seed}:${count}`,
    policy: info.bundle,
    policySha256: bundle.manifest.policy?.sha256 ?? null,
    seed,
    mode: 'mcts-terminal',
    rollouts,
    candidates,
    maxDepth,
    temperature: 1.0,
  },
  {
    out,
    concurrency,
    onProgress: (p) => {
      const now = performance.now();
      if (now - lastLog < 10_000 && p.done < p.total) return;
      lastLog = now;
      process.stderr.write(`synth ${p.done}/${p.total} solved ${p.solved} tokens ${p.tokens} (${Math.round((now - t0) / 1000)}s)\n`);
    },
  },
);
const wall = (performance.now() - t0) / 1000;
clearInterval(rssTimer);
const solvedPerLevel = Object.fromEntries(
  Object.entries(progress.perLevel)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([l, v]) => [l, { problems: v.n, solved: v.solved, rate: round(v.solved / v.n) }]),
);
const result = {
  command: ['node dist/bench/synth.js', ...process.argv.slice(2)].join(' '),
  ...info,
  problems: records.length,
  rollouts,
  candidates,
  maxDepth,
  concurrency,
  levels,
  seed,
  wallSeconds: round(wall, 1),
  problemsPerHour: Math.round((records.length / wall) * 3600),
  tokens: progress.tokens,
  tokensPerSecond: round(progress.tokens / wall, 1),
  solved: progress.solved,
  solvedPerLevel,
  meanPolicyBatch: round(policy.meanBatchSize(), 1),
  // Rows the engine decoded together, averaged over decode steps (continuous batching fills the batch).
  meanDecodeBatch: round(engine.stats.decodeRows / Math.max(1, engine.stats.decodeSteps), 1),
  policyBatches: policy.batchSizes.length,
  // Tokens prefilled (prompt tokens the prefix cache did not serve) and the prefix cache's counters.
  prefilledTokens: engine.stats.promptTokens,
  kvCache: engine.kvCacheSummary(),
  peakRssMb: Math.round(peakRss / 2 ** 20),
  rolloutsRun: records.reduce((a, r) => a + (r.tree.totals.rollouts ?? 0), 0),
  nodes: records.reduce((a, r) => a + r.tree.nodes.length, 0),
};
process.stdout.write(JSON.stringify(result, null, 2) + '\n');
await rt.close();
if (!str('out') && !process.argv.includes('--keep')) rmSync(out, { recursive: true, force: true });
