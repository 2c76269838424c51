import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/paths.js';
import { loadEvolveConfig, sftSchedule, type EvolveConfig } from '../../src/evolve/config.js';
import { pickPool, probeSample } from '../../src/evolve/frontier.js';
import { runEvolve } from '../../src/evolve/evolve.js';
import { samplesToTree, stepChunks, roundSftSet } from '../../src/evolve/round-data.js';
import type { ProbeResult } from '../../src/evolve/probe.js';
import type { EvalProblem } from '../../src/eval/datasets.js';
import { createSandbox } from '../../src/sandbox/index.js';
import { extractSft } from '../../src/extract/sft.js';
import { extractPairs } from '../../src/extract/pairs.js';
import { ShardStore } from '../../src/synth/shard-store.js';
import type { SynthRecord } from '../../src/synth/synth-run.js';
import type { Trajectory } from '../../src/search/types.js';
import { buildTree } from '../helpers/trees.js';
import { formatSolution } from '../../src/steps/protocol.js';

const problems = (level: number, n: number): EvalProblem[] =>
  Array.from({ length: n }, (_, i) => ({ id: `L${level}-${i}`, question: `q${level}.${i}`, answer: '1', level }));
const TRAIN = [...problems(1, 10), ...problems(2, 10), ...problems(3, 10), ...problems(4, 10)];

/** A probe of 4 problems per level with these correct-sample counts (out of 4). */
function probeOf(counts: Record<number, number[]>, frontier: number[]): ProbeResult {
  const levels = Object.entries(counts).map(([l, cs]) => {
    const pass1 = cs.reduce((a, c) => a + c / 4, 0) / cs.length;
    const passK = cs.filter((c) => c > 0).length / cs.length;
    return {
      level: Number(l),
      seed: false,
      problems: cs.length,
      samples: 4,
      correctSamples: 0,
      solvedProblems: 0,
      pass1,
      passK,
      frontier: frontier.includes(Number(l)),
    };
  });
  return {
    format: 'rstar-ts/probe@1',
    curriculum: 'v2',
    split: 'train',
    seed: 0,
    count: 4,
    samples: 4,
    temperature: 1,
    band: [0.1, 0.9],
    levels,
    frontier,
    warnings: [],
    problems: Object.entries(counts).flatMap(([l, cs]) => cs.map((c, i) => ({ id: `L${l}-${i}`, level: Number(l), correct: c }))),
    wallSeconds: 0,
    tokens: 0,
  };
}

test('pickPool: probed problems in the band first, then unprobed frontier problems, then a share from the level above', () => {
  // L1 always solved, L2 sometimes (the frontier), L3 once, L4 never.
  const probe = probeOf({ 1: [4, 4, 4, 4], 2: [1, 4, 0, 2], 3: [1, 0, 0, 0], 4: [0, 0, 0, 0] }, [2]);
  const pick = pickPool(TRAIN, probe, { size: 8, above: 0.25 }, 's');
  assert.deepEqual(pick.levels, [2]);
  assert.deepEqual(pick.above, { level: 3, problems: 2 });
  assert.equal(pick.problems.length, 8);
  // In the band: L2-0 (1/4), L2-3 (2/4) and L3-0 (1/4), taken first; L2-1 (4/4) and L2-2 (0/4) were probed outside it and are not drawn.
  assert.deepEqual(
    pick.problems.slice(0, 3).map((p) => p.id),
    ['L2-0', 'L2-3', 'L3-0'],
  );
  assert.ok(!pick.problems.some((p) => p.id === 'L2-1' || p.id === 'L2-2'));
  assert.equal(pick.inBand, 3);
  // Then 3 unprobed frontier (L2) problems, then 2 from L3 above the frontier.
  assert.ok(pick.problems.slice(3, 6).every((p) => p.level === 2 && Number(p.id.split('-')[1]) >= 4));
  assert.ok(pick.problems.slice(6).every((p) => p.level === 3 && p.id !== 'L3-0'));
  assert.deepEqual(pick.perLevel, { '2': 5, '3': 3 });
  assert.equal(pick.note, null);
  // Deterministic in the seed; another seed draws other unprobed problems.
  assert.deepEqual(pickPool(TRAIN, probe, { size: 8, above: 0.25 }, 's').problems, pick.problems);
  assert.notDeepEqual(
    pickPool(TRAIN, probe, { size: 8, above: 0.25 }, 't').problems.map((p) => p.id),
    pick.problems.map((p) => p.id),
  );
  // Without a size: every frontier problem, and the above share of the total.
  const all = pickPool(TRAIN, probe, { above: 0.2 }, 's');
  assert.equal(all.perLevel['2'], 10 - 2, 'L2: every problem but the two probed outside the band');
  assert.equal(all.above?.problems, Math.round((8 + 1) * 0.25));
});

