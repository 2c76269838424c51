/**
 * The state file of an `rstar evolve` run, OUT/evolve.json (`rstar-ts/evolve@1`): its zod schema and
 * the types derived from it, its one reader and its one writer. The loop (./evolve.ts) writes it at
 * every stage change and stage-clock checkpoint; `rstar report`, `rstar view` and `rstar ablate` read
 * it. Errors name the file and the field (`file: field "rounds.1.eval.greedy": …`).
 *
 * Runs recorded before a field existed read as they are: `stageTimes`, `ppmHeldOutPairs`, `probe`,
 * `pool`, `sampling`, `sft` and `ppmPairSplit` are optional. The schema lists the fields in the order
 * the loop first writes them, so a state read and written again keeps its layout.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { atomicWriteJson } from '../util/files.js';
import { readJsonFile } from '../util/jsonl.js';
import { evolveConfigSchema, type EvolveConfig } from './config.js';
import { EVAL_MODES, roundDir } from './layout.js';

export const EVOLVE_STATE_FILE = 'evolve.json';
export const EVOLVE_STATE_FORMAT = 'rstar-ts/evolve@1';

/** A round's stage: where a resumed run picks it up. */
export const ROUND_STATUSES = ['pending', 'synth', 'train-policy', 'train-ppm', 'eval', 'complete'] as const;
export type RoundStatus = (typeof ROUND_STATUSES)[number];

const num = z.number();

const roundSchema = z.object({
  round: z.number().int().min(0),
  status: z.enum(ROUND_STATUSES),
  /** Policy bundle directory of this round (round 0: the bootstrap). */
  policy: z.string(),
  /** Bundle directory with this round's PPM (null before it is trained; round 0: none). */
  ppm: z.string().nullable(),
  /** Synthesis: guide used, rollouts, problems searched, problems solved this round, tokens, wall time. */
  synth: z.object({ guide: z.enum(['terminal', 'ppm']), rollouts: num, problems: num, solved: num, tokens: num, wallSeconds: num }).nullable(),
  /** Training-set coverage after this round: problems with at least one verified trajectory so far / all. */
  coverage: z.object({ solved: num, total: num, perLevel: z.record(z.string(), z.object({ n: num, solved: num })) }).nullable(),
  sftExamples: num.nullable(),
  ppmPairs: num.nullable(),
  /** Held-out pair accuracy of this round's PPM. */
  ppmPairAccuracy: num.nullable(),
  /** Pairs the PPM's held-out pair accuracy was measured on (absent in runs made before it was recorded). */
  ppmHeldOutPairs: num.nullable().optional(),
  /** Held-out evaluation results files by mode (relative to the run directory). */
  eval: z.partialRecord(z.enum(EVAL_MODES), z.string()),
  /** Wall seconds per stage, summed over every process that worked on it (./stage-clock.ts). */
  wallSeconds: z.record(z.string(), num),
  /** The frontier probe before this round (with `probe:`): per-level pass rates, the frontier, warnings. */
  probe: z
    .object({
      file: z.string(),
      frontier: z.array(num),
      levels: z.array(z.object({ level: num, problems: num, pass1: num, passK: num, frontier: z.boolean() })),
      warnings: z.array(z.string()),
    })
    .nullable()
    .optional(),
  /** The problems this round searched: how many, per level, from the band, from the level above, and why when not at a frontier. */
  pool: z
    .object({
      problems: num,
      perLevel: z.record(z.string(), num),
      levels: z.array(num),
      inBand: num,
      above: z.object({ level: num, problems: num }).nullable(),
      note: z.string().nullable(),
    })
    .nullable()
    .optional(),
  /** Cheap sampling before MCTS (with `sampling:`): problems sampled, solved (a verified trajectory), tokens. */
  sampling: z.object({ problems: num, solved: num, samples: num, tokens: num, wallSeconds: num }).nullable().optional(),
  /** The SFT set: this round's trajectories, replayed earlier ones, where training started, optimizer steps (null: epochs). */
  sft: z.object({ fresh: num, replay: num, init: z.string(), epochs: num, maxSteps: num.nullable() }).nullable().optional(),
  /** PPM pairs used for training and held out (by problem) for the pair accuracy. */
  ppmPairSplit: z.object({ train: num, heldOut: num, heldOutProblems: num }).nullable().optional(),
});

