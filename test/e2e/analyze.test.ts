import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { rstar, DEFAULT_BUNDLE } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { generateProblems } from '../../src/data/curriculum/index.js';
import type { TreeJSON } from '../../src/search/tree-file.js';
import { buildTree, type NodeSpec } from '../helpers/trees.js';
import type { RewardModel } from '../../src/models/types.js';
import { BatchingReward } from '../../src/models/batching/reward.js';
import { ShardStore } from '../../src/synth/shard-store.js';
import { readRun, selectProblems, rerunSeed, priorStatus, type SynthRecord } from '../../src/synth/synth-run.js';
import { solveRate } from '../../src/synth/tiers.js';
import { analyzeProblem, analyzeRecords, compareAtBudgets, expansionBatches, firstCorrectCost, llamaParameters } from '../../src/synth/analyze.js';
import { runPolicyParameters } from '../../src/cli/commands/analyze.js';
import { readManifest } from '../../src/models/bundle.js';

// ── hand-built trees ──

const PROMPT = '<|user|>\nq?\n<|assistant|>\n';

/** Answers are "1" (right, `end: true`) or "2" (wrong); a step's text defaults to `<step ID><end_of_step>`. */
function tree(specs: NodeSpec[], candidates = 8): TreeJSON {
  const nodes = specs.map((s, id) => ({ text: `<step ${id}><end_of_step>`, answer: typeof s.end === 'boolean' ? (s.end ? '1' : '2') : null, ...s }));
  return buildTree(nodes, { question: 'q?', prompt: PROMPT, config: { candidates } });
}

function record(id: string, level: number | null, t: TreeJSON, tokens?: number, question = `question ${id}`): SynthRecord {
  const sr = solveRate(t);
  return {
    id,
    level,
    question,
    gold: '1',
    answer: null,
    correct: false,
    solveRate: sr.rate,
    correctTerminals: sr.correct,
    terminals: sr.terminals,
    tier: 'unsolved',
    tokens: tokens ?? t.nodes.reduce((a, n) => a + n.tokens, 0),
    ms: 0,
    tree: t,
  };
}

/** A run directory as runSynth writes it: manifest.json (config) and trees/ shards. */
function writeRun(dir: string, records: SynthRecord[], config: Record<string, unknown>): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'manifest.json'),
    JSON.stringify({
      format: 'rstar-ts/synth-run@1',
      status: 'complete',
      updated: '',
      config: { mode: 'mcts-terminal', rollouts: 4, policy: 'served', ...config },
      search: {},
      counts: {},
    }),
  );
  const { store } = ShardStore.open<SynthRecord>(join(dir, 'trees'));
  for (const r of records) store.append(r);
  store.seal();
  store.close();
  return dir;
}

// Problem A (level 1): two batches before the first correct terminal (30 + 16 tokens); four correct
// terminals: 3 and 5 differ only in whitespace, 6 and 7 run the same program (comments differ) through
// the failed step 2 (false positives).
const A = tree([
  { parent: null },
  { parent: 0, text: '# step a\nx = 1<end_of_step>', code: 'x = 1', tokens: 10 },
  { parent: 0, text: '# step b\ny = 1/0<end_of_step>', code: 'y = 1/0', tokens: 20, execStatus: 'error' },
  { parent: 1, text: '# done\nprint(x)<end_of_code>\n<output>1<end_of_output><answer>\\boxed{1}<end_of_answer>', code: 'print(x)', tokens: 5, end: true },
  { parent: 1, text: '# wrong\nprint(2)<end_of_code>', code: 'print(2)', tokens: 5, end: false },
  { parent: 1, text: '#  done \n   print(x)<end_of_code>\n<output>1\n<end_of_output> The answer is \\boxed{1}', code: 'print(x)', tokens: 6, end: true },
  { parent: 2, text: '# other\nprint(1)<end_of_code>', code: 'print(1)', tokens: 7, end: true },
  { parent: 2, text: '# another way\nprint(1)<end_of_code>', code: '# another way\nprint(1)', tokens: 8, end: true },
]);
// Problem B (level 1): unsolved; its root was marked exhausted (not a rollout's terminal).
const B = tree([
  { parent: null, end: 'exhausted' },
  { parent: 0, tokens: 8, end: false },
]);
// Problem C (level 2), 3 candidates per expansion: 31 tokens of merged duplicates are on no node and go
// back to the batches by (missing proposals × mean tokens): 1×10, 1×5, 2×8.
const C = tree(
  [
    { parent: null },
    { parent: 0, text: 'BAD step<end_of_step>', code: 'a = 1', tokens: 10 },
    { parent: 0, text: 'good step<end_of_step>', code: 'b = 1', tokens: 10 },
    { parent: 1, text: 'fin<end_of_code>', code: 'print(a)', tokens: 4, end: true },
    { parent: 1, text: 'no<end_of_code>', code: 'print(3)', tokens: 6, end: false },
    { parent: 2, text: 'fin2<end_of_code>', code: 'print(b)', tokens: 8, end: true },
  ],
  3,
);
const records = [record('a', 1, A), record('b', 1, B), record('c', 2, C, 69)];

