/**
 * The frontier probe inside `rstar evolve`: before a round, the round's policy samples k solutions on
 * a few training problems of every level; the round's problem pool is then drawn where the policy
 * succeeds sometimes (the probed problems whose pass rate lies in the band, then unprobed problems of
 * the frontier levels), plus a share from the level just above the frontier.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { EvalProblem } from '../eval/datasets.js';
import type { SearchDeps } from '../search/types.js';
import { atomicWrite } from '../util/files.js';
import { readJsonFile } from '../util/jsonl.js';
import { hashSeed } from '../util/rng.js';
import type { EvolveConfig } from './config.js';
import { roundDir } from './layout.js';
import { probeFrontier, probeResultSchema, type ProbeResult } from './probe.js';

export type ProbeConfig = NonNullable<EvolveConfig['probe']>;
export type PoolConfig = EvolveConfig['pool'];

/** A deterministic order of problems under a seed (a hash of seed and id). */
export function seededOrder<T extends { id: string }>(xs: T[], seed: string): T[] {
  return xs
    .map((x) => ({ x, k: hashSeed(seed, x.id) }))
    .sort((a, b) => a.k - b.k || (a.x.id < b.x.id ? -1 : 1))
    .map((e) => e.x);
}

const levelOf = (p: EvalProblem) => p.level ?? 0;

/** The training levels to probe: the configured ones, else every level of the pool. */
export function probeLevels(train: EvalProblem[], cfg: ProbeConfig): number[] {
  const present = [...new Set(train.map(levelOf))].sort((a, b) => a - b);
  if (train.some((p) => p.level === undefined)) throw new Error('probe: the training problems need a "level" (a curriculum spec, or a file with levels)');
  if (!cfg.levels) return present;
  const missing = cfg.levels.filter((l) => !present.includes(l));
  if (missing.length) throw new Error(`probe: level ${missing.join(', ')} has no training problems (the pool has levels ${present.join(', ')})`);
  return [...cfg.levels].sort((a, b) => a - b);
}

/** `count` training problems of each level, in a per-round seeded order. */
export function probeSample(train: EvalProblem[], levels: number[], count: number, seed: string): EvalProblem[] {
  return levels.flatMap((l) =>
    seededOrder(
      train.filter((p) => levelOf(p) === l),
      seed,
    ).slice(0, count),
  );
}

export interface PoolPick {
  problems: EvalProblem[];
  /** Levels the pool was drawn from (the frontier, or the fallback when there is none). */
  levels: number[];
  /** The level just above, and how many of its problems were taken. */
  above: { level: number; problems: number } | null;
  /** Probed problems whose own pass rate lies in the band (taken first). */
  inBand: number;
  perLevel: Record<string, number>;
  /** Why the pool is not at a frontier, when it is not. */
  note: string | null;
}

/**
 * The round's problems. Without a probe: `pool.size` problems of the training set in a seeded order
 * (all of them when no size is set: the behaviour before probes). With one: the probed problems whose
 * pass rate lies in the band, then unprobed problems of the frontier levels, up to (1 − above share)
 * of the pool; the rest from the level just above the frontier. Probed problems outside the band
 * (always or never solved) are not drawn at the frontier levels. When there is no frontier, the pool
 * falls back to the reachable levels below the band, or to the level above levels that are all too
 * easy, or to every level; `note` says which.
 */
export function pickPool(train: EvalProblem[], probe: ProbeResult | null, pool: PoolConfig, seed: string): PoolPick {
  const perLevel = (ps: EvalProblem[]) => {
    const out: Record<string, number> = {};
    for (const p of ps) out[String(levelOf(p))] = (out[String(levelOf(p))] ?? 0) + 1;
    return out;
  };
  const allLevels = [...new Set(train.map(levelOf))].sort((a, b) => a - b);
  if (!probe) {
    const problems = pool.size === undefined ? train : seededOrder(train, seed).slice(0, pool.size);
    return { problems, levels: allLevels, above: null, inBand: 0, perLevel: perLevel(problems), note: null };
  }
  const [lo, hi] = probe.band;
  const rate = new Map(probe.problems.map((p) => [p.id, p.correct / probe.samples]));
  const inBandIds = new Set(probe.problems.filter((p) => p.correct > 0 && p.correct / probe.samples >= lo && p.correct / probe.samples <= hi).map((p) => p.id));

  let levels = probe.frontier;
  let note: string | null = null;
  const reachable = probe.levels.filter((l) => l.passK > 0);
  if (levels.length === 0) {
    const hard = reachable.filter((l) => l.pass1 < lo).map((l) => l.level);
    if (hard.length) {
      levels = hard;
      note = `no frontier: drawing from reachable levels below the band (${hard.join(', ')})`;
    } else if (reachable.length) {
      note = `no frontier: every reachable level is above the band; drawing from the level above them`;
    } else {
      levels = allLevels;
      note = 'no frontier: nothing was solved; drawing from every level';
    }
  }
  const top = Math.max(0, ...levels, ...(levels.length ? [] : reachable.map((l) => l.level)));
  const aboveLevel = allLevels.find((l) => l > top) ?? null;
  const inLevels = new Set(levels);
  const front = [
    ...train.filter((p) => inBandIds.has(p.id)),
    ...seededOrder(
      train.filter((p) => inLevels.has(levelOf(p)) && !rate.has(p.id)),
      seed,
    ),
  ];
  const aboveCands =
    aboveLevel === null
      ? []
      : seededOrder(
          train.filter((p) => levelOf(p) === aboveLevel && !inBandIds.has(p.id)),
          seed,
        );
  const share = pool.above;
  let nFront: number;
  let nAbove: number;
  if (pool.size !== undefined) {
    nAbove = Math.min(aboveCands.length, Math.round(pool.size * (levels.length ? share : 1)));
    nFront = Math.min(front.length, pool.size - nAbove);
  } else {
    nFront = front.length;
    nAbove = Math.min(aboveCands.length, levels.length ? Math.round((nFront * share) / Math.max(1e-9, 1 - share)) : aboveCands.length);
  }
  const problems = [...front.slice(0, nFront), ...aboveCands.slice(0, nAbove)];
  if (problems.length === 0)
    throw new Error(`the round's pool is empty (levels ${levels.join(', ') || 'none'}, above ${aboveLevel ?? 'none'}): nothing to search`);
  return {
    problems,
    levels,
    above: aboveLevel === null || nAbove === 0 ? null : { level: aboveLevel, problems: nAbove },
    inBand: Math.min(inBandIds.size, nFront),
    perLevel: perLevel(problems),
    note,
  };
}

