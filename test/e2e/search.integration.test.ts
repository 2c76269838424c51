// Every search mode end to end with the shipped bundle: real ONNX engine, real sandbox, real grader.
// The first test guides the reward-dependent modes with the NON-LEARNED execution heuristic; the
// PPM tests use the PPM shipped in models/default (ppm.onnx), as `rstar solve` does by default.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { loadBundle } from '../../src/models/bundle.js';
import { OnnxReward } from '../../src/models/onnx/reward.js';
import { formatPrompt } from '../../src/steps/protocol.js';
import { OnnxPolicy } from '../../src/models/onnx/engine.js';
import { BatchingPolicy } from '../../src/models/batching/policy.js';
import { BatchingReward } from '../../src/models/batching/reward.js';
import { HeuristicReward } from '../../src/search/heuristic-reward.js';
import { createSandbox } from '../../src/sandbox/index.js';
import { createJudge } from '../../src/grade/index.js';
import { generateProblems } from '../../src/data/curriculum/index.js';
import { runSearches } from '../../src/search/scheduler.js';
import { solve } from '../../src/search/solve.js';
import { DEFAULT_SEARCH_CONFIG, SEARCH_MODES, type SearchConfig, type SearchDeps } from '../../src/search/types.js';
import type { TreeJSON } from '../../src/search/tree-file.js';
import type { Executor } from '../../src/sandbox/types.js';
import { rstar, DEFAULT_BUNDLE } from '../helpers/cli.js';

let engine: OnnxPolicy;
let ppm: OnnxReward;
let executor: Executor;
let deps: SearchDeps;
let ppmDeps: SearchDeps;
const judge = createJudge();
const cfg: SearchConfig = { ...DEFAULT_SEARCH_CONFIG, temperature: 1, rollouts: 4, candidates: 4, beamWidth: 2, n: 4, maxDepth: 8 };

before(async () => {
  engine = await OnnxPolicy.load(loadBundle(DEFAULT_BUNDLE), { threads: 2 });
  executor = await createSandbox({});
  deps = { policy: new BatchingPolicy(engine), executor, judge, reward: new BatchingReward(new HeuristicReward(executor)) };
  ppm = await OnnxReward.load(loadBundle(DEFAULT_BUNDLE), { threads: 2 });
  ppmDeps = { ...deps, reward: new BatchingReward(ppm) };
});
after(async () => {
  await ppm?.close();
  await executor?.close();
  await engine?.close();
});

test('every mode solves easy level-1 problems with the real model, sandbox and grader', async () => {
  const problems = generateProblems({ level: 1, count: 3, seed: 5151, split: 'test' });
  for (const mode of SEARCH_MODES) {
    const rs = await runSearches(
      problems.map((p) => ({ question: p.question })),
      deps,
      { ...cfg, mode },
      { concurrency: 2 },
    );
    const right = rs.filter((r, i) => r.answer !== null && judge.equal(r.answer, problems[i].answer)).length;
    assert.equal(
      right,
      problems.length,
      `${mode}: ${right}/${problems.length} right (${rs.map((r) => r.answer).join(', ')} vs ${problems.map((p) => p.answer).join(', ')})`,
    );
    for (const r of rs) {
      assert.equal(r.mode, mode);
      assert.ok(r.tokens > 0);
      if (r.answer !== null) assert.ok(r.trajectories[r.chosen].text.includes('<end_of_code>'), mode);
      if (mode === 'mcts' || mode === 'beam') {
        const t = r.tree!;
        assert.equal(t.format, 'rstar-ts/tree@1');
        assert.ok(t.nodes.length > 1 && t.nodes.some((n) => n.reason === 'answer'));
        assert.ok((t.totals.policyCalls ?? 0) > 0 && (t.totals.sandboxCalls ?? 0) > 0 && (t.totals.rewardCalls ?? 0) > 0);
      }
    }
  }
});

/** The shipped PPM's score of one text, on its own (batch of one). */
const ppmScore = async (text: string) => (await ppm.score([text]))[0];
const near = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-3, `${what}: ${a} vs ${b}`);

test('best-of-N with the shipped PPM: every sample scored by it, the best-scored one chosen, level-1 answers right', async () => {
  assert.ok(loadBundle(DEFAULT_BUNDLE).ppmPath, 'models/default ships ppm.onnx');
  const problems = generateProblems({ level: 1, count: 2, seed: 6161, split: 'test' });
  const rs = await runSearches(
    problems.map((p) => ({ question: p.question })),
    ppmDeps,
    { ...cfg, mode: 'best-of-n' },
    { concurrency: 2 },
  );
  for (const [i, r] of rs.entries()) {
    assert.ok(r.answer !== null && judge.equal(r.answer, problems[i].answer), `problem ${i}: ${r.answer} vs ${problems[i].answer}`);
    const scored = r.trajectories.filter((t) => t.answer !== null);
    assert.ok(scored.length >= 1);
    // bonAggregate 'last': a sample's score is the PPM's score of the whole solution.
    for (const t of scored) near(t.score!, await ppmScore(formatPrompt(problems[i].question) + t.text), `problem ${i} sample score`);
    const best = Math.max(...scored.map((t) => t.score!));
    assert.equal(r.trajectories[r.chosen].score, best, 'the chosen sample has the best PPM score');
  }
});

