/**
 * The manifest of a synthesis run directory, RUN/manifest.json (`rstar-ts/synth-run@1`): its zod
 * schema and the types derived from it, its one writer (`writeRunManifest`, which stamps the format
 * and the time), its one reader (`readRunManifest`), and what makes a directory the same run
 * (`RESUME_KEYS`, `resumeIdentity`, `assertSameRun`). Written by `runSynth` (./synth-run.ts) and by
 * the sampling rounds (src/evolve/round-data.ts `runSampling`); read on resume, by reruns
 * (`rerunSeed`), `rstar analyze` and `rstar view`.
 *
 * The reader is lenient where readers need less than a writer writes: of the config only `seed` is
 * required (a hand-made manifest may carry only what it is about), `counts` may be partial, unknown
 * fields are kept. Any field present must have the type below.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { SearchConfig } from '../search/types.js';
import { atomicWriteJson } from '../util/files.js';
import { readJsonFile } from '../util/jsonl.js';

export const RUN_MANIFEST_FILE = 'manifest.json';
export const SYNTH_RUN_FORMAT = 'rstar-ts/synth-run@1';

/** `--only` filters of a rerun: `unsolved` (no correct terminal in any earlier run), `hard` (unsolved, or tier hard). */
export const ONLY_FILTERS = ['unsolved', 'hard'] as const;
export type OnlyFilter = (typeof ONLY_FILTERS)[number];

/** running: being written; complete: every problem has its record; incomplete: a distributed run ended with problems no worker finished. */
export const RUN_STATUSES = ['running', 'complete', 'incomplete'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

const int = z.number().int();

export const synthRunConfigSchema = z.object({
  data: z.string(),
  dataSha256: z.string(),
  policy: z.string(),
  policySha256: z.string().nullable(),
  /** PPM-augmented synthesis: the reward model (bundle or URL) and its ppm.onnx hash. */
  reward: z.string().optional(),
  rewardSha256: z.string().nullable().optional(),
  seed: int,
  mode: z.string(),
  rollouts: int,
  candidates: int,
  maxDepth: int,
  temperature: z.number(),
  /** Rerun restricted to problems earlier runs left unsolved (or hard): those runs' directories, resolved. */
  from: z.array(z.string()).optional(),
  only: z.enum(ONLY_FILTERS).optional(),
  /** How many problems the filter kept (informational; not a resume key). */
  selected: int.optional(),
});
export type SynthRunConfig = z.infer<typeof synthRunConfigSchema>;

/** A problem a distributed run could not finish: every attempt failed (the worker threw or died). */
const failedProblemSchema = z.object({ id: z.string(), error: z.string(), attempts: int });
export type FailedProblem = z.infer<typeof failedProblemSchema>;

const countsSchema = z.object({
  problems: int,
  done: int,
  solved: int,
  tokens: z.number(),
  perLevel: z.record(z.string(), z.object({ n: int, solved: int })),
});

/** The manifest as the writers write it. */
export const runManifestSchema = z.object({
  format: z.literal(SYNTH_RUN_FORMAT),
  status: z.enum(RUN_STATUSES),
  updated: z.string(),
  config: synthRunConfigSchema,
  /** The search config every tree was grown with. */
  search: z.record(z.string(), z.unknown()),
  counts: countsSchema,
  /** Only a distributed run can end with problems no worker finished (a local run throws instead). */
  failed: z.array(failedProblemSchema).optional(),
});
export type SynthRunManifest = z.infer<typeof runManifestSchema>;

/** The manifest as the reader accepts it (see the top of the file). */
const manifestAsReadSchema = z.looseObject({
  ...runManifestSchema.shape,
  config: synthRunConfigSchema.partial().required({ seed: true }).loose(),
  counts: countsSchema.partial(),
});
export type SynthRunManifestAsRead = z.infer<typeof manifestAsReadSchema>;

/** What a writer gives: the manifest less what `writeRunManifest` stamps. */
export type RunManifestFields = Omit<SynthRunManifest, 'format' | 'updated' | 'search'> & { search: SearchConfig };

/** Writes DIR/manifest.json atomically, stamped with the format and the time. */
export function writeRunManifest(dir: string, m: RunManifestFields): void {
  atomicWriteJson(join(dir, RUN_MANIFEST_FILE), {
    format: SYNTH_RUN_FORMAT,
    status: m.status,
    updated: new Date().toISOString(),
    config: m.config,
    search: m.search,
    counts: m.counts,
    ...(m.failed ? { failed: m.failed } : {}),
  });
}

/** Reads and validates DIR/manifest.json: `DIR: not a synthesis run directory (no manifest.json)`, `file: not valid JSON: …`, `file: field "a.b": …`. */
export function readRunManifest(dir: string): SynthRunManifestAsRead {
  const path = join(dir, RUN_MANIFEST_FILE);
  if (!existsSync(path)) throw new Error(`${dir}: not a synthesis run directory (no ${RUN_MANIFEST_FILE})`);
  return readJsonFile(path, manifestAsReadSchema, { invalid: 'not valid JSON' });
}

/** The settings that must match for a run directory to be resumed (same problems, same trees). */
export const RESUME_KEYS = [
  'dataSha256',
  'policySha256',
  'rewardSha256',
  'seed',
  'mode',
  'rollouts',
  'candidates',
  'maxDepth',
  'temperature',
  'from',
  'only',
] as const satisfies ReadonlyArray<keyof SynthRunConfig>;

/** A sampling run (no tree search, no reward model, no rerun filter): the same problems, policy, seed and sampling settings. */
export const SAMPLING_RESUME_KEYS = ['dataSha256', 'policySha256', 'seed', 'mode', 'rollouts', 'temperature'] as const satisfies ReadonlyArray<
  keyof SynthRunConfig
>;

type ResumeKeys = ReadonlyArray<keyof SynthRunConfig>;

/** What makes a run the same run: its config's resume keys (a queued run's id hashes this, src/queue/ids.ts). */
export function resumeIdentity(config: SynthRunConfig, keys: ResumeKeys = RESUME_KEYS): Partial<SynthRunConfig> {
  return Object.fromEntries(keys.map((k) => [k, config[k]]));
}

/**
 * Refuses to continue the run in `dir` with `config` when its manifest records another run, naming
 * the first key that differs: `DIR/manifest.json: cannot resume: seed was 11, now 12 (use a new --out)`.
 * A directory without a manifest is a new run.
 */
export function assertSameRun(dir: string, config: SynthRunConfig, keys: ResumeKeys = RESUME_KEYS): void {
  const path = join(dir, RUN_MANIFEST_FILE);
  if (!existsSync(path)) return;
  const prev: Partial<SynthRunConfig> = readRunManifest(dir).config;
  for (const k of keys) {
    if (JSON.stringify(prev[k]) !== JSON.stringify(config[k])) {
      throw new Error(`${path}: cannot resume: ${k} was ${JSON.stringify(prev[k])}, now ${JSON.stringify(config[k])} (use a new --out)`);
    }
  }
}