test('pickPool: no frontier falls back and says so; no probe keeps the old behaviour', () => {
  const hard = probeOf({ 1: [1, 0, 0, 0], 2: [0, 0, 0, 0], 3: [0, 0, 0, 0], 4: [0, 0, 0, 0] }, []);
  const p1 = pickPool(TRAIN, hard, { size: 6, above: 0.5 }, 's');
  assert.deepEqual(p1.levels, [1]);
  assert.match(p1.note!, /no frontier: drawing from reachable levels below the band \(1\)/);
  assert.deepEqual(p1.above, { level: 2, problems: 3 });
  const easy = probeOf({ 1: [4, 4, 4, 4], 2: [4, 4, 4, 4], 3: [0, 0, 0, 0], 4: [0, 0, 0, 0] }, []);
  const p2 = pickPool(TRAIN, easy, { size: 5, above: 0.2 }, 's');
  assert.match(p2.note!, /every reachable level is above the band/);
  assert.deepEqual(Object.keys(p2.perLevel), ['3']);
  const none = probeOf({ 1: [0, 0, 0, 0], 2: [0, 0, 0, 0], 3: [0, 0, 0, 0], 4: [0, 0, 0, 0] }, []);
  assert.match(pickPool(TRAIN, none, { above: 0 }, 's').note!, /nothing was solved; drawing from every level/);
  assert.equal(pickPool(TRAIN, null, { above: 0 }, 's').problems, TRAIN);
  assert.equal(pickPool(TRAIN, null, { size: 7, above: 0 }, 's').problems.length, 7);
  assert.deepEqual(
    probeSample(TRAIN, [1, 3], 2, 's').map((p) => p.level),
    [1, 1, 3, 3],
  );
});

