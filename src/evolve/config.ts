import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { EVAL_MODES } from './layout.js';
import { parseLevels } from './probe.js';
import { isUrl } from '../util/url.js';

/**
 * `evolve.yaml`: the self-evolution recipe. Defaults follow the paper's four rounds (terminal-guided
 * MCTS with 8 then 16 rollouts, then PPM-augmented MCTS, then more rollouts with new seeds on the
 * problems still unsolved), scaled to what a laptop CPU finishes.
 */
const roundSchema = z
  .object({
    /** terminal: terminal-guided MCTS (gold answers); ppm: PPM-augmented MCTS with the previous round's PPM. */
    guide: z.enum(['terminal', 'ppm']),
    rollouts: z.number().int().min(1).max(4096),
    /** Extra passes over the problems still unsolved, each with these rollouts and a fresh seed (paper round 4: 64, 128). */
    unsolvedRollouts: z.array(z.number().int().min(1).max(4096)).default([]),
  })
  .strict();

export const evolveConfigSchema = z
  .object({
    /** Round-0 policy: a bundle directory, or an OpenAI-compatible URL (then `bootstrapModel`). */
    bootstrap: z.string().min(1),
    bootstrapModel: z.string().optional(),
    bootstrapTemplate: z.string().optional(),
    /** Bundle every round's policy is fine-tuned from (needs checkpoint.pt); default: the bootstrap bundle. */
    base: z.string().optional(),
    /** Training problems with answers: a file or a curriculum spec (`curriculum:level=1-5,count=200,seed=2024,split=train`). */
    train: z.string().min(1),
    /** Held-out problems for the per-round evaluation (a seed never used in training). */
    test: z.string().min(1),
    seed: z.number().int().default(0),
    rounds: z.array(roundSchema).min(1).max(16),
    synth: z
      .object({
        candidates: z.number().int().min(1).max(64).default(4),
        maxDepth: z.number().int().min(1).max(64).default(8),
        temperature: z.number().min(0).max(5).default(1),
        concurrency: z.number().int().min(1).max(4096).default(64),
        /** In a scaled round, MCTS searches at most this many of the problems sampling missed (a seeded draw); default: all. */
        maxProblems: z.number().int().min(1).optional(),
      })
      .strict()
      .prefault({}),
    /**
     * The frontier probe before each round (off by default): k samples on `count` training problems of
     * every level with the round's policy; the round's pool is drawn where the pass rate lies in `band`.
     */
    probe: z
      .object({
        /** Curriculum of the training levels (seed rungs and warnings). */
        curriculum: z.enum(['v1', 'v2']).default('v2'),
        /** Levels to probe (default: every level of the training set); a list or a range like "1-10". */
        levels: z
          .union([
            z.array(z.number().int().min(1)).min(1),
            z.string().transform((s, ctx) => {
              try {
                return parseLevels(s);
              } catch (e) {
                ctx.addIssue({ code: 'custom', message: (e as Error).message });
                return z.NEVER;
              }
            }),
          ])
          .optional(),
        count: z.number().int().min(1).default(20),
        samples: z.number().int().min(1).max(256).default(8),
        temperature: z.number().min(0).max(5).default(1),
        band: z
          .tuple([z.number().min(0).max(1), z.number().min(0).max(1)])
          .refine(([lo, hi]) => lo <= hi, 'expected [low, high] with low <= high')
          .default([0.1, 0.9]),
        seed: z.number().int().default(0),
      })
      .strict()
      .optional(),
    /** The problems a round searches: `size` of them (default: all), a share `above` from the level just above the probe's frontier. */
    pool: z
      .object({
        size: z.number().int().min(1).optional(),
        above: z.number().min(0).lt(1).default(0),
      })
      .strict()
      .prefault({}),
    /** Cheap sampling before MCTS (off by default): k samples per pool problem; MCTS searches only what no sample solved. */
    sampling: z
      .object({
        samples: z.number().int().min(1).max(256),
        temperature: z.number().min(0).max(5).default(1),
      })
      .strict()
      .optional(),
    /** SFT data from earlier rounds: `all` (every round's trajectories so far), or the share s in [0, 1) of the set they make up. */
    replay: z.union([z.literal('all'), z.number().min(0).lt(1)]).default('all'),
    policy: z
      .object({
        epochs: z.number().int().min(1).default(2),
        lr: z.number().positive().default(5e-4),
        batchSize: z.number().int().min(1).default(32),
        /** Verified trajectories kept per problem and synthesis pass (highest average Q). */
        perProblem: z.number().int().min(1).default(2),
        maxMinutes: z.number().positive().optional(),
        device: z.enum(['cpu', 'cuda']).default('cpu'),
        /** Each round's SFT starts from the base bundle (the paper) or continues the previous round's policy. */
        init: z.enum(['base', 'previous']).default('base'),
        /** Optimizer steps per SFT example (instead of epochs): steps = max(minSteps, ceil(examples × stepsPerExample)). */
        stepsPerExample: z.number().positive().optional(),
        minSteps: z.number().int().min(1).default(1),
      })
      .strict()
      .prefault({}),
    ppm: z
      .object({
        epochs: z.number().int().min(1).default(2),
        lr: z.number().positive().default(5e-4),
        batchSize: z.number().int().min(1).default(16),
        minMargin: z.number().min(0).default(0.5),
        minEditDistance: z.number().int().min(0).default(20),
        maxMinutes: z.number().positive().optional(),
        device: z.enum(['cpu', 'cuda']).default('cpu'),
        /** Pairs from the trees of every round so far (`all`), or of this round only (`round`: sampling and MCTS). */
        pairsFrom: z.enum(['all', 'round']).default('all'),
      })
      .strict()
      .prefault({}),
    eval: z
      .object({
        /** N of self-consistency@N, best-of-N, and MCTS rollouts. */
        n: z.number().int().min(1).max(256).default(8),
        modes: z.array(z.enum(EVAL_MODES)).default([...EVAL_MODES]),
        /** Modes evaluated on the final round only, after `modes` (the costly searches, once). */
        finalModes: z.array(z.enum(EVAL_MODES)).default([]),
        candidates: z.number().int().min(1).max(64).default(4),
        maxDepth: z.number().int().min(1).max(64).default(8),
        temperature: z.number().min(0).max(5).default(0.8),
        concurrency: z.number().int().min(1).max(4096).default(64),
        seed: z.number().int().default(0),
      })
      .strict()
      .prefault({}),
    /** ONNX Runtime threads (default: all cores). */
    threads: z.number().int().min(1).max(256).optional(),
  })
  .strict();

