import { spawn } from 'node:child_process';
import { delimiter } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { findPython } from '../util/python.js';
import { trainerArgv, trainerDir, type TrainerArgsWith } from './trainer-options.js';
import {
  benchDoneSchema,
  exportDoneSchema,
  parseTrainerEvent,
  sftDoneSchema,
  type BenchDone,
  type DoneEvent,
  type ExportDone,
  type SftDone,
  type TrainerEvent,
} from './events.js';

export * from './events.js';
export { trainerArgv, trainerDefault, trainerDir, type TrainerArgs, type TrainerArgsWith, type TrainerCommand } from './trainer-options.js';

export interface RunTrainerOptions {
  /** Every event, in order (progress, saves, results, and the final done/error). */
  onEvent?: (e: TrainerEvent) => void;
  /** The trainer's stderr, line by line (default: written to this process's stderr as `[trainer] …`). */
  onStderr?: (line: string) => void;
  /** Aborting sends SIGTERM (sft saves its checkpoint and stops), then SIGKILL after `killGraceMs`. */
  signal?: AbortSignal;
  cwd?: string;
  /** Extra environment (merged over process.env). */
  env?: NodeJS.ProcessEnv;
  /** Python interpreter (default: `findPython(['torch'])`). */
  python?: string;
  killGraceMs?: number;
}

/**
 * Runs `python3 -m rstar_trainer <command> ...args` and resolves with its `done` event. Rejects
 * with the trainer's own message on an `error` event or a non-zero exit, and when `signal` aborts.
 */
export function runTrainer(command: string, args: string[], opts: RunTrainerOptions = {}): Promise<DoneEvent> {
  return new Promise<DoneEvent>((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(abortError(opts.signal));
      return;
    }
    let python: string;
    let pkgDir: string;
    try {
      python = opts.python ?? findPython(['torch']);
      pkgDir = trainerDir();
    } catch (e) {
      reject(e);
      return;
    }
    const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env };
    env.PYTHONPATH = env.PYTHONPATH ? `${pkgDir}${delimiter}${env.PYTHONPATH}` : pkgDir;
    env.PYTHONUNBUFFERED = '1';
    const child = spawn(python, ['-m', 'rstar_trainer', command, ...args], { cwd: opts.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });

    let done: DoneEvent | null = null;
    let errorMessage: string | null = null;
    let protocolError: Error | null = null;
    let aborted = false;
    let killTimer: NodeJS.Timeout | null = null;
    const tail: string[] = [];
    const onStderr = opts.onStderr ?? ((line: string) => process.stderr.write(`[trainer] ${line}\n`));

    const onAbort = () => {
      aborted = true;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), opts.killGraceMs ?? 5000);
      killTimer.unref();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.trim() === '') return;
      let ev: TrainerEvent;
      try {
        ev = parseTrainerEvent(line);
      } catch (e) {
        if (!protocolError) protocolError = e as Error;
        return;
      }
      if (ev.event === 'done') done = ev as DoneEvent;
      if (ev.event === 'error') errorMessage = String((ev as { message: string }).message);
      try {
        opts.onEvent?.(ev);
      } catch (e) {
        if (!protocolError) protocolError = e as Error;
        child.kill('SIGTERM');
      }
    });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      tail.push(line);
      if (tail.length > 20) tail.shift();
      onStderr(line);
    });

    child.on('error', (e) => {
      opts.signal?.removeEventListener('abort', onAbort);
      reject(new Error(`cannot start the trainer (${python}): ${e.message}`));
    });
    child.on('close', (code, sig) => {
      if (killTimer) clearTimeout(killTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      const what = `rstar_trainer ${command}`;
      if (aborted) reject(abortError(opts.signal!));
      else if (protocolError) reject(protocolError);
      else if (errorMessage !== null) reject(new Error(`${what}: ${errorMessage}`));
      else if (code !== 0) {
        const last = tail.slice(-5).join('\n');
        reject(new Error(`${what} exited with ${code !== null ? `code ${code}` : `signal ${sig}`}${last ? `:\n${last}` : ''}`));
      } else if (!done) reject(new Error(`${what} exited without a "done" event`));
      else resolve(done);
    });
  });
}

function abortError(signal: AbortSignal): Error {
  const reason = signal.reason;
  if (reason instanceof Error) return reason;
  const e = new Error(typeof reason === 'string' ? reason : 'the trainer was aborted');
  e.name = 'AbortError';
  return e;
}

