/**
 * The stages of an evolve round, one function each, run in this order by the loop (./evolve.ts, which
 * owns the order, the status transitions and the stage clock) and shared, with the helpers below
 * them, by the ablations (./ablation.ts):
 *
 *   synthesizeRound   the round's problems (probe → frontier pool), cheap sampling, MCTS passes → coverage
 *   trainRoundPolicy  the SFT set (verified trajectories, replay) → the round's policy bundle
 *   trainRoundPpm     preference pairs from the trees → the round's PPM bundle
 *   evaluateRound     held-out evals, one results file per mode
 *
 * A stage records what it produced in its round of the state (the fields its doc names) as it goes,
 * so a checkpoint of the state mid-stage holds what is known. Each skips work whose output is already
 * on disk (synthesis and evaluation resume mid-way, a trained bundle is kept), so rerunning a stage
 * after an interruption continues it.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { openRuntime, type Runtime } from '../runtime.js';
import { datasetHash, type Dataset, type EvalProblem } from '../eval/datasets.js';
import { runEval } from '../eval/run-eval.js';
import type { EvalSummary } from '../eval/types.js';
import { ppmHeldOut, readManifest } from '../models/bundle.js';
import { extractPairs } from '../extract/pairs.js';
import { DEFAULT_SEARCH_CONFIG, type SearchConfig } from '../search/types.js';
import { readRun, runSynth, type SynthRecord } from '../synth/synth-run.js';
import { trainPolicyBundle } from '../train/policy-bundle.js';
import { trainRewardBundle } from '../train/ppm-bundle.js';
import type { TrainerEvent } from '../train/trainer-process.js';
import { atomicWriteJsonl } from '../util/files.js';
import { hashSeed } from '../util/rng.js';
import { isUrl } from '../util/url.js';
import { pairOptions, policySftSettings, rewardTrainSettings, sftSchedule, type EvolveConfig } from './config.js';
import { roundPool, seededOrder, type PoolPick } from './frontier.js';
import { evalFile, roundDir, roundRuns, synthDirs, type EvalModeName } from './layout.js';
import { roundSftSet, runSampling } from './round-data.js';
import type { EvolveRound, EvolveState } from './state.js';

export interface EvolveHooks {
  log(line: string): void;
  /** A progress reporter for `total` units of work (problems). */
  progress(label: string, total: number): { tick(fields?: Record<string, string | number>): void; stop(): void };
  onTrainerEvent?(e: TrainerEvent): void;
}

/** What every stage works with: the run's config, directory and state, its problem sets, and the loop's clock and checkpoint. */
export interface EvolveRun {
  cfg: EvolveConfig;
  out: string;
  /** The command that started this process (recorded in the bundles it trains). */
  command: string;
  state: EvolveState;
  train: Dataset;
  test: Dataset;
  hooks: EvolveHooks;
  signal?: AbortSignal;
  /** Persists the state (OUT/evolve.json). */
  save(): void;
  /** Runs `f` as `stage` of `round` on the stage clock (./stage-clock.ts: wall time checkpointed into `round.wallSeconds`). */
  timed<T>(round: EvolveRound, stage: string, f: () => Promise<T>): Promise<T>;
}

const aborted = (run: EvolveRun) => run.signal?.aborted === true;
const policySha = (dir: string) => (isUrl(dir) ? null : (readManifest(dir).policy?.sha256 ?? null));
/** Whether a bundle was written to `dir` (its manifest is written last). */
export const hasBundle = (dir: string) => existsSync(join(dir, 'manifest.json'));

/** Problems with at least one correct terminal in these records. */
function solvedIds(records: SynthRecord[]): Set<string> {
  return new Set(records.filter((x) => x.correctTerminals > 0).map((x) => x.id));
}

// ── synthesis ─────────────────────────────────────────────────────────────────────────────────────

