// Continuous batching in search, side by side in one run (JSON on stdout): the same terminal-guided
// MCTS over the same problems with the embedded engine, (a) holding calls while one runs (one merged
// call in flight, rows of later calls wait for it to end) and (b) continuous (each tick's calls go
// out at once and join the running batch). Alternating reps; medians of tokens/s and wall time.
// Each run gets a fresh engine (its prefix cache starts empty), loaded before the clock starts.
//   node dist/bench/continuous.js [--problems 48] [--rollouts 8] [--candidates 5] [--reps 3] [--concurrency 64] [--kv-cache-mb 256]
import { parseArgs } from 'node:util';
import { loadBundle } from '../src/models/bundle.js';
import { OnnxPolicy, DEFAULT_KV_CACHE_MB } from '../src/models/onnx/engine.js';
import { BatchingPolicy } from '../src/models/batching/policy.js';
import { createSandbox } from '../src/sandbox/index.js';
import { createJudge } from '../src/grade/index.js';
import { generateProblems } from '../src/data/curriculum/index.js';
import { runSearches } from '../src/search/scheduler.js';
import { DEFAULT_SEARCH_CONFIG, type SearchConfig } from '../src/search/types.js';
import { DEFAULT_BUNDLE } from '../src/paths.js';
import { bundleInfo } from './bundle-info.js';

const { values } = parseArgs({
  options: {
    problems: { type: 'string', default: '48' },
    rollouts: { type: 'string', default: '8' },
    candidates: { type: 'string', default: '5' },
    reps: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '64' },
    'kv-cache-mb': { type: 'string', default: String(DEFAULT_KV_CACHE_MB) },
  },
});
const count = Number(values.problems);
const reps = Number(values.reps);
const concurrency = Number(values.concurrency);
const per = Math.ceil(count / 3);
const problems = [2, 3, 4].flatMap((level) => generateProblems({ level: level as 2 | 3 | 4, count: per, seed: 77, split: 'train' })).slice(0, count);
const cfg: SearchConfig = {
  ...DEFAULT_SEARCH_CONFIG,
  mode: 'mcts',
  temperature: 1.0,
  rollouts: Number(values.rollouts),
  candidates: Number(values.candidates),
  keepTree: false,
};

const bundle = loadBundle(DEFAULT_BUNDLE);
const kvCacheMb = Number(values['kv-cache-mb']);
const executor = await createSandbox({ cache: false });
const judge = createJudge();
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d;

async function run(hold: boolean) {
  const engine = await OnnxPolicy.load(bundle, { kvCacheMb });
  const policy = new BatchingPolicy(engine, 256, { continuous: !hold });
  const t0 = performance.now();
  const d0 = { rows: engine.stats.decodeRows, steps: engine.stats.decodeSteps };
  const rs = await runSearches(
    problems.map((p) => ({ question: p.question, gold: p.answer })),
    { policy, executor, judge },
    cfg,
    { concurrency },
  );
  const s = (performance.now() - t0) / 1000;
  const tokens = rs.reduce((a, r) => a + r.tokens, 0);
  const meanDecodeBatch = (engine.stats.decodeRows - d0.rows) / Math.max(1, engine.stats.decodeSteps - d0.steps);
  await engine.close();
  return { seconds: s, tokensPerSecond: tokens / s, tokens, meanDecodeBatch, answers: rs.map((r) => r.answer) };
}

await run(false); // warm-up (sandbox workers, ORT)
const held: Array<Awaited<ReturnType<typeof run>>> = [];
const cont: Array<Awaited<ReturnType<typeof run>>> = [];
for (let i = 0; i < reps; i++) {
  held.push(await run(true));
  cont.push(await run(false));
  process.stderr.write(`rep ${i + 1}: held ${round(held[i].tokensPerSecond)} tok/s, continuous ${round(cont[i].tokensPerSecond)} tok/s\n`);
}
const heldTok = median(held.map((r) => r.tokensPerSecond));
const contTok = median(cont.map((r) => r.tokensPerSecond));
process.stdout.write(
  JSON.stringify(
    {
      bench: 'continuous-batching',
      command: ['node dist/bench/continuous.js', ...process.argv.slice(2)].join(' '),
      ...bundleInfo(DEFAULT_BUNDLE, bundle),
      problems: problems.length,
      rollouts: cfg.rollouts,
      candidates: cfg.candidates,
      concurrency,
      reps,
      kv_cache_mb: kvCacheMb,
      held_tokens_per_s: round(heldTok),
      continuous_tokens_per_s: round(contTok),
      ratio: round(contTok / heldTok, 3),
      held_mean_decode_batch: round(median(held.map((r) => r.meanDecodeBatch))),
      continuous_mean_decode_batch: round(median(cont.map((r) => r.meanDecodeBatch))),
      held_seconds: round(median(held.map((r) => r.seconds))),
      continuous_seconds: round(median(cont.map((r) => r.seconds))),
      // Trees are seeded per node, so both schedules grow the same trees (up to float noise).
      same_answers: held.every((h, i) => JSON.stringify(h.answers) === JSON.stringify(cont[i].answers)),
      same_tokens: held.every((h, i) => h.tokens === cont[i].tokens),
    },
    null,
    2,
  ) + '\n',
);
await executor.close();
