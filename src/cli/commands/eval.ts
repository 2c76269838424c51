import { Command, Option } from 'commander';
import { DEFAULT_BUNDLE } from '../paths.js';
import { openRuntime } from '../runtime.js';
import { DEFAULT_SEARCH_CONFIG, type SearchMode } from '../../search/types.js';
import { loadProblems } from '../../data/problems.js';
import { runEval } from '../../eval/run-eval.js';
import { startProgress } from '../progress.js';
import { UserError } from '../errors.js';
import { intOption, floatOption } from '../options.js';

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('evaluate a search mode on a problem set (JSONL or rStar eval JSON): accuracy per level, tokens, wall time')
    .requiredOption('--data <file>', 'problems file')
    .option('--bundle <dir>', 'model bundle directory', DEFAULT_BUNDLE)
    .addOption(new Option('--mode <mode>', 'search mode').choices(['greedy', 'self-consistency']).default('greedy'))
    .option('-n, --samples <n>', 'samples for self-consistency', intOption('--samples', 1, 1024), 8)
    .option('--temperature <t>', 'sampling temperature', floatOption('--temperature', 0, 5), DEFAULT_SEARCH_CONFIG.temperature)
    .option('--limit <n>', 'only the first n problems', intOption('--limit', 1))
    .option('--concurrency <n>', 'problems in flight', intOption('--concurrency', 1, 4096), 64)
    .option('--seed <n>', 'random seed', intOption('--seed'), 0)
    .option('--threads <n>', 'ONNX Runtime threads', intOption('--threads', 1, 256))
    .option('--out <file>', 'write per-problem results as JSONL')
    .option('--unsafe-no-sandbox', 'run model code without isolation (development only)')
    .option('--json', 'print the summary as JSON')
    .action(async (o) => {
      let problems;
      try {
        problems = await loadProblems(o.data);
      } catch (e) {
        throw new UserError((e as Error).message);
      }
      if (o.limit) problems = problems.slice(0, o.limit);
      if (problems.length === 0) throw new UserError(`${o.data}: no problems`);
      const rt = await openRuntime({ bundle: o.bundle, threads: o.threads, seed: o.seed, unsafeNoSandbox: o.unsafeNoSandbox });
      try {
        const cfg = { ...DEFAULT_SEARCH_CONFIG, mode: o.mode as SearchMode, n: o.samples, temperature: o.temperature, seed: o.seed };
        let correct = 0;
        let done = 0;
        const bar = startProgress(`eval ${o.mode}`, problems.length);
        const { summary } = await runEval(problems, rt.deps, cfg, {
          concurrency: o.concurrency,
          outFile: o.out,
          onResult: (r) => {
            done++;
            correct += r.correct ? 1 : 0;
            bar.tick({ acc: (correct / done).toFixed(3) });
          },
        });
        bar.stop();
        summary.meanPolicyBatch = rt.batching.meanBatchSize();
        if (o.json) process.stdout.write(JSON.stringify(summary) + '\n');
        else {
          const lines = [`mode ${summary.mode}: ${summary.correct}/${summary.n} = ${(100 * summary.accuracy).toFixed(1)}%`];
          for (const l of summary.perLevel) lines.push(`  level ${l.level}: ${l.correct}/${l.n} = ${(100 * l.accuracy).toFixed(1)}%`);
          lines.push(`  tokens ${summary.tokensGenerated} (${summary.tokensPerProblem.toFixed(0)}/problem), ${summary.wallSeconds.toFixed(1)} s, ${summary.tokensPerSecond.toFixed(0)} tok/s`);
          process.stdout.write(lines.join('\n') + '\n');
        }
      } finally {
        await rt.close();
      }
    });
}
