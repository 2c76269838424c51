import { test } from 'node:test';
import assert from 'node:assert/strict';
import { solve } from '../../src/search/solve.js';
import { runSearches } from '../../src/search/scheduler.js';
import { BatchingPolicy } from '../../src/models/batching/policy.js';
import { BatchingReward } from '../../src/models/batching/reward.js';
import { SearchTree, uct, selectChild, backup, update, qValue, type SearchNode } from '../../src/search/tree.js';
import { chooseAnswer } from '../../src/search/step-tree.js';
import { aggregate, stepPrefixes } from '../../src/search/best-of-n.js';
import { DEFAULT_SEARCH_CONFIG, SEARCH_MODES, type SearchConfig, type SearchDeps } from '../../src/search/types.js';
import type { TreeJSON } from '../../src/search/tree-file.js';
import { ScriptedPolicy, ScriptedExecutor, ScriptedReward, exactJudge, step, finalStep, depthOf } from '../helpers/search-doubles.js';

const base: SearchConfig = { ...DEFAULT_SEARCH_CONFIG, mode: 'mcts', temperature: 1 };

function deps(policy: ScriptedPolicy, reward?: ScriptedReward): SearchDeps {
  return { policy, executor: new ScriptedExecutor(), judge: exactJudge, reward };
}

/** Checks the terminal-guided invariants on a finished tree: only answer terminals back up, along their path. */
function checkTerminalGuidedSums(tree: TreeJSON): void {
  const byId = tree.nodes;
  const expectVisits = new Array(byId.length).fill(0);
  const expectSum = new Array(byId.length).fill(0);
  for (const n of byId) {
    if (n.reason === 'answer') {
      const v = n.correct ? 1 : -1;
      for (let c: number | null = n.id; c !== null; c = byId[c].parent) {
        expectVisits[c]++;
        expectSum[c] += v;
      }
    } else if (n.terminal && n.reason !== 'exhausted') {
      expectVisits[n.id]++;
      expectSum[n.id] += -1;
    }
  }
  for (const n of byId) {
    assert.equal(n.visits, expectVisits[n.id], `visits of ${n.tag}`);
    assert.ok(Math.abs(n.qSum - expectSum[n.id]) < 1e-9, `q of ${n.tag}`);
  }
}

test('SEARCH_MODES lists every mode', () => {
  assert.deepEqual([...SEARCH_MODES], ['greedy', 'self-consistency', 'best-of-n', 'beam', 'mcts']);
});

test('UCT: unvisited children get no bonus, ties go to the first child, terminals are skipped', () => {
  const t = new SearchTree('p');
  const a = t.add(t.root, 'a', 1);
  const b = t.add(t.root, 'b', 1);
  const c = t.add(t.root, 'c', 1);
  assert.equal(uct(a, 0, 2), 0);
  assert.equal(selectChild(t, t.root, 2), a); // all tie at 0 → first
  update(t.root, 0);
  update(t.root, 0);
  update(t.root, 0);
  update(b, 0.5); // b: q 0.5, N 1 → 0.5 + 2·sqrt(ln 3 / 1)
  assert.ok(Math.abs(uct(b, 3, 2) - (0.5 + 2 * Math.sqrt(Math.log(3)))) < 1e-12);
  assert.equal(uct(a, 3, 2), 0); // never visited: no exploration bonus
  assert.equal(selectChild(t, t.root, 2), b);
  update(a, 3); // a: 3 + bonus > b
  assert.equal(selectChild(t, t.root, 2), a);
  a.terminal = true;
  assert.equal(selectChild(t, t.root, 2), b);
  b.terminal = c.terminal = true;
  assert.equal(selectChild(t, t.root, 2), null);
});

test('backup adds the value to every node on the path; update touches one node', () => {
  const t = new SearchTree('p');
  const a = t.add(t.root, 'a', 1);
  const b = t.add(a, 'b', 1);
  const c = t.add(b, 'c', 1);
  backup(t, c, 1);
  backup(t, b, -1);
  update(c, -1);
  assert.deepEqual(
    [t.root, a, b, c].map((n) => [n.visits, n.qSum]),
    [
      [2, 0],
      [2, 0],
      [2, 0],
      [2, 0],
    ],
  );
  assert.equal(c.value, 1); // first value received
  assert.equal(qValue(t.add(c, 'd', 1)), 0);
});

// A level of reasoning: at the root propose a setup step, a right final step, a wrong one and an error.
function mixedPolicy(): ScriptedPolicy {
  return new ScriptedPolicy((prefix, _i, rng) => {
    const d = depthOf(prefix);
    const k = rng.int(5);
    if (d >= 2) return finalStep(k % 2 === 0 ? 'print(42)' : 'print(41)');
    if (k === 0) return finalStep('print(42)');
    if (k === 1) return finalStep('print(7)');
    if (k === 2) return step('fail()');
    return step(`# step ${d} option ${k}\nx${d} = ${k}`);
  });
}

