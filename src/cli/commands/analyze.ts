import type { Command } from 'commander';
import { basename } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { readRunManifest, type SynthRunManifestAsRead } from '../../synth/run-manifest.js';
import { readRun } from '../../synth/synth-run.js';
import { analyzeRecords, compareAtBudgets, llamaParameters, type BudgetComparison, type GroupStats, type RunAnalysis } from '../../synth/analyze.js';
import { loadBundle, readManifest } from '../../models/bundle.js';
import { OnnxReward } from '../../models/onnx/reward.js';
import { BatchingReward } from '../../models/batching/reward.js';
import type { RewardModel } from '../../models/types.js';
import { UserError } from '../errors.js';
import { floatOption, intOption } from '../options.js';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

function numberList(flag: string) {
  return (v: string): number[] => {
    const xs = v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map(Number);
    if (xs.length === 0 || xs.some((x) => !Number.isFinite(x) || x <= 0))
      throw new InvalidArgumentError(`${flag} must be a comma-separated list of positive numbers, got "${v}"`);
    return xs;
  };
}

/** Parameters of a run's policy from its bundle manifest (training metrics, else the architecture); null when not a readable bundle. */
export function runPolicyParameters(manifest: SynthRunManifestAsRead): number | null {
  const policy = manifest.config.policy;
  if (typeof policy !== 'string') return null;
  try {
    const m = readManifest(policy);
    const p = m.policy?.metrics?.params;
    return typeof p === 'number' && p > 0 ? p : llamaParameters(m.architecture);
  } catch {
    return null;
  }
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const num = (x: number | null, d = 2) => (x === null ? '-' : Number.isInteger(x) ? String(x) : x.toFixed(d));

function table(rows: string[][]): string {
  const w = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  return rows.map((r) => r.map((c, j) => (j === 0 ? c.padEnd(w[j]) : c.padStart(w[j]))).join('  ')).join('\n');
}

function runTable(a: RunAnalysis): string {
  const head = [
    'level',
    'problems',
    'coverage',
    'diversity',
    'div/solved',
    'progs/solved',
    'FP rate',
    'FP exec',
    'FP ppm',
    'tok/problem',
    'tok→1st ok',
    'easy/med/hard/uns',
  ];
  const row = (name: string, g: GroupStats) => [
    name,
    String(g.problems),
    pct(g.coverage),
    num(g.diversity),
    num(g.diversitySolved),
    num(g.programsSolved),
    pct(g.falsePositiveRate),
    String(g.fpSandbox),
    g.fpPpm === null ? '-' : String(g.fpPpm),
    num(g.tokensPerProblem, 0),
    num(g.firstCorrectCostMedian, 0),
    `${g.tiers.easy}/${g.tiers.medium}/${g.tiers.hard}/${g.tiers.unsolved}`,
  ];
  const rates = Object.entries(a.overall.solveRates)
    .map(([b, n]) => `${b}: ${n}`)
    .join('  ');
  return `${table([head, ...Object.entries(a.levels).map(([k, g]) => row(k, g)), row('all', a.overall)])}\nsolve rate (correct/terminals) per problem: ${rates}; mean ${num(a.overall.meanSolveRate, 3)}; tree nodes carry ${pct(a.overall.treeTokenShare)} of the generated tokens`;
}

function budgetTable(c: BudgetComparison): string {
  const head = ['budget', 'per problem', ...c.runs.map((r) => r.name)];
  const rows = c.budgets.map((b) => [num(b.budget, 0), num(b.perProblem, 1), ...b.coverage.map(pct)]);
  const ratios = c.runs.map((r) => `${r.name} ×${num(r.costRatio, 3)} (total ${num(r.totalCost, 0)}, coverage ${pct(r.coverage)})`).join('; ');
  return `matched budgets over ${c.problems} common problems: coverage when each problem gets budget/problems cost units (tokens × cost ratio) until its first correct terminal\ncost ratios: ${ratios}\n${table([head, ...rows])}`;
}

/** `rstar analyze`: coverage, diversity, false positives, tokens and tiers of synthesis runs; compute-matched comparison of several. */
export function registerAnalyze(program: Command): void {
  program
    .command('analyze')
    .description('analyze synthesis runs: coverage, diversity, false positives, tokens, tiers per level; several runs: coverage at matched token budgets')
    .option('--run <dir>', 'synthesis run directory (repeat to compare runs)', collect, [])
    .option('--ppm <bundle>', 'also count as false positive a correct path through a step this PPM scores below --ppm-threshold')
    .option('--ppm-threshold <x>', 'PPM score below which a step is flawed', floatOption('--ppm-threshold', -1, 1), 0)
    .option(
      '--budgets <list>',
      'total generated-token budgets (cost units) for the matched comparison, e.g. 1e5,2e5,4e5 (default: a grid up to the largest run)',
      numberList('--budgets'),
    )
    .option(
      '--cost-ratio <list>',
      'per-token cost of each run relative to the others, one per run (two runs: one number = the second run relative to the first); default: policy parameter ratio from the bundles, else 1',
      numberList('--cost-ratio'),
    )
    .option('--threads <n>', 'ONNX Runtime threads for --ppm', intOption('--threads', 1, 256))
    .option('--per-problem', 'include every problem in the JSON output')
    .option('--json', 'print JSON')
    .action(async (o) => {
      const dirs: string[] = o.run;
      if (dirs.length === 0) throw new UserError("required option '--run <dir>' not specified");
      const runs = dirs.map((dir) => {
        try {
          return { dir, records: readRun(dir), manifest: readRunManifest(dir) };
        } catch (e) {
          throw new UserError((e as Error).message);
        }
      });
      const names = dirs.map((d) => basename(d.replace(/\/+$/, '')) || d);
      const uniqueNames = names.map((n, i) => (names.indexOf(n) !== names.lastIndexOf(n) ? dirs[i] : n));

      let ratios: number[];
      let ratioSource: string;
      if (o.costRatio) {
        const given: number[] = o.costRatio;
        if (given.length === runs.length) ratios = given;
        else if (given.length === 1 && runs.length === 2) ratios = [1, given[0]];
        else throw new UserError(`--cost-ratio: give one number per run (${runs.length}), or one number for two runs; got ${given.length}`);
        ratioSource = 'flag';
      } else {
        const params = runs.map((r) => runPolicyParameters(r.manifest));
        if (params.every((p) => p !== null)) {
          ratios = params.map((p) => p! / params[0]!);
          ratioSource = `policy parameters ${params.join(', ')}`;
        } else {
          ratios = runs.map(() => 1);
          ratioSource = 'default (a policy bundle is not readable)';
        }
      }

      let reward: RewardModel | undefined;
      if (o.ppm) {
        try {
          reward = new BatchingReward(await OnnxReward.load(loadBundle(o.ppm), { threads: o.threads }));
        } catch (e) {
          throw new UserError(`--ppm ${o.ppm}: ${(e as Error).message}`);
        }
      }
      try {
        const analyses: RunAnalysis[] = [];
        for (const r of runs) analyses.push(await analyzeRecords(r.records, { reward, ppmThreshold: o.ppmThreshold }));
        let comparison: BudgetComparison | null = null;
        if (runs.length > 1 || o.budgets) {
          try {
            comparison = compareAtBudgets(
              analyses.map((a, i) => ({ name: uniqueNames[i], problems: a.problems, costRatio: ratios[i] })),
              o.budgets,
            );
          } catch (e) {
            throw new UserError((e as Error).message);
          }
        }
        const out = {
          runs: runs.map((r, i) => ({
            name: uniqueNames[i],
            dir: r.dir,
            policy: r.manifest.config.policy,
            mode: r.manifest.config.mode,
            seed: r.manifest.config.seed,
            rollouts: r.manifest.config.rollouts,
            status: r.manifest.status,
            costRatio: ratios[i],
            ...(o.ppm ? { ppm: o.ppm, ppmThreshold: o.ppmThreshold } : {}),
            overall: analyses[i].overall,
            levels: analyses[i].levels,
            ...(o.perProblem ? { problems: analyses[i].problems } : {}),
          })),
          costRatioSource: ratioSource,
          comparison,
        };
        if (o.json) {
          process.stdout.write(JSON.stringify(out) + '\n');
          return;
        }
        const parts = runs.map((r, i) => {
          const c = r.manifest.config;
          return `run ${uniqueNames[i]} (${r.dir}): ${c.mode}, ${c.rollouts} rollouts, seed ${c.seed}, policy ${c.policy}, ${r.manifest.status}\n${runTable(analyses[i])}`;
        });
        if (comparison) parts.push(budgetTable(comparison));
        process.stdout.write(parts.join('\n\n') + '\n');
      } finally {
        await reward?.close();
      }
    });
}
