import { mkdirSync, readFileSync, writeFileSync, existsSync, copyFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { type BpeTokenizer, trainBpe } from '../models/tokenizer/bpe.js';
import { SPECIAL_TOKENS, EOS, PAD } from '../steps/protocol.js';
import type { Manifest } from '../models/bundle.js';
import { loadBundle } from '../models/bundle.js';
import { loadSftRecords, type SftRecord } from './sft-data.js';
import { PRESETS, type ModelShape } from './presets.js';
import { runTrainer, trainerArgv, type TrainerEvent } from './trainer-process.js';
import { Rng } from '../util/rng.js';
import { sha256File, gitCommit, atomicWrite } from '../util/files.js';
import { portablePath } from '../util/machine-paths.js';
import { PACKAGE_ROOT } from '../paths.js';

export interface TrainPolicyOptions {
  data: string;
  out: string;
  preset: string;
  /** Start from this bundle's tokenizer and weights (later rounds); otherwise a new tokenizer is trained. */
  init?: string;
  /** Extra texts (JSONL with "question" fields) to train the tokenizer on, so test-time words tokenize well. */
  tokenizerCorpus?: string;
  vocabSize: number;
  epochs: number;
  maxSteps?: number;
  batchSize: number;
  lr: number;
  device: string;
  seed: number;
  maxMinutes?: number;
  valFraction: number;
  /** The command line recorded in the manifest so the bundle can be reproduced. */
  command: string;
  /** Stop after writing the tokenizer, token ids and model config into OUT/work (to train elsewhere, e.g. on a GPU host). */
  prepareOnly?: boolean;
  /** Skip training: export this checkpoint (trained on OUT/work's data) and write the bundle. */
  fromCheckpoint?: string;
  onEvent?: (e: TrainerEvent) => void;
  onLog?: (line: string) => void;
}

function questionsFrom(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      try {
        const o = JSON.parse(l) as { question?: unknown };
        return typeof o.question === 'string' ? o.question : '';
      } catch {
        return '';
      }
    });
}

/**
 * SFT of the policy into a model bundle: tokenizer (trained or inherited), token ids for the trainer,
 * the PyTorch run, ONNX export, and a manifest that records how to reproduce it.
 */
