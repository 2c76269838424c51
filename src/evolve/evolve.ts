import { existsSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { openRuntime, type Runtime } from '../runtime.js';
import { isUrl } from '../util/url.js';
import { loadDataset, datasetHash, type EvalProblem } from '../eval/datasets.js';
import { runEval } from '../eval/run-eval.js';
import { ppmHeldOut, readManifest } from '../models/bundle.js';
import { extractPairs } from '../extract/pairs.js';
import { DEFAULT_SEARCH_CONFIG, type SearchConfig } from '../search/types.js';
import { readRun, runSynth, type SynthRecord } from '../synth/synth-run.js';
import { trainPolicyBundle } from '../train/policy-bundle.js';
import { trainRewardBundle } from '../train/ppm-bundle.js';
import type { TrainerEvent } from '../train/trainer-process.js';
import { hashSeed } from '../util/rng.js';
import { policySftSettings, sftSchedule, type EvolveConfig } from './config.js';
import { roundPool, seededOrder } from './frontier.js';
import { roundSftSet, runSampling, type RoundRun } from './round-data.js';
import { evalFile, roundDir, type EvalModeName } from './layout.js';
import { evolveStatePath, newEvolveState, readEvolveState, recordedConfig, writeEvolveState, type EvolveRound, type EvolveState } from './state.js';
import { atomicWrite } from '../util/files.js';
import { timeStage, type StageClockOptions } from './stage-clock.js';

export interface EvolveHooks {
  log(line: string): void;
  /** A progress reporter for `total` units of work (problems). */
  progress(label: string, total: number): { tick(fields?: Record<string, string | number>): void; stop(): void };
  onTrainerEvent?(e: TrainerEvent): void;
}

export interface EvolveOptions {
  out: string;
  command: string;
  /** Stop after this round (the rest stays pending; rerunning continues). */
  untilRound?: number;
  /** Skip the per-round held-out evaluations. */
  noEval?: boolean;
  signal?: AbortSignal;
  /** Clock of the per-stage wall times (tests inject one). */
  clock?: Omit<StageClockOptions, 'save'>;
}

const policySha = (dir: string) => (isUrl(dir) ? null : (readManifest(dir).policy?.sha256 ?? null));

/** Synthesis passes of a round: the main pass, then one per `unsolvedRollouts` entry. */
function synthDirs(out: string, r: number, cfg: EvolveConfig): string[] {
  const round = cfg.rounds[r - 1];
  return [join(roundDir(out, r), 'synth'), ...round.unsolvedRollouts.map((_, k) => join(roundDir(out, r), `synth-u${k + 1}`))];
}

/** Every synthesis run of a round that exists on disk: the sampling run (with `sampling:`), then the MCTS passes. */
function roundRuns(out: string, r: number, cfg: EvolveConfig): RoundRun[] {
  const sample: RoundRun[] = cfg.sampling ? [{ round: r, dir: join(roundDir(out, r), 'sample'), source: 'sampling' }] : [];
  return [...sample, ...synthDirs(out, r, cfg).map((dir): RoundRun => ({ round: r, dir, source: 'mcts' }))].filter((x) => existsSync(join(x.dir, 'trees')));
}

/** Problems with at least one correct terminal in any of these runs. */
function solvedIds(records: SynthRecord[]): Set<string> {
  return new Set(records.filter((x) => x.correctTerminals > 0).map((x) => x.id));
}

/**
 * The paper's self-evolution loop. Each round: MCTS over the training problems with the previous
 * round's policy (terminal-guided, or PPM-augmented with the previous PPM; extra passes with new seeds
 * on what is still unsolved), verified trajectories of every round so far → SFT of the policy from
 * the same base, preference pairs from this round's trees → the PPM trained from this round's policy,
 * then held-out evaluation. Every stage is recorded in evolve.json and skipped when rerun; synthesis
 * and evaluation resume mid-way, so an interrupted run continues where it stopped.
 */
export async function runEvolve(cfg: EvolveConfig, o: EvolveOptions, h: EvolveHooks): Promise<EvolveState> {
  mkdirSync(o.out, { recursive: true });
  const statePath = evolveStatePath(o.out);
  const base = cfg.base ?? cfg.bootstrap;
  if (!existsSync(join(base, 'checkpoint.pt'))) throw new Error(`${base}: no checkpoint.pt; every round fine-tunes this bundle (set "base" in the config)`);

  let state: EvolveState;
  if (existsSync(statePath)) {
    state = readEvolveState(o.out);
    const recorded = recordedConfig(state);
    if (!recorded || JSON.stringify(recorded) !== JSON.stringify(cfg)) {
      throw new Error(`${statePath}: cannot resume: this run was started with a different config (use a new --out)`);
    }
  } else {
    state = newEvolveState(cfg, o.out, o.command);
  }
  const save = () => writeEvolveState(o.out, state);
  save();

  const train = await loadDataset(cfg.train);
  const test = await loadDataset(cfg.test);
  const trainHash = datasetHash(train.problems);
  const timed = <T>(round: EvolveRound, stage: string, f: () => Promise<T>): Promise<T> => timeStage(round.wallSeconds, stage, f, { save, ...o.clock });
  const aborted = () => o.signal?.aborted === true;

  const last = Math.min(o.untilRound ?? cfg.rounds.length, cfg.rounds.length);
  for (let r = 0; r <= last && !aborted(); r++) {
    const round = state.rounds[r];
    if (round.status === 'complete') continue;
    h.log(`round ${r}: ${round.status === 'pending' ? 'starting' : `resuming at ${round.status}`}`);
    if (r > 0) {
      const prev = state.rounds[r - 1];
      const spec = cfg.rounds[r - 1];
      const dirs = synthDirs(o.out, r, cfg);
      // ── synthesis ──
      round.status = 'synth';
      save();
      const earlier = state.rounds.slice(1, r).flatMap((x) => roundRuns(o.out, x.round, cfg).map((run) => run.dir));
      const solvedBefore = solvedIds(earlier.flatMap((d) => readRun(d)));
      const synthPolicy = spec.guide === 'ppm' ? prev.ppm : prev.policy;
      if (!synthPolicy) throw new Error(`round ${r}: PPM-augmented synthesis needs round ${r - 1}'s PPM`);
      const rt = await openRuntime({
        bundle: synthPolicy,
        policyModel: r === 1 ? cfg.bootstrapModel : undefined,
        policyTemplate: r === 1 ? cfg.bootstrapTemplate : undefined,
        threads: cfg.threads,
        seed: cfg.seed,
      });
      let synthTokens = 0;
      let synthProblems = 0;
      // A scaled round: a probe or a pool size picks its problems, sampling runs before MCTS.
      const scaled = cfg.probe !== undefined || cfg.sampling !== undefined || cfg.pool.size !== undefined;
      try {
        if (spec.guide === 'terminal') rt.deps = { ...rt.deps, reward: undefined };
        // ── the round's problems (probe → frontier pool) ──
        const poolRun = () =>
          roundPool(cfg, o.out, r, rt.deps, train.problems, { path: synthPolicy, sha256: policySha(synthPolicy) }, { log: h.log, signal: o.signal });
        const { pick, probe } = cfg.probe ? await timed(round, 'probe', poolRun) : await poolRun();
        if (aborted()) break;
        if (probe) {
          round.probe = {
            file: relative(o.out, join(roundDir(o.out, r), 'probe.json')),
            frontier: probe.frontier,
            levels: probe.levels.map((l) => ({ level: l.level, problems: l.problems, pass1: l.pass1, passK: l.passK, frontier: l.frontier })),
            warnings: probe.warnings,
          };
        }
        if (scaled)
          round.pool = {
            problems: pick.problems.length,
            perLevel: pick.perLevel,
            levels: pick.levels,
            inBand: pick.inBand,
            above: pick.above,
            note: pick.note,
          };
        save();
        // ── cheap sampling first; MCTS only on what it missed ──
        let sampledSolved = new Set<string>();
        if (cfg.sampling) {
          const sampling = cfg.sampling;
          const dir = join(roundDir(o.out, r), 'sample');
          const seed = hashSeed(cfg.seed, `evolve-round-${r}-sampling`) % 1_000_000_007;
          h.log(`round ${r} sampling: ${sampling.samples} samples at T=${sampling.temperature} on ${pick.problems.length} problems → ${relative(o.out, dir)}`);
          const bar = h.progress(`round ${r} sample`, pick.problems.length);
          let solvedCount = 0;
          let doneCount = 0;
          const { records, tokens } = await timed(round, 'sample', () =>
            runSampling(
              pick.problems,
              rt.deps,
              {
                data: cfg.train,
                dataSha256: datasetHash(pick.problems),
                policy: synthPolicy,
                policySha256: policySha(synthPolicy),
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
                signal: o.signal,
                onRecord: (rec) => {
                  doneCount++;
                  solvedCount += rec.correctTerminals > 0 ? 1 : 0;
                  bar.tick({ solved: `${solvedCount}/${doneCount}` });
                },
              },
            ),
          );
          bar.stop();
          if (aborted()) break;
          sampledSolved = solvedIds(records);
          round.sampling = {
            problems: records.length,
            solved: sampledSolved.size,
            samples: sampling.samples,
            tokens,
            wallSeconds: round.wallSeconds.sample ?? 0,
          };
          h.log(
            `round ${r} sampling: ${sampledSolved.size}/${records.length} problems with a verified trajectory; MCTS on the other ${records.length - sampledSolved.size}`,
          );
          save();
        }
        for (let k = 0; k < dirs.length && !aborted(); k++) {
          const rollouts = k === 0 ? spec.rollouts : spec.unsolvedRollouts[k - 1];
          // Passes after the first search only what no run has solved yet, each with a new seed.
          const solvedNow = k === 0 ? sampledSolved : new Set([...solvedBefore, ...sampledSolved, ...solvedIds(dirs.slice(0, k).flatMap((d) => readRun(d)))]);
          const missed = pick.problems.filter((p) => !solvedNow.has(p.id));
          const cap = scaled ? cfg.synth.maxProblems : undefined;
          const problems =
            cap !== undefined && missed.length > cap ? seededOrder(missed, `evolve-${cfg.seed}-round-${r}-pass-${k}-mcts`).slice(0, cap) : missed;
          const seed = hashSeed(cfg.seed, `evolve-round-${r}-pass-${k}`) % 1_000_000_007;
          h.log(
            `round ${r} synth pass ${k + 1}/${dirs.length}: ${spec.guide}-guided MCTS, ${rollouts} rollouts, ${problems.length} problems → ${relative(o.out, dirs[k])}`,
          );
          const bar = h.progress(`round ${r} synth`, problems.length);
          const t0 = Date.now();
          const { progress } = await timed(round, 'synth', () =>
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
                policy: synthPolicy,
                policySha256: policySha(synthPolicy),
                ...(spec.guide === 'ppm' ? { reward: synthPolicy, rewardSha256: readManifest(synthPolicy).ppm?.sha256 ?? null } : {}),
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
          synthTokens += progress.tokens;
          synthProblems += progress.total;
        }
      } finally {
        await rt.close();
      }
      if (aborted()) break;
      const thisRound = roundRuns(o.out, r, cfg).flatMap((run) => readRun(run.dir));
      const solvedAll = new Set([...solvedBefore, ...solvedIds(thisRound)]);
      const perLevel: Record<string, { n: number; solved: number }> = {};
      for (const p of train.problems) {
        const l = (perLevel[String(p.level ?? 'all')] ??= { n: 0, solved: 0 });
        l.n++;
        l.solved += solvedAll.has(p.id) ? 1 : 0;
      }
      round.synth = {
        guide: spec.guide,
        rollouts: spec.rollouts,
        problems: synthProblems,
        solved: solvedIds(thisRound).size,
        tokens: synthTokens,
        wallSeconds: round.wallSeconds.synth ?? 0,
      };
      round.coverage = { solved: solvedAll.size, total: train.problems.length, perLevel };
      h.log(`round ${r}: training-set coverage ${solvedAll.size}/${train.problems.length}`);

      // ── SFT data: verified trajectories of every round so far, trained from the same base ──
      round.status = 'train-policy';
      save();
      const sftPath = join(roundDir(o.out, r), 'sft.jsonl');
      const runsByRound = state.rounds.slice(1, r + 1).map((x) => roundRuns(o.out, x.round, cfg));
      const set = roundSftSet(runsByRound, r, cfg.policy.perProblem, cfg.replay, `evolve-replay-${cfg.seed}-round-${r}`);
      const sft = set.examples;
      atomicWrite(sftPath, sft.map((e) => JSON.stringify(e)).join('\n') + (sft.length ? '\n' : ''));
      round.sftExamples = sft.length;
      const init = cfg.policy.init === 'previous' && r > 1 ? prev.policy : base;
      const schedule = sftSchedule(cfg, sft.length);
      round.sft = { fresh: set.fresh, replay: set.replay, init, epochs: schedule.epochs, maxSteps: schedule.maxSteps ?? null };
      if (sft.length === 0) throw new Error(`round ${r}: no verified trajectories to train on (nothing was solved)`);
      if (!existsSync(join(round.policy, 'manifest.json'))) {
        h.log(
          `round ${r}: SFT of the policy from ${init} on ${sft.length} verified trajectories (${set.fresh} this round, ${set.replay} replayed)` +
            (schedule.maxSteps ? `, ${schedule.maxSteps} steps` : `, ${schedule.epochs} epochs`),
        );
        await timed(round, 'train-policy', () =>
          trainPolicyBundle({
            data: sftPath,
            out: round.policy,
            ...policySftSettings(cfg, init, cfg.seed + r),
            ...schedule,
            command: `${o.command} (round ${r} policy)`,
            onEvent: h.onTrainerEvent,
            onLog: (l) => h.log(`round ${r} train policy: ${l}`),
          }),
        );
      }

      // ── PPM: pairs from the trees of every round so far (small runs yield few pairs per round), trained from this round's policy ──
      round.status = 'train-ppm';
      save();
      const pairsPath = join(roundDir(o.out, r), 'pairs.jsonl');
      const pairRecords = cfg.ppm.pairsFrom === 'round' ? thisRound : runsByRound.flat().flatMap((run) => readRun(run.dir));
      const pairs = extractPairs(pairRecords, { minMargin: cfg.ppm.minMargin, minEditDistance: cfg.ppm.minEditDistance });
      atomicWrite(pairsPath, pairs.map((p) => JSON.stringify(p)).join('\n') + (pairs.length ? '\n' : ''));
      round.ppmPairs = pairs.length;
      if (pairs.length === 0) throw new Error(`round ${r}: no preference pairs in the trees so far (no problem has both correct and wrong branches)`);
      const ppmDir = join(roundDir(o.out, r), 'ppm');
      if (!existsSync(join(ppmDir, 'manifest.json'))) {
        h.log(`round ${r}: PPM from the round-${r} policy on ${pairs.length} preference pairs`);
        await timed(round, 'train-ppm', () =>
          trainRewardBundle({
            data: pairsPath,
            objective: 'pairwise',
            policy: round.policy,
            out: ppmDir,
            epochs: cfg.ppm.epochs,
            batchSize: cfg.ppm.batchSize,
            lr: cfg.ppm.lr,
            device: cfg.ppm.device,
            seed: cfg.seed + r,
            maxMinutes: cfg.ppm.maxMinutes,
            command: `${o.command} (round ${r} PPM)`,
            onEvent: h.onTrainerEvent,
            onLog: (l: string) => h.log(`round ${r} train ppm: ${l}`),
          }),
        );
      }
      round.ppm = ppmDir;
      const ppmManifest = readManifest(ppmDir);
      const held = ppmHeldOut(ppmManifest);
      round.ppmPairAccuracy = held.accuracy;
      round.ppmHeldOutPairs = held.pairs;
      const t = ppmManifest.ppm?.training as { train_records?: number; held_out_pairs?: number; held_out_problems?: number } | undefined;
      round.ppmPairSplit =
        t?.train_records !== undefined ? { train: t.train_records, heldOut: t.held_out_pairs ?? 0, heldOutProblems: t.held_out_problems ?? 0 } : null;
      save();
    }

    // ── held-out evaluation (with --no-eval the round stays at this stage, so a later run evaluates it) ──
    round.status = 'eval';
    save();
    if (o.noEval) continue;
    await timed(round, 'eval', () => evaluateRound(cfg, o, state, round, test.problems, test.name, h));
    if (aborted()) break;
    round.status = 'complete';
    save();
    h.log(`round ${r}: complete`);
  }
  return state;
}

/** Greedy, self-consistency@N, best-of-N with the round's PPM, and PPM-guided MCTS on the held-out set. */
async function evaluateRound(
  cfg: EvolveConfig,
  o: EvolveOptions,
  state: EvolveState,
  round: EvolveRound,
  problems: EvalProblem[],
  datasetName: string,
  h: EvolveHooks,
): Promise<void> {
  const e = cfg.eval;
  const wanted = round.round === cfg.rounds.length ? [...new Set([...e.modes, ...e.finalModes])] : e.modes;
  const modes = wanted.filter((m: EvalModeName) => round.ppm !== null || m === 'greedy' || m === 'sc');
  if (modes.length === 0) return;
  const bundle = round.ppm ?? round.policy;
  let rt: Runtime | null = null;
  try {
    rt = await openRuntime({
      bundle,
      policyModel: round.round === 0 ? cfg.bootstrapModel : undefined,
      policyTemplate: round.round === 0 ? cfg.bootstrapTemplate : undefined,
      threads: cfg.threads,
      seed: e.seed,
    });
    for (const mode of modes) {
      if (o.signal?.aborted) return;
      const file = evalFile(o.out, round.round, mode);
      mkdirSync(join(roundDir(o.out, round.round), 'eval'), { recursive: true });
      const search: SearchConfig = { ...DEFAULT_SEARCH_CONFIG, ...evalSearch(mode, cfg), seed: e.seed, keepTree: false };
      const uses = mode === 'bon' || mode === 'mcts';
      const bar = h.progress(`round ${round.round} eval ${mode}`, problems.length);
      let correct = 0;
      let done = 0;
      const { summary } = await runEval(problems, uses ? rt.deps : { ...rt.deps, reward: undefined }, search, {
        concurrency: e.concurrency,
        outFile: file,
        resume: existsSync(file),
        data: cfg.test,
        dataset: datasetName,
        rewardName: uses ? (rt.deps.reward?.name ?? null) : null,
        signal: o.signal,
        onResult: (res) => {
          done++;
          correct += res.correct ? 1 : 0;
          bar.tick({ acc: (correct / done).toFixed(3) });
        },
      });
      bar.stop();
      round.eval[mode] = relative(o.out, file);
      h.log(
        `round ${round.round} ${mode}: ${(100 * summary.accuracy).toFixed(1)}% (${summary.perLevel.map((l) => `L${l.key} ${Math.round(100 * l.accuracy)}%`).join(' ')})`,
      );
      state.updated = new Date().toISOString();
    }
  } finally {
    await rt?.close();
  }
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
