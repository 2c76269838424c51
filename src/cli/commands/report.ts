import type { Command } from 'commander';
import { join } from 'node:path';
import { EVAL_MODES } from '../../evolve/layout.js';
import { writeReport, type WrittenReport } from '../../evolve/report.js';
import { UserError } from '../errors.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description(
      'Markdown report with SVG plots of an rstar evolve run: accuracy per round, level and search mode, accuracy vs tokens, coverage, synthesis/training stats, ablations',
    )
    .requiredOption('--run <dir>', 'rstar evolve run directory (holds evolve.json)')
    .option('--out <dir>', 'output directory for README.md and the SVG plots (default: RUN/report)')
    .option('--json', 'print JSON: the written files and the headline series')
    .action(async (o: { run: string; out?: string; json?: boolean }) => {
      const out = o.out ?? join(o.run, 'report');
      let w: WrittenReport;
      try {
        w = await writeReport(o.run, out);
      } catch (e) {
        throw new UserError((e as Error).message);
      }
      if (o.json) {
        const headline = w.report.rounds.map((r) => {
          const st = w.report.state.rounds.find((x) => x.round === r.round);
          return {
            round: r.round,
            status: r.status,
            accuracy: Object.fromEntries(EVAL_MODES.filter((m) => r.summaries[m]).map((m) => [m, r.summaries[m]!.accuracy])),
            coverage: st?.coverage ? st.coverage.solved / st.coverage.total : null,
          };
        });
        process.stdout.write(JSON.stringify({ markdown: w.markdown, plots: w.plots, rounds: headline, notes: w.report.notes }) + '\n');
        return;
      }
      for (const n of w.report.notes) process.stderr.write(`note: ${n}\n`);
      process.stdout.write(`report: ${w.markdown}\nplots: ${w.plots.join(', ')}\n`);
    });
}
