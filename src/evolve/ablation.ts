import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openRuntime } from '../runtime.js';
import { loadDataset, type EvalProblem } from '../eval/datasets.js';
import type { EvalSummary } from '../eval/types.js';
import { readManifest } from '../models/bundle.js';
import { extractPairs, type PpmPair } from '../extract/pairs.js';
import { extractOrm, extractQreg } from '../extract/reward-data.js';
import { sampleSolutions } from '../search/rollout.js';
import { DEFAULT_SEARCH_CONFIG } from '../search/types.js';
import { formatPrompt } from '../steps/protocol.js';
import { readRun, type SynthRecord } from '../synth/synth-run.js';
import { trainPolicyBundle } from '../train/policy-bundle.js';
import { trainRewardBundle } from '../train/ppm-bundle.js';
import { atomicWrite, atomicWriteJsonl } from '../util/files.js';
import { hashSeed } from '../util/rng.js';
import { pairOptions, policySftSettings, rewardTrainSettings, type EvolveConfig } from './config.js';
import { roundDir, roundRuns, type EvalModeName } from './layout.js';
import { evalSearchConfig, hasBundle, heldOutEval, usesReward, type EvolveHooks } from './stages.js';
import { readEvolveRun } from './state.js';

/** OUT/ablation/sft-data.json (rendered by `rstar report`). */
export interface SftDataAblation {
  /** The command that made this file. */
  command: string;
  round: number;
  samplesPerProblem: number;
  rows: Array<{ data: string; examples: number; perLevel: Record<string, number>; all: number }>;
}

/** OUT/ablation/reward-models.json (rendered by `rstar report`). */
export interface RewardModelAblation {
  /** The command that made this file. */
  command: string;
  round: number;
  n: number;
  /** Held-out pairs every model's pair accuracy is measured on, and the fraction of problems held out for them. */
  heldOutPairs: number;
  heldOut: number;
  rows: Array<{ model: string; pairAccuracy: number | null; bestOfN: Record<string, number> | null; mcts: Record<string, number> | null }>;
}

/** The trees of round r's MCTS passes (not its sampling run). */
function mctsRecords(out: string, cfg: EvolveConfig, r: number): SynthRecord[] {
  return roundRuns(out, r, cfg)
    .filter((x) => x.source === 'mcts')
    .flatMap((x) => readRun(x.dir));
}

const byLevel = (s: EvalSummary): Record<string, number> => {
  const o: Record<string, number> = Object.fromEntries(s.perLevel.map((l) => [l.key, l.accuracy]));
  o.all = s.accuracy;
  return o;
};

/** A held-out eval of `bundle` in eval mode `mode` (the run's `eval:` settings) into `file`, as the rounds evaluate. */
async function evaluate(
  bundle: string,
  mode: EvalModeName,
  file: string,
  cfg: EvolveConfig,
  problems: EvalProblem[],
  h: EvolveHooks,
  label: string,
): Promise<EvalSummary> {
  const search = evalSearchConfig(mode, cfg);
  const rt = await openRuntime({ bundle, threads: cfg.threads, seed: search.seed });
  try {
    const summary = await heldOutEval(rt, problems, search, { cfg, file, withReward: usesReward(mode), label, hooks: h });
    h.log(`${label}: ${(100 * summary.accuracy).toFixed(1)}%`);
    return summary;
  } finally {
    await rt.close();
  }
}

/** The evolve run an ablation works on, its complete round `r`, and the ablation's own directory (created). */
function openAblation(out: string, name: string, r: number) {
  const { state, cfg } = readEvolveRun(out);
  const round = state.rounds[r];
  if (round?.status !== 'complete' || r < 1) throw new Error(`${out}: round ${r} is not complete`);
  const dir = join(out, 'ablation', `${name}-r${r}`);
  mkdirSync(dir, { recursive: true });
  return { state, cfg, round, dir };
}

/**
 * The paper's SFT-data ablation on our curriculum: the same trainer, from the same base, on
 * (a) random self-samples of the bootstrap policy, (b) rejection-sampled ones (correct final answer
 * only), (c) step-by-step verified MCTS trajectories (round `round`'s sft.jsonl); compared by
 * policy-alone (greedy) accuracy per level on the held-out set.
 */