test('terminal-guided MCTS: right terminals +1, wrong −1, sums along paths, Q signs', async () => {
  const r = await solve('q1', deps(mixedPolicy()), { ...base, gold: '42', rollouts: 8, candidates: 5 });
  const tree = r.tree!;
  assert.equal(tree.guide, 'terminal');
  checkTerminalGuidedSums(tree);
  const answers = tree.nodes.filter((n) => n.reason === 'answer');
  assert.ok(answers.some((n) => n.correct) && answers.some((n) => !n.correct));
  for (const n of answers) assert.equal(n.q, n.correct ? 1 : -1);
  assert.equal(r.answer, '42'); // oracle: the best-scored trajectory is a right one
  assert.equal(r.trajectories[r.chosen].score, 1);
  // A node whose subtree only reached wrong answers has negative Q; only right answers → positive.
  for (const n of tree.nodes) {
    if (n.visits === 0 || n.terminal) continue;
    const sub: number[] = [];
    const walk = (id: number): void => {
      const x = tree.nodes[id];
      if (x.reason === 'answer') sub.push(x.correct ? 1 : -1);
      x.children.forEach(walk);
    };
    walk(n.id);
    if (sub.every((v) => v < 0)) assert.ok(n.q < 0);
    if (sub.every((v) => v > 0)) assert.ok(n.q > 0);
  }
  assert.ok(r.totals!.rollouts >= 1 && r.totals!.rollouts <= 8);
});

test('error nodes: consecutive errors reach the threshold and end the branch with −1 on itself', async () => {
  const policy = new ScriptedPolicy((_p, i) => step(`fail(${i})`));
  const r = await solve('q2', deps(policy), { ...base, gold: '1', rollouts: 4, candidates: 2, errorsThreshold: 2 });
  const t = r.tree!;
  const depth1 = t.nodes.filter((n) => n.depth === 1);
  const depth2 = t.nodes.filter((n) => n.depth === 2);
  assert.ok(depth1.every((n) => !n.terminal || n.reason === 'exhausted'));
  assert.ok(depth1.every((n) => n.execStatus === 'error'));
  assert.ok(depth2.length > 0 && depth2.every((n) => n.reason === 'too-many-errors' && n.visits === 1 && n.q === -1));
  assert.ok(t.nodes.every((n) => n.depth <= 2));
  assert.equal(t.nodes[0].visits, 0); // invalid terminals do not back up
  assert.equal(r.answer, null);
  assert.equal(r.totals!.stopReason, 'exhausted');
});

test('depth limit: nodes deeper than maxDepth are too-many-steps terminals; truncated steps are invalid', async () => {
  const policy = new ScriptedPolicy((p, i) => (i === 0 ? step(`y${depthOf(p)} = 1`) : `z = 2 # never closed`));
  const r = await solve('q3', deps(policy), { ...base, gold: '1', rollouts: 2, candidates: 2, maxDepth: 3 });
  const t = r.tree!;
  assert.equal(Math.max(...t.nodes.map((n) => n.depth)), 4);
  assert.ok(t.nodes.filter((n) => n.depth === 4 && n.execStatus === 'ok' && !n.text.includes('never')).every((n) => n.reason === 'too-many-steps'));
  assert.ok(t.nodes.filter((n) => n.text.includes('never')).every((n) => n.reason === 'truncated' && n.q === -1));
});

test('duplicate candidate steps are merged', async () => {
  const policy = new ScriptedPolicy(() => finalStep('print(5)'));
  const r = await solve('q4', deps(policy), { ...base, gold: '5', rollouts: 3, candidates: 8 });
  assert.equal(r.tree!.nodes.length, 2);
  assert.equal(r.answer, '5');
  assert.equal(r.totals!.stopReason, 'exhausted');
});

test('PPM-guided MCTS at inference: new nodes valued by the reward model, terminals back up their score', async () => {
  const f = (t: string): number => (t.includes('print(42)') ? 0.9 : t.includes('print(7)') ? 0.2 : t.includes('fail') ? -0.5 : 0.1);
  const reward = new ScriptedReward(f);
  const r = await solve('q5', deps(mixedPolicy(), reward), { ...base, rollouts: 6, candidates: 5 });
  const t = r.tree!;
  assert.equal(t.guide, 'ppm');
  const pathText = (id: number): string => {
    let s = '';
    for (let c: number | null = id; c !== null; c = t.nodes[c].parent) s = t.nodes[c].text + s;
    return t.prompt + s;
  };
  for (const n of t.nodes) {
    if (n.parent === null) continue;
    // initial q of new nodes (and terminal values) come from the reward model on the path text
    if (!n.terminal || n.reason === 'exhausted' || n.reason === 'answer') assert.equal(n.value, f(pathText(n.id)), n.tag);
  }
  assert.ok(t.nodes.some((n) => n.answer === '42'));
  assert.equal(r.answer, '42');
  assert.ok(reward.calls.length >= 1);
  // visits of an inner node = its own initial visit + terminals backed up through it
  for (const n of t.nodes) {
    if (n.parent === null || n.terminal) continue;
    let backs = 0;
    const walk = (id: number): void => {
      const x = t.nodes[id];
      if (x.reason === 'answer') backs++;
      x.children.forEach(walk);
    };
    n.children.forEach(walk);
    assert.equal(n.visits, 1 + backs, n.tag);
  }
});

