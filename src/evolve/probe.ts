/**
 * The frontier probe: a cheap sample of pass@k per curriculum level (k samples at temperature T per
 * problem, plain sampling, no tree search), which tells where a policy succeeds sometimes — the
 * levels self-evolution can climb — and warns when there is no such level.
 */
import { z } from 'zod';
import { CURRICULUM_VERSIONS, generateProblems, LADDER_LEVELS, SEED_LEVELS, type CurriculumVersion } from '../data/curriculum/index.js';
import type { EvalProblem } from '../eval/datasets.js';
import { runEval } from '../eval/run-eval.js';
import type { ProblemResult } from '../eval/types.js';
import { DEFAULT_SEARCH_CONFIG, type SearchConfig, type SearchDeps } from '../search/types.js';

export const PROBE_FORMAT = 'rstar-ts/probe@1';

export interface ProbeOptions {
  curriculum: CurriculumVersion;
  levels: number[];
  /** Problems per level. */
  count: number;
  /** Samples per problem (k of pass@k). */
  samples: number;
  temperature: number;
  /** Curriculum seed and split of the probe problems. */
  seed: number;
  split: 'train' | 'test';
  /** Sampling seed. */
  searchSeed?: number;
  /** Also decode greedily (one more pass over the problems). */
  greedy?: boolean;
  /** A level is on the frontier when pass@k > 0 and mean pass@1 lies in this band. */
  band?: [number, number];
  concurrency?: number;
  /** Probe these problems (each with its `level`) instead of generating `count` per level (evolve probes its own training pool). */
  problems?: EvalProblem[];
  /** Name used in warnings, e.g. "round 0". */
  policyName?: string;
  onResult?: (r: ProblemResult) => void;
  signal?: AbortSignal;
}

const probeLevelSchema = z.object({
  level: z.number().int(),
  /** Problems of this level with worked solutions in the seed data. */
  seed: z.boolean(),
  problems: z.number().int(),
  samples: z.number().int(),
  /** Correct samples over all problems of the level. */
  correctSamples: z.number().int(),
  /** Problems with at least one correct sample. */
  solvedProblems: z.number().int(),
  /** Mean over problems of (correct samples / samples). */
  pass1: z.number(),
  /** Fraction of problems with a correct sample among the k (pass@k, k = samples). */
  passK: z.number(),
  greedy: z.number().optional(),
  frontier: z.boolean(),
});
export type ProbeLevel = z.infer<typeof probeLevelSchema>;

/** A probe's result, as `rstar probe --json` prints it and an evolve round records it (`probe.json`). */
export const probeResultSchema = z.object({
  format: z.literal(PROBE_FORMAT),
  curriculum: z.enum(CURRICULUM_VERSIONS),
  split: z.enum(['train', 'test']),
  seed: z.number().int(),
  count: z.number().int(),
  samples: z.number().int(),
  temperature: z.number(),
  band: z.tuple([z.number(), z.number()]),
  levels: z.array(probeLevelSchema),
  /** Levels on the frontier, ascending. */
  frontier: z.array(z.number().int()),
  warnings: z.array(z.string()),
  /** Problems per level, by id, with their correct-sample counts (what a round would pick from). */
  problems: z.array(z.object({ id: z.string(), level: z.number().int(), correct: z.number().int() })),
  wallSeconds: z.number(),
  tokens: z.number(),
});
export type ProbeResult = z.infer<typeof probeResultSchema>;

export const DEFAULT_BAND: [number, number] = [0.1, 0.9];

/** Problems of the probe, in level order. */
export function probeProblems(o: Pick<ProbeOptions, 'curriculum' | 'levels' | 'count' | 'seed' | 'split'>): EvalProblem[] {
  const max = LADDER_LEVELS[o.curriculum];
  for (const l of o.levels) if (!Number.isInteger(l) || l < 1 || l > max) throw new Error(`probe: level ${l} is outside the ${o.curriculum} levels 1-${max}`);
  return o.levels.flatMap((level) =>
    generateProblems({ level, count: o.count, seed: o.seed, split: o.split, curriculum: o.curriculum }).map((p) => ({
      id: p.id,
      question: p.question,
      answer: p.answer,
      level: p.level,
      source: p.source,
    })),
  );
}

