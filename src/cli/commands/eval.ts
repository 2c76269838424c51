import type { Command } from 'commander';
import { DEFAULT_BUNDLE } from '../../paths.js';
import { openRuntime, addModelOptions, modelOptions, isUrl, bundleHasPpm, type Runtime } from '../runtime.js';
import { REWARD_MODES, type SearchConfig, type SearchMode } from '../../search/types.js';
import { addSearchOptions, searchConfigFrom, withReward } from '../search-options.js';
import { loadDataset, datasetHash, CURRICULUM_PREFIX } from '../../eval/datasets.js';
import { runEval, configFingerprint, errorResult, type EvalSource, type EvalOutcome } from '../../eval/run-eval.js';
import { openQueueFlags, openQueuedRun, queueOptions } from '../queue-options.js';
import { readManifest } from '../../models/bundle.js';
import { HEURISTIC_REWARD_NAME } from '../../search/heuristic-reward.js';
import { resolve } from 'node:path';
import { formatSummary } from '../../eval/summary.js';
import { startProgress } from '../progress.js';
import { UserError } from '../errors.js';
import { gracefulStop } from '../interrupt.js';
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
    .option(
      '--save-trees <dir>',
      "write each problem's search tree JSON (MCTS, beam) to this directory; records name their tree (rstar view RESULTS shows them)",
    )
    .option('--resume', 'keep the results already in --out (same data, mode, seed and settings) and solve the rest')
    .option('--unsafe-no-sandbox', 'run model code without isolation (development only)')
    .option('--quiet', 'no progress output')
    .option('--json', 'print the summary as JSON');
  queueOptions(cmd);
  cmd.action(async (o) => {
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
    if (o.queue && !o.out) throw new UserError('--queue needs --out FILE (the run is identified by its results file)');
    // With --queue the models load on the workers: Redis is checked first, and nothing loads here.
    const q = o.queue ? await openQueueFlags(o) : null;
    const served = isUrl(o.policy);
    if (q && served && !o.policyModel) throw new UserError('--queue with a served --policy needs --policy-model (the workers must serve the same model)');
    const rt: Runtime | null = q
      ? null
      : await openRuntime({ bundle: o.bundle, threads: o.threads, seed: o.seed, unsafeNoSandbox: o.unsafeNoSandbox, ...modelOptions(o) });
    const stop = gracefulStop({ stopping: '\nstopping: finishing the problems in flight (Ctrl-C again to quit now; --resume continues)\n' });
    try {
      const cfg: SearchConfig = { ...searchConfigFrom(o), keepTree: false };
      const needsReward = REWARD_MODES.includes(mode) || (mode === 'mcts' && cfg.guide === 'ppm');
      const ppmDir: string | undefined = o.ppm ?? (!served && !o.reward && bundleHasPpm(o.bundle) ? o.bundle : undefined);
      const manifestOf = (dir: string) => {
        try {
          return readManifest(dir);
        } catch (e) {
          throw new UserError((e as Error).message);
        }
      };
      // The coordinator names the reward model as the workers' runtime will (it loads none itself).
      const queuedRewardName = o.reward
        ? `http-${o.rewardKind ?? 'rstar'}:${o.rewardModel}`
        : ppmDir
          ? `onnx-ppm:${manifestOf(ppmDir).name}`
          : needsReward
            ? HEURISTIC_REWARD_NAME
            : null;
      const deps = rt ? withReward(rt.deps, cfg, o.quiet) : null;
      const usesReward = REWARD_MODES.includes(mode) || mode === 'mcts';
      const rewardName =
        (deps ? (deps.reward?.name ?? null) : queuedRewardName) && usesReward && !oracle ? (deps ? deps.reward!.name : queuedRewardName) : null;
      let source: EvalSource | undefined;
      let fleet = '';
      if (q) {
        const identity = {
          kind: 'eval',
          out: resolve(o.out),
          datasetHash: fullHash,
          mode,
          seed: cfg.seed,
          config: configFingerprint(cfg),
          reward: rewardName,
          oracle,
          keepTree: !!o.saveTrees,
        };
        const run = await openQueuedRun<EvalOutcome>(
          q,
          'eval',
          identity,
          {
            search: cfg,
            policy: served
              ? { name: o.policy as string, sha256: null, served: o.policyModel as string }
              : { name: o.bundle as string, sha256: manifestOf(o.bundle).policy?.sha256 ?? null },
            reward:
              usesReward && (o.reward || ppmDir)
                ? o.reward
                  ? { name: `${o.reward} (${o.rewardModel})`, sha256: null }
                  : { name: ppmDir!, sha256: manifestOf(ppmDir!).ppm?.sha256 ?? null }
                : null,
            oracle,
            keepTree: !!o.saveTrees,
          },
          (line) => (fleet = line),
          o.quiet,
        );
        source = async (todo, onOutcome, signal) => {
          const byId = new Map(todo.map((p) => [p.id, p]));
          const { failed } = await run(todo, onOutcome, signal);
          // A problem no worker could finish is recorded as a local run records a search that threw.
          for (const f of failed) onOutcome({ result: errorResult(byId.get(f.id)!, `failed on every attempt (${f.attempts}): ${f.error}`, 0) });
        };
      }
      let correct = 0;
      let done = 0;
      let bar = startProgress(`eval ${o.mode}`, problems.length, o.quiet);
      const { summary } = await runEval(problems, deps ?? ({} as never), cfg, {
        source,
        concurrency: o.concurrency,
        outFile: o.out,
        resume: o.resume,
        data: o.data,
        dataset: dataset.name,
        datasetHash: fullHash,
        rewardName,
        oracle,
        signal: stop.signal,
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
          bar.tick({ acc: (correct / done).toFixed(3), ...(fleet ? { workers: fleet } : {}) });
        },
      });
      bar.stop();
      if (rt) summary.meanPolicyBatch = rt.batching.meanBatchSize();
      if (rt?.engine) summary.kvCache = rt.engine.kvCacheSummary();
      if (stop.signal.aborted) process.stderr.write(`stopped early: ${summary.n} of ${problems.length} problems done\n`);
      if (o.json) process.stdout.write(JSON.stringify(summary) + '\n');
      else process.stdout.write(formatSummary(summary) + '\n');
      if (stop.signal.aborted) process.exitCode = 130;
    } catch (e) {
      if (e instanceof UserError) throw e;
      const msg = (e as Error).message;
      // Resume mismatches and corrupt results files are the user's to fix.
      if (/cannot resume|meta\.json|invalid result record/.test(msg)) throw new UserError(msg);
      throw e;
    } finally {
      stop.dispose();
      await rt?.close();
    }
  });
}