export async function ablateSftData(out: string, opts: { round: number; samples: number }, h: EvolveHooks): Promise<SftDataAblation> {
  const { state, cfg, round, dir } = openAblation(out, 'sft-data', opts.round);
  const train = await loadDataset(cfg.train);
  const test = await loadDataset(cfg.test);
  const base = cfg.base ?? cfg.bootstrap;
  const perProblem = cfg.policy.perProblem;

  const randomPath = join(dir, 'random.jsonl');
  const rejectionPath = join(dir, 'rejection.jsonl');
  if (!existsSync(randomPath) || !existsSync(rejectionPath)) {
    const rt = await openRuntime({ bundle: state.rounds[opts.round - 1].policy, threads: cfg.threads, seed: cfg.seed });
    const random: string[] = [];
    const rejection: string[] = [];
    try {
      const bar = h.progress('ablation self-samples', train.problems.length);
      const search = { ...DEFAULT_SEARCH_CONFIG, temperature: cfg.synth.temperature };
      await Promise.all(
        train.problems.map(async (p) => {
          const trajs = await sampleSolutions(p.question, opts.samples, cfg.synth.temperature, rt.deps, search, hashSeed(cfg.seed, `ablate-${p.id}`));
          const rec = (t: { text: string }) => JSON.stringify({ prompt: formatPrompt(p.question), completion: t.text, problem_id: p.id });
          trajs.slice(0, perProblem).forEach((t) => random.push(rec(t)));
          const seen = new Set<string>();
          for (const t of trajs) {
            if (t.answer === null || !rt.deps.judge.equal(t.answer, p.answer) || seen.has(t.text) || seen.size >= perProblem) continue;
            seen.add(t.text);
            rejection.push(rec(t));
          }
          bar.tick();
        }),
      );
      bar.stop();
    } finally {
      await rt.close();
    }
    atomicWrite(randomPath, random.join('\n') + '\n');
    atomicWrite(rejectionPath, rejection.join('\n') + (rejection.length ? '\n' : ''));
  }
  const variants: Array<{ data: string; file: string }> = [
    { data: 'random self-samples', file: randomPath },
    { data: 'rejection-sampled', file: rejectionPath },
    { data: 'MCTS step-verified', file: join(roundDir(out, opts.round), 'sft.jsonl') },
  ];
  const rows: SftDataAblation['rows'] = [];
  for (const [i, v] of variants.entries()) {
    const examples = readFileSync(v.file, 'utf8')
      .split('\n')
      .filter((l) => l.trim()).length;
    const bundle = i === 2 ? round.policy : join(dir, ['random', 'rejection'][i]);
    if (examples === 0) {
      h.log(`ablation ${v.data}: no examples`);
      rows.push({ data: v.data, examples, perLevel: {}, all: NaN });
      continue;
    }
    if (!hasBundle(bundle)) {
      h.log(`ablation: SFT on ${examples} ${v.data}`);
      await trainPolicyBundle({
        data: v.file,
        out: bundle,
        ...policySftSettings(cfg, base, cfg.seed + opts.round),
        command: `rstar ablate sft-data --run ${out} --round ${opts.round} --samples ${opts.samples}`,
        onEvent: h.onTrainerEvent,
        onLog: (l) => h.log(`ablation train: ${l}`),
      });
    }
    const file = i === 2 ? join(roundDir(out, opts.round), 'eval', 'greedy.jsonl') : join(dir, `${['random', 'rejection'][i]}-greedy.jsonl`);
    const s = await evaluate(bundle, 'greedy', file, cfg, test.problems, h, `ablation greedy (${v.data})`);
    const lv = byLevel(s);
    const { all, ...perLevel } = lv;
    rows.push({ data: v.data, examples, perLevel, all });
  }
  const result: SftDataAblation = {
    command: `rstar ablate sft-data --run ${out} --round ${opts.round} --samples ${opts.samples}`,
    round: opts.round,
    samplesPerProblem: opts.samples,
    rows,
  };
  atomicWrite(join(out, 'ablation', 'sft-data.json'), JSON.stringify(result, null, 2) + '\n');
  return result;
}

