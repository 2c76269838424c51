import { Command } from 'commander';
import { DEFAULT_BUNDLE } from '../paths.js';
import { openRuntime, addModelOptions, modelOptions } from '../runtime.js';
import { REWARD_MODES, type SearchConfig, type SearchMode } from '../../search/types.js';
import { addSearchOptions, searchConfigFrom, withReward } from '../search-options.js';
import { loadDataset, datasetHash, CURRICULUM_PREFIX } from '../../eval/datasets.js';
import { runEval } from '../../eval/run-eval.js';
import { formatSummary } from '../../eval/summary.js';
import { startProgress } from '../progress.js';
import { UserError } from '../errors.js';
import { intOption } from '../options.js';


export function registerEval(program: Command): void {
  const cmd = program
    .command('eval')
    .description(
      'evaluate a search mode on a benchmark (rStar eval JSON, JSONL) or the synthetic curriculum: accuracy overall and per level/subject, ' +
        'maj@k and pass@k from the same samples, tokens and wall time; per-problem JSONL with --out, resumable with --resume',
    )
    .requiredOption('--data <file|spec>', `problems file (JSONL or rStar eval JSON), or "${CURRICULUM_PREFIX}level=1-5,count=100,seed=999,split=test"`)
    .option('--bundle <dir>', 'model bundle directory', DEFAULT_BUNDLE);
  addSearchOptions(cmd, 'MCTS guidance; terminal uses the gold answers (reported as an oracle run)');
  addModelOptions(cmd);
  cmd
    .option('--limit <n>', 'only the first n problems', intOption('--limit', 1))
    .option('--concurrency <n>', 'problems in flight', intOption('--concurrency', 1, 4096), 64)
    .option('--threads <n>', 'ONNX Runtime threads', intOption('--threads', 1, 256))
    .option('--out <file>', 'write per-problem results as JSONL (and FILE.meta.json describing the run)')
    .option('--save-trees <dir>', 'write each problem\'s search tree JSON (MCTS, beam) to this directory; records name their tree (rstar view RESULTS shows them)')
    .option('--resume', 'keep the results already in --out (same data, mode, seed and settings) and solve the rest')
    .option('--unsafe-no-sandbox', 'run model code without isolation (development only)')
    .option('--quiet', 'no progress output')
    .option('--json', 'print the summary as JSON')
    .action(async (o) => {
      if (o.resume && !o.out) throw new UserError('--resume needs --out FILE');
      const mode = o.mode as SearchMode;
      let dataset;
      try {
        dataset = await loadDataset(o.data);
      } catch (e) {
        throw new UserError((e as Error).message);
      }
      const fullHash = datasetHash(dataset.problems);
      let problems = dataset.problems;
      if (o.limit) problems = problems.slice(0, o.limit);
      if (problems.length === 0) throw new UserError(`${o.data}: no problems`);
      const oracle = mode === 'mcts' && o.guide === 'terminal';
      const rt = await openRuntime({ bundle: o.bundle, threads: o.threads, seed: o.seed, unsafeNoSandbox: o.unsafeNoSandbox, ...modelOptions(o) });
      const abort = new AbortController();
      const onSigint = () => {
        if (abort.signal.aborted) process.exit(130);
        abort.abort();
        process.stderr.write('\nstopping: finishing the problems in flight (Ctrl-C again to quit now; --resume continues)\n');
      };
      process.on('SIGINT', onSigint);
      try {
        const cfg: SearchConfig = { ...searchConfigFrom(o), keepTree: false };
        const deps = withReward(rt.deps, cfg, o.quiet);
        let correct = 0;
        let done = 0;
        let bar = startProgress(`eval ${o.mode}`, problems.length, o.quiet);
        const { summary } = await runEval(problems, deps, cfg, {
          concurrency: o.concurrency,
          outFile: o.out,
          resume: o.resume,
          data: o.data,
          dataset: dataset.name,
          datasetHash: fullHash,
          rewardName: deps.reward && (REWARD_MODES.includes(mode) || mode === 'mcts') && !oracle ? deps.reward.name : null,
          oracle,
          signal: abort.signal,
          treesDir: o.saveTrees,
          onResume: ({ kept, droppedBytes, duplicates }) => {
            if (!o.quiet) {
              const notes = [`resuming ${o.out}: ${kept} of ${problems.length} problems already done`];
              if (droppedBytes) notes.push(`dropped a torn last line (${droppedBytes} bytes)`);
              if (duplicates) notes.push(`ignored ${duplicates} duplicate records`);
              process.stderr.write(notes.join('; ') + '\n');
            }
            bar.stop();
            bar = startProgress(`eval ${o.mode}`, problems.length - kept, o.quiet);
          },
          onResult: (r) => {
            done++;
            correct += r.correct ? 1 : 0;
            bar.tick({ acc: (correct / done).toFixed(3) });
          },
        });
        bar.stop();
        summary.meanPolicyBatch = rt.batching.meanBatchSize();
        if (rt.engine) summary.kvCache = rt.engine.kvCacheSummary();
        if (abort.signal.aborted) process.stderr.write(`stopped early: ${summary.n} of ${problems.length} problems done\n`);
        if (o.json) process.stdout.write(JSON.stringify(summary) + '\n');
        else process.stdout.write(formatSummary(summary) + '\n');
        if (abort.signal.aborted) process.exitCode = 130;
      } catch (e) {
        if (e instanceof UserError) throw e;
        const msg = (e as Error).message;
        // Resume mismatches and corrupt results files are the user's to fix.
        if (/cannot resume|meta\.json|invalid result record/.test(msg)) throw new UserError(msg);
        throw e;
      } finally {
        process.off('SIGINT', onSigint);
        await rt.close();
      }
    });
}