test('evolve config: the probe/pool/sampling/replay blocks parse, default off, and bad values name the field', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rstar-evolve-v2cfg-'));
  try {
    const old = loadEvolveConfig(join(REPO_ROOT, 'configs', 'evolve.yaml'));
    assert.equal(old.probe, undefined);
    assert.equal(old.sampling, undefined);
    assert.equal(old.replay, 'all');
    assert.equal(old.policy.init, 'base');
    assert.equal(old.ppm.pairsFrom, 'all');
    assert.deepEqual(sftSchedule(old, 100), { epochs: 3 });
    const v2 = loadEvolveConfig(join(REPO_ROOT, 'configs', 'evolve-v2.yaml'));
    assert.ok(v2.probe && v2.sampling && typeof v2.replay === 'number');
    const base = 'bootstrap: x\ntrain: t\ntest: t\nrounds:\n  - { guide: terminal, rollouts: 4 }\n';
    const f = join(dir, 'c.yaml');
    writeFileSync(f, base + 'probe: { levels: "2-4", band: [0.2, 0.8] }\npolicy: { stepsPerExample: 0.5, minSteps: 20 }\n');
    const c = loadEvolveConfig(f) as EvolveConfig;
    assert.deepEqual(c.probe?.levels, [2, 3, 4]);
    assert.equal(c.probe?.samples, 8);
    assert.deepEqual(sftSchedule(c, 10), { epochs: 65, maxSteps: 20 });
    assert.equal(sftSchedule(c, 1000).maxSteps, 500);
    for (const [extra, field] of [
      ['probe: { band: [0.9, 0.1] }', 'probe.band'],
      ['probe: { levels: "x" }', 'probe.levels'],
      ['replay: 1', 'replay'],
      ['policy: { init: latest }', 'policy.init'],
      ['sampling: { temperature: 1 }', 'sampling.samples'],
      ['pool: { above: 1.5 }', 'pool.above'],
    ] as const) {
      writeFileSync(f, base + extra + '\n');
      assert.throws(() => loadEvolveConfig(f), new RegExp(`field "${field.replace('.', '\\.')}"`), extra);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const traj = (steps: string[], out: string, answer: string | null): Trajectory => {
  const text = formatSolution(steps, out, answer === null ? 'no answer' : `The answer is \\boxed{${answer}}.`);
  return { text, output: out, execStatus: 'ok', execError: null, answer, tokens: 10 };
};
const judge = { equal: (a: string, b: string | string[]) => a === b, extract: (s: string) => s } as never;

test('samplesToTree: samples merge into a prefix tree, Q is the mean outcome, and every step prefix of a correct path runs in the real sandbox', async () => {
  const sb = await createSandbox({ workers: 1 });
  try {
    const good = traj(['# apples\na = 3', '# more\nb = a + 4', 'print(b)'], '7', '7');
    const wrong = traj(['# apples\na = 3', '# fewer\nb = a - 4', 'print(b)'], '-1', '-1');
    // Correct answer, but its first step alone is not valid Python (the block continues in the next step): not verified.
    const broken = traj(['for i in range(1):', '    x = 7', 'print(x)'], '7', '7');
    const { tree, verified } = await samplesToTree(
      'q',
      '7',
      [good, good, wrong, broken],
      { executor: sb, judge },
      { seed: 1, config: {}, execTimeoutMs: 5000 },
    );
    assert.equal(verified, 1);
    assert.equal(tree.nodes[0].visits, 4);
    const first = tree.nodes[tree.nodes[0].children[0]];
    assert.equal(first.visits, 3, 'three samples share the first step');
    assert.ok(Math.abs(first.q - 1 / 3) < 1e-9, `Q ${first.q}: (1 + 1 − 1) / 3`);
    for (const t of [good, wrong, broken]) assert.deepEqual(stepChunks(t.text).join(''), t.text);
    const brokenFirst = tree.nodes.find((n) => n.text.includes('for i in'))!;
    assert.notEqual(brokenFirst.execStatus, 'ok');
    const record = { id: 'p', level: 1, question: 'q', gold: '7', tree } as unknown as SynthRecord;
    const sft = extractSft([record], 2);
    assert.equal(sft.length, 1, 'one distinct verified trajectory');
    assert.equal(sft[0].completion, good.text);
    const pairs = extractPairs([record], { minMargin: 0.5, minEditDistance: 1 });
    assert.ok(
      pairs.some((p) => p.depth === 2 && p.chosen.includes('a + 4') && p.rejected.includes('a - 4')),
      'a step pair where samples diverge',
    );
    assert.ok(
      pairs.some((p) => p.depth === undefined && p.chosen === good.text),
      'a final-step pair, correct vs wrong trajectory',
    );
  } finally {
    await sb.close();
  }
});

test("roundSftSet: replay share draws earlier rounds' trajectories of problems this round did not solve, ≤ perProblem each", () => {
  const dir = mkdtempSync(join(tmpdir(), 'rstar-replay-'));
  try {
    const mk = (name: string, ids: string[]) => {
      const d = join(dir, name);
      const { store } = ShardStore.open<SynthRecord>(join(d, 'trees'));
      for (const id of ids) {
        const t = traj([`x = ${id.length}`, 'print(x)'], '1', '1');
        const t2 = traj([`y = ${id.length}`, 'print(y)'], '1', '1');
        const tree = buildTree(
          [{ parent: null }, { parent: 0, text: t.text, end: true, answer: '1', q: 1 }, { parent: 0, text: t2.text, end: true, answer: '1', q: 0.5 }],
          { question: id, prompt: `P ${id}` },
        );
        store.append({ id, tree } as unknown as SynthRecord);
      }
      store.seal();
      store.close();
      return d;
    };
    const r1 = [{ round: 1, dir: mk('r1', ['a', 'bb', 'ccc', 'dddd']), source: 'mcts' as const }];
    const r2 = [{ round: 2, dir: mk('r2', ['a', 'eeeee']), source: 'sampling' as const }];
    const all = roundSftSet([r1, r2], 2, 2, 'all', 's');
    // 'all': round 1's 8 and round 2's new ones; round 2's trajectories of "a" repeat round 1's and count once.
    assert.equal(all.examples.length, 10);
    assert.equal(all.fresh, 2);
    assert.equal(all.replay, 8);
    const half = roundSftSet([r1, r2], 2, 2, 0.5, 's');
    assert.equal(half.fresh, 4);
    assert.equal(half.replay, 4);
    assert.ok(half.examples.filter((e) => e.round === 1).every((e) => e.problem_id !== 'a' && e.problem_id !== 'eeeee'));
    const per = new Map<string, number>();
    for (const e of half.examples) per.set(e.problem_id, (per.get(e.problem_id) ?? 0) + 1);
    assert.ok([...per.values()].every((n) => n <= 2));
    assert.equal(roundSftSet([r1, r2], 2, 1, 0.25, 's').replay, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('runEvolve resumes a run recorded before the new optional fields (their defaults fill in), and still refuses a changed config', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rstar-evolve-oldstate-'));
  try {
    const cfgPath = join(dir, 'c.yaml');
    writeFileSync(
      cfgPath,
      `bootstrap: ${join(REPO_ROOT, 'models', 'round0')}\ntrain: curriculum:level=1,count=2,seed=1,split=train\ntest: curriculum:level=1,count=1,seed=2,split=test\nrounds:\n  - { guide: terminal, rollouts: 2 }\n`,
    );
    const cfg = loadEvolveConfig(cfgPath);
    // The config as an older version recorded it: without pool/replay/policy.init/... .
    const { pool: _p, replay: _r, ...old } = cfg as unknown as Record<string, unknown>;
    const { init: _i, minSteps: _m, ...oldPolicy } = cfg.policy;
    const { pairsFrom: _f, ...oldPpm } = cfg.ppm;
    const rounds = [0, 1].map((round) => ({
      round,
      status: 'complete',
      policy: 'x',
      ppm: null,
      synth: null,
      coverage: null,
      sftExamples: null,
      ppmPairs: null,
      ppmPairAccuracy: null,
      eval: {},
      wallSeconds: {},
    }));
    const state = {
      format: 'rstar-ts/evolve@1',
      config: { ...old, policy: oldPolicy, ppm: oldPpm },
      command: 'old',
      started: '',
      updated: '',
      testSet: cfg.test,
      evalN: 1,
      rounds,
    };
    writeFileSync(join(dir, 'evolve.json'), JSON.stringify(state));
    const hooks = { log: () => {}, progress: () => ({ tick: () => {}, stop: () => {} }) };
    const got = await runEvolve(cfg, { out: dir, command: 'new' }, hooks);
    assert.deepEqual(
      got.rounds.map((r) => r.status),
      ['complete', 'complete'],
    );
    await assert.rejects(runEvolve({ ...cfg, seed: 5 }, { out: dir, command: 'new' }, hooks), /cannot resume: this run was started with a different config/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
