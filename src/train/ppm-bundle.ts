import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { loadBundle, manifestSchema, type Manifest } from '../models/bundle.js';
import { rewardTokenIds } from '../models/onnx/reward.js';
import { readPairs, type PpmPair } from '../extract/pairs.js';
import { readRewardExamples, type RewardExample } from '../extract/reward-data.js';
import { runExport, runRewardTrain, trainerDefault, type RewardMetrics, type RewardObjective, type TrainerEvent } from './trainer-process.js';
import { sha256File, gitCommit, atomicWrite } from '../util/files.js';
import { portablePath } from '../util/machine-paths.js';
import { PACKAGE_ROOT } from '../paths.js';

/** The share of problems held out for pair accuracy when no held-out pairs file is given. */
export const DEFAULT_PPM_VAL_FRACTION = 0.05;

/** Bad input data (a file, line and field are in the message), as opposed to a failed training run. */
export class RewardDataError extends Error {}

export interface TrainRewardBundleOptions {
  objective: RewardObjective;
  /** pairwise: preference pairs (`readPairs`: our JSONL or rStar's pos/neg); orm/qreg: reward examples (`readRewardExamples`). */
  data: string;
  /**
   * orm/qreg: preference pairs whose held-out split (by problem, as for the pairwise objective with
   * the same seed and fraction) gives the pairs for held-out pair accuracy; those problems are also
   * held out of `data`. Ignored for pairwise (there `data` is the pairs).
   */
  pairs?: string;
  /** Policy bundle directory (checkpoint.pt, tokenizer.json, policy.onnx, manifest.json): tokenizer and initial weights. */
  policy: string;
  /** Output bundle directory: the policy (copied) + ppm.onnx + ppm.pt; OUT/work holds the trainer's files. */
  out: string;
  /** Held-out pairs file (else a `valFraction` of the pairs, split by problem). Problems in it are dropped from training. */
  valPairs?: string;
  /** Fraction of problems (problem_id, else the prompt) held out when there is no `valPairs` (default DEFAULT_PPM_VAL_FRACTION). */
  valFraction?: number;
  epochs?: number;
  maxSteps?: number;
  batchSize?: number;
  lr?: number;
  seed?: number;
  /** The trainer's --device (default: the trainer's, in trainer/rstar_trainer/options.json). */
  device?: string;
  threads?: number;
  maxMinutes?: number;
  /** Continue an interrupted run from OUT/work/checkpoint.pt (same data and options). */
  resume?: boolean;
  /** The command line recorded in the manifest. */
  command: string;
  onEvent?: (e: TrainerEvent) => void;
  onLog?: (line: string) => void;
  /** The trainer's stderr (default: this process's stderr). */
  onStderr?: (line: string) => void;
  signal?: AbortSignal;
}

/** A uniform number in [0, 1) from (seed, key): the same key lands on the same side for every objective. */
function unitHash(seed: number, key: string): number {
  return createHash('sha256').update(`${seed}\0${key}`).digest().readUInt32BE(0) / 2 ** 32;
}

/** The problem a pair belongs to: its problem_id, else its prompt (rStar's pairs: the question). */
export const pairGroup = (p: PpmPair): string => p.problem_id ?? p.prompt;

/**
 * Holds out whole groups (problems): a group is held out when its hash under `seed` falls below
 * `fraction`, so the split is stable across objectives and files; at least one group is held out
 * when `fraction > 0` and there are two or more groups.
 */
export function heldOutGroups(groups: Iterable<string>, fraction: number, seed: number): Set<string> {
  const all = [...new Set(groups)];
  const out = new Set<string>();
  if (!(fraction > 0) || all.length < 2) return out;
  const hashed = all.map((g) => ({ g, h: unitHash(seed, g) })).sort((a, b) => a.h - b.h);
  for (const x of hashed) if (x.h < fraction) out.add(x.g);
  if (out.size === 0) out.add(hashed[0].g);
  if (out.size === all.length) out.delete(hashed[hashed.length - 1].g);
  return out;
}

function readInput<T>(read: () => T): T {
  try {
    return read();
  } catch (e) {
    throw new RewardDataError((e as Error).message);
  }
}

/**
 * Trains a reward model (the PPM with the pairwise objective; an ORM or Q-regression model for the
 * ablation) initialised from a policy bundle, and writes a bundle holding both: the policy's files
 * and manifest fields, plus ppm.onnx, ppm.pt and `manifest.ppm` (objective, data hashes, held-out
 * pair accuracy, command). Texts are tokenized with the policy's tokenizer exactly as `OnnxReward`
 * does at search time (`rewardTokenIds`: no special tokens, left truncation to max_seq_len).
 */
