import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rstar } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/paths.js';
import type { EvolveState } from '../../src/evolve/state.js';
import type { RoundProbeFile } from '../../src/evolve/frontier.js';
import { readRun } from '../../src/synth/synth-run.js';

const BOOTSTRAP = join(REPO_ROOT, 'models', 'round0');

/**
 * A miniature of configs/evolve-v2.yaml on v2 rungs 1-3 with the (v1-trained) round-0 bundle: probe →
 * frontier pool → sampling → MCTS on what sampling missed → SFT with replay, continuing the previous
 * policy → PPM; MCTS capped at 2 of sampling's misses; killed mid-round and resumed.
 */
function miniConfig(dir: string): string {
  const path = join(dir, 'evolve.yaml');
  writeFileSync(
    path,
    [
      `bootstrap: ${BOOTSTRAP}`,
      'train: curriculum:version=v2,level=1-3,count=6,seed=2024,split=train',
      'test: curriculum:version=v2,level=1-3,count=1,seed=31337,split=test',
      'seed: 0',
      'rounds:',
      '  - { guide: terminal, rollouts: 2 }',
      '  - { guide: terminal, rollouts: 2 }',
      'probe: { curriculum: v2, count: 2, samples: 2, temperature: 1.0, band: [0.1, 0.9] }',
      'pool: { size: 4, above: 0.25 }',
      'sampling: { samples: 3, temperature: 1.0 }',
      'replay: 0.5',
      'synth: { candidates: 2, maxDepth: 5, temperature: 1.0, concurrency: 16, maxProblems: 2 }',
      'policy: { epochs: 1, lr: 0.0002, batchSize: 8, perProblem: 2, init: previous, stepsPerExample: 0.5, minSteps: 2 }',
      'ppm: { epochs: 1, lr: 0.0005, batchSize: 8, minMargin: 0.5, minEditDistance: 5, pairsFrom: all }',
      'eval: { n: 2, modes: [greedy], candidates: 2, maxDepth: 5, concurrency: 8 }',
      '',
    ].join('\n'),
  );
  return path;
}

/** Runs `rstar evolve` and SIGKILLs it as soon as stderr shows `line` (no timing involved). */
function runUntilLine(args: string[], line: RegExp): Promise<{ killed: boolean; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'rstar.js'), ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let killed = false;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!killed && line.test(stderr)) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('close', () => resolve({ killed, stderr }));
  });
}

