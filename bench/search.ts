// Search benchmark (JSON on stdout). Part 1: a terminal-guided MCTS synthesis run over many problems
// with the embedded model — mean policy batch size, share of wall time in search bookkeeping, time
// split across policy / reward / sandbox. Part 2 (unless --no-accuracy): accuracy per level on
// held-out curriculum problems of greedy, self-consistency@N and terminal-oracle MCTS at the same N.
//   node dist/bench/search.js [--problems 64] [--concurrency 64] [--rollouts 8] [--candidates 5]
//                             [--per-level 20] [--n 8] [--levels 1,2,3,4,5] [--no-accuracy] [--no-synth]
import { loadBundle } from '../src/models/bundle.js';
import { BatchingReward } from '../src/models/batching/reward.js';
import { HeuristicReward } from '../src/search/heuristic-reward.js';
import { openRuntime } from '../src/runtime.js';
import { generateProblems } from '../src/data/curriculum/index.js';
import { runSearches } from '../src/search/scheduler.js';
import { DEFAULT_SEARCH_CONFIG, type SearchConfig, type SearchDeps, type SearchMode } from '../src/search/types.js';
import { DEFAULT_BUNDLE } from '../src/paths.js';
import { bundleInfo } from './bundle-info.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const flag = (name: string): boolean => process.argv.includes(`--${name}`);
const levelsArg = process.argv.includes('--levels') ? process.argv[process.argv.indexOf('--levels') + 1] : '1,2,3,4,5';

const bundle = loadBundle(DEFAULT_BUNDLE);
// Wired as the CLI wires it; the reward-guided runs below bring their own (heuristic) reward model.
const rt = await openRuntime({ bundle: DEFAULT_BUNDLE, noReward: true });
const engine = rt.engine!;
const policy = rt.batching;
const { executor, judge } = rt.deps;
const deps: SearchDeps = rt.deps;
const out: Record<string, unknown> = { command: ['node dist/bench/search.js', ...process.argv.slice(2)].join(' '), ...bundleInfo(DEFAULT_BUNDLE, bundle) };
const round = (x: number, d = 3): number => Math.round(x * 10 ** d) / 10 ** d;

const base: SearchConfig = {
  ...DEFAULT_SEARCH_CONFIG,
  temperature: 1.0,
  rollouts: arg('rollouts', 8),
  candidates: arg('candidates', 5),
  keepTree: false,
};

if (!flag('no-synth')) {
  const count = arg('problems', 64);
  const per = Math.ceil(count / 3);
  const problems = [3, 4, 2].flatMap((level) => generateProblems({ level: level as 1 | 2 | 3 | 4 | 5, count: per, seed: 123, split: 'train' })).slice(0, count);
  const concurrency = arg('concurrency', 64);
  policy.batchSizes.length = 0;
  const decode0 = { rows: engine.stats.decodeRows, steps: engine.stats.decodeSteps };
  const t0 = performance.now();
  const rs = await runSearches(
    problems.map((p) => ({ question: p.question, gold: p.answer })),
    deps,
    { ...base, mode: 'mcts' },
    { concurrency },
  );
  const wall = performance.now() - t0;
  const sum = (
    k: 'policyMs' | 'rewardMs' | 'sandboxMs' | 'bookkeepingMs' | 'wallMs' | 'policyTokens' | 'nodes' | 'rollouts' | 'policyCalls' | 'sandboxCalls',
  ) => rs.reduce((a, r) => a + (r.totals![k] as number), 0);
  const treeTime = sum('wallMs');
  out.synthesis = {
    problems: problems.length,
    concurrency,
    rollouts: base.rollouts,
    candidates: base.candidates,
    wallSeconds: round(wall / 1000),
    policyTokens: sum('policyTokens'),
    tokensPerSecond: round(sum('policyTokens') / (wall / 1000), 1),
    nodes: sum('nodes'),
    rolloutsRun: sum('rollouts'),
    policyRequests: sum('policyCalls'),
    sandboxCalls: sum('sandboxCalls'),
    policyBatches: policy.batchSizes.length,
    meanPolicyBatchSequences: round(policy.meanBatchSize(), 1),
    meanDecodeBatch: round((engine.stats.decodeRows - decode0.rows) / Math.max(1, engine.stats.decodeSteps - decode0.steps), 1),
    // Bookkeeping is synchronous, so summing it over trees gives main-thread time; share of wall.
    bookkeepingShareOfWall: round(sum('bookkeepingMs') / wall, 4),
    // Per-tree awaited time, summed over trees (trees overlap, so these are shares of tree-time).
    treeTimeSplit: {
      policy: round(sum('policyMs') / treeTime),
      reward: round(sum('rewardMs') / treeTime),
      sandbox: round(sum('sandboxMs') / treeTime),
      bookkeeping: round(sum('bookkeepingMs') / treeTime),
    },
    solvedShare: round(
      rs.filter((r) => r.answer !== null && problems[rs.indexOf(r)] && judge.equal(r.answer, problems[rs.indexOf(r)].answer)).length / rs.length,
    ),
  };
  process.stderr.write(JSON.stringify(out.synthesis) + '\n');
}

if (!flag('no-accuracy')) {
  const perLevel = arg('per-level', 20);
  const n = arg('n', 8);
  const levels = levelsArg.split(',').map(Number);
  const problems = levels.flatMap((level) => generateProblems({ level: level as 1 | 2 | 3 | 4 | 5, count: perLevel, seed: 999, split: 'test' }));
  const runs: Array<{ name: string; mode: SearchMode; cfg: Partial<SearchConfig>; gold: boolean; reward?: boolean }> = [
    { name: 'greedy', mode: 'greedy', cfg: {}, gold: false },
    { name: `self-consistency@${n}`, mode: 'self-consistency', cfg: { n }, gold: false },
    { name: `mcts-terminal-oracle@${n}rollouts`, mode: 'mcts', cfg: { rollouts: n }, gold: true },
    ...(flag('with-heuristic') ? [{ name: `best-of-${n}-heuristic`, mode: 'best-of-n' as SearchMode, cfg: { n }, gold: false, reward: true }] : []),
  ];
  const table: Record<string, Record<string, number>> = {};
  for (const run of runs) {
    const d = run.reward ? { ...deps, reward: new BatchingReward(new HeuristicReward(executor)) } : deps;
    const t0 = performance.now();
    const rs = await runSearches(
      problems.map((p) => ({ question: p.question, gold: run.gold ? p.answer : undefined })),
      d,
      { ...base, ...run.cfg, mode: run.mode },
      { concurrency: arg('concurrency', 64) },
    );
    const row: Record<string, number> = {};
    for (const level of levels) {
      const idx = problems.map((p, i) => (p.level === level ? i : -1)).filter((i) => i >= 0);
      row[`L${level}`] = round(idx.filter((i) => rs[i].answer !== null && judge.equal(rs[i].answer!, problems[i].answer)).length / idx.length);
    }
    row.tokensPerProblem = Math.round(rs.reduce((a, r) => a + r.tokens, 0) / rs.length);
    row.seconds = round((performance.now() - t0) / 1000, 1);
    table[run.name] = row;
    process.stderr.write(`${run.name}: ${JSON.stringify(row)}\n`);
  }
  out.accuracy = { split: 'test', seed: 999, perLevel, n, temperature: base.temperature, candidates: base.candidates, table };
}

process.stdout.write(JSON.stringify(out, null, 2) + '\n');
await rt.close();