test('per-problem numbers: distinct solutions and programs, sandbox false positives, first-correct cost', () => {
  const a = analyzeProblem(records[0]);
  assert.deepEqual(
    { ...a },
    {
      id: 'a',
      level: 1,
      solved: true,
      terminals: 5,
      correctTerminals: 4,
      solveRate: 0.8,
      tier: 'easy',
      distinctSolutions: 3,
      distinctPrograms: 2,
      falsePositives: 2,
      fpSandbox: 2,
      fpPpm: null,
      tokens: 61,
      treeTokens: 61,
      firstCorrectCost: 46,
    },
  );
  const b = analyzeProblem(records[1]);
  assert.equal(b.terminals, 1, 'an exhausted root is not a terminal');
  assert.equal(b.solved, false);
  assert.equal(b.firstCorrectCost, null);
  assert.equal(b.tier, 'unsolved');
  const c = analyzeProblem(records[2]);
  assert.equal(c.treeTokens, 38);
  assert.deepEqual(
    expansionBatches(C, 69).map((x) => [x.first, x.last, x.nodeTokens, x.cost]),
    [
      [1, 2, 20, 30],
      [3, 4, 10, 15],
      [5, 5, 8, 24],
    ],
  );
  assert.equal(c.firstCorrectCost, 45);
  assert.equal(c.tier, 'medium');
  assert.equal(firstCorrectCost(C, 38), 30, 'no residual: node tokens only');
});

test('trees that record expansionTokens: batch costs are the recorded ones, no estimate', () => {
  const exact: TreeJSON = {
    ...C,
    nodes: C.nodes.map((n) => ({ ...n, expansionTokens: n.children.length ? ({ 0: 29, 1: 19, 2: 21 } as Record<number, number>)[n.id] : 0 })),
  };
  assert.deepEqual(
    expansionBatches(exact, 69).map((x) => [x.parent, x.nodeTokens, x.cost]),
    [
      [0, 20, 29],
      [1, 10, 19],
      [2, 8, 21],
    ],
  );
  assert.equal(firstCorrectCost(exact, 69), 48, 'node 3 comes from the second batch: 29 + 19');
});

test('per-level and overall statistics on hand-built records', async () => {
  const r = await analyzeRecords(records);
  assert.deepEqual(Object.keys(r.levels), ['1', '2']);
  const l1 = r.levels['1'];
  assert.equal(l1.problems, 2);
  assert.equal(l1.coverage, 0.5);
  assert.equal(l1.diversity, 1.5);
  assert.equal(l1.diversitySolved, 3);
  assert.equal(l1.programsSolved, 2);
  assert.equal(l1.correctTerminals, 4);
  assert.equal(l1.falsePositiveRate, 0.5);
  assert.equal(l1.tokensPerProblem, 34.5);
  assert.deepEqual(l1.tiers, { easy: 1, medium: 0, hard: 0, unsolved: 1 });
  assert.equal(l1.firstCorrectCostMedian, 46);
  const o = r.overall;
  assert.equal(o.problems, 3);
  assert.equal(o.solved, 2);
  assert.equal(o.coverage, 2 / 3);
  assert.equal(o.diversity, 5 / 3);
  assert.equal(o.correctTerminals, 6);
  assert.equal(o.falsePositives, 2);
  assert.equal(o.falsePositiveRate, 1 / 3);
  assert.equal(o.fpPpm, null);
  assert.equal(o.onlyFalsePositive, 0);
  assert.equal(o.treeTokenShare, 107 / 138);
  assert.equal(o.firstCorrectCostMedian, 45.5);
  assert.deepEqual(o.solveRates, { '0': 1, '(0,0.25)': 0, '[0.25,0.5)': 0, '[0.5,0.75)': 1, '[0.75,1]': 1 });
});