/** A round's probe, recorded in OUT/round-R/probe.json (written and read back only here). */
const roundProbeFileSchema = probeResultSchema.extend({ round: z.number().int(), policy: z.string(), policySha256: z.string().nullable() });
export type RoundProbeFile = z.infer<typeof roundProbeFileSchema>;

/** What a round's probe and pool are drawn from: the config, the run directory, the round, the policy searching and its deps, the training problems. */
export interface RoundPoolInputs {
  cfg: EvolveConfig;
  out: string;
  r: number;
  deps: SearchDeps;
  train: EvalProblem[];
  policy: { path: string; sha256: string | null };
  hooks: { log(line: string): void; signal?: AbortSignal; onResult?: () => void };
}

/**
 * The probe of round `r` (the policy of round r − 1 on the training pool), written to
 * OUT/round-R/probe.json. A probe already recorded there for the same policy and settings is read
 * back instead of rerun, so a killed evolve does not redo it.
 */
export async function roundProbe({ cfg, out, r, deps, train, policy, hooks }: RoundPoolInputs): Promise<{ probe: RoundProbeFile; reused: boolean }> {
  const p = cfg.probe!;
  const file = join(roundDir(out, r), 'probe.json');
  const levels = probeLevels(train, p);
  const seedKey = `evolve-probe-${cfg.seed}-${p.seed}-round-${r}`;
  const problems = probeSample(train, levels, p.count, seedKey);
  if (existsSync(file)) {
    const prev = readJsonFile(file, roundProbeFileSchema);
    const same =
      prev.policySha256 === policy.sha256 &&
      prev.samples === p.samples &&
      prev.temperature === p.temperature &&
      JSON.stringify(prev.band) === JSON.stringify(p.band) &&
      JSON.stringify(prev.problems.map((x) => x.id)) === JSON.stringify(problems.map((x) => x.id));
    if (same) return { probe: prev, reused: true };
    hooks.log(`round ${r}: ${file} was made with other settings or another policy; probing again`);
  }
  const result = await probeFrontier(
    { ...deps, reward: undefined },
    {
      curriculum: p.curriculum,
      levels,
      count: p.count,
      samples: p.samples,
      temperature: p.temperature,
      seed: cfg.seed,
      split: 'train',
      searchSeed: hashSeed(seedKey, 'sampling') % 1_000_000_007,
      band: p.band,
      concurrency: cfg.synth.concurrency,
      policyName: `round ${r - 1}`,
      problems,
      signal: hooks.signal,
      onResult: hooks.onResult,
    },
  );
  const probe: RoundProbeFile = { ...result, round: r, policy: policy.path, policySha256: policy.sha256 };
  if (!hooks.signal?.aborted) {
    mkdirSync(roundDir(out, r), { recursive: true });
    atomicWrite(file, JSON.stringify(probe, null, 2) + '\n');
  }
  return { probe, reused: false };
}

/**
 * The pool of round `r`: with a `probe:` config, probe first (or read the recorded probe back), log
 * its warnings, and pick the pool at the frontier; without one, `pickPool` without a probe.
 */
export async function roundPool(x: RoundPoolInputs): Promise<{ pick: PoolPick; probe: RoundProbeFile | null }> {
  const { cfg, r, train, hooks } = x;
  let probe: RoundProbeFile | null = null;
  if (cfg.probe) {
    const got = await roundProbe(x);
    probe = got.probe;
    if (hooks.signal?.aborted) return { pick: { problems: [], levels: [], above: null, inBand: 0, perLevel: {}, note: null }, probe };
    const pct = (x: number) => `${Math.round(100 * x)}%`;
    hooks.log(
      `round ${r} probe${got.reused ? ' (recorded)' : ''}: ${probe.levels.map((l) => `L${l.level} pass@1 ${pct(l.pass1)} pass@${probe!.samples} ${pct(l.passK)}${l.frontier ? '*' : ''}`).join(', ')}; frontier ${probe.frontier.join(', ') || 'none'}`,
    );
    for (const w of probe.warnings) hooks.log(`round ${r} probe warning: ${w}`);
  }
  const pick = pickPool(train, probe, cfg.pool, `evolve-pool-${cfg.seed}-round-${r}`);
  if (pick.note) hooks.log(`round ${r} pool: ${pick.note}`);
  if (cfg.probe || cfg.pool.size !== undefined) {
    hooks.log(
      `round ${r} pool: ${pick.problems.length} problems (${Object.entries(pick.perLevel)
        .map(([l, n]) => `L${l} ${n}`)
        .join(', ')}), ` + `${pick.inBand} probed in the band${pick.above ? `, ${pick.above.problems} from level ${pick.above.level} above the frontier` : ''}`,
    );
  }
  return { pick, probe };
}