/**
 * Synthesis of round r ≥ 1 with the previous round's policy (terminal-guided), or its PPM bundle
 * (PPM-augmented): the round's problems (with `probe:`/`pool:`), sampling before MCTS (with
 * `sampling:`), then the MCTS passes, each after the first over what no run has solved yet with a new
 * seed. Records `probe` and `pool`, then `sampling` (each saved as soon as known), then `synth` and
 * `coverage`. Returns the round's records (sampling and MCTS runs), or null when aborted.
 */
export async function synthesizeRound(run: EvolveRun, round: EvolveRound): Promise<SynthRecord[] | null> {
  const { cfg, out, hooks: h } = run;
  const r = round.round;
  const prev = run.state.rounds[r - 1];
  const spec = cfg.rounds[r - 1];
  const earlier = run.state.rounds.slice(1, r).flatMap((x) => roundRuns(out, x.round, cfg).map((x) => x.dir));
  const solvedBefore = solvedIds(earlier.flatMap((d) => readRun(d)));
  const policy = spec.guide === 'ppm' ? prev.ppm : prev.policy;
  if (!policy) throw new Error(`round ${r}: PPM-augmented synthesis needs round ${r - 1}'s PPM`);
  const rt = await openRuntime({
    bundle: policy,
    policyModel: r === 1 ? cfg.bootstrapModel : undefined,
    policyTemplate: r === 1 ? cfg.bootstrapTemplate : undefined,
    threads: cfg.threads,
    seed: cfg.seed,
  });
  let searched: { tokens: number; problems: number };
  try {
    if (spec.guide === 'terminal') rt.deps = { ...rt.deps, reward: undefined };
    const pick = await roundProblems(run, round, rt, policy);
    if (!pick) return null;
    let sampledSolved = new Set<string>();
    if (cfg.sampling) {
      const sampled = await sampleRound(run, round, rt, policy, pick.problems);
      if (!sampled) return null;
      sampledSolved = solvedIds(sampled);
    }
    searched = await searchRound(run, round, rt, policy, pick.problems, solvedBefore, sampledSolved);
  } finally {
    await rt.close();
  }
  if (aborted(run)) return null;
  const thisRound = roundRuns(out, r, cfg).flatMap((x) => readRun(x.dir));
  const solvedAll = new Set([...solvedBefore, ...solvedIds(thisRound)]);
  const perLevel: Record<string, { n: number; solved: number }> = {};
  for (const p of run.train.problems) {
    const l = (perLevel[String(p.level ?? 'all')] ??= { n: 0, solved: 0 });
    l.n++;
    l.solved += solvedAll.has(p.id) ? 1 : 0;
  }
  round.synth = {
    guide: spec.guide,
    rollouts: spec.rollouts,
    problems: searched.problems,
    solved: solvedIds(thisRound).size,
    tokens: searched.tokens,
    wallSeconds: round.wallSeconds.synth ?? 0,
  };
  round.coverage = { solved: solvedAll.size, total: run.train.problems.length, perLevel };
  h.log(`round ${r}: training-set coverage ${solvedAll.size}/${run.train.problems.length}`);
  return thisRound;
}

/** A scaled round: a probe or a pool size picks its problems, sampling runs before MCTS. */
const isScaled = (cfg: EvolveConfig) => cfg.probe !== undefined || cfg.sampling !== undefined || cfg.pool.size !== undefined;

/** The round's problems (probe → frontier pool; all training problems by default); records `probe` and, in a scaled round, `pool`. Null when aborted. */
async function roundProblems(run: EvolveRun, round: EvolveRound, rt: Runtime, policy: string): Promise<PoolPick | null> {
  const { cfg, out } = run;
  const r = round.round;
  const pool = () =>
    roundPool({
      cfg,
      out,
      r,
      deps: rt.deps,
      train: run.train.problems,
      policy: { path: policy, sha256: policySha(policy) },
      hooks: { log: run.hooks.log, signal: run.signal },
    });
  const { pick, probe } = cfg.probe ? await run.timed(round, 'probe', pool) : await pool();
  if (aborted(run)) return null;
  if (probe) {
    round.probe = {
      file: relative(out, join(roundDir(out, r), 'probe.json')),
      frontier: probe.frontier,
      levels: probe.levels.map((l) => ({ level: l.level, problems: l.problems, pass1: l.pass1, passK: l.passK, frontier: l.frontier })),
      warnings: probe.warnings,
    };
  }
  if (isScaled(cfg))
    round.pool = {
      problems: pick.problems.length,
      perLevel: pick.perLevel,
      levels: pick.levels,
      inBand: pick.inBand,
      above: pick.above,
      note: pick.note,
    };
  run.save();
  return pick;
}