test('with a PPM, a correct path through a step scored below the threshold is a false positive (scripted reward, batched)', async () => {
  const seen: string[] = [];
  let calls = 0;
  const scripted: RewardModel = {
    name: 'scripted',
    async score(texts) {
      calls++;
      seen.push(...texts);
      return texts.map((t) => (t.includes('BAD') ? -0.5 : 0.5));
    },
    async close() {},
  };
  const reward = new BatchingReward(scripted);
  const r = await analyzeRecords(records, { reward, concurrency: 3 });
  const c = r.problems[2];
  assert.equal(c.fpPpm, 1);
  assert.equal(c.fpSandbox, 0);
  assert.equal(c.falsePositives, 1);
  assert.equal(r.problems[0].fpPpm, 0);
  assert.equal(r.problems[0].falsePositives, 2, 'sandbox false positives still count');
  assert.equal(r.levels['2'].falsePositiveRate, 0.5);
  assert.equal(r.overall.fpPpm, 1);
  assert.equal(r.overall.falsePositives, 3);
  // Every node on a correct path is scored once, as prompt + path text.
  assert.ok(seen.includes(PROMPT + 'BAD step<end_of_step>fin<end_of_code>'));
  assert.ok(seen.includes(PROMPT + 'BAD step<end_of_step>'));
  assert.ok(!seen.some((t) => t.includes('no<end_of_code>')), 'wrong paths are not scored');
  assert.equal(seen.length, 6 + 4);
  assert.ok(calls <= 2, `concurrent problems merge into few reward calls, got ${calls}`);
  // A lower threshold lets the step through.
  const lax = await analyzeRecords(records, { reward, ppmThreshold: -0.6 });
  assert.equal(lax.overall.fpPpm, 0);
});

// Two runs over the same problems: X spends 100 tokens to its first correct terminal on p1 (200 in
// all) and never solves p2 (300); Y (per-token cost 2) solves p1 after 30 of 60 tokens and p2 after
// 120 of 120.
const X = [
  record('p1', 1, tree([{ parent: null }, { parent: 0, tokens: 40, end: true }, { parent: 0, tokens: 60 }, { parent: 2, tokens: 100, end: false }])),
  record('p2', 2, tree([{ parent: null }, { parent: 0, tokens: 300, end: false }])),
  record('p3', 2, tree([{ parent: null }, { parent: 0, tokens: 5, end: true }])),
];
const Y = [
  record('p1', 1, tree([{ parent: null }, { parent: 0, tokens: 20, end: true }, { parent: 0, tokens: 10 }, { parent: 2, tokens: 30, end: false }])),
  record('p2', 2, tree([{ parent: null }, { parent: 0, tokens: 50 }, { parent: 0, tokens: 40, end: false }, { parent: 1, tokens: 30, end: true }])),
];

test('coverage at matched generated-token budgets, with a per-token cost ratio', async () => {
  const ax = await analyzeRecords(X);
  const ay = await analyzeRecords(Y);
  assert.deepEqual(
    ax.problems.map((p) => p.firstCorrectCost),
    [100, null, 5],
  );
  assert.deepEqual(
    ay.problems.map((p) => p.firstCorrectCost),
    [30, 120],
  );
  const c = compareAtBudgets(
    [
      { name: 'x', problems: ax.problems },
      { name: 'y', problems: ay.problems, costRatio: 2 },
    ],
    [480, 100, 200],
  );
  assert.equal(c.problems, 2, 'only the problems both runs have');
  assert.deepEqual(
    c.runs.map((r) => [r.name, r.costRatio, r.problems, r.totalCost, r.coverage]),
    [
      ['x', 1, 3, 500, 0.5],
      ['y', 2, 2, 360, 1],
    ],
  );
  assert.deepEqual(
    c.budgets.map((b) => [b.budget, b.perProblem, b.coverage]),
    [
      [100, 50, [0, 0]],
      [200, 100, [0.5, 0.5]],
      [480, 240, [0.5, 1]],
    ],
  );
  assert.deepEqual(c.budgets[2].levels, { '1': [1, 1], '2': [0, 1] });
  // Default grid: 1/32 … 1 of the largest total, plus each run's total.
  const d = compareAtBudgets([
    { name: 'x', problems: ax.problems },
    { name: 'y', problems: ay.problems, costRatio: 2 },
  ]);
  assert.deepEqual(
    d.budgets.map((b) => b.budget),
    [16, 31, 63, 125, 250, 360, 500],
  );
  assert.deepEqual(d.budgets.at(-1)!.coverage, [0.5, 1]);
  assert.throws(
    () =>
      compareAtBudgets([
        { name: 'x', problems: ax.problems.slice(2) },
        { name: 'y', problems: ay.problems },
      ]),
    /no problem in common/,
  );
});

