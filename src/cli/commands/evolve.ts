import type { Command } from 'commander';
import { loadEvolveConfig, type EvolveConfig } from '../../evolve/config.js';
import { runEvolve, type EvolveHooks } from '../../evolve/evolve.js';
import { ablateRewardModels, ablateSftData } from '../../evolve/ablation.js';
import { floatOption } from '../options.js';
import { startProgress, trainerEventLine } from '../progress.js';
import { gracefulStop } from '../interrupt.js';
import { UserError } from '../errors.js';
import { RuntimeOptionsError } from '../../runtime.js';
import { intOption } from '../options.js';

export function registerEvolve(program: Command): void {
  program
    .command('evolve')
    .description(
      'self-evolution: rounds of MCTS data synthesis → policy SFT → PPM training → held-out evaluation, as in rStar-Math; ' +
        'every stage is recorded in OUT/evolve.json and an interrupted run continues when rerun',
    )
    .requiredOption('--config <file>', 'evolve.yaml (see configs/evolve.yaml)')
    .requiredOption('--out <dir>', 'run directory (then: rstar report --run DIR)')
    .option('--until-round <n>', 'stop after this round', intOption('--until-round', 0, 16))
    .option('--no-eval', 'skip the per-round held-out evaluations')
    .option('--quiet', 'no progress output')
    .option('--json', 'print the final state as JSON')
    .action(async (o) => {
      let cfg: EvolveConfig;
      try {
        cfg = loadEvolveConfig(o.config);
      } catch (e) {
        throw new UserError((e as Error).message);
      }
      const stop = gracefulStop({ stopping: '\nstopping after the work in flight (Ctrl-C again to quit now; rerun the same command to continue)\n' });
      const t0 = Date.now();
      try {
        const state = await runEvolve(
          cfg,
          { out: o.out, command: ['rstar', ...process.argv.slice(2)].join(' '), untilRound: o.untilRound, noEval: o.eval === false, signal: stop.signal },
          {
            log: (l) => o.quiet || process.stderr.write(`evolve: ${l}\n`),
            progress: (label, total) => startProgress(label, total, o.quiet),
            onTrainerEvent: (e) => {
              if (o.quiet) return;
              if (e.event === 'step' || e.event === 'done' || e.event === 'eval') process.stderr.write(trainerEventLine(e) + '\n');
            },
          },
        );
        if (o.json) process.stdout.write(JSON.stringify(state) + '\n');
        else {
          const done = state.rounds.filter((r) => r.status === 'complete').length;
          process.stdout.write(
            `evolve: ${done}/${state.rounds.length} rounds complete in ${o.out} (${Math.round((Date.now() - t0) / 1000)} s this run); report: rstar report --run ${o.out}\n`,
          );
        }
        if (stop.signal.aborted) process.exitCode = 130;
      } catch (e) {
        if (e instanceof RuntimeOptionsError) throw new UserError(e.message);
        const msg = (e as Error).message;
        if (/cannot resume|no checkpoint\.pt|not found|no verified trajectories|no preference pairs|model bundle/.test(msg)) throw new UserError(msg);
        throw e;
      } finally {
        stop.dispose();
      }
    });
}

const percent = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : `${(100 * x).toFixed(1)}%`);

function hooks(quiet: boolean): EvolveHooks {
  return {
    log: (l) => quiet || process.stderr.write(`ablate: ${l}\n`),
    progress: (label, total) => startProgress(label, total, quiet),
  };
}

const userErrors = async <T>(f: () => Promise<T>): Promise<T> => {
  try {
    return await f();
  } catch (e) {
    if (e instanceof RuntimeOptionsError) throw new UserError(e.message);
    const msg = (e as Error).message;
    if (/not found|not complete|no preference pairs|model bundle/.test(msg)) throw new UserError(msg);
    throw e;
  }
};

/** An `rstar ablate NAME` command with the options every ablation takes (its run, its round, --quiet, --json). */
function ablation(ablate: Command, name: string, o: { description: string; round: [help: string, fallback: number] }): Command {
  return ablate
    .command(name)
    .description(o.description)
    .requiredOption('--run <dir>', 'rstar evolve run directory')
    .option('--round <n>', o.round[0], intOption('--round', 1, 16), o.round[1])
    .option('--quiet', 'no progress output')
    .option('--json', `print the result (RUN/ablation/${name}.json) as JSON`);
}

/** `rstar ablate …`: the paper's ablations on an evolve run (results land in RUN/ablation/, rendered by rstar report). */
export function registerAblate(program: Command): void {
  const ablate = program.command('ablate').description("the paper's ablations on a finished rstar evolve run (rendered by rstar report)");
  ablation(ablate, 'sft-data', {
    description: 'same trainer, same base: random self-samples vs rejection-sampled vs MCTS step-verified trajectories, by greedy accuracy per level',
    round: ['round whose MCTS data and bootstrap policy are compared', 1],
  })
    .option('--samples <n>', 'self-samples per training problem', intOption('--samples', 1, 256), 8)
    .action(async (o) => {
      const r = await userErrors(() => ablateSftData(o.run, { round: o.round, samples: o.samples }, hooks(o.quiet)));
      if (o.json) return void process.stdout.write(JSON.stringify(r) + '\n');
      process.stdout.write(`${r.command}: greedy held-out accuracy\n`);
      for (const row of r.rows) process.stdout.write(`  ${row.data}: ${percent(row.all)} (${row.examples} SFT examples)\n`);
      process.stdout.write(`written to ${o.run}/ablation/sft-data.json\n`);
    });
  ablation(ablate, 'reward-models', {
    description: "PPM (pairwise) vs outcome reward model vs Q-value regression, trained on one round's trees, as best-of-N selectors and MCTS guides",
    round: ['round whose policy and trees are used', 2],
  })
    .option('--held-out <x>', 'fraction of training problems whose pairs measure pair accuracy', floatOption('--held-out', 0.01, 0.9), 0.2)
    .action(async (o) => {
      const r = await userErrors(() => ablateRewardModels(o.run, { round: o.round, heldOut: o.heldOut }, hooks(o.quiet)));
      if (o.json) return void process.stdout.write(JSON.stringify(r) + '\n');
      process.stdout.write(`${r.command}: held-out accuracy with N = ${r.n}; pair accuracy on ${r.heldOutPairs} held-out pairs\n`);
      for (const row of r.rows) {
        const pair = row.pairAccuracy === null ? '' : `pair acc ${percent(row.pairAccuracy)}, `;
        process.stdout.write(`  ${row.model}: ${pair}best-of-N ${percent(row.bestOfN?.all)}${row.mcts ? `, MCTS ${percent(row.mcts.all)}` : ''}\n`);
      }
      process.stdout.write(`written to ${o.run}/ablation/reward-models.json\n`);
    });
}
