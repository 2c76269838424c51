import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { trainPolicyBundle } from '../../src/train/policy-bundle.js';
import { runBenchGenerate } from '../../src/train/trainer-process.js';
import { loadBundle } from '../../src/models/bundle.js';
import { OnnxPolicy } from '../../src/models/onnx/engine.js';
import { formatPrompt } from '../../src/steps/protocol.js';
import { generateProblems } from '../../src/data/curriculum/index.js';
import type { TrainerEvent } from '../../src/train/events.js';

// The whole policy pipeline for real: curriculum seed data → tokenizer → PyTorch SFT → ONNX export →
// bundle → the TS engine, whose greedy tokens must equal PyTorch's greedy tokens on the same weights.
test('rstar train policy builds a bundle whose ONNX greedy decoding matches PyTorch', { timeout: 240_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rstar-trainbundle-'));
  const data = join(dir, 'seed.jsonl');
  const problems = generateProblems({ level: 1, count: 300, seed: 5, split: 'train' });
  writeFileSync(data, problems.map((p) => JSON.stringify(p)).join('\n') + '\n');
  const out = join(dir, 'bundle');
  const events: TrainerEvent[] = [];
  const manifest = await trainPolicyBundle({
    data,
    out,
    preset: 'tiny',
    vocabSize: 400,
    epochs: 1,
    maxSteps: 40,
    batchSize: 16,
    lr: 3e-3,
    device: 'cpu',
    seed: 0,
    valFraction: 0.05,
    command: 'test',
    onEvent: (e) => events.push(e),
  });
  assert.ok(manifest);
  const steps = events.filter((e) => e.event === 'step') as Array<{ loss: number }>;
  assert.ok(steps.length >= 2);
  assert.ok(steps[steps.length - 1].loss < steps[0].loss, 'loss should decrease');
  for (const f of ['manifest.json', 'tokenizer.json', 'policy.onnx', 'checkpoint.pt']) assert.ok(existsSync(join(out, f)), f);
  assert.equal(manifest.policy?.training?.records, 300);

  const bundle = loadBundle(out);
  const engine = await OnnxPolicy.load(bundle, { threads: 1 });
  const prompts = problems.slice(0, 3).map((p) => formatPrompt(p.question));
  const ids = prompts.map((p) => bundle.tokenizer.encode(p));
  const promptFile = join(dir, 'prompts.json');
  writeFileSync(promptFile, JSON.stringify({ prompts: ids }));
  const torch = await runBenchGenerate(
    { ckpt: join(out, 'checkpoint.pt'), prompts: promptFile, batchSizes: [1], newTokens: 8, threads: 1 },
    { onStderr: () => {} },
  );
  const onnx = await engine.generate([{ prompt: prompts[0], n: 1, maxTokens: 8, temperature: 0, topP: 1, stop: [], ignoreEos: true }]);
  await engine.close();
  const onnxIds = bundle.tokenizer.encode(onnx[0][0].text);
  const torchFirst = (torch.results[0] as unknown as { first_tokens: number[] }).first_tokens;
  assert.deepEqual(onnxIds.slice(0, torchFirst.length), torchFirst);
});

test('bad SFT data is rejected with file and line before any training', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rstar-trainbad-'));
  const data = join(dir, 'bad.jsonl');
  writeFileSync(data, '{"prompt":"a","completion":"b"}\n{"prompt":"a"}\n');
  await assert.rejects(
    trainPolicyBundle({
      data,
      out: join(dir, 'b'),
      preset: 'tiny',
      vocabSize: 300,
      epochs: 1,
      batchSize: 4,
      lr: 1e-3,
      device: 'cpu',
      seed: 0,
      valFraction: 0,
      command: 'test',
    }),
    /bad\.jsonl:2: field "completion" is required/,
  );
  assert.ok(!existsSync(join(dir, 'b', 'manifest.json')));
});
