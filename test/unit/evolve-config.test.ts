import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { evolveConfigSchema, loadEvolveConfig, sftSchedule } from '../../src/evolve/config.js';

const minimal = { bootstrap: 'models/round0', train: 'curriculum:level=1', test: 'curriculum:level=1', rounds: [{ guide: 'terminal', rollouts: 2 }] };

test('evolve config: omitted blocks take the defaults declared on their fields', () => {
  const c = evolveConfigSchema.parse(minimal);
  assert.deepEqual(c.synth, { candidates: 4, maxDepth: 8, temperature: 1, concurrency: 64 });
  assert.deepEqual(c.pool, { above: 0 });
  assert.equal(c.policy.init, 'base');
  assert.equal(c.ppm.pairsFrom, 'all');
  assert.deepEqual(c.eval.finalModes, []);
  // A block given in part fills in the rest from the same field defaults.
  const partial = evolveConfigSchema.parse({ ...minimal, eval: { n: 2 } });
  assert.equal(partial.eval.n, 2);
  assert.deepEqual(partial.eval.modes, c.eval.modes);
  assert.equal(partial.eval.maxDepth, c.eval.maxDepth);
});

test('evolve config: synth.maxProblems and eval.finalModes are validated with the field named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rstar-evolve-config-'));
  try {
    const write = (extra: string) => {
      const p = join(dir, 'e.yaml');
      writeFileSync(
        p,
        [
          'bootstrap: models/round0',
          'train: curriculum:level=1',
          'test: curriculum:level=1',
          'rounds:',
          '  - { guide: terminal, rollouts: 2 }',
          extra,
          '',
        ].join('\n'),
      );
      return p;
    };
    assert.throws(() => loadEvolveConfig(write('synth: { maxProblems: 0 }')), /field "synth\.maxProblems"/);
    assert.throws(() => loadEvolveConfig(write('eval: { finalModes: [beam] }')), /field "eval\.finalModes\.0"/);
    const ok = loadEvolveConfig(write('synth: { maxProblems: 120 }\neval: { modes: [greedy], finalModes: [sc, mcts] }'));
    assert.equal(ok.synth.maxProblems, 120);
    assert.deepEqual(ok.eval.finalModes, ['sc', 'mcts']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('evolve config: SFT steps scale with the examples, never below minSteps', () => {
  const c = evolveConfigSchema.parse({ ...minimal, policy: { stepsPerExample: 0.1, minSteps: 20, batchSize: 32 } });
  assert.equal(sftSchedule(c, 600).maxSteps, 60);
  assert.equal(sftSchedule(c, 50).maxSteps, 20);
  assert.deepEqual(sftSchedule(evolveConfigSchema.parse(minimal), 600), { epochs: 2 });
});