/** Cheap sampling of the round's problems into OUT/round-R/sample (./round-data.ts); records `sampling`. The records, or null when aborted. */
async function sampleRound(run: EvolveRun, round: EvolveRound, rt: Runtime, policy: string, problems: EvalProblem[]): Promise<SynthRecord[] | null> {
  const { cfg, out, hooks: h } = run;
  const sampling = cfg.sampling!;
  const r = round.round;
  const dir = join(roundDir(out, r), 'sample');
  const seed = hashSeed(cfg.seed, `evolve-round-${r}-sampling`) % 1_000_000_007;
  h.log(`round ${r} sampling: ${sampling.samples} samples at T=${sampling.temperature} on ${problems.length} problems → ${relative(out, dir)}`);
  const bar = h.progress(`round ${r} sample`, problems.length);
  let solvedCount = 0;
  let doneCount = 0;
  const { records, tokens } = await run.timed(round, 'sample', () =>
    runSampling(
      problems,
      rt.deps,
      {
        data: cfg.train,
        dataSha256: datasetHash(problems),
        policy,
        policySha256: policySha(policy),
        seed,
        mode: 'sampling',
        rollouts: sampling.samples,
        candidates: 1,
        maxDepth: 0,
        temperature: sampling.temperature,
      },
      {
        out: dir,
        samples: sampling.samples,
        temperature: sampling.temperature,
        seed,
        concurrency: cfg.synth.concurrency,
        signal: run.signal,
        onRecord: (rec) => {
          doneCount++;
          solvedCount += rec.correctTerminals > 0 ? 1 : 0;
          bar.tick({ solved: `${solvedCount}/${doneCount}` });
        },
      },
    ),
  );
  bar.stop();
  if (aborted(run)) return null;
  const solved = solvedIds(records);
  round.sampling = { problems: records.length, solved: solved.size, samples: sampling.samples, tokens, wallSeconds: round.wallSeconds.sample ?? 0 };
  h.log(`round ${r} sampling: ${solved.size}/${records.length} problems with a verified trajectory; MCTS on the other ${records.length - solved.size}`);
  run.save();
  return records;
}

/**
 * The round's MCTS passes (OUT/round-R/synth, synth-uK): the first over what sampling missed, each
 * later one over what no run (earlier rounds included) has solved yet, with a new seed. Tokens spent
 * and problems searched, summed over the passes.
 */
