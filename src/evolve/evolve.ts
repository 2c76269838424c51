import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset } from '../eval/datasets.js';
import type { EvolveConfig } from './config.js';
import { evaluateRound, synthesizeRound, trainRoundPolicy, trainRoundPpm, type EvolveHooks, type EvolveRun } from './stages.js';
import { timeStage, type StageClockOptions } from './stage-clock.js';
import { evolveStatePath, newEvolveState, readEvolveState, recordedConfig, writeEvolveState, type EvolveState, type RoundStatus } from './state.js';

export type { EvolveHooks } from './stages.js';

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

/**
 * The paper's self-evolution loop. Each round: MCTS over the training problems with the previous
 * round's policy (terminal-guided, or PPM-augmented with the previous PPM; extra passes with new seeds
 * on what is still unsolved), verified trajectories of every round so far → SFT of the policy from
 * the same base, preference pairs from this round's trees → the PPM trained from this round's policy,
 * then held-out evaluation. Every stage is recorded in evolve.json and skipped when rerun; synthesis
 * and evaluation resume mid-way, so an interrupted run continues where it stopped.
 *
 * This is the driver: the stage order, each round's status (./state.ts), the stage clock and the
 * hooks. The stages themselves are ./stages.ts.
 */
export async function runEvolve(cfg: EvolveConfig, o: EvolveOptions, h: EvolveHooks): Promise<EvolveState> {
  mkdirSync(o.out, { recursive: true });
  const base = cfg.base ?? cfg.bootstrap;
  if (!existsSync(join(base, 'checkpoint.pt'))) throw new Error(`${base}: no checkpoint.pt; every round fine-tunes this bundle (set "base" in the config)`);
  const state = openState(cfg, o);
  const save = () => writeEvolveState(o.out, state);
  save();
  const run: EvolveRun = {
    cfg,
    out: o.out,
    command: o.command,
    state,
    train: await loadDataset(cfg.train),
    test: await loadDataset(cfg.test),
    hooks: h,
    signal: o.signal,
    save,
    timed: (round, stage, f) => timeStage(round.wallSeconds, stage, f, { save, ...o.clock }),
  };
  const aborted = () => o.signal?.aborted === true;
  const enter = (r: number, status: RoundStatus) => {
    state.rounds[r].status = status;
    save();
  };

  const last = Math.min(o.untilRound ?? cfg.rounds.length, cfg.rounds.length);
  for (let r = 0; r <= last && !aborted(); r++) {
    const round = state.rounds[r];
    if (round.status === 'complete') continue;
    h.log(`round ${r}: ${round.status === 'pending' ? 'starting' : `resuming at ${round.status}`}`);
    // Every stage runs again on resume: each skips what it finds done on disk.
    if (r > 0) {
      enter(r, 'synth');
      const records = await synthesizeRound(run, round);
      if (!records) break;
      enter(r, 'train-policy');
      await trainRoundPolicy(run, round);
      enter(r, 'train-ppm');
      await trainRoundPpm(run, round, records);
    }
    // With --no-eval the round stays at this stage, so a later run evaluates it.
    enter(r, 'eval');
    if (o.noEval) continue;
    await run.timed(round, 'eval', () => evaluateRound(run, round));
    if (aborted()) break;
    enter(r, 'complete');
    h.log(`round ${r}: complete`);
  }
  return state;
}

/** The state of a new run, or of the run recorded in OUT (refused when it was started with another config). */
function openState(cfg: EvolveConfig, o: EvolveOptions): EvolveState {
  if (!existsSync(evolveStatePath(o.out))) return newEvolveState(cfg, o.out, o.command);
  const state = readEvolveState(o.out);
  const recorded = recordedConfig(state);
  if (!recorded || JSON.stringify(recorded) !== JSON.stringify(cfg)) {
    throw new Error(`${evolveStatePath(o.out)}: cannot resume: this run was started with a different config (use a new --out)`);
  }
  return state;
}