export const evolveStateSchema = z.object({
  format: z.literal(EVOLVE_STATE_FORMAT),
  /** The parsed config (evolve.yaml) the run was started with. */
  config: z.record(z.string(), z.unknown()),
  command: z.string(),
  started: z.string(),
  updated: z.string(),
  /**
   * 'checkpointed': stage times accumulate across kills and resumes. Absent in runs started before
   * that: their stage times count only work that finished in the process that started it.
   */
  stageTimes: z.literal('checkpointed').optional(),
  /** Held-out test set (a problems file or a curriculum spec) used by every round's eval. */
  testSet: z.string(),
  /** N of self-consistency / best-of-N / MCTS rollouts in the evals. */
  evalN: num,
  /** Round 0 (the bootstrap, evaluated only), then one per configured round. */
  rounds: z.array(roundSchema),
});

export type EvolveRound = z.infer<typeof roundSchema>;
export type EvolveState = z.infer<typeof evolveStateSchema>;

export const evolveStatePath = (out: string) => join(out, EVOLVE_STATE_FILE);

/** The state of a new run: every round pending, round 0's policy the bootstrap, round R's OUT/round-R/policy. */
export function newEvolveState(cfg: EvolveConfig, out: string, command: string): EvolveState {
  const now = new Date().toISOString();
  return {
    format: EVOLVE_STATE_FORMAT,
    config: cfg as unknown as Record<string, unknown>,
    command,
    started: now,
    updated: now,
    stageTimes: 'checkpointed',
    testSet: cfg.test,
    evalN: cfg.eval.n,
    rounds: [0, ...cfg.rounds.map((_, i) => i + 1)].map((round) => ({
      round,
      status: 'pending',
      policy: round === 0 ? cfg.bootstrap : join(roundDir(out, round), 'policy'),
      ppm: null,
      synth: null,
      coverage: null,
      sftExamples: null,
      ppmPairs: null,
      ppmPairAccuracy: null,
      ppmHeldOutPairs: null,
      eval: {},
      wallSeconds: {},
    })),
  };
}

/** Reads and validates OUT/evolve.json (`file: not found (is this an rstar evolve run directory?)`, `file: invalid JSON: …`, `file: field "a.b": …`). */
export function readEvolveState(out: string): EvolveState {
  const path = evolveStatePath(out);
  if (!existsSync(path)) throw new Error(`${path}: not found (is this an rstar evolve run directory?)`);
  return readJsonFile(path, evolveStateSchema);
}

/** Writes OUT/evolve.json atomically (a crash leaves the old state or the new one), stamping `updated`. */
export function writeEvolveState(out: string, state: EvolveState): void {
  state.updated = new Date().toISOString();
  atomicWriteJson(evolveStatePath(out), state);
}

/**
 * The config a run was started with, parsed again (so a run recorded before a new optional field
 * reads with its default); null when it no longer parses.
 */
export function recordedConfig(state: EvolveState): EvolveConfig | null {
  const parsed = evolveConfigSchema.safeParse(state.config);
  return parsed.success ? parsed.data : null;
}

/** A finished or running run's state and the config it was started with (throws naming the file when that config no longer parses). */
export function readEvolveRun(out: string): { state: EvolveState; cfg: EvolveConfig } {
  const state = readEvolveState(out);
  const parsed = evolveConfigSchema.safeParse(state.config);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new Error(`${evolveStatePath(out)}: field "${['config', ...i.path.map(String)].join('.')}": ${i.message}`);
  }
  return { state, cfg: parsed.data };
}
