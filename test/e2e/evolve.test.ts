import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rstar } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { loadEvolveConfig } from '../../src/evolve/config.js';
import type { EvolveState } from '../../src/evolve/state.js';
import { readRun } from '../../src/synth/synth-run.js';
import { loadBundle, ppmHeldOut } from '../../src/models/bundle.js';
import { startServe } from '../helpers/serve.js';

const BOOTSTRAP = join(REPO_ROOT, 'models', 'round0');

/** A miniature of configs/evolve.yaml: two rounds (terminal-guided, then PPM-augmented), a handful of problems. */
function miniConfig(dir: string): string {
  const path = join(dir, 'evolve.yaml');
  writeFileSync(
    path,
    [
      `bootstrap: ${BOOTSTRAP}`,
      'train: curriculum:level=1+3,count=3,seed=2024,split=train',
      'test: curriculum:level=1+3,count=2,seed=31337,split=test',
      'seed: 0',
      'rounds:',
      '  - { guide: terminal, rollouts: 3 }',
      '  - { guide: ppm, rollouts: 2, unsolvedRollouts: [3] }',
      'synth: { candidates: 3, maxDepth: 6, temperature: 1.0, concurrency: 16 }',
      'policy: { epochs: 1, lr: 0.0002, batchSize: 8, perProblem: 2 }',
      'ppm: { epochs: 1, lr: 0.0005, batchSize: 8, minMargin: 0.5, minEditDistance: 5 }',
      'eval: { n: 2, modes: [greedy, sc, bon, mcts], candidates: 2, maxDepth: 6, concurrency: 16 }',
      '',
    ].join('\n'),
  );
  return path;
}

