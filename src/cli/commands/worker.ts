import type { Command } from 'commander';
import { DEFAULT_BUNDLE } from '../../paths.js';
import { openRuntime, addModelOptions, modelOptions, isUrl, bundleHasPpm, type Runtime } from '../runtime.js';
import { readManifest } from '../../models/bundle.js';
import { formatPrompt } from '../../steps/protocol.js';
import { withReward } from '../search-options.js';
import type { Problem } from '../../data/problems.js';
import type { SearchDeps } from '../../search/types.js';
import type { EvalProblem } from '../../eval/datasets.js';
import type { RunSettings } from '../../queue/settings.js';
import { UserError } from '../errors.js';
import { gracefulStop } from '../interrupt.js';
import { intOption, floatOption } from '../options.js';

const short = (h: string | null | undefined) => (h ? h.slice(0, 12) : 'none');

/**
 * `rstar worker`: one machine of the fleet. Takes problems of the active runs from the queue, searches
 * them with its own models (refusing a run made with other ones), sends each record back.
 */
export function registerWorker(program: Command): void {
  const cmd = program
    .command('worker')
    .description(
      'work for distributed synth/eval runs: take problems from the Redis queue, search them here, send the results back (Ctrl-C: finish the problems in flight, then leave)',
    )
    .requiredOption('--queue <url>', 'Redis of the runs: redis://host:6379/0')
    .option('--bundle <dir>', 'model bundle directory (its policy must be the one the run was made with)', DEFAULT_BUNDLE);
  addModelOptions(cmd);
  cmd
    .option('--concurrency <n>', 'problems (trees) in flight on this worker', intOption('--concurrency', 1, 4096), 64)
    .option('--threads <n>', 'ONNX Runtime threads', intOption('--threads', 1, 256))
    .option(
      '--lock-ms <n>',
      "how long a job stays locked to this worker without renewal: a dead worker's jobs are retried after it",
      intOption('--lock-ms', 1000),
      30_000,
    )
    .option(
      '--idle-exit <s>',
      'leave once no run has been active for this many seconds, after serving at least one (default: wait for runs)',
      floatOption('--idle-exit', 0),
    )
    .option('--unsafe-no-sandbox', 'run model code without isolation (development only)')
    .option('--quiet', 'no per-problem lines')
    .option('--json', 'print a summary as JSON when the worker leaves')
    .action(async (o) => {
      const { parseQueueUrl, QueueUnreachableError } = await import('../../queue/connection.js');
      const { runWorker } = await import('../../queue/worker.js');
      const { synthProblem } = await import('../../synth/synth-run.js');
      const { evalProblem } = await import('../../eval/run-eval.js');
      let queue;
      try {
        queue = parseQueueUrl(o.queue);
      } catch (e) {
        throw new UserError((e as Error).message);
      }
      const log = (line: string) => process.stderr.write(line + '\n');
      const stop = gracefulStop({
        stopping: 'worker: finishing the problems in flight, then leaving (Ctrl-C again to leave now)\n',
        leaving: 'worker: leaving now; the jobs in flight go back to the queue when their lock expires\n',
        signals: ['SIGINT', 'SIGTERM'],
      });
      const served = isUrl(o.policy);
      let rt: Runtime | null = null;
      const sha = (dir: string, part: 'policy' | 'ppm') => {
        try {
          return readManifest(dir)[part]?.sha256 ?? null;
        } catch (e) {
          throw new UserError((e as Error).message);
        }
      };
      try {
        const summary = await runWorker(
          {
            queue,
            concurrency: o.concurrency,
            lockMs: o.lockMs,
            idleExitMs: o.idleExit !== undefined ? o.idleExit * 1000 : undefined,
            signal: stop.signal,
            log,
            onJob: (e) => {
              if (!o.quiet)
                log(
                  `worker: ${e.ok ? 'done' : 'FAILED'} ${e.problemId} in ${(e.ms / 1000).toFixed(1)} s${e.ok ? ` (${e.tokens ?? 0} tokens)` : `: ${e.error}`}`,
                );
            },
          },
          async () => {
            // Loaded before any run appears (a worker is ready when the coordinator starts). The
            // engine's default seed does not matter: searches seed every call from (seed, question).
            rt = await openRuntime({ bundle: o.bundle, threads: o.threads, unsafeNoSandbox: o.unsafeNoSandbox, ...modelOptions(o) });
            const runtime = rt;
            const policySha = served ? null : sha(o.bundle, 'policy');
            const ppmDir: string | undefined = o.ppm ?? (!served && !o.reward && bundleHasPpm(o.bundle) ? o.bundle : undefined);
            const ppmSha = ppmDir ? sha(ppmDir, 'ppm') : null;
            const servedName = served ? runtime.backend.name.replace(/^http:/, '') : undefined;
            const context = runtime.engine ? runtime.engine.contextLength : null;
            const depsByRun = new Map<string, SearchDeps>();
            return {
              check(s: RunSettings) {
                const refuse = (why: string) => new UserError(`worker: refusing run ${s.runId}: ${why}`);
                if (s.policy.sha256 !== null) {
                  if (served)
                    throw refuse(
                      `it was made with the policy bundle ${s.policy.name} (sha256 ${short(s.policy.sha256)}), this worker has a served policy (${o.policy})`,
                    );
                  if (policySha !== s.policy.sha256)
                    throw refuse(
                      `the bundle ${o.bundle} has policy sha256 ${short(policySha)}, the run's manifest has ${short(s.policy.sha256)} (${s.policy.name})`,
                    );
                } else {
                  if (!served) throw refuse(`it was made with a served policy (${s.policy.name}); give this worker --policy URL`);
                  if (s.policy.served && s.policy.served !== servedName)
                    throw refuse(`it was made with the served model ${s.policy.served}, this worker's server has ${servedName}`);
                }
                if (s.reward) {
                  if (s.reward.sha256 !== null && ppmSha !== s.reward.sha256)
                    throw refuse(
                      `its PPM has sha256 ${short(s.reward.sha256)} (${s.reward.name}), this worker's has ${short(ppmSha)}${ppmDir ? ` (${ppmDir})` : ''}`,
                    );
                  if (s.reward.sha256 === null && !o.reward)
                    throw refuse(`it was made with a served reward model (${s.reward.name}); give this worker --reward URL`);
                }
              },
              async solve(s: RunSettings, p: Problem) {
                if (typeof p?.id !== 'string' || typeof p.question !== 'string') throw new Error('the job holds no valid problem (id and question strings)');
                if (context !== null) {
                  // The search could only grow an empty tree: fail the job so the run reports it.
                  const n = runtime.engine!.tokenizer.encode(formatPrompt(p.question)).length;
                  if (n >= context)
                    throw new Error(`problem ${p.id}: its prompt is ${n} tokens, no shorter than the policy's context (${context}): nothing can be generated`);
                }
                let deps = depsByRun.get(s.runId);
                if (!deps) {
                  // The run's reward model, or none: a run made without one (the heuristic stands in
                  // where the mode needs a reward) is not searched with this worker's PPM.
                  const { reward: _r, ...noReward } = runtime.deps;
                  deps = s.reward ? runtime.deps : s.kind === 'eval' ? withReward(noReward, s.search, true) : noReward;
                  depsByRun.set(s.runId, deps);
                }
                if (s.kind === 'synth') return synthProblem(p, deps, s.search);
                return evalProblem(p as EvalProblem, deps, s.search, { oracle: s.oracle, keepTree: s.keepTree });
              },
            };
          },
        );
        if (o.json) process.stdout.write(JSON.stringify(summary) + '\n');
        else
          log(
            `worker: ${summary.completed} problems done, ${summary.failed} failed attempts, ${summary.runs} runs served in ${summary.wallSeconds.toFixed(0)} s`,
          );
      } catch (e) {
        if (e instanceof QueueUnreachableError) throw new UserError(e.message);
        throw e;
      } finally {
        stop.dispose();
        await (rt as Runtime | null)?.close();
      }
    });
}
