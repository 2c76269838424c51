import { Command, Option } from 'commander';
import { generateProblems } from '../../data/curriculum/index.js';
import { intOption } from '../options.js';

export function registerGen(program: Command): void {
  program
    .command('gen')
    .description('generate synthetic curriculum problems (JSONL on stdout); levels 1-2 carry worked solutions')
    .option('--level <n>', 'difficulty level 1-5', intOption('--level', 1, 5), 1)
    .option('--count <n>', 'number of problems', intOption('--count', 1, 10_000_000), 100)
    .option('--seed <n>', 'random seed', intOption('--seed'), 0)
    .addOption(new Option('--split <split>', 'train or test split').choices(['train', 'test']).default('train'))
    .option('--no-solutions', 'omit worked solutions')
    .option('--json', 'JSONL output (the default; accepted for uniformity)')
    .action((o) => {
      const problems = generateProblems({ level: o.level, count: o.count, seed: o.seed, split: o.split });
      const lines: string[] = [];
      for (const p of problems) {
        const rec = o.solutions ? p : { ...p, solution: undefined };
        lines.push(JSON.stringify(rec));
      }
      process.stdout.write(lines.join('\n') + '\n');
    });
}