/**
 * `sft` options: every option the trainer declares (trainer/rstar_trainer/options.json), by camelCase
 * name; what is left out takes the trainer's default. Checked against the declaration before the trainer starts.
 */
export type SftOptions = TrainerArgsWith<'sft', 'data' | 'out', string>;

/** `sft`; resolves with the validated done event (metrics as in OUT/train_metrics.json). */
export async function runSft(o: SftOptions, run: RunTrainerOptions = {}): Promise<SftDone> {
  const done = await runTrainer('sft', trainerArgv('sft', o), run);
  return sftDoneSchema.parse(done);
}

/** `export` a checkpoint to ONNX (`kind` defaults to the checkpoint's). */
export async function runExport(o: { ckpt: string; out: string; kind?: 'policy' | 'ppm' }, run: RunTrainerOptions = {}): Promise<ExportDone> {
  const done = await runTrainer('export', trainerArgv('export', o), run);
  return exportDoneSchema.parse(done);
}

/** `bench-generate`: PyTorch eager greedy generation with a KV cache. */
export async function runBenchGenerate(
  o: Omit<TrainerArgsWith<'bench-generate', 'ckpt' | 'prompts', string>, 'batchSizes'> & { batchSizes: number[]; newTokens: number },
  run: RunTrainerOptions = {},
): Promise<BenchDone> {
  const { batchSizes, ...rest } = o;
  const done = await runTrainer('bench-generate', trainerArgv('bench-generate', { ...rest, batchSizes: batchSizes.join(',') }), run);
  return benchDoneSchema.parse(done);
}

/** The reward objectives (the trainer's `reward --objective` choices; test/unit/trainer-options.test.ts checks they agree). */
export const REWARD_OBJECTIVES = ['pairwise', 'orm', 'qreg'] as const;
export type RewardObjective = (typeof REWARD_OBJECTIVES)[number];

/**
 * `reward` options: every option the trainer declares, by camelCase name (`data`: token ids JSONL,
 * pairwise `{"chosen": [...], "rejected": [...], "weight"}`, orm/qreg `{"ids": [...], "target", "weight"};
 * `out`: checkpoint.pt (kind "ppm", with optimizer state), ppm.pt (weights only) and train_metrics.json).
 */
export type RewardTrainOptions = TrainerArgsWith<'reward', 'data' | 'out', string> & TrainerArgsWith<'reward', 'objective', RewardObjective>;

const nullableNum = z.number().nullable().optional();
export const rewardMetricsSchema = z.looseObject({
  objective: z.enum(REWARD_OBJECTIVES),
  final_train_loss: z.number().nullable(),
  first_train_loss: z.number().nullable(),
  val_loss: nullableNum,
  /** Fraction of held-out pairs with score(chosen) > score(rejected) (null without held-out pairs). */
  pair_accuracy: nullableNum,
  pair_accuracy_weighted: nullableNum,
  pair_loss: nullableNum,
  initial_pair_accuracy: nullableNum,
  steps: z.number().int(),
  wall_time_s: z.number(),
  device: z.string(),
  torch: z.string(),
  data: z.looseObject({ path: z.string(), sha256: z.string(), examples: z.number().int() }),
});
export const rewardDoneSchema = z.looseObject({
  event: z.literal('done'),
  command: z.literal('reward'),
  /** OUT/checkpoint.pt: weights + optimizer state (for --resume). */
  checkpoint: z.string(),
  /** OUT/ppm.pt: the weights alone (for bundles; `export` and `logits` read either). */
  weights: z.string(),
  metrics: rewardMetricsSchema,
});
export type RewardMetrics = z.infer<typeof rewardMetricsSchema>;
export type RewardDone = z.infer<typeof rewardDoneSchema>;

/**
 * `reward`: trains a PPM (pairwise Bradley–Terry), an outcome reward model (orm) or a Q-value
 * regressor (qreg) — all the same scalar-head + tanh model — and resolves with the validated done
 * event (metrics as in OUT/train_metrics.json, held-out pair accuracy included when `valPairs` is given).
 */
export async function runRewardTrain(o: RewardTrainOptions, run: RunTrainerOptions = {}): Promise<RewardDone> {
  const done = await runTrainer('reward', trainerArgv('reward', o), run);
  const parsed = rewardDoneSchema.safeParse(done);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`rstar_trainer reward: done event: field "${issue.path.join('.')}": ${issue.message}`);
  }
  return parsed.data;
}
