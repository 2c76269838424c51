import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainPolicyBundle } from '../../src/train/policy-bundle.js';
import { heldOutGroups, trainRewardBundle } from '../../src/train/ppm-bundle.js';
import { runRewardTrain, type StepEvent, type TrainerEvent } from '../../src/train/trainer-process.js';
import { loadBundle, type Bundle } from '../../src/models/bundle.js';
import { OnnxReward, rewardTokenIds } from '../../src/models/onnx/reward.js';
import type { PpmPair } from '../../src/extract/pairs.js';
import type { RewardExample } from '../../src/extract/reward-data.js';
import { Rng } from '../../src/util/rng.js';
import { rstar } from '../helpers/cli.js';

/**
 * The PPM trainer for real (PyTorch + ONNX Runtime) on a tiny policy bundle: synthetic pairs whose
 * chosen step says "good" and rejected step says "bad" (in the middle of the step, so the score at
 * the last token must attend back to it), held out by problem.
 */
const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'sum', 'total', 'value', 'count', 'apples', 'boxes', 'step', 'then'];
const quiet = { onStderr: () => {} };

function filler(rng: Rng, n: number): string {
  return Array.from({ length: n }, () => `${WORDS[rng.int(WORDS.length)]} ${rng.int(100)}`).join(' ');
}

function makePairs(problems: number, perProblem: number, seed: number): PpmPair[] {
  const rng = new Rng(seed);
  const out: PpmPair[] = [];
  for (let k = 0; k < problems; k++) {
    const prompt = `<|user|>:\nProblem ${k}: ${filler(rng, 3)}\n<|assistant|>: ${filler(rng, 1 + rng.int(3))}\n`;
    for (let j = 0; j < perProblem; j++) {
      out.push({
        prompt,
        chosen: `# ${filler(rng, 1 + rng.int(2))} good ${filler(rng, 1 + rng.int(2))}<end_of_step>`,
        rejected: `# ${filler(rng, 1 + rng.int(2))} bad ${filler(rng, 1 + rng.int(2))}<end_of_step>`,
        chosen_q: 0.8,
        rejected_q: -0.6,
        weight: j % 2 ? 0.5 : 1,
        problem_id: `p${k}`,
        depth: 1,
      });
    }
  }
  return out;
}

/** Pointwise data on the same problems: whole trajectories, +1 when the step says "good". */
function makeExamples(pairs: PpmPair[], kind: 'orm' | 'qreg'): RewardExample[] {
  return pairs.flatMap((p) => [
    { text: p.prompt + p.chosen, target: kind === 'orm' ? 1 : 0.8, weight: 1, problem_id: p.problem_id, kind },
    { text: p.prompt + p.rejected, target: kind === 'orm' ? -1 : -0.6, weight: 1, problem_id: p.problem_id, kind },
  ]);
}

const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
const lines = (file: string) => readFileSync(file, 'utf8').trim().split('\n');
const stepsOf = (events: TrainerEvent[]) => events.filter((e): e is StepEvent => e.event === 'step');

/** A reward bundle trained from `policy` on the CPU, with the settings every run here shares; its manifest and step events. */
async function trainReward(policy: string, o: { objective: 'pairwise' | 'orm'; data: string; pairs?: string; out: string; maxSteps: number }) {
  const events: TrainerEvent[] = [];
  const manifest = await trainRewardBundle({
    ...o,
    policy,
    valFraction: 0.2,
    batchSize: 16,
    lr: 3e-3,
    seed: 0,
    device: 'cpu',
    command: 'test',
    onEvent: (e) => events.push(e),
    onStderr: () => {},
  });
  return { manifest, steps: stepsOf(events) };
}

/** A bundle's reward-model scores of each pair's chosen and rejected texts, in that order. */
async function scorePairs(bundle: Bundle, pairs: PpmPair[]): Promise<number[]> {
  const reward = await OnnxReward.load(bundle);
  try {
    return await reward.score(pairs.flatMap((p) => [p.prompt + p.chosen, p.prompt + p.rejected]));
  } finally {
    await reward.close();
  }
}

