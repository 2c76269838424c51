import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainBpe } from '../../src/models/tokenizer/bpe.js';
import { loadBundle, manifestSchema, type Bundle, type Manifest } from '../../src/models/bundle.js';
import { OnnxReward, planScoreBatches, rewardTokenIds, type ScoreBatchLimits } from '../../src/models/onnx/reward.js';
import { runExport, runRewardTrain, runTrainer } from '../../src/train/trainer-process.js';
import { EOS, PAD, SPECIAL_TOKENS } from '../../src/steps/protocol.js';
import { Rng } from '../../src/util/rng.js';

describe('planScoreBatches', () => {
  const check = (lengths: number[], limits: ScoreBatchLimits) => {
    const batches = planScoreBatches(lengths, limits);
    assert.deepEqual(
      batches.flat().sort((a, b) => a - b),
      lengths.map((_, i) => i),
      'every text exactly once',
    );
    for (const b of batches) {
      const L = Math.max(...b.map((i) => lengths[i]));
      if (b.length > 1) {
        assert.ok(b.length <= limits.maxBatch && b.length * L <= limits.maxTokens && b.length * L * L <= limits.maxAttention, JSON.stringify(b));
      }
    }
    const order = batches.flat().map((i) => lengths[i]);
    assert.deepEqual(
      order,
      [...order].sort((a, b) => b - a),
      'longest first, so a batch holds similar lengths',
    );
    return batches;
  };

  test('respects rows, padded tokens and attention size, and sorts by length', () => {
    const rng = new Rng(4);
    const lengths = Array.from({ length: 200 }, () => 1 + rng.int(300));
    check(lengths, { maxBatch: 32, maxTokens: 8192, maxAttention: 1 << 22 });
    check(lengths, { maxBatch: 5, maxTokens: 700, maxAttention: 1 << 30 });
    check(lengths, { maxBatch: 64, maxTokens: 1 << 20, maxAttention: 200_000 });
    // A row longer than every limit still runs (alone).
    assert.deepEqual(check([5000, 3], { maxBatch: 8, maxTokens: 100, maxAttention: 100 }), [[0], [1]]);
    assert.deepEqual(planScoreBatches([]), []);
  });

  test('rewardTokenIds truncates from the left and never returns an empty row', () => {
    const tok = { encode: (t: string) => [...t].map((c) => c.charCodeAt(0)) };
    assert.deepEqual(rewardTokenIds(tok, 'abcdef', 4, 0), [99, 100, 101, 102]);
    assert.deepEqual(rewardTokenIds(tok, 'ab', 4, 0), [97, 98]);
    assert.deepEqual(rewardTokenIds(tok, '', 4, 7), [7]);
  });
});

/**
 * Real PyTorch + ONNX Runtime: a tiny PPM (GQA, max_seq_len 48) trained a few steps so its scores
 * spread, exported, and scored by OnnxReward in right-padded, length-sorted batches; PyTorch scores
 * the same token ids in one LEFT-padded batch. Agreement at each text's last token shows padding,
 * batching, sorting and truncation do not change a score.
 */