test('rstar analyze compares two runs at matched budgets; cost ratio from the policies\u2019 parameter counts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rstar-analyze-'));
  assert.equal(llamaParameters(readManifest(DEFAULT_BUNDLE).architecture), 2853312);
  // A bundle "twice as big": the default manifest with twice the parameters.
  const big = join(dir, 'big');
  mkdirSync(big);
  const m = JSON.parse(readFileSync(join(DEFAULT_BUNDLE, 'manifest.json'), 'utf8'));
  m.policy.metrics.params = 2 * 2853312;
  writeFileSync(join(big, 'manifest.json'), JSON.stringify(m));
  const x = writeRun(join(dir, 'x'), X, { seed: 1, policy: DEFAULT_BUNDLE });
  const y = writeRun(join(dir, 'y'), Y, { seed: 2, policy: big });
  assert.equal(runPolicyParameters(JSON.parse(readFileSync(join(y, 'manifest.json'), 'utf8'))), 2 * 2853312);

  const r = rstar(['analyze', '--run', x, '--run', y, '--budgets', '1e2,2e2,4.8e2', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(
    out.runs.map((q: { costRatio: number }) => q.costRatio),
    [1, 2],
  );
  assert.match(out.costRatioSource, /policy parameters/);
  assert.deepEqual(
    out.comparison.budgets.map((b: { coverage: number[] }) => b.coverage),
    [
      [0, 0],
      [0.5, 0.5],
      [0.5, 1],
    ],
  );
  assert.equal(out.runs[0].overall.coverage, 2 / 3);
  assert.equal(out.runs[0].problems, undefined, 'per-problem rows only with --per-problem');

  // An explicit ratio wins; the table names both runs.
  const t = rstar(['analyze', '--run', x, '--run', y, '--cost-ratio', '1', '--budgets', '480']);
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, /run x .*\n.*coverage/);
  assert.match(t.stdout, /matched budgets over 2 common problems/);
  assert.match(t.stdout, /480\s+240\s+50\.0%\s+100\.0%/);
  const bad = rstar(['analyze', '--run', x, '--run', y, '--cost-ratio', '1,2,3']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /--cost-ratio: give one number per run/);
});

test('selectProblems: unsolved in every earlier run, or hard on pooled terminals; rerun seeds', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rstar-select-'));
  const solvedEasy = tree([{ parent: null }, { parent: 0, end: true }]);
  const wrong = (k: number) => tree([{ parent: null }, ...Array.from({ length: k }, () => ({ parent: 0, end: false as const }))]);
  // Pooled over both runs: a easy; b 1 of 10 (hard); c never solved; d in no run.
  const r1 = writeRun(join(dir, 'r1'), [record('a', 1, solvedEasy), record('b', 2, wrong(5)), record('c', 3, wrong(3))], { seed: 3 });
  const r2 = writeRun(
    join(dir, 'r2'),
    [
      record(
        'b',
        2,
        tree([
          { parent: null },
          { parent: 0, end: true },
          { parent: 0, end: false },
          { parent: 0, end: false },
          { parent: 0, end: false },
          { parent: 0, end: false },
        ]),
      ),
      record('c', 3, wrong(2)),
    ],
    { seed: 7 },
  );
  const problems = ['a', 'b', 'c', 'd'].map((id) => ({ id, question: `question ${id}`, answer: '1' }));
  const prior = priorStatus([r1, r2]);
  assert.deepEqual([prior.get('b')!.correctTerminals, prior.get('b')!.terminals, prior.get('b')!.tier], [1, 10, 'hard']);
  assert.deepEqual(
    selectProblems(problems, { only: 'unsolved', from: [r1, r2] }).map((p) => p.id),
    ['c', 'd'],
  );
  assert.deepEqual(
    selectProblems(problems, { only: 'unsolved', from: [r1] }).map((p) => p.id),
    ['b', 'c', 'd'],
  );
  assert.deepEqual(
    selectProblems(problems, { only: 'hard', from: [r1, r2] }).map((p) => p.id),
    ['b', 'c', 'd'],
  );
  assert.throws(
    () => selectProblems([{ id: 'a', question: 'other', answer: '1' }], { only: 'unsolved', from: [r1] }),
    /r1: problem "a" has a different question/,
  );
  assert.throws(() => selectProblems(problems, { only: 'unsolved', from: [join(dir, 'nope')] }), /not a synthesis run directory/);

  assert.equal(rerunSeed([r1, r2]), 8, 'derived: one more than the largest');
  assert.equal(rerunSeed([r1, r2], 5), 5);
  assert.throws(
    () => rerunSeed([r1, r2], 7),
    (e: Error) => e.message.includes('--seed 7') && e.message.includes(`${r2} (seed 7)`),
  );
  assert.equal(readRun(r2).length, 2);
});

