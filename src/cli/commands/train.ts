import { Command, Option } from 'commander';
import { trainPolicyBundle } from '../../train/policy-bundle.js';
import { UserError } from '../errors.js';
import { intOption, floatOption } from '../options.js';

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
    .option('--epochs <n>', 'epochs', intOption('--epochs', 1), 3)
    .option('--max-steps <n>', 'stop after this many optimizer steps', intOption('--max-steps', 1))
    .option('--batch-size <n>', 'sequences per batch', intOption('--batch-size', 1), 32)
    .option('--lr <x>', 'peak learning rate', floatOption('--lr', 0, 1), 2e-3)
    .addOption(new Option('--device <d>', 'torch device').choices(['cpu', 'cuda']).default('cpu'))
    .option('--seed <n>', 'seed', intOption('--seed'), 0)
    .option('--max-minutes <n>', 'time budget', floatOption('--max-minutes', 0))
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
          onEvent: (e) => {
            if (o.json) process.stdout.write(JSON.stringify(e) + '\n');
            else if (e.event === 'step' || e.event === 'eval' || e.event === 'start' || e.event === 'done') {
              const { event, ...rest } = e as Record<string, unknown>;
              process.stderr.write(`train ${event}: ${Object.entries(rest).filter(([, v]) => typeof v !== 'object').map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toPrecision(5)) : v}`).join(' ')}\n`);
            }
          },
        });
        if (!manifest) return;
        if (o.json) process.stdout.write(JSON.stringify({ event: 'bundle', manifest }) + '\n');
        else process.stdout.write(`wrote ${o.out} (policy ${manifest.policy?.sha256?.slice(0, 12)})\n`);
      } catch (e) {
        throw new UserError((e as Error).message, 1);
      }
    });
}