describe('PPM training (real PyTorch + ONNX Runtime)', () => {
  let dir: string;
  let policy: string;
  let pairsFile: string;
  const accuracies: Record<string, number | null | undefined> = {};
  const timings: Record<string, number> = {};
  let t0 = 0;
  const lap = (name: string) => {
    const now = performance.now();
    timings[name] = Number(((now - t0) / 1000).toFixed(1));
    t0 = now;
  };

  before(async () => {
    t0 = performance.now();
    dir = mkdtempSync(join(tmpdir(), 'rstar-ppmtrain-'));
    const rng = new Rng(3);
    const sft = Array.from({ length: 40 }, (_, k) => ({
      prompt: `Problem ${k}: ${filler(rng, 3)}\n`,
      completion: `# ${filler(rng, 2)} good ${filler(rng, 1)}<end_of_step>`,
    }));
    writeFileSync(join(dir, 'sft.jsonl'), jsonl(sft));
    policy = join(dir, 'policy');
    await trainPolicyBundle({
      data: join(dir, 'sft.jsonl'),
      out: policy,
      preset: 'tiny',
      vocabSize: 300,
      epochs: 1,
      maxSteps: 2,
      batchSize: 8,
      lr: 1e-3,
      device: 'cpu',
      seed: 0,
      valFraction: 0,
      command: 'test',
    });
    pairsFile = join(dir, 'pairs.jsonl');
    writeFileSync(pairsFile, jsonl(makePairs(40, 8, 11)));
    lap('policy_bundle');
  });

  after(() => {
    console.log(`# pair accuracy: ${JSON.stringify(accuracies)}; seconds: ${JSON.stringify(timings)}`);
    if (dir && !process.env.KEEP_TMP) rmSync(dir, { recursive: true, force: true });
  });

  test('pairwise: loss decreases, held-out pair accuracy > 0.9, and the bundle holds policy + PPM', { timeout: 600_000 }, async () => {
    const out = join(dir, 'ppm');
    const { manifest, steps } = await trainReward(policy, { objective: 'pairwise', data: pairsFile, out, maxSteps: 50 });
    lap('pairwise');
    const first = steps[0].loss;
    const last = steps[steps.length - 1].loss;
    assert.ok(first > 0.5, `initial BT loss ${first} should be near ln 2`);
    assert.ok(last < first * 0.5, `loss did not drop: ${first} → ${last}`);
    const m = manifest.ppm!.metrics as Record<string, number>;
    accuracies.pairwise = m.pair_accuracy;
    accuracies.pairwise_initial = m.initial_pair_accuracy;
    assert.ok(m.pair_accuracy > 0.9, `held-out pair accuracy ${m.pair_accuracy}`);
    assert.ok(m.pair_accuracy_weighted > 0.9);
    assert.ok(m.pair_accuracy > m.initial_pair_accuracy, 'training improved pair accuracy');
    const held = manifest.ppm!.training!.held_out_pairs as number;
    assert.ok(held >= 16 && held % 8 === 0, `whole problems are held out (${held} pairs)`);
    assert.equal(manifest.ppm!.training!.objective, 'pairwise');
    assert.match(String(manifest.ppm!.training!.data_sha256), /^[0-9a-f]{64}$/);
    assert.equal(manifest.ppm!.training!.command, 'test');

    // The bundle: policy files and fields carried over, PPM added; loadBundle + OnnxReward accept it.
    for (const f of ['manifest.json', 'tokenizer.json', 'policy.onnx', 'checkpoint.pt', 'ppm.onnx', 'ppm.pt']) assert.ok(existsSync(join(out, f)), f);
    const pol = loadBundle(policy);
    const bundle = loadBundle(out);
    assert.deepEqual(bundle.manifest.policy, pol.manifest.policy);
    assert.deepEqual(bundle.manifest.architecture, pol.manifest.architecture);
    assert.ok(bundle.ppmPath && bundle.policyPath);
    const fresh = makePairs(4, 2, 99); // problems never seen
    const scores = await scorePairs(bundle, fresh);
    for (let i = 0; i < fresh.length; i++) assert.ok(scores[2 * i] > scores[2 * i + 1], `fresh pair ${i}: ${scores[2 * i]} vs ${scores[2 * i + 1]}`);
    assert.ok(scores.every((s) => s >= -1 && s <= 1));
  });

  test("orm and qreg: losses decrease; their pair accuracy is measured on the pairwise run's held-out pairs (ORM's recomputed with ONNX Runtime)", {
    timeout: 600_000,
  }, async () => {
    const pairs = makePairs(40, 8, 11);
    // orm through the bundle builder: --pairs gives the held-out problems (the same as the pairwise run's).
    const ormData = join(dir, 'orm.jsonl');
    writeFileSync(ormData, jsonl(makeExamples(pairs, 'orm')));
    const trained = await trainReward(policy, { objective: 'orm', data: ormData, pairs: pairsFile, out: join(dir, 'orm'), maxSteps: 60 });
    const manifest = trained.manifest;
    lap('orm');
    assert.equal(
      readFileSync(join(dir, 'orm', 'work', 'val_pairs.jsonl'), 'utf8'),
      readFileSync(join(dir, 'ppm', 'work', 'val_pairs.jsonl'), 'utf8'),
      'orm and pairwise are measured on the same held-out pairs',
    );
    const held = heldOutGroups(
      pairs.map((p) => p.problem_id!),
      0.2,
      0,
    );
    const ormTrain = lines(join(dir, 'orm', 'work', 'train.jsonl'));
    assert.equal(ormTrain.length, 2 * pairs.filter((p) => !held.has(p.problem_id!)).length, 'held-out problems are not trained on');
    let steps = trained.steps;
    assert.ok(steps[steps.length - 1].loss < steps[0].loss * 0.7, `orm loss ${steps[0].loss} → ${steps[steps.length - 1].loss}`);
    const m = manifest.ppm!.metrics as Record<string, number>;
    accuracies.orm = m.pair_accuracy;
    assert.equal(manifest.ppm!.training!.objective, 'orm');
    assert.equal(typeof m.val_loss, 'number');
    // The recorded pair accuracy is the share of held-out pairs the exported ORM ranks right (ONNX vs
    // PyTorch numerics may flip at most one near-tie).
    const heldPairs = pairs.filter((p) => held.has(p.problem_id!));
    const valLines = lines(join(dir, 'ppm', 'work', 'val_pairs.jsonl'));
    assert.equal(heldPairs.length, valLines.length);
    assert.equal((manifest.ppm!.metrics as { val_pairs: { pairs: number } }).val_pairs.pairs, heldPairs.length);
    const ormScores = await scorePairs(loadBundle(join(dir, 'orm')), heldPairs);
    const ranked = heldPairs.filter((_, i) => ormScores[2 * i] > ormScores[2 * i + 1]).length;
    assert.ok(
      Math.abs(m.pair_accuracy * heldPairs.length - ranked) <= 1,
      `recorded ${m.pair_accuracy} of ${heldPairs.length} pairs, ONNX ranks ${ranked} right`,
    );

    // qreg straight through the trainer (token ids written here), with the same held-out pairs.
    const b = loadBundle(policy);
    const a = b.manifest.architecture;
    const qData = join(dir, 'qreg.jsonl');
    writeFileSync(
      qData,
      jsonl(
        makeExamples(
          pairs.filter((p) => !held.has(p.problem_id!)),
          'qreg',
        ).map((e) => ({ ids: rewardTokenIds(b.tokenizer, e.text, a.max_seq_len, a.pad_id), target: e.target, weight: e.weight })),
      ),
    );
    const qEvents: TrainerEvent[] = [];
    const q = await runRewardTrain(
      {
        objective: 'qreg',
        data: qData,
        init: join(policy, 'checkpoint.pt'),
        out: join(dir, 'qreg'),
        valPairs: join(dir, 'ppm', 'work', 'val_pairs.jsonl'),
        maxSteps: 60,
        batchSize: 16,
        lr: 3e-3,
        logEvery: 5,
        device: 'cpu',
      },
      { ...quiet, onEvent: (e) => qEvents.push(e) },
    );
    lap('qreg');
    steps = stepsOf(qEvents);
    assert.ok(steps[steps.length - 1].loss < steps[0].loss * 0.7, `qreg loss ${steps[0].loss} → ${steps[steps.length - 1].loss}`);
    accuracies.qreg = q.metrics.pair_accuracy;
    assert.equal(q.metrics.objective, 'qreg');
    // Measured on those same held-out pairs: a whole number of them.
    assert.equal((q.metrics.val_pairs as { pairs: number }).pairs, heldPairs.length);
    const qRight = (q.metrics.pair_accuracy as number) * heldPairs.length;
    assert.ok(Math.abs(qRight - Math.round(qRight)) < 1e-9, `qreg pair accuracy ${q.metrics.pair_accuracy} is not a count of ${heldPairs.length} pairs`);
    assert.ok(existsSync(join(dir, 'qreg', 'checkpoint.pt')) && existsSync(join(dir, 'qreg', 'train_metrics.json')));
  });

  test('rstar train ppm: CLI end to end, and bad input names the file, line and field', { timeout: 600_000 }, async () => {
    const out = join(dir, 'cli');
    const r = rstar(['train', 'ppm', '--pairs', pairsFile, '--policy', policy, '--out', out, '--max-steps', '3', '--batch-size', '8', '--threads', '1'], {
      timeoutMs: 500_000,
    });
    lap('cli');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /held-out pair accuracy: \d+\.\d%/);
    assert.match(r.stderr, /train step: step=3/);
    const bundle: Bundle = loadBundle(out);
    assert.equal(bundle.manifest.ppm?.training?.objective, 'pairwise');
    assert.match(String(bundle.manifest.ppm?.training?.command), /^rstar train ppm --pairs /);
    const reward = await OnnxReward.load(bundle);
    const s = await reward.score(['<|user|>:\nProblem 1: apples 3\n', '']);
    await reward.close();
    assert.equal(s.length, 2);

    const bad = join(dir, 'bad-pairs.jsonl');
    writeFileSync(bad, JSON.stringify({ prompt: 'p', chosen: 'a', rejected: 'b' }) + '\n' + JSON.stringify({ prompt: 'p', chosen: 'a', rejected: 7 }) + '\n');
    const e = rstar(['train', 'ppm', '--pairs', bad, '--policy', policy, '--out', join(dir, 'bad')]);
    assert.notEqual(e.code, 0);
    assert.match(e.stderr, /bad-pairs\.jsonl:2: field "rejected"/);
    assert.ok(!existsSync(join(dir, 'bad', 'manifest.json')));
    const noData = rstar(['train', 'ppm', '--objective', 'orm', '--pairs', pairsFile, '--policy', policy, '--out', join(dir, 'bad')]);
    assert.equal(noData.code, 2);
    assert.match(noData.stderr, /needs --data/);
    lap('cli_errors');
  });
});