describe('OnnxReward matches PyTorch (real torch + onnxruntime-node)', () => {
  let dir: string;
  let bundle: Bundle;
  const MAX = 48;
  const quiet = { onStderr: () => {} };
  const texts = [
    'Problem 3: apples 12 then boxes 4<end_of_step>',
    'a',
    '',
    'step value 7',
    'Problem 9: alpha beta gamma delta 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 total',
    'count 5<end_of_step>\n# then sum 6',
    'boxes boxes boxes apples apples 99 98 97 96 95<end_of_step>',
    'Problem 1: a longer text than max_seq_len tokens, which the reward model sees from the left-truncated end: value 42 total 17 count 3 sum 8',
  ];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rstar-onnxreward-'));
    const rng = new Rng(8);
    const words = ['apples', 'boxes', 'alpha', 'beta', 'value', 'total', 'count', 'sum', 'then', 'step', 'Problem'];
    const corpus = Array.from({ length: 200 }, () => Array.from({ length: 6 }, () => `${words[rng.int(words.length)]} ${rng.int(50)}`).join(' '));
    const tokenizer = trainBpe([...corpus, ...texts], { vocabSize: 300, specialTokens: SPECIAL_TOKENS });
    tokenizer.save(join(dir, 'tokenizer.json'));
    const pad = tokenizer.specialId(PAD);
    const config = {
      vocab_size: tokenizer.vocabSize,
      d_model: 64,
      n_layers: 2,
      n_heads: 4,
      n_kv_heads: 2,
      d_ff: 128,
      max_seq_len: MAX,
      rope_theta: 10000,
      tie_embeddings: false,
      pad_id: pad,
    };
    writeFileSync(join(dir, 'model.json'), JSON.stringify(config));
    // Q-regression toward a target that depends on the words, so scores spread over [-1, 1].
    const data = corpus.map((t) => {
      const target = Math.max(-0.9, Math.min(0.9, (t.split('apples').length - 1) * 0.5 - (t.split('boxes').length - 1) * 0.5));
      return JSON.stringify({ ids: rewardTokenIds(tokenizer, t, MAX, pad), target, weight: 1 });
    });
    writeFileSync(join(dir, 'train.jsonl'), data.join('\n') + '\n');
    const done = await runRewardTrain(
      {
        objective: 'qreg',
        data: join(dir, 'train.jsonl'),
        config: join(dir, 'model.json'),
        out: join(dir, 'run'),
        maxSteps: 40,
        batchSize: 16,
        lr: 3e-3,
        device: 'cpu',
      },
      quiet,
    );
    await runExport({ ckpt: done.weights, out: join(dir, 'ppm.onnx'), kind: 'ppm' }, quiet);
    const manifest: Manifest = {
      format: 'rstar-bundle/1',
      name: 'tiny-ppm',
      created: new Date().toISOString(),
      architecture: { type: 'llama', ...config },
      tokenizer: { file: 'tokenizer.json', eos: EOS, pad: PAD, special_tokens: [...SPECIAL_TOKENS] },
      prompt_template: 'rstar-sft',
      ppm: { file: 'ppm.onnx' },
      provenance: { command: 'test' },
    };
    manifestSchema.parse(manifest);
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    bundle = loadBundle(dir);
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('scores at the last token agree within 1e-4 for texts of different lengths in one batch', { timeout: 600_000 }, async () => {
    const a = bundle.manifest.architecture;
    const ids = texts.map((t) => rewardTokenIds(bundle.tokenizer, t, a.max_seq_len, a.pad_id));
    assert.ok(ids.some((x) => x.length === MAX) && bundle.tokenizer.encode(texts[texts.length - 1]).length > MAX, 'one text is truncated');
    assert.ok(new Set(ids.map((x) => x.length)).size >= 6, 'lengths differ');

    // PyTorch: one left-padded batch (the opposite padding side from OnnxReward's).
    const L = Math.max(...ids.map((x) => x.length));
    const input = {
      input_ids: ids.map((x) => [...Array(L - x.length).fill(a.pad_id), ...x]),
      attention_mask: ids.map((x) => [...Array(L - x.length).fill(0), ...x.map(() => 1)]),
      position_ids: ids.map((x) => [...Array(L - x.length).fill(0), ...x.map((_, j) => j)]),
    };
    writeFileSync(join(dir, 'input.json'), JSON.stringify(input));
    const ref = await runTrainer('logits', ['--ckpt', join(dir, 'run', 'ppm.pt'), '--input', join(dir, 'input.json')], quiet);
    const torchScores = (ref.scores as number[][]).map((row) => row[L - 1]);

    const one = await OnnxReward.load(bundle);
    const many = await OnnxReward.load(bundle, { maxBatch: 3, maxBatchTokens: 64 });
    const [s1, s2] = [await one.score(texts), await many.score(texts)];
    // Concurrent calls are serialized and each gets its own results.
    const [c1, c2] = await Promise.all([one.score(texts.slice(0, 3)), one.score(texts.slice(3))]);
    await one.close();
    await many.close();

    let worst = 0;
    texts.forEach((_, i) => {
      worst = Math.max(worst, Math.abs(s1[i] - torchScores[i]), Math.abs(s2[i] - torchScores[i]));
    });
    console.log(`# OnnxReward vs PyTorch max |Δ| ${worst.toExponential(2)}; scores ${s1.map((s) => s.toFixed(3)).join(' ')}`);
    assert.ok(worst < 1e-4, `max |Δ| ${worst}`);
    assert.ok(Math.max(...s1) - Math.min(...s1) > 0.2, `scores should spread for a meaningful comparison: ${s1}`);
    assert.ok(s1.every((s) => s >= -1 && s <= 1));
    assert.deepEqual(
      [...c1, ...c2].map((s) => s.toFixed(5)),
      s1.map((s) => s.toFixed(5)),
    );
  });
});