test('evolve config: errors name the file, the line or the field', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rstar-evolve-cfg-'));
  try {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'bootstrap: x\ntrain: [unclosed\n');
    assert.throws(() => loadEvolveConfig(bad), new RegExp(`${bad}:\\d+: invalid YAML`));
    writeFileSync(bad, 'bootstrap: x\ntrain: t\ntest: t\nrounds:\n  - { guide: terminal, rollouts: 0 }\n');
    assert.throws(() => loadEvolveConfig(bad), /field "rounds\.0\.rollouts"/);
    writeFileSync(bad, 'bootstrap: x\ntrain: t\ntest: t\nrounds:\n  - { guide: ppm, rollouts: 4 }\n');
    assert.throws(() => loadEvolveConfig(bad), /field "rounds\.0\.guide": the first round has no PPM/);
    writeFileSync(bad, 'bootstrap: http://h:1/v1\ntrain: t\ntest: t\nrounds:\n  - { guide: terminal, rollouts: 4 }\n');
    assert.throws(() => loadEvolveConfig(bad), /field "bootstrapModel"/);
    writeFileSync(bad, 'bootstrap: x\ntrain: t\ntest: t\nrounds: []\nextra: 1\n');
    assert.throws(() => loadEvolveConfig(bad), /bad\.yaml: field/);
    const cfg = loadEvolveConfig(join(REPO_ROOT, 'configs', 'evolve.yaml'));
    assert.equal(cfg.rounds.length, 4);
    assert.deepEqual(
      cfg.rounds.map((r) => r.guide),
      ['terminal', 'terminal', 'ppm', 'ppm'],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rstar evolve (miniature): two rounds, resumable, every artifact recorded and consistent', { timeout: 900_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rstar-evolve-'));
  try {
    const config = miniConfig(dir);
    const out = join(dir, 'run');
    // Round 0 and 1 only, then the same command continues with round 2.
    const first = rstar(['evolve', '--config', config, '--out', out, '--until-round', '1', '--json'], { timeoutMs: 600_000 });
    assert.equal(first.code, 0, first.stderr);
    let state = JSON.parse(first.stdout) as EvolveState;
    assert.deepEqual(
      state.rounds.map((r) => r.status),
      ['complete', 'complete', 'pending'],
    );
    const r1Policy = readFileSync(join(out, 'round-1', 'policy', 'manifest.json'), 'utf8');

    const second = rstar(['evolve', '--config', config, '--out', out, '--json'], { timeoutMs: 600_000 });
    assert.equal(second.code, 0, second.stderr);
    state = JSON.parse(second.stdout) as EvolveState;
    assert.deepEqual(
      state.rounds.map((r) => r.status),
      ['complete', 'complete', 'complete'],
    );
    assert.equal(state.stageTimes, 'checkpointed');
    assert.equal(readFileSync(join(out, 'round-1', 'policy', 'manifest.json'), 'utf8'), r1Policy, 'round 1 is not redone');
    assert.deepEqual(JSON.parse(readFileSync(join(out, 'evolve.json'), 'utf8')), state);

    // Round 0: the bootstrap, evaluated without a PPM (greedy and self-consistency only).
    assert.deepEqual(Object.keys(state.rounds[0].eval).sort(), ['greedy', 'sc']);
    for (const r of [1, 2]) {
      const round = state.rounds[r];
      const policy = loadBundle(round.policy);
      assert.ok(policy.policyPath && existsSync(policy.policyPath));
      const ppm = loadBundle(round.ppm!);
      assert.ok(ppm.ppmPath && existsSync(ppm.ppmPath), `round ${r} PPM exported`);
      // The held-out pair accuracy is recorded with the number of pairs behind it.
      assert.equal(typeof round.ppmHeldOutPairs, 'number');
      assert.deepEqual({ accuracy: round.ppmPairAccuracy, pairs: round.ppmHeldOutPairs }, ppmHeldOut(ppm.manifest));
      assert.deepEqual(Object.keys(round.eval).sort(), ['bon', 'greedy', 'mcts', 'sc']);
      for (const f of Object.values(round.eval)) {
        const lines = readFileSync(join(out, f!), 'utf8').trim().split('\n');
        assert.equal(lines.length, 4, `${f}: one result per held-out problem`);
      }
      const sft = readFileSync(join(out, `round-${r}`, 'sft.jsonl'), 'utf8')
        .trim()
        .split('\n');
      assert.equal(sft.length, round.sftExamples);
      const pairs = readFileSync(join(out, `round-${r}`, 'pairs.jsonl'), 'utf8')
        .trim()
        .split('\n');
      assert.equal(pairs.length, round.ppmPairs);
    }
    // Coverage is the union of every synthesis pass so far; round 2 searched its unsolved pass with a new seed.
    const runs = ['round-1/synth', 'round-2/synth', 'round-2/synth-u1'].map((d) => join(out, d));
    const solved = new Set(
      runs
        .flatMap((d) => readRun(d))
        .filter((x) => x.correctTerminals > 0)
        .map((x) => x.id),
    );
    assert.equal(state.rounds[2].coverage!.solved, solved.size);
    assert.ok(state.rounds[2].coverage!.solved >= state.rounds[1].coverage!.solved);
    const u1 = JSON.parse(readFileSync(join(runs[2], 'manifest.json'), 'utf8'));
    const main2 = JSON.parse(readFileSync(join(runs[1], 'manifest.json'), 'utf8'));
    assert.notEqual(u1.config.seed, main2.config.seed);
    assert.equal(u1.config.mode, 'mcts-ppm');
    assert.equal(
      u1.counts.problems,
      6 -
        new Set(
          readRun(runs[0])
            .concat(readRun(runs[1]))
            .filter((x) => x.correctTerminals > 0)
            .map((x) => x.id),
        ).size,
    );

    // The report renders the miniature: one table per round, the headline series and the plots.
    const rep = rstar(['report', '--run', out]);
    assert.equal(rep.code, 0, rep.stderr);
    const md = readFileSync(join(out, 'report', 'README.md'), 'utf8');
    assert.match(md, /### Round 2/);
    assert.ok(existsSync(join(out, 'report', 'accuracy-per-round.svg')));

    // A different config is refused on resume.
    writeFileSync(config, readFileSync(config, 'utf8').replace('seed: 0', 'seed: 1'));
    const clash = rstar(['evolve', '--config', config, '--out', out]);
    assert.equal(clash.code, 2);
    assert.match(clash.stderr, /evolve\.json: cannot resume: this run was started with a different config/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rstar evolve with a served bootstrap: round 0 and round-1 synthesis go through the URL, the policy is fine-tuned from the base bundle', {
  timeout: 900_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rstar-evolve-served-'));
  const served = await startServe('boot', ['--bundle', BOOTSTRAP]);
  try {
    const test = 'curriculum:level=1+3,count=2,seed=31337,split=test';
    const config = join(dir, 'evolve.yaml');
    writeFileSync(
      config,
      [
        `bootstrap: ${served.url}`,
        'bootstrapModel: boot',
        `base: ${BOOTSTRAP}`,
        // As the miniature's round 1 (the served policy grows the same trees), which yields PPM pairs.
        'train: curriculum:level=1+3,count=3,seed=2024,split=train',
        `test: ${test}`,
        'rounds:',
        '  - { guide: terminal, rollouts: 3 }',
        'synth: { candidates: 3, maxDepth: 6, temperature: 1.0, concurrency: 16 }',
        'policy: { epochs: 1, lr: 0.0002, batchSize: 8, perProblem: 2 }',
        'ppm: { epochs: 1, lr: 0.0005, batchSize: 8, minMargin: 0.5, minEditDistance: 5 }',
        'eval: { n: 2, modes: [greedy], finalModes: [sc], candidates: 2, maxDepth: 6, concurrency: 8 }',
        '',
      ].join('\n'),
    );
    const out = join(dir, 'run');
    const r = rstar(['evolve', '--config', config, '--out', out, '--json'], { timeoutMs: 600_000 });
    assert.equal(r.code, 0, r.stderr);
    const state = JSON.parse(r.stdout) as EvolveState;
    assert.deepEqual(
      state.rounds.map((x) => x.status),
      ['complete', 'complete'],
    );
    assert.equal(state.rounds[0].policy, served.url);
    // finalModes: self-consistency on the final round only.
    assert.equal(state.rounds[0].eval.sc, undefined);
    assert.ok(state.rounds[1].eval.sc && existsSync(join(out, state.rounds[1].eval.sc)));
    const synth = JSON.parse(readFileSync(join(out, 'round-1', 'synth', 'manifest.json'), 'utf8'));
    assert.equal(synth.config.policy, served.url);
    assert.equal(loadBundle(state.rounds[1].policy).manifest.policy?.training?.init, 'models/round0', 'recorded repo-relative');
    // Round 0 evaluated through the server answers as the embedded bundle does.
    const viaUrl = readFileSync(join(out, state.rounds[0].eval.greedy!), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const local = join(dir, 'local.jsonl');
    const e = rstar(['eval', '--data', test, '--bundle', BOOTSTRAP, '--mode', 'greedy', '--out', local]);
    assert.equal(e.code, 0, e.stderr);
    const embedded = readFileSync(local, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    // Results are written as problems finish, so compare them by id.
    const byId = (rs: Array<{ id: string; answer: string | null; correct: boolean }>) =>
      rs.map((x) => [x.id, x.answer, x.correct]).sort((p, q) => String(p[0]).localeCompare(String(q[0])));
    assert.deepEqual(byId(viaUrl), byId(embedded));
  } finally {
    served.proc.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
});
