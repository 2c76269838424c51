import { Command } from 'commander';
import { writeFileSync, renameSync } from 'node:fs';
import { readRun } from '../../synth/synth-run.js';
import { extractSft } from '../../synth/extract-sft.js';
import { UserError } from '../errors.js';
import { intOption } from '../options.js';

/** `rstar extract …`: training data out of synthesis runs. */
export function registerExtract(program: Command): void {
  const extract = program.command('extract').description('extract training data from synthesis runs');
  extract
    .command('sft')
    .description('verified trajectories for SFT: per problem the correct paths with the highest average Q, no error steps')
    .requiredOption('--run <dir>', 'synthesis run directory')
    .requiredOption('--out <file>', 'output JSONL {"prompt","completion","problem_id","avg_q"}')
    .option('--per-problem <n>', 'trajectories per problem', intOption('--per-problem', 1, 1000), 2)
    .option('--json', 'print a JSON summary')
    .action((o) => {
      let records;
      try {
        records = readRun(o.run);
      } catch (e) {
        throw new UserError((e as Error).message);
      }
      const examples = extractSft(records, o.perProblem);
      writeFileSync(o.out + '.tmp', examples.map((e) => JSON.stringify(e)).join('\n') + (examples.length ? '\n' : ''));
      renameSync(o.out + '.tmp', o.out);
      const problems = new Set(examples.map((e) => e.problem_id)).size;
      const summary = { run: o.run, out: o.out, examples: examples.length, problems, runProblems: records.length };
      process.stdout.write((o.json ? JSON.stringify(summary) : `wrote ${examples.length} trajectories for ${problems}/${records.length} problems to ${o.out}`) + '\n');
    });
}
