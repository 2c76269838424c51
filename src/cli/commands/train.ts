import { type Command, Option } from 'commander';
import { trainPolicyBundle } from '../../train/policy-bundle.js';
import { DEFAULT_PPM_VAL_FRACTION, RewardDataError, trainRewardBundle } from '../../train/ppm-bundle.js';
import type { TrainerEvent } from '../../train/events.js';
import { REWARD_OBJECTIVES } from '../../train/trainer-process.js';
import { UserError } from '../errors.js';
import { intOption, floatOption } from '../options.js';
import { trainerFlag } from '../trainer-flags.js';
import { trainerEventLine } from '../progress.js';

/**
 * `rstar train`: the flags that pass through to the trainer (--lr, --device, --seed, ...) are built
 * from the trainer's declaration of them (trainerFlag), so their defaults, choices and bounds are
 * the trainer's. Epochs and the policy's batch size are this recipe's: the trainer leaves them unset
 * (one epoch, or --max-steps; batches by token budget).
 */
export function registerTrain(program: Command): void {
  const train = program.command('train').description('train models with the PyTorch trainer (progress is streamed)');
  train
    .command('policy')
    .description('SFT a policy on {"prompt","completion"} or {"question","solution"} JSONL and write a model bundle')
    .requiredOption('--data <file>', 'SFT data (JSONL)')
    .requiredOption('--out <dir>', 'output bundle directory')
    .addOption(new Option('--preset <name>', 'model size for a new model').choices(['tiny', 'small', 'base']).default('small'))
    .option('--init <bundle>', 'continue from this bundle (its tokenizer and weights)')
    .option('--tokenizer-corpus <file>', 'problems JSONL whose questions also train the tokenizer')
    .option('--vocab-size <n>', 'tokenizer vocabulary size', intOption('--vocab-size', 300, 65536), 1024)
    .addOption(trainerFlag('sft', 'epochs', { help: 'epochs', recipeDefault: 3 }))
    .addOption(trainerFlag('sft', 'max-steps'))
    .addOption(trainerFlag('sft', 'batch-size', { recipeDefault: 32 }))
    .addOption(trainerFlag('sft', 'lr'))
    .addOption(trainerFlag('sft', 'device', { metavar: 'd' }))
    .addOption(trainerFlag('sft', 'seed'))
    .addOption(trainerFlag('sft', 'max-minutes', { metavar: 'n' }))
    .option('--val-fraction <x>', 'held-out fraction for validation loss', floatOption('--val-fraction', 0, 0.5), 0.02)
    .option('--prepare-only', 'only write the tokenizer, token ids and config into OUT/work (to train on another host)')
    .option('--from-checkpoint <file>', 'skip training: export this checkpoint (trained on OUT/work) into the bundle')
    .option('--json', 'print trainer events and the manifest as JSON lines')
    .action(async (o) => {
      const command = ['rstar', ...process.argv.slice(2)].join(' ');
      try {
        const manifest = await trainPolicyBundle({
          data: o.data,
          out: o.out,
          preset: o.preset,
          init: o.init,
          tokenizerCorpus: o.tokenizerCorpus,
          vocabSize: o.vocabSize,
          epochs: o.epochs,
          maxSteps: o.maxSteps,
          batchSize: o.batchSize,
          lr: o.lr,
          device: o.device,
          seed: o.seed,
          maxMinutes: o.maxMinutes,
          valFraction: o.valFraction,
          command,
          prepareOnly: o.prepareOnly,
          fromCheckpoint: o.fromCheckpoint,
          onLog: (l) => process.stderr.write(`train: ${l}\n`),
          onEvent: progress(o.json),
        });
        if (!manifest) return;
        if (o.json) process.stdout.write(JSON.stringify({ event: 'bundle', manifest }) + '\n');
        else process.stdout.write(`wrote ${o.out} (policy ${manifest.policy?.sha256?.slice(0, 12)})\n`);
      } catch (e) {
        throw new UserError((e as Error).message, 1);
      }
    });

  train
    .command('ppm')
    .description(
      'train the process preference model from a policy bundle on preference pairs (or an ORM / Q-regression model for the ablation); writes a bundle with the policy and ppm.onnx',
    )
    .option('--pairs <file>', "preference pairs (rstar extract ppm JSONL, or rStar's pos/neg pairs); for orm/qreg: held-out pairs for pair accuracy")
    .option('--bundle <dir>', 'policy bundle to start from (its tokenizer and checkpoint.pt); required')
    .addOption(new Option('--policy <dir>', 'the former name of --bundle (still accepted)').hideHelp())
    .requiredOption('--out <dir>', 'output bundle directory (policy + PPM)')
    .addOption(
      new Option('--objective <o>', 'pairwise (the PPM, Bradley-Terry), orm (outcome classification) or qreg (Q-value regression)')
        .choices([...REWARD_OBJECTIVES])
        .default('pairwise'),
    )
    .option('--data <file>', 'orm/qreg: reward examples (rstar extract orm|qreg JSONL)')
    .option('--val-pairs <file>', 'held-out pairs (default: hold out --val-fraction of the problems)')
    .option('--val-fraction <x>', 'fraction of problems held out for pair accuracy', floatOption('--val-fraction', 0, 0.5), DEFAULT_PPM_VAL_FRACTION)
    .addOption(trainerFlag('reward', 'epochs', { help: 'epochs', recipeDefault: 2 }))
    .addOption(trainerFlag('reward', 'max-steps'))
    .addOption(trainerFlag('reward', 'batch-size', { help: 'pairs (or examples) per batch' }))
    .addOption(trainerFlag('reward', 'lr'))
    .addOption(trainerFlag('reward', 'device', { metavar: 'd' }))
    .addOption(trainerFlag('reward', 'threads', { help: 'CPU threads for the trainer (default: all cores)' }))
    .addOption(trainerFlag('reward', 'seed', { help: 'seed (also picks the held-out problems)' }))
    .addOption(trainerFlag('reward', 'max-minutes', { metavar: 'n' }))
    .addOption(trainerFlag('reward', 'resume', { help: 'continue an interrupted run from OUT/work/checkpoint.pt' }))
    .option('--json', 'print trainer events and the manifest as JSON lines')
    .action(async (o) => {
      const command = ['rstar', ...process.argv.slice(2)].join(' ');
      const pairwise = o.objective === 'pairwise';
      if (o.bundle && o.policy) throw new UserError('train ppm: give --bundle (the policy bundle) once; --policy is its former name');
      const bundle: string | undefined = o.bundle ?? o.policy;
      if (!bundle) throw new UserError("train ppm: required option '--bundle <dir>' not specified (the policy bundle to start from)");
      if (pairwise && !o.pairs) throw new UserError('train ppm: --pairs is required for --objective pairwise');
      if (pairwise && o.data) throw new UserError('train ppm: --data is for --objective orm|qreg; the pairwise objective trains on --pairs');
      if (!pairwise && !o.data) throw new UserError(`train ppm: --objective ${o.objective} needs --data (rstar extract ${o.objective} output)`);
      try {
        const manifest = await trainRewardBundle({
          objective: o.objective,
          data: pairwise ? o.pairs : o.data,
          pairs: pairwise ? undefined : o.pairs,
          policy: bundle,
          out: o.out,
          valPairs: o.valPairs,
          valFraction: o.valFraction,
          epochs: o.epochs,
          maxSteps: o.maxSteps,
          batchSize: o.batchSize,
          lr: o.lr,
          device: o.device,
          threads: o.threads,
          seed: o.seed,
          maxMinutes: o.maxMinutes,
          resume: o.resume,
          command,
          onLog: (l) => process.stderr.write(`train: ${l}\n`),
          onEvent: progress(o.json),
        });
        const m = (manifest.ppm?.metrics ?? {}) as Record<string, unknown>;
        const acc = typeof m.pair_accuracy === 'number' ? m.pair_accuracy : null;
        if (o.json) process.stdout.write(JSON.stringify({ event: 'bundle', manifest }) + '\n');
        else {
          const pct = (x: unknown) => (typeof x === 'number' ? `${(100 * x).toFixed(1)}%` : 'n/a');
          const held = manifest.ppm?.training?.held_out_pairs;
          process.stdout.write(
            acc === null
              ? `held-out pair accuracy: n/a (no held-out pairs)\n`
              : `held-out pair accuracy: ${pct(acc)} (weighted ${pct(m.pair_accuracy_weighted)}, ${held} pairs; before training ${pct(m.initial_pair_accuracy)})\n`,
          );
          process.stdout.write(`wrote ${o.out} (${o.objective} ppm ${manifest.ppm?.sha256?.slice(0, 12)}, policy ${manifest.policy?.sha256?.slice(0, 12)})\n`);
        }
      } catch (e) {
        throw new UserError((e as Error).message, e instanceof RewardDataError ? 2 : 1);
      }
    });
}

/** Trainer events: JSON lines on stdout with --json, else one `train <event>: k=v ...` line on stderr. */
function progress(json: boolean | undefined): (e: TrainerEvent) => void {
  return (e) => {
    if (json) process.stdout.write(JSON.stringify(e) + '\n');
    else if (e.event === 'step' || e.event === 'eval' || e.event === 'start' || e.event === 'done') process.stderr.write(trainerEventLine(e) + '\n');
  };
}
