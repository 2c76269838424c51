import { Command, Option } from 'commander';
import { DEFAULT_BUNDLE } from '../paths.js';
import { openRuntime } from '../runtime.js';
import { DEFAULT_SEARCH_CONFIG, SELECT_MODES, BON_AGGREGATES, MCTS_GUIDES, REWARD_MODES, type SearchConfig, type SearchMode } from '../../search/types.js';
import { HeuristicReward } from '../../search/heuristic-reward.js';
import { BatchingReward } from '../../search/batching-reward.js';
import { loadDataset, datasetHash, CURRICULUM_PREFIX } from '../../eval/datasets.js';
import { EVAL_MODES } from '../../eval/modes.js';
import { runEval } from '../../eval/run-eval.js';
import { formatSummary } from '../../eval/summary.js';
import { startProgress } from '../progress.js';
import { UserError } from '../errors.js';
import { intOption, floatOption } from '../options.js';

const D = DEFAULT_SEARCH_CONFIG;

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description(
      'evaluate a search mode on a benchmark (rStar eval JSON, JSONL) or the synthetic curriculum: accuracy overall and per level/subject, ' +
        'maj@k and pass@k from the same samples, tokens and wall time; per-problem JSONL with --out, resumable with --resume',
    )
    .requiredOption('--data <file|spec>', `problems file (JSONL or rStar eval JSON), or "${CURRICULUM_PREFIX}level=1-5,count=100,seed=999,split=test"`)
    .option('--bundle <dir>', 'model bundle directory', DEFAULT_BUNDLE)
    .addOption(new Option('--mode <mode>', 'search mode').choices([...EVAL_MODES]).default('greedy'))
    .option('-n, --samples <n>', 'samples for self-consistency and best-of-n (maj@k/pass@k reported for k = 1, 2, 4, …, n)', intOption('--samples', 1, 1024), 8)
    .option('--temperature <t>', 'sampling temperature', floatOption('--temperature', 0, 5), D.temperature)
    .option('--rollouts <n>', 'MCTS rollouts', intOption('--rollouts', 1, 4096), D.rollouts)
    .option('--candidates <n>', 'candidate steps per expansion (MCTS, beam)', intOption('--candidates', 1, 256), D.candidates)
    .option('--c-puct <c>', 'UCT exploration constant', floatOption('--c-puct', 0, 100), D.cPuct)
    .option('--max-depth <n>', 'maximum steps per trajectory', intOption('--max-depth', 1, 256), D.maxDepth)
    .option('--beam-width <n>', 'beam width', intOption('--beam-width', 1, 256), D.beamWidth)
    .addOption(new Option('--guide <g>', 'MCTS guidance; terminal uses the gold answers (reported as an oracle run)').choices([...MCTS_GUIDES]).default(D.guide))
    .addOption(new Option('--select <s>', 'final answer: best trajectory or vote among top-k').choices([...SELECT_MODES]).default(D.select))
    .option('--top-k <k>', 'trajectories voting with --select topk-vote', intOption('--top-k', 1, 4096), D.topK)
    .addOption(new Option('--aggregate <a>', 'best-of-n step score aggregate').choices([...BON_AGGREGATES]).default(D.bonAggregate))
    .option('--token-budget <n>', 'per-problem policy token budget (0: none)', intOption('--token-budget', 0), D.tokenBudget)
    .option('--limit <n>', 'only the first n problems', intOption('--limit', 1))
    .option('--concurrency <n>', 'problems in flight', intOption('--concurrency', 1, 4096), 64)
    .option('--seed <n>', 'random seed', intOption('--seed'), 0)
    .option('--threads <n>', 'ONNX Runtime threads', intOption('--threads', 1, 256))
    .option('--out <file>', 'write per-problem results as JSONL (and FILE.meta.json describing the run)')
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
      const rt = await openRuntime({ bundle: o.bundle, threads: o.threads, seed: o.seed, unsafeNoSandbox: o.unsafeNoSandbox });
      const abort = new AbortController();
      const onSigint = () => {
        if (abort.signal.aborted) process.exit(130);
        abort.abort();
        process.stderr.write('\nstopping: finishing the problems in flight (Ctrl-C again to quit now; --resume continues)\n');
      };
      process.on('SIGINT', onSigint);
      try {
        const deps = { ...rt.deps };
        if (!deps.reward && (REWARD_MODES.includes(mode) || (mode === 'mcts' && o.guide === 'ppm'))) {
          // No trained PPM in the bundle yet: the non-learned execution heuristic stands in (the reward-model
          // hook: a bundle or served PRM goes into rt.deps.reward). MCTS with --guide auto and no reward votes.
          if (!o.quiet) process.stderr.write('note: no reward model in the bundle; using the non-learned execution heuristic as the reward\n');
          deps.reward = new BatchingReward(new HeuristicReward(deps.executor));
        }
        const cfg: SearchConfig = {
          ...D,
          mode,
          n: o.samples,
          temperature: o.temperature,
          seed: o.seed,
          rollouts: o.rollouts,
          candidates: o.candidates,
          cPuct: o.cPuct,
          maxDepth: o.maxDepth,
          beamWidth: o.beamWidth,
          guide: o.guide,
          select: o.select,
          topK: o.topK,
          bonAggregate: o.aggregate,
          tokenBudget: o.tokenBudget,
          keepTree: false,
        };
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