export type EvolveConfig = z.infer<typeof evolveConfigSchema>;

/** Reads and validates evolve.yaml; errors name the file, the line (YAML syntax) or the field. */
export function loadEvolveConfig(path: string): EvolveConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`${path}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    if (e instanceof YAMLParseError) {
      const line = e.linePos?.[0]?.line;
      throw new Error(`${path}${line ? `:${line}` : ''}: invalid YAML: ${e.message.split('\n')[0]}`);
    }
    throw e;
  }
  const parsed = evolveConfigSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new Error(`${path}: field "${i.path.join('.') || '(root)'}": ${i.message}`);
  }
  const cfg = parsed.data;
  if (isUrl(cfg.bootstrap) && !cfg.bootstrapModel) throw new Error(`${path}: field "bootstrapModel": required when bootstrap is a URL`);
  if (isUrl(cfg.bootstrap) && !cfg.base) throw new Error(`${path}: field "base": required when bootstrap is a URL (the bundle each round fine-tunes)`);
  if (cfg.rounds[0].guide === 'ppm') throw new Error(`${path}: field "rounds.0.guide": the first round has no PPM yet; use terminal`);
  return cfg;
}

/**
 * SFT length of a round with `examples` examples: epochs, or with `stepsPerExample` a step count that
 * scales with the data (epochs then only bound the batch plan).
 */
export function sftSchedule(cfg: EvolveConfig, examples: number): { epochs: number; maxSteps?: number } {
  const p = cfg.policy;
  if (p.stepsPerExample === undefined) return { epochs: p.epochs };
  const maxSteps = Math.max(p.minSteps, Math.ceil(examples * p.stepsPerExample));
  return { epochs: Math.max(1, Math.ceil((maxSteps * p.batchSize) / Math.max(1, examples)) + 1), maxSteps };
}

/** The policy SFT settings every round (and the SFT-data ablation) shares: the same base, preset and schedule. */
export function policySftSettings(cfg: EvolveConfig, base: string, seed: number) {
  return {
    preset: 'small',
    init: base,
    vocabSize: 1024,
    epochs: cfg.policy.epochs,
    batchSize: cfg.policy.batchSize,
    lr: cfg.policy.lr,
    device: cfg.policy.device,
    seed,
    maxMinutes: cfg.policy.maxMinutes,
    valFraction: 0.02,
  } as const;
}

/** The reward-model training settings every round's PPM (and the reward-model ablation) shares. */
export function rewardTrainSettings(cfg: EvolveConfig, seed: number) {
  const p = cfg.ppm;
  return { epochs: p.epochs, batchSize: p.batchSize, lr: p.lr, device: p.device, seed, maxMinutes: p.maxMinutes } as const;
}

/** The filters of the PPM pair rule (src/extract/pairs.ts `extractPairs`). */
export function pairOptions(cfg: EvolveConfig): { minMargin: number; minEditDistance: number } {
  return { minMargin: cfg.ppm.minMargin, minEditDistance: cfg.ppm.minEditDistance };
}