async function searchRound(
  run: EvolveRun,
  round: EvolveRound,
  rt: Runtime,
  policy: string,
  pool: EvalProblem[],
  solvedBefore: Set<string>,
  sampledSolved: Set<string>,
): Promise<{ tokens: number; problems: number }> {
  const { cfg, out, hooks: h } = run;
  const r = round.round;
  const spec = cfg.rounds[r - 1];
  const dirs = synthDirs(out, r, cfg);
  const scaled = isScaled(cfg);
  const trainHash = datasetHash(run.train.problems);
  const total = { tokens: 0, problems: 0 };
  for (let k = 0; k < dirs.length && !aborted(run); k++) {
    const rollouts = k === 0 ? spec.rollouts : spec.unsolvedRollouts[k - 1];
    // Passes after the first search only what no run has solved yet, each with a new seed.
    const solvedNow = k === 0 ? sampledSolved : new Set([...solvedBefore, ...sampledSolved, ...solvedIds(dirs.slice(0, k).flatMap((d) => readRun(d)))]);
    const missed = pool.filter((p) => !solvedNow.has(p.id));
    const cap = scaled ? cfg.synth.maxProblems : undefined;
    const problems = cap !== undefined && missed.length > cap ? seededOrder(missed, `evolve-${cfg.seed}-round-${r}-pass-${k}-mcts`).slice(0, cap) : missed;
    const seed = hashSeed(cfg.seed, `evolve-round-${r}-pass-${k}`) % 1_000_000_007;
    h.log(
      `round ${r} synth pass ${k + 1}/${dirs.length}: ${spec.guide}-guided MCTS, ${rollouts} rollouts, ${problems.length} problems → ${relative(out, dirs[k])}`,
    );
    const bar = h.progress(`round ${r} synth`, problems.length);
    const t0 = Date.now();
    const { progress } = await run.timed(round, 'synth', () =>
      runSynth(
        problems,
        rt.deps,
        {
          ...DEFAULT_SEARCH_CONFIG,
          mode: 'mcts',
          guide: spec.guide,
          rollouts,
          candidates: cfg.synth.candidates,
          maxDepth: cfg.synth.maxDepth,
          temperature: cfg.synth.temperature,
          seed,
        },
        {
          data: cfg.train,
          dataSha256: scaled ? datasetHash(problems) : trainHash + (k === 0 ? '' : `:unsolved-after-pass-${k}`),
          policy,
          policySha256: policySha(policy),
          ...(spec.guide === 'ppm' ? { reward: policy, rewardSha256: readManifest(policy).ppm?.sha256 ?? null } : {}),
          seed,
          mode: `mcts-${spec.guide}`,
          rollouts,
          candidates: cfg.synth.candidates,
          maxDepth: cfg.synth.maxDepth,
          temperature: cfg.synth.temperature,
        },
        {
          out: dirs[k],
          concurrency: cfg.synth.concurrency,
          onProgress: (p) => {
            const secs = Math.max(1e-3, (Date.now() - t0) / 1000);
            bar.tick({ solved: `${p.solved}/${p.done}`, 'tok/s': Math.round(p.tokens / secs) });
          },
        },
      ),
    );
    bar.stop();
    total.tokens += progress.tokens;
    total.problems += progress.total;
  }
  return total;
}

// ── training ──────────────────────────────────────────────────────────────────────────────────────

/**
 * Policy SFT of round r ≥ 1: the verified trajectories of this round and, by `replay`, of earlier
 * ones (OUT/round-R/sft.jsonl), trained from the base bundle (or the previous policy with
 * `policy.init: previous`) into the round's policy bundle, unless it is already there. Records
 * `sftExamples` and `sft`; throws when nothing was solved.
 */
export async function trainRoundPolicy(run: EvolveRun, round: EvolveRound): Promise<{ file: string; examples: number }> {
  const { cfg, out, hooks: h } = run;
  const r = round.round;
  const file = join(roundDir(out, r), 'sft.jsonl');
  const runsByRound = run.state.rounds.slice(1, r + 1).map((x) => roundRuns(out, x.round, cfg));
  const set = roundSftSet(runsByRound, r, cfg.policy.perProblem, cfg.replay, `evolve-replay-${cfg.seed}-round-${r}`);
  const sft = set.examples;
  atomicWriteJsonl(file, sft);
  round.sftExamples = sft.length;
  const init = cfg.policy.init === 'previous' && r > 1 ? run.state.rounds[r - 1].policy : (cfg.base ?? cfg.bootstrap);
  const schedule = sftSchedule(cfg, sft.length);
  round.sft = { fresh: set.fresh, replay: set.replay, init, epochs: schedule.epochs, maxSteps: schedule.maxSteps ?? null };
  if (sft.length === 0) throw new Error(`round ${r}: no verified trajectories to train on (nothing was solved)`);
  if (!hasBundle(round.policy)) {
    h.log(
      `round ${r}: SFT of the policy from ${init} on ${sft.length} verified trajectories (${set.fresh} this round, ${set.replay} replayed)` +
        (schedule.maxSteps ? `, ${schedule.maxSteps} steps` : `, ${schedule.epochs} epochs`),
    );
    await run.timed(round, 'train-policy', () =>
      trainPolicyBundle({
        data: file,
        out: round.policy,
        ...policySftSettings(cfg, init, cfg.seed + r),
        ...schedule,
        command: `${run.command} (round ${r} policy)`,
        onEvent: h.onTrainerEvent,
        onLog: (l) => h.log(`round ${r} train policy: ${l}`),
      }),
    );
  }
  return { file, examples: sft.length };
}

