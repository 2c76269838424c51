import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findPython } from '../../src/util/python.js';
import { runSft, trainerDir, type StepEvent, type TrainerEvent } from '../../src/train/trainer-process.js';

/**
 * The learning-rate warmup default: 5% of the run (at least 1, at most 100 steps), one default for the
 * SFT and reward trainers. A fixed 100 made every fine-tune shorter than ~100 steps all warmup.
 */
function py(code: string): unknown {
  const out = execFileSync(findPython(['torch']), ['-c', code], { env: { ...process.env, PYTHONPATH: trainerDir() }, encoding: 'utf8' });
  return JSON.parse(out);
}

test('default warmup is 5% of the run (1..100 steps) and a 20-step schedule decays after it', () => {
  const r = py(
    [
      'import json',
      'from rstar_trainer.loop import default_warmup, lr_at',
      'from rstar_trainer.__main__ import build_parser',
      'p = build_parser()',
      "sft = p.parse_args(['sft', '--data', 'x', '--out', 'y'])",
      "rew = p.parse_args(['reward', '--objective', 'pairwise', '--data', 'x', '--out', 'y'])",
      'w = default_warmup(20)',
      'print(json.dumps({"w": {str(n): default_warmup(n) for n in (1, 6, 20, 100, 1000, 5000)},',
      '  "lrs": [lr_at(s, 20, 1e-3, 1e-4, w) for s in range(20)], "sft": sft.warmup, "reward": rew.warmup}))',
    ].join('\n'),
  ) as { w: Record<string, number>; lrs: number[]; sft: number | null; reward: number | null };
  assert.deepEqual(r.w, { '1': 1, '6': 1, '20': 1, '100': 5, '1000': 50, '5000': 100 });
  // Neither CLI carries its own default: both fall back to default_warmup.
  assert.equal(r.sft, null);
  assert.equal(r.reward, null);
  const peak = r.lrs.lastIndexOf(Math.max(...r.lrs));
  assert.ok(peak <= 1, `peak lr at step ${peak} of 20`);
  for (let s = peak + 1; s < 20; s++) assert.ok(r.lrs[s] < r.lrs[s - 1], `lr decays at step ${s}: ${r.lrs[s - 1]} → ${r.lrs[s]}`);
  assert.ok(r.lrs[19] < 0.2 * r.lrs[peak], `the last step is near the floor (${r.lrs[19]})`);
});

test('a real 20-step SFT run: the logged lr peaks in the first steps and decays to the end', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rstar-warmup-'));
  try {
    const config = {
      vocab_size: 16,
      d_model: 32,
      n_layers: 1,
      n_heads: 2,
      n_kv_heads: 1,
      d_ff: 64,
      max_seq_len: 32,
      rope_theta: 10000,
      tie_embeddings: true,
      pad_id: 0,
    };
    writeFileSync(join(dir, 'model.json'), JSON.stringify(config));
    const lines = Array.from({ length: 40 }, (_, i) => JSON.stringify({ ids: [1, 2 + (i % 10), 3 + ((i * 7) % 10), 4], loss_from: 1 }));
    writeFileSync(join(dir, 'train.jsonl'), lines.join('\n') + '\n');
    const events: TrainerEvent[] = [];
    const done = await runSft(
      {
        data: join(dir, 'train.jsonl'),
        config: join(dir, 'model.json'),
        out: join(dir, 'run'),
        maxSteps: 20,
        batchSize: 4,
        lr: 1e-3,
        logEvery: 1,
        device: 'cpu',
        threads: 1,
      },
      { onStderr: () => {}, onEvent: (e) => events.push(e) },
    );
    assert.equal(done.metrics.steps, 20);
    const lrs = events.filter((e): e is StepEvent => e.event === 'step').map((e) => e.lr);
    assert.ok(lrs.length >= 19, `${lrs.length} step events`);
    const peak = lrs.indexOf(Math.max(...lrs));
    assert.ok(peak <= 1, `peak lr at logged step ${peak}`);
    assert.ok(lrs[lrs.length - 1] < 0.5 * lrs[peak], `lr at the end ${lrs[lrs.length - 1]} vs peak ${lrs[peak]}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
