import { Command } from 'commander';
import { join } from 'node:path';
import { writeReport } from '../../evolve/report.js';
import { UserError } from '../errors.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('Markdown report with SVG plots of an rstar evolve run: accuracy per round, level and search mode, coverage, ablations')
    .requiredOption('--run <dir>', 'rstar evolve run directory')
    .option('--out <dir>', 'output directory (default: RUN/report)')
    .action(async (o) => {
      const out = o.out ?? join(o.run, 'report');
      let files: string[];
      try {
        files = await writeReport(o.run, out);
      } catch (e) {
        throw new UserError((e as Error).message);
      }
      process.stdout.write(`report: ${files.join(', ')}\n`);
    });
}