test('PPM-guided MCTS in synthesis: terminal rewards (gold) still back up', async () => {
  const reward = new ScriptedReward(() => 0.3);
  const r = await solve('q6', deps(mixedPolicy(), reward), { ...base, gold: '42', rollouts: 6, candidates: 5 });
  for (const n of r.tree!.nodes) if (n.reason === 'answer') assert.equal(n.value, n.correct ? 1 : -1);
  assert.equal(r.tree!.guide, 'ppm');
});

test('top-k vote and best selection', () => {
  const t = new SearchTree('p');
  const mk = (answer: string, score: number): SearchNode => {
    const n = t.add(t.root, answer, 1);
    n.terminal = true;
    n.reason = 'answer';
    n.answer = answer;
    n.value = score;
    return n;
  };
  const finals = [mk('5', 0.9), mk('7', 0.8), mk('7', 0.7), mk('5', 0.1), mk('5', 0.05)];
  const d = { judge: exactJudge } as SearchDeps;
  const score = (n: SearchNode) => n.value!;
  assert.equal(chooseAnswer(t, finals, score, 'best', 3, d).answer, '5');
  const v3 = chooseAnswer(t, finals, score, 'topk-vote', 3, d);
  assert.equal(v3.answer, '7');
  assert.equal(v3.trajectories[v3.chosen].answer, '7');
  assert.deepEqual(v3.votes, [
    { answer: '7', count: 2 },
    { answer: '5', count: 1 },
  ]);
  assert.equal(chooseAnswer(t, finals, score, 'topk-vote', 5, d).answer, '5');
  assert.equal(chooseAnswer(t, finals, score, 'topk-vote', 2, d).answer, '5'); // 1–1 tie → higher ranked
});

test('beam search keeps at most beamWidth partial trajectories per step, and shrinks on answers', async () => {
  const policy = new ScriptedPolicy((p, i) => (depthOf(p) >= 3 && i === 0 ? finalStep('print(9)') : step(`v${depthOf(p)}_${i} = ${i}`)));
  const reward = new ScriptedReward((t) => {
    const m = /v\d+_(\d+) = \d+\n<end_of_step>$/.exec(t);
    return t.includes('print(9)') ? 1 : m ? Number(m[1]) / 10 : 0;
  });
  const r = await solve('q7', deps(policy, reward), { ...base, mode: 'beam', beamWidth: 3, candidates: 4, maxDepth: 8 });
  const t = r.tree!;
  for (let d = 0; d <= 8; d++) {
    const expanded = t.nodes.filter((n) => n.depth === d && n.children.length > 0);
    assert.ok(expanded.length <= 3, `depth ${d}: ${expanded.length}`);
  }
  // the beam at depth 1 is the three best-scored candidates
  const kept = t.nodes
    .filter((n) => n.depth === 1 && n.children.length > 0)
    .map((n) => n.value!)
    .sort((a, b) => b - a);
  assert.deepEqual(kept, [0.3, 0.2, 0.1]);
  assert.equal(r.answer, '9');
  // at depth 3 every beam node produced an answer (width 3 → 0): the search ends there
  assert.equal(Math.max(...t.nodes.map((n) => n.depth)), 4);
  assert.ok(reward.calls.every((c) => c.length <= 12));
});