/**
 * The paper's reward-model comparison: with round `round`'s policy and trees, train (a) the PPM
 * (pairwise), (b) an outcome reward model, (c) a Q-value regression PRM, all on the same training
 * problems, and compare held-out pair accuracy (pairs of held-out problems), best-of-N and
 * reward-guided MCTS accuracy per level, with majority vote (self-consistency@N) as the no-reward baseline.
 */
export async function ablateRewardModels(out: string, opts: { round: number; heldOut: number }, h: EvolveHooks): Promise<RewardModelAblation> {
  const { cfg, round, dir } = openAblation(out, 'reward-models', opts.round);
  const test = await loadDataset(cfg.test);
  const records = mctsRecords(out, cfg, opts.round);
  // Held-out problems (by id hash) give the pairs every model's pair accuracy is measured on.
  const isHeldOut = (id: string) => hashSeed(cfg.seed, `heldout-${id}`) % 1000 < opts.heldOut * 1000;
  const trainRecs = records.filter((r) => !isHeldOut(r.id));
  const valRecs = records.filter((r) => isHeldOut(r.id));
  const pairOpts = pairOptions(cfg);
  const write = (name: string, rows: unknown[]) => {
    const p = join(dir, name);
    atomicWriteJsonl(p, rows);
    return p;
  };
  const valPairs: PpmPair[] = extractPairs(valRecs, pairOpts);
  if (valPairs.length === 0) throw new Error(`${out}: no preference pairs among the held-out problems of round ${opts.round}; raise --held-out`);
  const valPath = write('val-pairs.jsonl', valPairs);
  const rewardCommand = `rstar ablate reward-models --run ${out} --round ${opts.round} --held-out ${opts.heldOut}`;
  const models = [
    { model: 'PPM (pairwise)', objective: 'pairwise' as const, data: write('pairs.jsonl', extractPairs(trainRecs, pairOpts)), name: 'ppm' },
    { model: 'ORM (outcome)', objective: 'orm' as const, data: write('orm.jsonl', extractOrm(trainRecs)), name: 'orm' },
    { model: 'Q-regression', objective: 'qreg' as const, data: write('qreg.jsonl', extractQreg(trainRecs)), name: 'qreg' },
  ];
  const rows: RewardModelAblation['rows'] = [];
  const n = cfg.eval.n;
  const sc = await evaluate(round.policy, 'sc', join(dir, 'majority.jsonl'), cfg, test.problems, h, 'ablation majority vote');
  for (const m of models) {
    const bundle = join(dir, m.name);
    if (!hasBundle(bundle)) {
      h.log(`ablation: training ${m.model}`);
      await trainRewardBundle({
        data: m.data,
        objective: m.objective,
        policy: round.policy,
        out: bundle,
        valPairs: valPath,
        ...rewardTrainSettings(cfg, cfg.seed + opts.round),
        command: rewardCommand,
        onEvent: h.onTrainerEvent,
        onLog: (l: string) => h.log(`ablation train ${m.name}: ${l}`),
      });
    }
    const acc = (readManifest(bundle).ppm as { metrics?: { pair_accuracy?: number } } | undefined)?.metrics?.pair_accuracy ?? null;
    const bon = await evaluate(bundle, 'bon', join(dir, `${m.name}-bon.jsonl`), cfg, test.problems, h, `ablation best-of-${n} (${m.model})`);
    const mcts = await evaluate(bundle, 'mcts', join(dir, `${m.name}-mcts.jsonl`), cfg, test.problems, h, `ablation MCTS (${m.model})`);
    rows.push({ model: m.model, pairAccuracy: acc, bestOfN: byLevel(bon), mcts: byLevel(mcts) });
  }
  rows.push({ model: 'majority vote (no reward)', pairAccuracy: null, bestOfN: byLevel(sc), mcts: null });
  const result: RewardModelAblation = { command: rewardCommand, round: opts.round, n, heldOutPairs: valPairs.length, heldOut: opts.heldOut, rows };
  atomicWrite(join(out, 'ablation', 'reward-models.json'), JSON.stringify(result, null, 2) + '\n');
  return result;
}