test('beam search with the shipped PPM: every kept node valued by it, level-1 answers right', async () => {
  const problems = generateProblems({ level: 1, count: 2, seed: 7171, split: 'test' });
  const rs = await runSearches(
    problems.map((p) => ({ question: p.question })),
    ppmDeps,
    { ...cfg, mode: 'beam' },
    { concurrency: 2 },
  );
  for (const [i, r] of rs.entries()) {
    assert.ok(r.answer !== null && judge.equal(r.answer, problems[i].answer), `problem ${i}: ${r.answer} vs ${problems[i].answer}`);
    const t = r.tree!;
    assert.equal(t.guide, 'reward');
    assert.ok((t.totals.rewardCalls ?? 0) > 0);
    const path = (id: number): string => (t.nodes[id].parent === null ? '' : path(t.nodes[id].parent!) + t.nodes[id].text);
    // Nodes the reward model scored: every non-terminal candidate and every answer.
    const valued = t.nodes.filter((n) => n.parent !== null && (!n.terminal || n.reason === 'answer'));
    assert.ok(valued.length >= 2);
    for (const n of valued) near(n.value!, await ppmScore(t.prompt + path(n.id)), `problem ${i} node ${n.tag}`);
  }
});

test('MCTS with the shipped PPM (what --mode mcts does on models/default): PPM-guided, every new node valued by it, level-2 answers right', async () => {
  const problems = generateProblems({ level: 2, count: 2, seed: 8181, split: 'test' });
  const rs = await runSearches(
    problems.map((p) => ({ question: p.question })),
    ppmDeps,
    { ...cfg, mode: 'mcts' },
    { concurrency: 2 },
  );
  let intermediate = 0;
  for (const [i, r] of rs.entries()) {
    assert.ok(r.answer !== null && judge.equal(r.answer, problems[i].answer), `problem ${i}: ${r.answer} vs ${problems[i].answer}`);
    const t = r.tree!;
    assert.equal(t.guide, 'ppm', 'guide auto with a reward model and no gold');
    const path = (id: number): string => (t.nodes[id].parent === null ? '' : path(t.nodes[id].parent!) + t.nodes[id].text);
    // A node's value is its first visit: the PPM's score for every new step that was not an invalid
    // terminal (intermediate steps, later marked exhausted once every child is terminal, and answers).
    const valued = t.nodes.filter((n) => n.parent !== null && (!n.terminal || n.reason === 'answer' || n.reason === 'exhausted'));
    assert.ok(
      valued.some((n) => n.reason === 'answer'),
      'answers are valued by the PPM',
    );
    for (const n of valued) near(n.value!, await ppmScore(t.prompt + path(n.id)), `problem ${i} node ${n.tag}`);
    intermediate += valued.filter((n) => n.reason !== 'answer').length;
  }
  assert.ok(intermediate > 0, 'some intermediate steps were valued by the PPM');
});

test('terminal-guided MCTS on a hard problem: ±1 terminals, Q backed up along paths, same seed same tree', async () => {
  const [p] = generateProblems({ level: 3, count: 1, seed: 777, split: 'test' });
  const d = { ...deps, reward: undefined };
  const c = { ...cfg, mode: 'mcts' as const, gold: p.answer, seed: 3 };
  const [a, b] = await Promise.all([solve(p.question, d, c), solve(p.question, d, c)]);
  const t = a.tree!;
  assert.equal(t.guide, 'terminal');
  for (const n of t.nodes) {
    if (n.reason === 'answer') assert.equal(n.value, n.correct ? 1 : -1);
    if (n.terminal && n.reason !== 'answer' && n.reason !== 'exhausted') assert.equal(n.qSum, -1);
  }
  const rootSum = t.nodes.filter((n) => n.reason === 'answer').reduce((s, n) => s + (n.correct ? 1 : -1), 0);
  assert.equal(t.nodes[0].qSum, rootSum);
  const strip = (x: TreeJSON) => x.nodes.map((n) => [n.text, n.visits, n.qSum, n.answer]);
  assert.deepEqual(strip(b.tree!), strip(t));
});

test('rstar solve --mode mcts --save-trees writes the tree JSON', () => {
  const [p] = generateProblems({ level: 2, count: 1, seed: 4244, split: 'test' });
  const dir = mkdtempSync(join(tmpdir(), 'rstar-trees-'));
  const r = rstar(['solve', '--mode', 'mcts', '--rollouts', '3', '--candidates', '3', '--temperature', '1', '--save-trees', dir, '--json', p.question], {
    timeoutMs: 180_000,
  });
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.mode, 'mcts');
  assert.ok(out.totals.nodes > 1);
  const files = readdirSync(dir);
  assert.equal(files.length, 1);
  const tree = JSON.parse(readFileSync(join(dir, files[0]), 'utf8')) as TreeJSON;
  assert.equal(tree.format, 'rstar-ts/tree@1');
  assert.equal(tree.nodes[0].parent, null);
  for (const k of ['tokens', 'visits', 'q', 'value', 'code', 'output', 'error'] as const) assert.ok(k in tree.nodes[1], k);
});
