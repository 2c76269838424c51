import { type Command, Option } from 'commander';
import { CURRICULUM_VERSIONS, LADDER_LEVELS, SEED_LEVELS, describeLadder, generateProblems, type CurriculumVersion } from '../../data/curriculum/index.js';
import { UserError } from '../errors.js';
import { intOption } from '../options.js';

export function registerGen(program: Command): void {
  program
    .command('gen')
    .description(
      'generate synthetic curriculum problems (JSONL on stdout); v2 (default): rungs 1-10, rung r = r operations, rungs 1-3 carry worked ' +
        'solutions; v1: the five levels the shipped bundles were trained on, levels 1-2 carry worked solutions',
    )
    .addOption(
      new Option('--curriculum <version>', 'ladder: v2 (ten one-step rungs) or v1 (the original five levels)').choices([...CURRICULUM_VERSIONS]).default('v2'),
    )
    .option('--ladder', 'print the rungs of the ladder (what each adds, which carry worked solutions) instead of problems')
    .option('--level <n>', 'difficulty level: 1-10 for v2, 1-5 for v1', intOption('--level', 1, 10), 1)
    .option('--count <n>', 'number of problems', intOption('--count', 1, 10_000_000), 100)
    .option('--seed <n>', 'random seed', intOption('--seed'), 0)
    .addOption(new Option('--split <split>', 'train or test split').choices(['train', 'test']).default('train'))
    .option('--no-solutions', 'omit worked solutions')
    .option('--json', 'JSON output (problems are always JSONL; with --ladder, one JSON object instead of a table)')
    .action((o) => {
      const curriculum = o.curriculum as CurriculumVersion;
      if (o.ladder) {
        const levels = describeLadder(curriculum);
        if (o.json) {
          process.stdout.write(JSON.stringify({ curriculum, seedLevels: SEED_LEVELS[curriculum], levels }) + '\n');
          return;
        }
        const rows = levels.map(
          (l) =>
            `${String(l.level).padStart(5)}  ${l.seed ? 'seed' : '    '}  ${`${l.ops[0]}-${l.ops[1]}`.padEnd(5)}  ${`${l.families[0]}-${l.families[1]}`.padEnd(8)}  ${`${l.distractors[0]}-${l.distractors[1]}`.padEnd(11)}  ${l.adds}`,
        );
        process.stdout.write(`curriculum ${curriculum}\nlevel  seed  ops    families  distractors  adds\n${rows.join('\n')}\n`);
        return;
      }
      if (o.level > LADDER_LEVELS[curriculum])
        throw new UserError(`--level must be between 1 and ${LADDER_LEVELS[curriculum]} for --curriculum ${curriculum}`, 2);
      const problems = generateProblems({ level: o.level, count: o.count, seed: o.seed, split: o.split, curriculum });
      const lines: string[] = [];
      for (const p of problems) {
        const rec = o.solutions ? p : { ...p, solution: undefined };
        lines.push(JSON.stringify(rec));
      }
      process.stdout.write(lines.join('\n') + '\n');
    });
}