/** Per-level pass rates from sampled results, the frontier, and the warnings. */
export function summarizeProbe(o: ProbeOptions, sampled: ProblemResult[], greedy: ProblemResult[] | null): Omit<ProbeResult, 'wallSeconds' | 'tokens'> {
  const band = o.band ?? DEFAULT_BAND;
  const levels: ProbeLevel[] = o.levels.map((level) => {
    const rs = sampled.filter((r) => r.level === level);
    // A problem whose search failed (or returned fewer samples) counts its missing samples as wrong.
    const per = rs.map((r) => ({ n: o.samples, c: (r.samples ?? []).filter((s) => s.correct).length }));
    const pass1 = per.length ? per.reduce((a, x) => a + x.c / x.n, 0) / per.length : 0;
    const solved = per.filter((x) => x.c > 0).length;
    const passK = per.length ? solved / per.length : 0;
    const out: ProbeLevel = {
      level,
      seed: level <= SEED_LEVELS[o.curriculum],
      problems: per.length,
      samples: o.samples,
      correctSamples: per.reduce((a, x) => a + x.c, 0),
      solvedProblems: solved,
      pass1,
      passK,
      frontier: passK > 0 && pass1 >= band[0] && pass1 <= band[1],
    };
    if (greedy) {
      const gs = greedy.filter((r) => r.level === level);
      out.greedy = gs.length ? gs.filter((r) => r.correct).length / gs.length : 0;
    }
    return out;
  });
  const frontier = levels.filter((l) => l.frontier).map((l) => l.level);
  const who = o.policyName ?? 'the policy';
  const pct = (x: number) => `${Math.round(100 * x)}%`;
  const warnings: string[] = [];
  const reached = levels.filter((l) => l.passK > 0).map((l) => l.level);
  const top = reached.length ? Math.max(...reached) : 0;
  const wall = levels.find((l) => l.level > top && l.passK === 0);
  if (frontier.length === 0) {
    warnings.push(
      `no frontier: no probed ${o.curriculum} level has pass@${o.samples} > 0 with mean pass@1 in [${band[0]}, ${band[1]}] ` +
        `(${levels.map((l) => `L${l.level} pass@1 ${pct(l.pass1)} pass@${o.samples} ${pct(l.passK)}`).join(', ')})`,
    );
  }
  if (wall) warnings.push(`${who} solves 0% of level ${wall.level} even with ${o.samples} samples: the loop will not climb there`);
  const problems = sampled.map((r) => ({ id: r.id, level: r.level ?? 0, correct: (r.samples ?? []).filter((s) => s.correct).length }));
  return {
    format: PROBE_FORMAT,
    curriculum: o.curriculum,
    split: o.split,
    seed: o.seed,
    count: o.count,
    samples: o.samples,
    temperature: o.temperature,
    band,
    levels,
    frontier,
    warnings,
    problems,
  };
}

/**
 * Samples `samples` solutions per problem at `temperature` (self-consistency sampling, graded by the
 * judge) on `count` problems of each level, optionally greedy too, and reports pass@1, pass@k and
 * the frontier. `deps.reward` is not used.
 */
export async function probeFrontier(deps: SearchDeps, o: ProbeOptions): Promise<ProbeResult> {
  const t0 = performance.now();
  const problems = o.problems ?? probeProblems(o);
  const base: SearchConfig = { ...DEFAULT_SEARCH_CONFIG, seed: o.searchSeed ?? 0, keepTree: false };
  const plain = { ...deps, reward: undefined };
  const run = (cfg: SearchConfig) =>
    runEval(problems, plain, cfg, {
      concurrency: o.concurrency ?? 64,
      data: 'probe',
      dataset: `curriculum-${o.curriculum}`,
      onResult: o.onResult,
      signal: o.signal,
    });
  const sampled = await run({ ...base, mode: 'self-consistency', n: o.samples, temperature: o.temperature });
  const greedy = o.greedy && !o.signal?.aborted ? await run({ ...base, mode: 'greedy' }) : null;
  const tokens = sampled.results.reduce((a, r) => a + r.tokens, 0) + (greedy?.results.reduce((a, r) => a + r.tokens, 0) ?? 0);
  return { ...summarizeProbe(o, sampled.results, greedy?.results ?? null), wallSeconds: Math.round((performance.now() - t0) / 100) / 10, tokens };
}

/** "1-10", "3", "1+4+5" → level numbers. */
export function parseLevels(s: string): number[] {
  const range = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(s);
  if (range) {
    const [a, b] = [Number(range[1]), Number(range[2])];
    if (a > b) throw new Error(`levels "${s}": empty range`);
    return Array.from({ length: b - a + 1 }, (_, i) => a + i);
  }
  if (!/^\s*\d+(\s*[+,]\s*\d+)*\s*$/.test(s)) throw new Error(`levels "${s}": expected a level, a range like 1-10, or a list like 1+3+5`);
  return [...new Set(s.split(/[+,]/).map((x) => Number(x.trim())))];
}