test('rstar evolve (v2 miniature): probe, frontier pool, sampling then MCTS on misses, ≤2 per problem, replay, resume after a kill', {
  timeout: 900_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rstar-evolve-v2-'));
  try {
    const config = miniConfig(dir);
    const out = join(dir, 'run');
    const first = rstar(['evolve', '--config', config, '--out', out, '--until-round', '1', '--no-eval', '--json'], { timeoutMs: 600_000 });
    assert.equal(first.code, 0, first.stderr);
    let state = JSON.parse(first.stdout) as EvolveState;
    const r1 = state.rounds[1];

    // The probe: recorded in the state and in round-1/probe.json, with the warning for the wall.
    const probe = JSON.parse(readFileSync(join(out, 'round-1', 'probe.json'), 'utf8')) as RoundProbeFile;
    assert.equal(probe.round, 1);
    assert.deepEqual(
      probe.levels.map((l) => l.level),
      [1, 2, 3],
    );
    assert.equal(probe.problems.length, 6);
    assert.deepEqual(r1.probe!.frontier, probe.frontier);
    assert.equal(r1.probe!.file, join('round-1', 'probe.json'));
    for (const w of probe.warnings) assert.ok(first.stderr.includes(`round 1 probe warning: ${w}`));
    if (probe.levels.some((l) => l.passK === 0))
      assert.match(first.stderr, /round 0 solves 0% of level \d+ even with 2 samples: the loop will not climb there/);

    // The pool: 4 problems by the band rule (probed in band, else unprobed at the pool levels, else the level above).
    const pool = r1.pool!;
    assert.equal(pool.problems, 4);
    const sampled = readRun(join(out, 'round-1', 'sample'));
    assert.equal(sampled.length, 4, 'sampling covers the pool');
    const rate = new Map(probe.problems.map((p) => [p.id, p.correct / probe.samples]));
    for (const rec of sampled) {
      const rt = rate.get(rec.id);
      const inBand = rt !== undefined && rt > 0 && rt >= probe.band[0] && rt <= probe.band[1];
      // Probed outside the band: only as a problem of the level above the frontier.
      if (rt !== undefined && !inBand) assert.equal(rec.level, pool.above?.level, `${rec.id}: probed at ${rt}, outside the band, not above the frontier`);
      else if (rt === undefined)
        assert.ok(pool.levels.includes(rec.level!) || rec.level === pool.above?.level, `${rec.id}: level ${rec.level} is neither frontier nor above`);
    }
    // Sampling first; MCTS only on what sampling did not solve with a verified trajectory.
    assert.equal(r1.sampling!.problems, 4);
    const solvedBySampling = new Set(sampled.filter((x) => x.correctTerminals > 0).map((x) => x.id));
    assert.equal(r1.sampling!.solved, solvedBySampling.size);
    const mcts1 = readRun(join(out, 'round-1', 'synth'));
    assert.equal(mcts1.length, Math.min(2, 4 - solvedBySampling.size), 'MCTS searches at most synth.maxProblems of the misses');
    assert.ok(mcts1.every((x) => !solvedBySampling.has(x.id)));
    for (const rec of sampled) assert.equal(rec.tree.mode, 'sampling');

    // SFT: at most 2 verified trajectories per problem, tagged with their round and source.
    const sft1 = readFileSync(join(out, 'round-1', 'sft.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { problem_id: string; round: number; source: string });
    assert.equal(sft1.length, r1.sftExamples);
    const per = new Map<string, number>();
    for (const e of sft1) per.set(e.problem_id, (per.get(e.problem_id) ?? 0) + 1);
    assert.ok([...per.values()].every((n) => n <= 2));
    for (const e of sft1) assert.equal(e.source, solvedBySampling.has(e.problem_id) ? 'sampling' : 'mcts');
    assert.equal(r1.sft!.init, BOOTSTRAP);
    assert.equal(r1.sft!.maxSteps, Math.max(2, Math.ceil(sft1.length * 0.5)));
    // PPM pair counts (train + held out) recorded.
    assert.equal(r1.ppmPairSplit!.train + r1.ppmPairSplit!.heldOut, r1.ppmPairs);

    // Round 2, killed once its probe is recorded and sampling has started.
    const policy1 = readFileSync(join(out, 'round-1', 'policy', 'manifest.json'), 'utf8');
    const killed = await runUntilLine(['evolve', '--config', config, '--out', out, '--no-eval'], /evolve: round 2 sampling: /);
    assert.ok(killed.killed, killed.stderr);
    assert.match(killed.stderr, /round 1 probe \(recorded\)/, 'round 1 is resumed without probing again');
    const probe2 = readFileSync(join(out, 'round-2', 'probe.json'), 'utf8');
    const last = rstar(['evolve', '--config', config, '--out', out, '--no-eval', '--json'], { timeoutMs: 600_000 });
    assert.equal(last.code, 0, last.stderr);
    assert.match(last.stderr, /round 2 probe \(recorded\)/);
    assert.equal(readFileSync(join(out, 'round-2', 'probe.json'), 'utf8'), probe2, 'the finished probe is not redone');
    assert.equal(readFileSync(join(out, 'round-1', 'policy', 'manifest.json'), 'utf8'), policy1, 'round 1 is not retrained');
    assert.doesNotMatch(last.stderr, /round 1: SFT of the policy/);
    state = JSON.parse(last.stdout) as EvolveState;
    const r2 = state.rounds[2];
    assert.deepEqual(
      state.rounds.map((r) => r.status),
      ['eval', 'eval', 'eval'],
    );

    // Round 2 continues round 1's policy, and replays round-1 trajectories of problems it did not solve itself.
    assert.equal(r2.sft!.init, join(out, 'round-1', 'policy'));
    const sft2 = readFileSync(join(out, 'round-2', 'sft.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { problem_id: string; round: number });
    const fresh2 = sft2.filter((e) => e.round === 2);
    const replayed = sft2.filter((e) => e.round === 1);
    assert.equal(r2.sft!.fresh, fresh2.length);
    assert.equal(r2.sft!.replay, replayed.length);
    const fresh2Problems = new Set(fresh2.map((e) => e.problem_id));
    assert.ok(replayed.every((e) => !fresh2Problems.has(e.problem_id)));
    const candidates = sft1.filter((e) => !fresh2Problems.has(e.problem_id)).length;
    assert.equal(replayed.length, Math.min(candidates, fresh2.length), 'replay share 0.5: as many replayed as new, where there are enough');
    const coverage = new Set(
      [...readRun(join(out, 'round-1', 'sample')), ...mcts1, ...readRun(join(out, 'round-2', 'sample')), ...readRun(join(out, 'round-2', 'synth'))]
        .filter((x) => x.correctTerminals > 0)
        .map((x) => x.id),
    );
    assert.equal(r2.coverage!.solved, coverage.size);
    assert.equal(r2.coverage!.total, 18);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
