/**
 * A run's settings as workers read them from Redis: what to do with each problem (synthesis or eval,
 * the search config with its seed) and which models it must be done with (the policy bundle's sha256
 * from the run's manifest, or the served model's name; the PPM likewise). A worker whose models differ
 * refuses the run rather than grow other trees into it.
 */
import { z } from 'zod';
import type { SearchConfig } from '../search/types.js';
import { RUNS_KEY } from './ids.js';
import type { Redis } from 'ioredis';

export const RUN_SETTINGS_FORMAT = 'rstar-ts/queue-run@1';

const modelRef = z.object({
  /** Human-readable: the bundle path or URL the coordinator was given. */
  name: z.string(),
  /** sha256 of the embedded model from the bundle manifest; null for a served model. */
  sha256: z.string().nullable(),
  /** The served model's name on its server (OpenAI `model`), when served. */
  served: z.string().optional(),
});

export const runSettingsSchema = z.object({
  format: z.literal(RUN_SETTINGS_FORMAT),
  runId: z.string(),
  kind: z.enum(['synth', 'eval']),
  created: z.string(),
  /** The search config, seed included (a worker passes it to the same per-problem function a local run uses). */
  search: z.record(z.string(), z.unknown()),
  policy: modelRef,
  /** The reward model the search needs (PPM-guided MCTS, reward modes), or null. */
  reward: modelRef.nullable(),
  /** eval: give search the gold answer (terminal-guided MCTS). */
  oracle: z.boolean().optional(),
  /** eval: return each problem's tree with its record (--save-trees). */
  keepTree: z.boolean().optional(),
  /** Attempts per job: a worker allows a job this many runs in all, stalls (its holder died) included. */
  attempts: z.number().int().min(1).optional(),
});

export type ModelRef = z.infer<typeof modelRef>;
export type RunSettings = Omit<z.infer<typeof runSettingsSchema>, 'search'> & { search: SearchConfig };

export function parseRunSettings(text: string, where: string): RunSettings {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${where}: run settings are not JSON: ${(e as Error).message}`);
  }
  const r = runSettingsSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new Error(`${where}: invalid run settings: ${i.path.length ? `field "${i.path.join('.')}": ` : ''}${i.message}`);
  }
  return r.data as unknown as RunSettings;
}

/** Registers a run as active (workers pick it up). */
export async function publishRun(redis: Redis, s: RunSettings): Promise<void> {
  await redis.hset(RUNS_KEY, s.runId, JSON.stringify(s));
}

/** Removes a run from the active ones (workers stop serving it). */
export async function retireRun(redis: Redis, runId: string): Promise<void> {
  await redis.hdel(RUNS_KEY, runId);
}

/** Every active run; an entry that does not parse is reported through `onBad` and skipped. */
export async function activeRuns(redis: Redis, onBad: (msg: string) => void): Promise<RunSettings[]> {
  const all = await redis.hgetall(RUNS_KEY);
  const out: RunSettings[] = [];
  for (const [id, text] of Object.entries(all)) {
    try {
      out.push(parseRunSettings(text, `${RUNS_KEY}[${id}]`));
    } catch (e) {
      onBad((e as Error).message);
    }
  }
  return out;
}