/**
 * The PPM of round r ≥ 1: preference pairs (OUT/round-R/pairs.jsonl) from the trees of every round so
 * far (small runs yield few pairs per round), or of this round's `records` with `ppm.pairsFrom:
 * round`, trained from this round's policy into OUT/round-R/ppm, unless it is already there. Records
 * `ppmPairs`, then `ppm`, `ppmPairAccuracy`, `ppmHeldOutPairs`, `ppmPairSplit` from the bundle, and
 * saves; throws when there are no pairs.
 */
export async function trainRoundPpm(run: EvolveRun, round: EvolveRound, records: SynthRecord[]): Promise<{ dir: string; pairs: number }> {
  const { cfg, out, hooks: h } = run;
  const r = round.round;
  const file = join(roundDir(out, r), 'pairs.jsonl');
  const runsByRound = run.state.rounds.slice(1, r + 1).map((x) => roundRuns(out, x.round, cfg));
  const pairRecords = cfg.ppm.pairsFrom === 'round' ? records : runsByRound.flat().flatMap((x) => readRun(x.dir));
  const pairs = extractPairs(pairRecords, pairOptions(cfg));
  atomicWriteJsonl(file, pairs);
  round.ppmPairs = pairs.length;
  if (pairs.length === 0) throw new Error(`round ${r}: no preference pairs in the trees so far (no problem has both correct and wrong branches)`);
  const dir = join(roundDir(out, r), 'ppm');
  if (!hasBundle(dir)) {
    h.log(`round ${r}: PPM from the round-${r} policy on ${pairs.length} preference pairs`);
    await run.timed(round, 'train-ppm', () =>
      trainRewardBundle({
        data: file,
        objective: 'pairwise',
        policy: round.policy,
        out: dir,
        ...rewardTrainSettings(cfg, cfg.seed + r),
        command: `${run.command} (round ${r} PPM)`,
        onEvent: h.onTrainerEvent,
        onLog: (l: string) => h.log(`round ${r} train ppm: ${l}`),
      }),
    );
  }
  round.ppm = dir;
  const manifest = readManifest(dir);
  const held = ppmHeldOut(manifest);
  round.ppmPairAccuracy = held.accuracy;
  round.ppmHeldOutPairs = held.pairs;
  const t = manifest.ppm?.training as { train_records?: number; held_out_pairs?: number; held_out_problems?: number } | undefined;
  round.ppmPairSplit =
    t?.train_records !== undefined ? { train: t.train_records, heldOut: t.held_out_pairs ?? 0, heldOutProblems: t.held_out_problems ?? 0 } : null;
  run.save();
  return { dir, pairs: pairs.length };
}

// ── held-out evaluation ───────────────────────────────────────────────────────────────────────────

/**
 * Greedy, self-consistency@N, best-of-N with the round's PPM and PPM-guided MCTS on the held-out set
 * (the modes of `eval.modes`, and `eval.finalModes` in the last round; those needing a PPM only once
 * the round has one), each into OUT/round-R/eval/MODE.jsonl, resumed where it stopped. Records each
 * mode's file in `eval` when its eval returns (stopped by the signal, too: the loop then leaves the
 * round at `eval`, and the next run resumes the file). Summaries by mode; none after the signal.
 */
