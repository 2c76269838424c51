import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Rng } from '../../src/util/rng.js';
import { BatchKv } from '../../src/models/onnx/kv-batch.js';
import { runBenchGenerate, runExport, runSft, runTrainer, type SftDone, type StepEvent, type TrainerEvent } from '../../src/train/trainer-process.js';

/**
 * Real PyTorch (the Python trainer) and real onnxruntime-node. One tiny model is trained once
 * (a copy task: `BOS a1..ak SEP a1..ak EOS`, loss on the copy), exported, and its ONNX outputs
 * are compared with PyTorch's on unpadded, left-padded and KV-cached inputs.
 */
const VOCAB = 24;
const PAD = 0;
const BOS = 1;
const SEP = 2;
const EOS = 3;
const CONFIG = {
  vocab_size: VOCAB,
  d_model: 64,
  n_layers: 2,
  n_heads: 4,
  n_kv_heads: 2,
  d_ff: 176,
  max_seq_len: 64,
  rope_theta: 10000,
  tie_embeddings: false,
  pad_id: PAD,
};
const KV = CONFIG.n_kv_heads;
const HD = CONFIG.d_model / CONFIG.n_heads;
const TOL = 1e-4;
const SHAPE = { nLayers: CONFIG.n_layers, nKv: KV, headDim: HD };
const kvNames = (p: string) => Array.from({ length: CONFIG.n_layers }, (_, l) => [`${p}.${l}.key`, `${p}.${l}.value`]).flat();
/** The graph's new keys/values, in BatchKv's buffer order. */
const newKv = (out: ort.InferenceSession.OnnxValueMapType) => kvNames('new_key_values').map((n) => out[n].data as Float32Array);
const quiet = { onStderr: () => {} };

function copyExample(rng: Rng): { ids: number[]; loss_from: number } {
  const k = 3 + rng.int(8);
  const a = Array.from({ length: k }, () => 4 + rng.int(VOCAB - 4));
  return { ids: [BOS, ...a, SEP, ...a, EOS], loss_from: k + 2 };
}

function writeJsonl(path: string, n: number, seed: number): void {
  const rng = new Rng(seed);
  writeFileSync(path, Array.from({ length: n }, () => JSON.stringify(copyExample(rng))).join('\n') + '\n');
}

type Batch = { ids: number[][]; mask: number[][]; pos: number[][] };

/** Left-pads sequences (pad id, mask 0, position 0) the way the ONNX engine does. */
function leftPad(seqs: number[][]): Batch {
  const L = Math.max(...seqs.map((s) => s.length));
  const b: Batch = { ids: [], mask: [], pos: [] };
  for (const s of seqs) {
    const pad = L - s.length;
    b.ids.push([...Array(pad).fill(PAD), ...s]);
    b.mask.push([...Array(pad).fill(0), ...s.map(() => 1)]);
    b.pos.push([...Array(pad).fill(0), ...s.map((_, i) => i)]);
  }
  return b;
}

const i64 = (rows: number[][]) => new ort.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, rows[0].length]);

async function torchOutput(dir: string, ckpt: string, b: Batch, name: string): Promise<number[][][] | number[][]> {
  const input = join(dir, `${name}.json`);
  writeFileSync(input, JSON.stringify({ input_ids: b.ids, attention_mask: b.mask, position_ids: b.pos }));
  const done = await runTrainer('logits', ['--ckpt', ckpt, '--input', input], quiet);
  return (done.logits ?? done.scores) as number[][][] | number[][];
}

