import type { Command } from 'commander';
import { atomicWrite } from '../../util/files.js';
import { readRun, type SynthRecord } from '../../synth/synth-run.js';
import { extractSft } from '../../extract/sft.js';
import { extractPairs } from '../../extract/pairs.js';
import { extractOrm, extractQreg } from '../../extract/reward-data.js';
import { saveJsonl } from '../../data/problems.js';
import { UserError } from '../errors.js';
import { floatOption, intOption } from '../options.js';

/** `--run` may be given several times (or with several directories). */
const collect = (v: string, prev: string[]): string[] => [...prev, v];

function readRuns(dirs: string[]): SynthRecord[] {
  if (dirs.length === 0) throw new UserError("required option '--run <dir>' not specified");
  const out: SynthRecord[] = [];
  for (const d of dirs) {
    try {
      out.push(...readRun(d));
    } catch (e) {
      throw new UserError((e as Error).message);
    }
  }
  return out;
}

async function save(path: string, rows: unknown[]): Promise<void> {
  try {
    await saveJsonl(path, rows);
  } catch (e) {
    throw new UserError(`${path}: cannot write: ${(e as Error).message}`);
  }
}

const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;

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
      // By problem id, not by which tree finished first: the file depends only on the run's trees
      // (a resumed, a local and a distributed run with the same seed give the same file).
      records.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const examples = extractSft(records, o.perProblem);
      atomicWrite(o.out, examples.map((e) => JSON.stringify(e)).join('\n') + (examples.length ? '\n' : ''));
      const problems = new Set(examples.map((e) => e.problem_id)).size;
      const summary = { run: o.run, out: o.out, examples: examples.length, problems, runProblems: records.length };
      process.stdout.write(
        (o.json ? JSON.stringify(summary) : `wrote ${examples.length} trajectories for ${problems}/${records.length} problems to ${o.out}`) + '\n',
      );
    });

  extract
    .command('ppm')
    .description(
      'PPM preference pairs: per step the highest-Q candidates leading to a correct answer vs. the lowest-Q leading only to wrong ones; at the final step whole correct vs. incorrect trajectories',
    )
    .option('--run <dir>', 'synthesis run directory (repeat for several runs)', collect, [])
    .requiredOption('--out <file>', 'output JSONL {"prompt","chosen","rejected","chosen_q","rejected_q","weight","problem_id","depth"}')
    .option('--min-margin <x>', 'drop pairs whose Q values differ by less than this', floatOption('--min-margin', 0), 0.5)
    .option('--min-edit-distance <n>', 'drop pairs whose texts are fewer than this many edits apart', intOption('--min-edit-distance', 0, 100_000), 20)
    .option('--per-side <n>', 'positives and negatives per group', intOption('--per-side', 1, 1000), 2)
    .option('--no-weighting', 'weight every pair 1 instead of 1/(#positives × #negatives) of its group')
    .option('--json', 'print a JSON summary')
    .action(async (o) => {
      const records = readRuns(o.run);
      const pairs = extractPairs(records, { minMargin: o.minMargin, minEditDistance: o.minEditDistance, perSide: o.perSide, weighting: o.weighting });
      await save(o.out, pairs);
      const problems = new Set(pairs.map((p) => p.problem_id)).size;
      const stepPairs = pairs.filter((p) => p.depth !== undefined).length;
      const margins = pairs.map((p) => Math.abs((p.chosen_q ?? 0) - (p.rejected_q ?? 0)));
      const meanMargin = margins.length ? margins.reduce((a, b) => a + b, 0) / margins.length : null;
      const summary = {
        runs: o.run,
        out: o.out,
        pairs: pairs.length,
        stepPairs,
        finalStepPairs: pairs.length - stepPairs,
        problems,
        runProblems: records.length,
        meanMargin: meanMargin === null ? null : round(meanMargin),
        totalWeight: round(pairs.reduce((a, p) => a + p.weight, 0)),
      };
      process.stdout.write(
        (o.json
          ? JSON.stringify(summary)
          : `wrote ${pairs.length} pairs (${stepPairs} step, ${pairs.length - stepPairs} final-step) from ${problems}/${records.length} problems to ${o.out}; mean margin ${meanMargin === null ? '-' : meanMargin.toFixed(3)}`) +
          '\n',
      );
    });

  const pointwise = (name: 'orm' | 'qreg', description: string) =>
    extract
      .command(name)
      .description(description)
      .option('--run <dir>', 'synthesis run directory (repeat for several runs)', collect, [])
      .requiredOption('--out <file>', 'output JSONL {"text","target","weight","problem_id","kind"}')
      .option('--json', 'print a JSON summary');

  pointwise('orm', 'outcome reward model data: whole trajectories ending in an answer, target +1 correct / -1 wrong, at most --per-problem per class')
    .option('--per-problem <n>', 'examples per problem and class', intOption('--per-problem', 1, 100_000), 8)
    .action(async (o) => {
      const records = readRuns(o.run);
      const ex = extractOrm(records, { perProblem: o.perProblem });
      await save(o.out, ex);
      const positives = ex.filter((e) => e.target > 0).length;
      const problems = new Set(ex.map((e) => e.problem_id)).size;
      const summary = { runs: o.run, out: o.out, examples: ex.length, positives, negatives: ex.length - positives, problems, runProblems: records.length };
      process.stdout.write(
        (o.json
          ? JSON.stringify(summary)
          : `wrote ${ex.length} examples (${positives} correct, ${ex.length - positives} wrong) from ${problems}/${records.length} problems to ${o.out}`) +
          '\n',
      );
    });

  pointwise('qreg', 'Q-value regression data: every visited node, text = prompt + path, target = its Q in [-1, 1]').action(async (o) => {
    const records = readRuns(o.run);
    const ex = extractQreg(records);
    await save(o.out, ex);
    const problems = new Set(ex.map((e) => e.problem_id)).size;
    const meanTarget = ex.length ? ex.reduce((a, e) => a + e.target, 0) / ex.length : null;
    const summary = {
      runs: o.run,
      out: o.out,
      examples: ex.length,
      problems,
      runProblems: records.length,
      meanTarget: meanTarget === null ? null : round(meanTarget),
    };
    process.stdout.write(
      (o.json
        ? JSON.stringify(summary)
        : `wrote ${ex.length} examples from ${problems}/${records.length} problems to ${o.out}; mean target ${meanTarget === null ? '-' : meanTarget.toFixed(3)}`) +
        '\n',
    );
  });
}