export async function trainRewardBundle(o: TrainRewardBundleOptions): Promise<Manifest> {
  const log = o.onLog ?? (() => {});
  // The trainer's seed also picks the held-out problems.
  const seed = o.seed ?? (trainerDefault('reward', 'seed') as number);
  const valFraction = o.valFraction ?? DEFAULT_PPM_VAL_FRACTION;
  const pairwise = o.objective === 'pairwise';

  // Inputs first: any bad record fails here, before anything is written or trained.
  const base = loadBundle(o.policy);
  const policyCkpt = join(o.policy, 'checkpoint.pt');
  if (!existsSync(policyCkpt)) throw new RewardDataError(`${o.policy}: no checkpoint.pt (the PPM is initialised from the policy's weights)`);
  if (!base.policyPath) throw new RewardDataError(`${join(o.policy, 'manifest.json')}: the bundle has no policy (manifest.policy)`);
  const trainPairs = pairwise ? readInput(() => readPairs(o.data)) : o.pairs ? readInput(() => readPairs(o.pairs!)) : null;
  const examples = pairwise ? null : readInput(() => readRewardExamples(o.data));
  if (examples) {
    const wrong = examples.findIndex((e) => e.kind !== o.objective);
    if (wrong >= 0) log(`note: ${o.data}: record ${wrong + 1} is kind "${examples[wrong].kind}", training it with --objective ${o.objective}`);
  }
  const fileVal = o.valPairs ? readInput(() => readPairs(o.valPairs!)) : null;

  // The held-out split, by problem.
  let valPairs: PpmPair[] = [];
  let heldOut: Set<string>;
  let fitPairs: PpmPair[] = trainPairs ?? [];
  if (fileVal) {
    valPairs = fileVal;
    heldOut = new Set(fileVal.flatMap((p) => (p.problem_id !== undefined ? [p.problem_id] : [])));
    const before = fitPairs.length;
    fitPairs = fitPairs.filter((p) => p.problem_id === undefined || !heldOut.has(p.problem_id));
    if (pairwise && fitPairs.length < before) log(`dropped ${before - fitPairs.length} training pairs of problems in ${o.valPairs}`);
  } else if (trainPairs) {
    heldOut = heldOutGroups(trainPairs.map(pairGroup), valFraction, seed);
    valPairs = trainPairs.filter((p) => heldOut.has(pairGroup(p)));
    fitPairs = trainPairs.filter((p) => !heldOut.has(pairGroup(p)));
  } else {
    heldOut = heldOutGroups(
      examples!.map((e) => e.problem_id ?? e.text),
      valFraction,
      seed,
    );
  }
  let fitExamples: RewardExample[] = [];
  let valExamples: RewardExample[] = [];
  if (examples) {
    const key = (e: RewardExample) => (fileVal || trainPairs ? e.problem_id : (e.problem_id ?? e.text));
    valExamples = examples.filter((e) => {
      const k = key(e);
      return k !== undefined && heldOut.has(k);
    });
    fitExamples = examples.filter((e) => {
      const k = key(e);
      return k === undefined || !heldOut.has(k);
    });
  }
  if (pairwise ? fitPairs.length === 0 : fitExamples.length === 0) {
    throw new RewardDataError(`${o.data}: no training ${pairwise ? 'pairs' : 'examples'} left after holding out ${heldOut.size} problem(s)`);
  }
  if (valPairs.length === 0) log('no held-out pairs: pair accuracy will not be measured (give --val-pairs, or --pairs for orm/qreg)');

  // Token ids (cached: a step text recurs in several pairs).
  const arch = base.manifest.architecture;
  const cache = new Map<string, number[]>();
  const ids = (text: string): number[] => {
    let v = cache.get(text);
    if (!v) {
      v = rewardTokenIds(base.tokenizer, text, arch.max_seq_len, arch.pad_id);
      cache.set(text, v);
    }
    return v;
  };
  let same = 0;
  let truncated = 0;
  const pairLines = (ps: PpmPair[]): string => {
    const lines: string[] = [];
    for (const p of ps) {
      const c = ids(p.prompt + p.chosen);
      const r = ids(p.prompt + p.rejected);
      if (c.length === arch.max_seq_len || r.length === arch.max_seq_len) truncated++;
      if (c.length === r.length && c.every((t, i) => t === r[i])) {
        same++;
        continue;
      }
      lines.push(JSON.stringify({ chosen: c, rejected: r, weight: p.weight }));
    }
    return lines.join('\n') + '\n';
  };
  const pointLines = (es: RewardExample[]): string => es.map((e) => JSON.stringify({ ids: ids(e.text), target: e.target, weight: e.weight })).join('\n') + '\n';

  const work = join(o.out, 'work');
  mkdirSync(work, { recursive: true });
  const trainPath = join(work, 'train.jsonl');
  const valPairsPath = join(work, 'val_pairs.jsonl');
  const valDataPath = join(work, 'val.jsonl');
  writeFileSync(trainPath, pairwise ? pairLines(fitPairs) : pointLines(fitExamples));
  if (valPairs.length) writeFileSync(valPairsPath, pairLines(valPairs));
  if (!pairwise && valExamples.length) writeFileSync(valDataPath, pointLines(valExamples));
  if (same) log(`skipped ${same} pairs whose chosen and rejected texts tokenize identically`);
  if (truncated) log(`${truncated} pairs reach max_seq_len ${arch.max_seq_len} tokens: truncated from the left`);
  log(
    `${o.objective}: ${pairwise ? fitPairs.length + ' training pairs' : fitExamples.length + ' training examples'}, ` +
      `${valPairs.length} held-out pairs` +
      (pairwise ? '' : `, ${valExamples.length} held-out examples`) +
      ` (${heldOut.size} held-out problems)`,
  );

  const done = await runRewardTrain(
    {
      objective: o.objective,
      data: trainPath,
      out: work,
      init: policyCkpt,
      valPairs: valPairs.length ? valPairsPath : undefined,
      valData: !pairwise && valExamples.length ? valDataPath : undefined,
      epochs: o.epochs,
      maxSteps: o.maxSteps,
      batchSize: o.batchSize,
      lr: o.lr,
      seed,
      device: o.device,
      threads: o.threads,
      maxMinutes: o.maxMinutes,
      resume: o.resume,
    },
    { onEvent: o.onEvent, onStderr: o.onStderr, signal: o.signal },
  );
  const metrics: RewardMetrics = done.metrics;

  const ppmOnnx = join(o.out, 'ppm.onnx');
  await runExport({ ckpt: done.weights, out: ppmOnnx, kind: 'ppm' }, { onEvent: o.onEvent, onStderr: o.onStderr, signal: o.signal });
  copyFileSync(done.weights, join(o.out, 'ppm.pt'));

  // The policy travels with its PPM: same tokenizer, same policy files.
  const sameDir = resolve(o.policy) === resolve(o.out);
  if (!sameDir) {
    copyFileSync(join(o.policy, base.manifest.tokenizer.file), join(o.out, base.manifest.tokenizer.file));
    copyFileSync(base.policyPath, join(o.out, base.manifest.policy!.file));
    copyFileSync(policyCkpt, join(o.out, 'checkpoint.pt'));
  }

  const dataSha = sha256File(o.data);
  const manifest: Manifest = {
    ...base.manifest,
    name: basename(resolve(o.out)),
    created: new Date().toISOString(),
    ppm: {
      file: 'ppm.onnx',
      sha256: sha256File(ppmOnnx),
      training: {
        kind: 'ppm',
        objective: o.objective,
        checkpoint: 'ppm.pt',
        data: portablePath(o.data, PACKAGE_ROOT),
        data_sha256: dataSha,
        records: pairwise ? trainPairs!.length : examples!.length,
        train_records: pairwise ? fitPairs.length : fitExamples.length,
        pairs: o.pairs ? portablePath(o.pairs, PACKAGE_ROOT) : pairwise ? portablePath(o.data, PACKAGE_ROOT) : null,
        pairs_sha256: o.pairs ? sha256File(o.pairs) : pairwise ? dataSha : null,
        val_pairs: o.valPairs ? portablePath(o.valPairs, PACKAGE_ROOT) : null,
        val_pairs_sha256: o.valPairs ? sha256File(o.valPairs) : null,
        val_fraction: o.valPairs ? null : valFraction,
        held_out_pairs: valPairs.length,
        held_out_problems: heldOut.size,
        init: portablePath(o.policy, PACKAGE_ROOT),
        init_policy_sha256: base.manifest.policy?.sha256 ?? null,
        epochs: o.epochs ?? null,
        max_steps: o.maxSteps ?? null,
        batch_size: o.batchSize ?? null,
        lr: o.lr ?? null,
        device: o.device ?? null,
        seed,
        command: o.command,
        git_commit: gitCommit(),
      },
      metrics: metrics as Record<string, unknown>,
    },
    provenance: { ...base.manifest.provenance, ppm_command: o.command, ppm_created_by: 'rstar train ppm' },
  };
  const checked = manifestSchema.safeParse(manifest);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new Error(`internal: the PPM bundle manifest is invalid: field "${issue.path.join('.')}": ${issue.message}`);
  }
  atomicWrite(join(o.out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}