test('best-of-N aggregates step scores (last, mean, min)', async () => {
  assert.deepEqual(stepPrefixes(`a${'<end_of_step>'}b<end_of_code>x`), ['a<end_of_step>', 'a<end_of_step>b<end_of_code>x']);
  assert.equal(aggregate([0.2, 0.8], 'last'), 0.8);
  assert.equal(aggregate([0.2, 0.8], 'mean'), 0.5);
  assert.equal(aggregate([0.2, 0.8], 'min'), 0.2);
  // Sample i: a setup step then prints i. Reward: the setup step of even samples is bad, last step score = i/10.
  const policy = new ScriptedPolicy((_p, i) => `${step(`s = ${i}`)}\n${finalStep(`print(${i})`)}`);
  const reward = new ScriptedReward((t) => {
    const m = /s = (\d+)/.exec(t);
    const i = m ? Number(m[1]) : 0;
    return t.includes('<end_of_code>') ? i / 10 : i % 2 === 0 ? -1 : 0.5;
  });
  const cfg: SearchConfig = { ...base, mode: 'best-of-n', n: 4 };
  const last = await solve('q8', deps(policy, reward), { ...cfg, bonAggregate: 'last' });
  assert.equal(last.answer, '3');
  const min = await solve('q8', deps(policy, reward), { ...cfg, bonAggregate: 'min' });
  assert.equal(min.answer, '3');
  const policy2 = new ScriptedPolicy((_p, i) => `${step(`s = ${i}`)}\n${finalStep(`print(${i})`)}`);
  const reward2 = new ScriptedReward((t) => {
    const i = Number(/s = (\d+)/.exec(t)?.[1] ?? 0);
    return t.includes('<end_of_code>') ? (i === 2 ? 0.9 : 0.5) : i === 2 ? -1 : 0.6;
  });
  assert.equal((await solve('q9', deps(policy2, reward2), { ...cfg, bonAggregate: 'last' })).answer, '2');
  assert.equal((await solve('q9', deps(policy2, reward2), { ...cfg, bonAggregate: 'mean' })).answer, '0');
});

test('token budget and early stop end the search', async () => {
  const b = await solve('q10', deps(mixedPolicy()), { ...base, gold: '42', rollouts: 16, candidates: 5, tokenBudget: 20 });
  assert.equal(b.totals!.stopReason, 'budget');
  assert.equal(b.totals!.rollouts, 1);
  const agreeing = new ScriptedPolicy((p, i) => (i === 0 ? finalStep('print(3)') : step(`w${depthOf(p)} = ${i}`)));
  const s = await solve('q11', deps(agreeing), { ...base, gold: '3', rollouts: 16, candidates: 3, earlyStopAgree: 2 });
  assert.equal(s.totals!.stopReason, 'settled');
  assert.equal(s.totals!.rollouts, 1); // the first rollout found two agreeing answers
});

function stripTimes(t: TreeJSON): unknown {
  const { totals, ...rest } = t;
  const { wallMs: _w, policyMs: _p, rewardMs: _r, sandboxMs: _s, bookkeepingMs: _b, ...counts } = totals;
  return { ...rest, counts };
}

test('determinism: same seed, same tree — alone or merged with other trees in one batching policy', async () => {
  const cfg = { ...base, gold: '42', rollouts: 8, candidates: 5, seed: 7 };
  const a = await solve('same', deps(mixedPolicy()), cfg);
  const b = await solve('same', deps(mixedPolicy()), cfg);
  assert.deepEqual(stripTimes(a.tree!), stripTimes(b.tree!));
  const inner = mixedPolicy();
  const batching = new BatchingPolicy(inner);
  const d: SearchDeps = { policy: batching, executor: new ScriptedExecutor(), judge: exactJudge };
  const jobs = ['other1', 'same', 'other2', 'other3'].map((question) => ({ question, gold: '42' }));
  const rs = await runSearches(jobs, d, { ...cfg, gold: undefined }, { concurrency: 4 });
  assert.deepEqual(stripTimes(rs[1].tree!), stripTimes(a.tree!));
  assert.ok(batching.meanBatchSize() > 5, `mean batch ${batching.meanBatchSize()}`); // trees' expansions merged
  const c = await solve('same', deps(mixedPolicy()), { ...cfg, seed: 8 });
  assert.notDeepEqual(stripTimes(c.tree!), stripTimes(a.tree!));
});

test('reward calls from concurrent trees are merged; totals split the wall time', async () => {
  const inner = new ScriptedReward(() => 0.1);
  const reward = new BatchingReward(inner);
  const d: SearchDeps = { policy: new BatchingPolicy(mixedPolicy()), executor: new ScriptedExecutor(), judge: exactJudge, reward };
  const jobs = Array.from({ length: 6 }, (_, i) => ({ question: `r${i}` }));
  const rs = await runSearches(jobs, d, { ...base, rollouts: 4, candidates: 5 }, { concurrency: 6 });
  assert.ok(inner.calls.length < rs.reduce((a, r) => a + r.totals!.rewardCalls, 0));
  for (const r of rs) {
    const t = r.totals!;
    const parts = t.policyMs + t.rewardMs + t.sandboxMs + t.bookkeepingMs;
    assert.ok(Math.abs(parts - t.wallMs) < 1e-6 * Math.max(1, t.wallMs) + 1e-6, `${parts} vs ${t.wallMs}`);
    assert.ok(t.policyCalls > 0 && t.sandboxCalls > 0 && t.policyTokens > 0);
    assert.equal(t.nodes, r.tree!.nodes.length);
  }
});