test('rstar analyze on a real small synthesis run', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rstar-analyze-real-'));
  const data = join(dir, 'p.jsonl');
  const problems = [1, 2, 3].flatMap((level) => generateProblems({ level: level as 1 | 2 | 3, count: 1, seed: 33, split: 'train' }));
  writeFileSync(data, problems.map((p) => JSON.stringify(p)).join('\n') + '\n');
  const run = join(dir, 'run');
  const s = rstar(
    ['synth', '--data', data, '--out', run, '--rollouts', '2', '--candidates', '3', '--max-depth', '6', '--concurrency', '3', '--seed', '5', '--json'],
    { timeoutMs: 240_000 },
  );
  assert.equal(s.code, 0, s.stderr);
  const recs = readRun(run);
  const r = rstar(['analyze', '--run', run, '--json', '--per-problem']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  const a = out.runs[0];
  assert.equal(a.seed, 5);
  assert.equal(a.overall.problems, 3);
  assert.deepEqual(Object.keys(a.levels), ['1', '2', '3']);
  const solved = recs.filter((x) => solveRate(x.tree).correct > 0);
  assert.equal(a.overall.solved, solved.length);
  assert.ok(solved.length >= 1, 'the level-1 problem is solvable by the round-0 model');
  assert.equal(a.overall.tokensPerProblem, recs.reduce((acc, x) => acc + x.tokens, 0) / 3);
  assert.equal(out.comparison, null);
  for (const p of a.problems) {
    const rec = recs.find((x) => x.id === p.id)!;
    assert.equal(p.tokens, rec.tokens);
    assert.ok(p.treeTokens <= p.tokens);
    if (p.solved) assert.ok(p.firstCorrectCost > 0 && p.firstCorrectCost <= p.tokens + 1e-9);
    // Real trees record every expansion's cost: it covers the children's tokens (the rest were merged duplicates).
    for (const n of rec.tree.nodes.filter((x) => x.children.length > 0)) {
      assert.equal(typeof n.expansionTokens, 'number');
      assert.ok(n.expansionTokens! >= n.children.reduce((acc, c) => acc + rec.tree.nodes[c].tokens, 0), `${p.id} node ${n.id}`);
    }
    // Batch costs add up to the problem's generated tokens.
    const total = expansionBatches(rec.tree, rec.tokens).reduce((acc, b) => acc + b.cost, 0);
    assert.ok(Math.abs(total - rec.tokens) < 1e-6, `${p.id}: ${total} vs ${rec.tokens}`);
  }
  const text = rstar(['analyze', '--run', run]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^level\s+problems\s+coverage/m);
  assert.match(text.stdout, /^all\s+3\s/m);
  // The same run twice: identical columns at every budget.
  const twice = JSON.parse(rstar(['analyze', '--run', run, '--run', run, '--json']).stdout);
  for (const b of twice.comparison.budgets) assert.equal(b.coverage[0], b.coverage[1]);
  const noPpm = rstar(['analyze', '--run', run, '--ppm', join(REPO_ROOT, 'models', 'round0')]);
  assert.notEqual(noPpm.code, 0);
  assert.match(noPpm.stderr, /--ppm .*has no PPM/);
});