export async function trainPolicyBundle(o: TrainPolicyOptions): Promise<Manifest | null> {
  const records = loadSftRecords(o.data);
  mkdirSync(join(o.out, 'work'), { recursive: true });
  const log = o.onLog ?? (() => {});

  let tokenizer: BpeTokenizer;
  let shape: ModelShape;
  let initCkpt: string | undefined;
  if (o.fromCheckpoint && !existsSync(o.fromCheckpoint)) throw new Error(`${o.fromCheckpoint}: no such checkpoint`);
  if (o.init) {
    const base = loadBundle(o.init);
    tokenizer = base.tokenizer;
    const a = base.manifest.architecture;
    shape = { d_model: a.d_model, n_layers: a.n_layers, n_heads: a.n_heads, n_kv_heads: a.n_kv_heads, d_ff: a.d_ff, max_seq_len: a.max_seq_len };
    initCkpt = join(o.init, 'checkpoint.pt');
    if (!existsSync(initCkpt)) throw new Error(`${o.init}: no checkpoint.pt to continue training from`);
  } else {
    const preset = PRESETS[o.preset];
    if (!preset) throw new Error(`unknown model preset "${o.preset}" (choose ${Object.keys(PRESETS).join(', ')})`);
    shape = preset;
    const corpus = records.flatMap((r) => [r.prompt, r.completion]);
    if (o.tokenizerCorpus) corpus.push(...questionsFrom(o.tokenizerCorpus));
    log(`training a byte-level BPE tokenizer (vocab ${o.vocabSize}) on ${corpus.length} texts`);
    tokenizer = trainBpe(corpus, { vocabSize: o.vocabSize, specialTokens: SPECIAL_TOKENS });
  }
  tokenizer.save(join(o.out, 'tokenizer.json'));
  const eos = tokenizer.specialId(EOS);
  const pad = tokenizer.specialId(PAD);

  // Token ids for the trainer; a deterministic validation split.
  const rng = new Rng(o.seed + 17);
  const shuffled = records
    .map((r) => ({ r, k: rng.next() }))
    .sort((a, b) => a.k - b.k)
    .map((x) => x.r);
  const nVal = Math.min(Math.floor(shuffled.length * o.valFraction), 2000);
  let skipped = 0;
  const toLines = (rs: SftRecord[]) =>
    rs
      .map((r) => {
        const p = tokenizer.encode(r.prompt);
        const ids = [...p, ...tokenizer.encode(r.completion), eos];
        if (ids.length > shape.max_seq_len) {
          skipped++;
          return null;
        }
        return JSON.stringify({ ids, loss_from: p.length });
      })
      .filter((l): l is string => l !== null)
      .join('\n') + '\n';
  const trainPath = join(o.out, 'work', 'train.jsonl');
  const valPath = join(o.out, 'work', 'val.jsonl');
  writeFileSync(trainPath, toLines(shuffled.slice(nVal)));
  if (nVal > 0) writeFileSync(valPath, toLines(shuffled.slice(0, nVal)));
  if (skipped) log(`skipped ${skipped} records longer than ${shape.max_seq_len} tokens`);

  const config = { ...shape, vocab_size: tokenizer.vocabSize, rope_theta: 10000, tie_embeddings: true, pad_id: pad };
  const configPath = join(o.out, 'work', 'model.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));

  const args = trainerArgv('sft', {
    data: trainPath,
    config: configPath,
    out: join(o.out, 'work'),
    epochs: o.epochs,
    batchSize: o.batchSize,
    lr: o.lr,
    device: o.device,
    seed: o.seed,
    valData: nVal > 0 ? valPath : undefined,
    maxSteps: o.maxSteps || undefined,
    maxMinutes: o.maxMinutes || undefined,
    init: initCkpt,
  });
  const ckpt = join(o.out, 'work', 'checkpoint.pt');
  if (o.prepareOnly) {
    log(`prepared ${trainPath}; train with: PYTHONPATH=trainer python3 -m rstar_trainer sft ${args.join(' ')}`);
    return null;
  }
  let metrics: Record<string, unknown> = {};
  if (o.fromCheckpoint) {
    if (o.fromCheckpoint !== ckpt) copyFileSync(o.fromCheckpoint, ckpt);
    const mPath = join(dirname(o.fromCheckpoint), 'train_metrics.json');
    if (existsSync(mPath)) metrics = JSON.parse(readFileSync(mPath, 'utf8')) as Record<string, unknown>;
  } else {
    const done = await runTrainer('sft', args, { onEvent: o.onEvent });
    metrics = (done as { metrics?: Record<string, unknown> }).metrics ?? {};
  }
  await exportPolicy(ckpt, o.out, o.onEvent);
  copyFileSync(ckpt, join(o.out, 'checkpoint.pt'));

  const manifest: Manifest = {
    format: 'rstar-bundle/1',
    name: o.out.split('/').filter(Boolean).pop() ?? 'policy',
    created: new Date().toISOString(),
    architecture: { type: 'llama', ...config },
    tokenizer: { file: 'tokenizer.json', eos: EOS, pad: PAD, special_tokens: [...SPECIAL_TOKENS] },
    prompt_template: 'rstar-sft',
    policy: {
      file: 'policy.onnx',
      sha256: sha256File(join(o.out, 'policy.onnx')),
      training: {
        kind: 'sft',
        data: portablePath(o.data, PACKAGE_ROOT),
        data_sha256: sha256File(o.data),
        records: records.length,
        validation_records: nVal,
        init: o.init ? portablePath(o.init, PACKAGE_ROOT) : null,
        preset: o.init ? null : o.preset,
        epochs: o.epochs,
        batch_size: o.batchSize,
        lr: o.lr,
        device: o.device,
        seed: o.seed,
      },
      metrics,
    },
    provenance: { command: o.command, git_commit: gitCommit(), created_by: 'rstar train policy' },
  };
  atomicWrite(join(o.out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

export async function exportPolicy(ckpt: string, outDir: string, onEvent?: (e: TrainerEvent) => void): Promise<void> {
  await runTrainer('export', trainerArgv('export', { ckpt, out: join(outDir, 'policy.onnx'), kind: 'policy' }), { onEvent });
}