function emptyPast(batch: number): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (let l = 0; l < CONFIG.n_layers; l++) {
    for (const kv of ['key', 'value']) feeds[`past_key_values.${l}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [batch, KV, 0, HD]);
  }
  return feeds;
}

/** Max |ort - torch| over rows r, positions [from, to) of ORT logits [B, S, V] vs torch rows at tPos + (j - from). */
function maxDiff(ortLogits: ort.Tensor, torchRows: number[][][], rows: number[], ortPos: number[], torchPos: number[]): number {
  const [, S, V] = ortLogits.dims as number[];
  const data = ortLogits.data as Float32Array;
  let worst = 0;
  for (const r of rows) {
    ortPos.forEach((j, n) => {
      const ref = torchRows[r][torchPos[n]];
      for (let v = 0; v < V; v++) {
        const x = data[(r * S + j) * V + v];
        assert.ok(Number.isFinite(x), `non-finite logit at row ${r} pos ${j}`);
        worst = Math.max(worst, Math.abs(x - ref[v]));
      }
    });
  }
  return worst;
}

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

describe('PyTorch trainer (real torch + onnxruntime-node)', () => {
  let dir: string;
  let ckpt: string;
  let sft: SftDone;
  let steps: StepEvent[] = [];
  let policy: ort.InferenceSession;
  const seqA = [BOS, 5, 9, 7, 11, 6, SEP, 5, 9, 7, 11, 6];
  const seqB = [BOS, 13, 4, SEP, 13, 4, EOS];
  const parity: Record<string, number> = {};

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rstar-trainer-'));
    writeJsonl(join(dir, 'train.jsonl'), 2000, 1);
    writeJsonl(join(dir, 'val.jsonl'), 100, 2);
    writeFileSync(join(dir, 'model.json'), JSON.stringify(CONFIG));
    const events: TrainerEvent[] = [];
    const t0 = performance.now();
    sft = await runSft(
      {
        data: join(dir, 'train.jsonl'),
        valData: join(dir, 'val.jsonl'),
        config: join(dir, 'model.json'),
        out: join(dir, 'run'),
        maxSteps: 300,
        batchSize: 32,
        lr: 3e-3,
        warmup: 30,
        logEvery: 25,
        evalEvery: 150,
        device: 'cpu',
        threads: 1,
      },
      { ...quiet, onEvent: (e) => events.push(e) },
    );
    steps = events.filter((e): e is StepEvent => e.event === 'step');
    ckpt = sft.checkpoint;
    const first = steps[0].loss;
    const last = steps[steps.length - 1].loss;
    console.log(
      `# sft: loss ${first.toFixed(3)} → ${last.toFixed(3)}, val ${sft.metrics.val_loss?.toFixed(3)}, ` +
        `${sft.metrics.steps} steps, train ${sft.metrics.wall_time_s.toFixed(1)}s, run ${((performance.now() - t0) / 1000).toFixed(1)}s`,
    );
  });

  after(async () => {
    await policy?.release();
    console.log(`# parity max |Δ|: ${JSON.stringify(parity)}`);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('sft: loss decreases, checkpoint and metrics are written', () => {
    assert.ok(steps.length >= 5);
    assert.equal(steps[0].step, 1);
    assert.equal(sft.metrics.steps, 300);
    const first = steps[0].loss;
    const last = steps[steps.length - 1].loss;
    assert.ok(first > 2.5, `initial loss ${first} should be near ln(${VOCAB})`);
    assert.ok(last < first * 0.5, `loss did not drop enough: ${first} → ${last}`);
    assert.ok(sft.metrics.val_loss !== null && sft.metrics.val_loss < first * 0.6);
    assert.ok(existsSync(ckpt));
    const m = JSON.parse(readFileSync(join(dir, 'run', 'train_metrics.json'), 'utf8'));
    assert.equal(m.steps, 300);
    assert.match(m.data.sha256, /^[0-9a-f]{64}$/);
    assert.equal(m.device, 'cpu');
    assert.ok(m.tokens_seen > 0 && m.wall_time_s > 0 && typeof m.torch === 'string');
  });

  test('sft: a malformed data line is an error naming file, line and field', async () => {
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, [JSON.stringify({ ids: [1, 5, 2, 5, 3], loss_from: 3 }), '', JSON.stringify({ ids: [1, 5, 'x', 5], loss_from: 3 })].join('\n'));
    await assert.rejects(
      runTrainer('sft', ['--data', bad, '--config', join(dir, 'model.json'), '--out', join(dir, 'bad-run'), '--max-steps', '1'], quiet),
      (e: Error) => e.message.includes(`${bad}:3: field "ids[2]"`) || assert.fail(e.message),
    );
    writeFileSync(bad, JSON.stringify({ ids: [1, 5, 2], loss_from: 7 }) + '\n');
    await assert.rejects(
      runTrainer('sft', ['--data', bad, '--config', join(dir, 'model.json'), '--out', join(dir, 'bad-run')], quiet),
      (e: Error) => e.message.includes(`${bad}:1: field "loss_from"`) || assert.fail(e.message),
    );
  });

  test('sft: --resume continues from the saved step; abort stops the trainer', async () => {
    const out = join(dir, 'resume');
    const base = {
      data: join(dir, 'val.jsonl'),
      config: join(dir, 'model.json'),
      out,
      batchSize: 8,
      warmup: 2,
      logEvery: 1,
      device: 'cpu' as const,
      threads: 1,
    };
    await runSft({ ...base, maxSteps: 4 }, quiet);
    const starts: TrainerEvent[] = [];
    const again = await runSft({ ...base, maxSteps: 6, resume: true }, { ...quiet, onEvent: (e) => e.event === 'start' && starts.push(e) });
    assert.equal(starts[0].start_step, 4);
    assert.equal(again.metrics.steps, 6);

    const ac = new AbortController();
    await assert.rejects(
      runSft({ ...base, out: join(dir, 'aborted'), maxSteps: 100000 }, { ...quiet, signal: ac.signal, onEvent: (e) => e.event === 'step' && ac.abort() }),
      (e: Error) => e.name === 'AbortError' || assert.fail(e.message),
    );
    // SIGTERM makes sft save its checkpoint before it exits.
    assert.ok(existsSync(join(dir, 'aborted', 'checkpoint.pt')));
  });

  test('export: policy.onnx has the optimum input names, new-position key/value outputs and dynamic shapes', async () => {
    const done = await runExport({ ckpt, out: join(dir, 'policy.onnx') }, quiet);
    assert.equal(done.kind, 'policy');
    assert.equal(done.onnx.sha256.length, 64);
    policy = await ort.InferenceSession.create(join(dir, 'policy.onnx'));
    assert.deepEqual([...policy.inputNames], ['input_ids', 'attention_mask', 'position_ids', ...kvNames('past_key_values')]);
    assert.deepEqual([...policy.outputNames], ['logits', ...kvNames('new_key_values')]);
    assert.deepEqual(
      done.inputs.map((i) => i.name),
      [...policy.inputNames],
    );
  });

  test('parity (a): one unpadded sequence, one prefill', async () => {
    const b = leftPad([seqA]);
    const out = await policy.run({ input_ids: i64(b.ids), attention_mask: i64(b.mask), position_ids: i64(b.pos), ...emptyPast(1) });
    assert.deepEqual(out.logits.dims, [1, seqA.length, VOCAB]);
    assert.deepEqual(out['new_key_values.1.value'].dims, [1, KV, seqA.length, HD]);
    const ref = (await torchOutput(dir, ckpt, b, 'a')) as number[][][];
    parity.a = maxDiff(out.logits, ref, [0], range(0, seqA.length), range(0, seqA.length));
    assert.ok(parity.a < TOL, `max |Δ| ${parity.a}`);
    // The model learned the copy: after "... SEP 5 9 7 11" comes 6.
    const data = out.logits.data as Float32Array;
    const row = Array.from(data.subarray((seqA.length - 2) * VOCAB, (seqA.length - 1) * VOCAB));
    assert.equal(row.indexOf(Math.max(...row)), 6);
  });

  test('parity (b): a left-padded batch of two lengths (and padding changes nothing)', async () => {
    const b = leftPad([seqA, seqB]);
    const out = await policy.run({ input_ids: i64(b.ids), attention_mask: i64(b.mask), position_ids: i64(b.pos), ...emptyPast(2) });
    const ref = (await torchOutput(dir, ckpt, b, 'b')) as number[][][];
    // Every position, padding queries included (they are fully masked: finite, same in both).
    parity.b = maxDiff(out.logits, ref, [0, 1], range(0, seqA.length), range(0, seqA.length));
    assert.ok(parity.b < TOL, `max |Δ| ${parity.b}`);
    // The padded short row equals the short sequence run alone.
    const alone = (await torchOutput(dir, ckpt, leftPad([seqB]), 'b1')) as number[][][];
    const pad = seqA.length - seqB.length;
    parity.b_vs_unpadded = maxDiff(out.logits, [[], alone[0]], [1], range(pad, seqA.length), range(0, seqB.length));
    assert.ok(parity.b_vs_unpadded < TOL, `padding changed the logits by ${parity.b_vs_unpadded}`);
  });

  test('parity (c): prefill a prefix, then 3 decode steps through the KV cache', async () => {
    const pre = 3;
    const prefixes = [seqA.slice(0, seqA.length - pre), seqB.slice(0, seqB.length - pre)];
    const b = leftPad(prefixes);
    const P = b.ids[0].length;
    let out = await policy.run({ input_ids: i64(b.ids), attention_mask: i64(b.mask), position_ids: i64(b.pos), ...emptyPast(2) });
    const full = leftPad([seqA, seqB]); // same left padding as the prefill (both lose `pre` tokens)
    const ref = (await torchOutput(dir, ckpt, full, 'c')) as number[][][];
    // Real positions only: a padding query attends to nothing, so its (finite) output is a
    // meaningless uniform average that depends on the padded width.
    let worst = 0;
    prefixes.forEach((p, r) => {
      worst = Math.max(worst, maxDiff(out.logits, ref, [r], range(P - p.length, P), range(P - p.length, P)));
    });
    // The engine's cache: the prefill's columns (left padding masked), then one column per decode step,
    // all allocated up front; columns not written yet are masked.
    const cache = new BatchKv(SHAPE, 2, P + pre);
    for (let r = 0; r < 2; r++) cache.writeNew(newKv(out), P, r, 0, P, r, 0);
    const mask = b.mask.map((r) => [...r, ...Array(pre).fill(0)]);
    const lens = prefixes.map((p) => p.length);
    for (let t = 0; t < pre; t++) {
      const ids = [[seqA[lens[0] + t]], [seqB[lens[1] + t]]];
      const stepMask = mask.map((r) => [...r, 1]);
      out = await policy.run({ input_ids: i64(ids), attention_mask: i64(stepMask), position_ids: i64([[lens[0] + t], [lens[1] + t]]), ...cache.feeds() });
      assert.deepEqual(out['new_key_values.0.key'].dims, [2, KV, 1, HD]);
      worst = Math.max(worst, maxDiff(out.logits, ref, [0, 1], [0], [P + t]));
      for (let r = 0; r < 2; r++) {
        cache.writeNew(newKv(out), 1, r, 0, 1, r, P + t);
        mask[r][P + t] = 1;
      }
    }
    parity.c = worst;
    assert.ok(worst < TOL, `max |Δ| ${worst}`);
  });

  test('parity (d): prefix-resumed prefill and decode (cached prefix left-aligned in a wider cache, suffixes right-padded)', async () => {
    // The engine's prefix-cache path: rows' cached prefixes of different lengths sit in columns
    // [0, m) of a cache with spare columns; the suffixes are prefilled right-padded; then one decode step.
    const seqs = [seqA, seqB];
    const m = [5, 2];
    const refs = await Promise.all(seqs.map((s, r) => torchOutput(dir, ckpt, leftPad([s]), `d${r}`) as Promise<number[][][]>));
    const refRows = refs.map((x) => x[0]);
    const cap = 16;
    const cache = new BatchKv(SHAPE, 2, cap);
    for (let r = 0; r < 2; r++) {
      const pre = leftPad([seqs[r].slice(0, m[r])]);
      const out = await policy.run({ input_ids: i64(pre.ids), attention_mask: i64(pre.mask), position_ids: i64(pre.pos), ...emptyPast(1) });
      cache.writeNew(newKv(out), m[r], 0, 0, m[r], r, 0);
    }
    const suffix = seqs.map((s, r) => s.slice(m[r], s.length - 1));
    const S = Math.max(...suffix.map((x) => x.length));
    const ids = suffix.map((x) => [...x, ...Array(S - x.length).fill(PAD)]);
    const pos = suffix.map((x, r) => range(0, S).map((j) => (j < x.length ? m[r] + j : 0)));
    const mask = suffix.map((x, r) => [...range(0, cap).map((c) => (c < m[r] ? 1 : 0)), ...range(0, S).map((j) => (j < x.length ? 1 : 0))]);
    let out = await policy.run({ input_ids: i64(ids), attention_mask: i64(mask), position_ids: i64(pos), ...cache.feeds() });
    let worst = 0;
    for (let r = 0; r < 2; r++) {
      worst = Math.max(worst, maxDiff(out.logits, refRows, [r], range(0, suffix[r].length), range(m[r], m[r] + suffix[r].length)));
      cache.writeNew(newKv(out), S, r, 0, suffix[r].length, r, m[r]);
    }
    // One decode step: each row's last token at position length - 1.
    const lens = seqs.map((s) => s.length - 1);
    const stepMask = lens.map((n) => [...range(0, cap).map((c) => (c < n ? 1 : 0)), 1]);
    out = await policy.run({
      input_ids: i64(seqs.map((s) => [s[s.length - 1]])),
      attention_mask: i64(stepMask),
      position_ids: i64(lens.map((n) => [n])),
      ...cache.feeds(),
    });
    for (let r = 0; r < 2; r++) worst = Math.max(worst, maxDiff(out.logits, refRows, [r], [0], [lens[r]]));
    parity.d = worst;
    assert.ok(worst < TOL, `max |Δ| ${worst}`);
  });

  test('ppm: init from the policy, export, scores match PyTorch on a left-padded batch', async () => {
    const ppmDir = join(dir, 'ppm');
    const init = await runTrainer('init-ppm', ['--from', ckpt, '--out', ppmDir], quiet);
    assert.ok((init.tensors_copied as number) > 0);
    const ppmCkpt = join(ppmDir, 'checkpoint.pt');
    await assert.rejects(runExport({ ckpt: ppmCkpt, out: join(dir, 'x.onnx'), kind: 'policy' }, quiet), /ppm model/);
    const done = await runExport({ ckpt: ppmCkpt, out: join(dir, 'ppm.onnx'), kind: 'ppm' }, quiet);
    assert.deepEqual(
      done.outputs.map((o) => o.name),
      ['scores'],
    );
    const sess = await ort.InferenceSession.create(join(dir, 'ppm.onnx'));
    try {
      assert.deepEqual([...sess.inputNames], ['input_ids', 'attention_mask', 'position_ids']);
      const b = leftPad([seqA, seqB]);
      const out = await sess.run({ input_ids: i64(b.ids), attention_mask: i64(b.mask), position_ids: i64(b.pos) });
      assert.deepEqual(out.scores.dims, [2, seqA.length]);
      const ref = (await torchOutput(dir, ppmCkpt, b, 'ppm')) as number[][];
      const data = out.scores.data as Float32Array;
      let worst = 0;
      ref.flat().forEach((v, i) => {
        assert.ok(Math.abs(data[i]) <= 1);
        worst = Math.max(worst, Math.abs(data[i] - v));
      });
      parity.ppm = worst;
      assert.ok(worst < TOL, `max |Δ| ${worst}`);
    } finally {
      await sess.release();
    }
  });

  test('bench-generate: eager greedy generation with a KV cache', async () => {
    const prompts = join(dir, 'prompts.json');
    writeFileSync(prompts, JSON.stringify({ prompts: [seqA.slice(0, 8), seqB.slice(0, 4)] }));
    const done = await runBenchGenerate({ ckpt, prompts, batchSizes: [1, 3], newTokens: 4, threads: 1 }, quiet);
    assert.deepEqual(
      done.results.map((r) => r.batch),
      [1, 3],
    );
    for (const r of done.results) assert.ok(r.tokens_per_s > 0 && r.prefill_ms > 0 && (r.decode_tokens_per_s ?? 0) > 0);
    assert.equal(done.threads, 1);
    // Greedy continues the copy: BOS 5 9 7 11 6 SEP 5 → 9 7 11 6.
    assert.deepEqual(done.results[0].first_tokens, [9, 7, 11, 6]);
  });
});