export async function evaluateRound(run: EvolveRun, round: EvolveRound): Promise<Partial<Record<EvalModeName, EvalSummary>>> {
  const { cfg, out, hooks: h } = run;
  const e = cfg.eval;
  const wanted = round.round === cfg.rounds.length ? [...new Set([...e.modes, ...e.finalModes])] : e.modes;
  const modes = wanted.filter((m: EvalModeName) => round.ppm !== null || m === 'greedy' || m === 'sc');
  const summaries: Partial<Record<EvalModeName, EvalSummary>> = {};
  if (modes.length === 0) return summaries;
  let rt: Runtime | null = null;
  try {
    rt = await openRuntime({
      bundle: round.ppm ?? round.policy,
      policyModel: round.round === 0 ? cfg.bootstrapModel : undefined,
      policyTemplate: round.round === 0 ? cfg.bootstrapTemplate : undefined,
      threads: cfg.threads,
      seed: e.seed,
    });
    for (const mode of modes) {
      if (aborted(run)) break;
      const file = evalFile(out, round.round, mode);
      mkdirSync(join(roundDir(out, round.round), 'eval'), { recursive: true });
      const summary = await heldOutEval(rt, run.test.problems, evalSearchConfig(mode, cfg), {
        cfg,
        file,
        dataset: run.test.name,
        withReward: usesReward(mode),
        label: `round ${round.round} eval ${mode}`,
        hooks: h,
        signal: run.signal,
      });
      round.eval[mode] = relative(out, file);
      summaries[mode] = summary;
      h.log(
        `round ${round.round} ${mode}: ${(100 * summary.accuracy).toFixed(1)}% (${summary.perLevel.map((l) => `L${l.key} ${Math.round(100 * l.accuracy)}%`).join(' ')})`,
      );
    }
  } finally {
    await rt?.close();
  }
  return summaries;
}

/** Whether an eval mode searches with the reward model (best-of-N and PPM-guided MCTS do; greedy and self-consistency do not). */
export const usesReward = (mode: EvalModeName) => mode === 'bon' || mode === 'mcts';

/** The search config of a held-out eval mode (the config's `eval:` settings and seed; no trees kept). */
export function evalSearchConfig(mode: EvalModeName, cfg: EvolveConfig): SearchConfig {
  return { ...DEFAULT_SEARCH_CONFIG, ...evalSearch(mode, cfg), seed: cfg.eval.seed, keepTree: false };
}

function evalSearch(mode: EvalModeName, cfg: EvolveConfig): Partial<SearchConfig> {
  const e = cfg.eval;
  switch (mode) {
    case 'greedy':
      return { mode: 'greedy' };
    case 'sc':
      return { mode: 'self-consistency', n: e.n, temperature: e.temperature };
    case 'bon':
      return { mode: 'best-of-n', n: e.n, temperature: e.temperature };
    case 'mcts':
      return { mode: 'mcts', guide: 'ppm', rollouts: e.n, candidates: e.candidates, maxDepth: e.maxDepth, temperature: e.temperature };
  }
}

/**
 * One held-out eval (the rounds' and the ablations'): `search` over `problems` into the results file
 * `file` (resumed when it exists), with a progress bar; the reward model only when `withReward`.
 */
export async function heldOutEval(
  rt: Runtime,
  problems: EvalProblem[],
  search: SearchConfig,
  o: { cfg: EvolveConfig; file: string; dataset?: string; withReward: boolean; label: string; hooks: EvolveHooks; signal?: AbortSignal },
): Promise<EvalSummary> {
  const bar = o.hooks.progress(o.label, problems.length);
  let correct = 0;
  let done = 0;
  const { summary } = await runEval(problems, o.withReward ? rt.deps : { ...rt.deps, reward: undefined }, search, {
    concurrency: o.cfg.eval.concurrency,
    outFile: o.file,
    resume: existsSync(o.file),
    data: o.cfg.test,
    dataset: o.dataset,
    rewardName: o.withReward ? (rt.deps.reward?.name ?? null) : null,
    signal: o.signal,
    onResult: (res) => {
      done++;
      correct += res.correct ? 1 : 0;
      bar.tick({ acc: (correct / done).toFixed(3) });
    },
  });
  bar.stop();
  return summary;
}
