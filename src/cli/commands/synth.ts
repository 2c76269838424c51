import { type Command, Option } from 'commander';
import { join, resolve } from 'node:path';
import { DEFAULT_BUNDLE } from '../../paths.js';
import { openRuntime, addModelOptions, modelOptions, isUrl, bundleHasPpm, type Runtime } from '../runtime.js';
import { DEFAULT_SEARCH_CONFIG, type SearchDeps } from '../../search/types.js';
import { loadProblems } from '../../data/problems.js';
import { runSynth, sha256File, selectProblems, rerunSeed, resolveRunDirs, type SynthSource, type SynthRecord } from '../../synth/synth-run.js';
import { ONLY_FILTERS, resumeIdentity, type OnlyFilter, type SynthRunConfig } from '../../synth/run-manifest.js';
import { openQueueFlags, openQueuedRun, queueOptions, type QueueFlags } from '../queue-options.js';
import { startProgress } from '../progress.js';
import { UserError } from '../errors.js';
import { intOption } from '../options.js';
import { searchOption } from '../search-options.js';
import { readManifest } from '../../models/bundle.js';

/** Search deps of a coordinator: never used (the workers search), present for runSynth's signature. */
const NO_DEPS = {} as SearchDeps;

export function registerSynth(program: Command): void {
  const cmd = program
    .command('synth')
    .description('data synthesis: terminal-guided MCTS over every problem, trees saved durably; rerun the same command to resume')
    .requiredOption('--data <file>', 'problems (JSONL or rStar eval JSON) with answers')
    .requiredOption('--out <dir>', 'run directory')
    .option('--bundle <dir>', 'model bundle directory', DEFAULT_BUNDLE)
    .addOption(searchOption('rollouts', { help: 'MCTS rollouts per problem' }))
    .addOption(searchOption('candidates', { help: 'candidate steps per expansion' }))
    .addOption(searchOption('max-depth', { help: 'maximum steps' }))
    // Synthesis samples the policy's own distribution (temperature 1), wider than solve/eval's default.
    .addOption(searchOption('temperature', { default: 1.0 }))
    .addOption(searchOption('seed', { help: 'run seed' }))
    .option('--limit <n>', 'only the first n problems', intOption('--limit', 1))
    .addOption(
      new Option('--only <filter>', 'rerun only the problems the --from runs left unsolved (no correct terminal in any), or also those of tier hard').choices([
        ...ONLY_FILTERS,
      ]),
    )
    .option(
      '--from <run>',
      'earlier synthesis run(s) whose results --only filters on (repeatable); the seed must differ from theirs (default: one more than the largest)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option('--concurrency <n>', 'trees in flight', intOption('--concurrency', 1, 4096), 64)
    .option('--threads <n>', 'ONNX Runtime threads', intOption('--threads', 1, 256))
    .option('--unsafe-no-sandbox', 'run model code without isolation (development only)')
    .option('--json', 'print the final summary as JSON');
  addModelOptions(cmd, { policyHelp: ' (a bundle directory here is the former spelling of --bundle, still accepted)' });
  queueOptions(cmd);
  cmd.action(async (o) => {
    // `--policy DIR` was synth's bundle flag before --bundle (as on solve and eval); it still works.
    if (typeof o.policy === 'string' && !isUrl(o.policy)) {
      if (cmd.getOptionValueSource('bundle') === 'cli') throw new UserError('give the model bundle once: --bundle DIR (--policy is for a served model URL)');
      process.stderr.write(`note: synth --policy ${o.policy}: a bundle directory is now given as --bundle (--policy DIR still works)\n`);
      o.bundle = o.policy;
      o.policy = undefined;
    }
    const bundle: string = o.bundle;
    let problems;
    try {
      problems = await loadProblems(o.data);
    } catch (e) {
      throw new UserError((e as Error).message);
    }
    if (o.limit) problems = problems.slice(0, o.limit);
    const from: string[] | undefined = o.from ? resolveRunDirs(o.from) : undefined;
    if (o.only && !from) throw new UserError('--only needs --from RUN (the earlier runs whose results it filters on)');
    const only: OnlyFilter | undefined = from ? (o.only ?? 'unsolved') : undefined;
    if (from?.includes(resolve(o.out))) throw new UserError(`--from ${o.out}: a run cannot be its own --from run (use a new --out)`);
    if (from) {
      const total = problems.length;
      try {
        o.seed = rerunSeed(from, cmd.getOptionValueSource('seed') === 'cli' ? o.seed : undefined);
        problems = selectProblems(problems, { only: only!, from });
      } catch (e) {
        throw new UserError((e as Error).message);
      }
      process.stderr.write(`synth: selected ${problems.length} of ${total} problems (${only} in ${o.from.join(', ')}); seed ${o.seed}\n`);
    }
    const served = isUrl(o.policy);
    const manifestSha = (dir: string, part: 'policy' | 'ppm') => {
      try {
        return readManifest(dir)[part]?.sha256 ?? null;
      } catch (e) {
        throw new UserError((e as Error).message);
      }
    };
    // With --queue the models load on the workers: Redis is checked first, and nothing loads here.
    const q: QueueFlags | null = o.queue ? await openQueueFlags(o) : null;
    if (q && served && !o.policyModel) throw new UserError('--queue with a served --policy needs --policy-model (the workers must serve the same model)');
    // A served policy is identified by its model name (the server's weights cannot be hashed from here).
    const policySha = served ? null : manifestSha(bundle, 'policy');
    const rt: Runtime | null = q
      ? null
      : await openRuntime({ bundle, threads: o.threads, seed: o.seed, unsafeNoSandbox: o.unsafeNoSandbox, ...modelOptions(o) });
    const hasReward = rt ? !!rt.deps.reward : !!o.ppm || !!o.reward || (!served && bundleHasPpm(bundle));
    const ppm = o.ppm ?? (hasReward && !o.reward && !served ? bundle : undefined);
    const guide = hasReward ? ('ppm' as const) : ('terminal' as const);
    const t0 = Date.now();
    try {
      const search = {
        ...DEFAULT_SEARCH_CONFIG,
        mode: 'mcts' as const,
        guide,
        rollouts: o.rollouts,
        candidates: o.candidates,
        maxDepth: o.maxDepth,
        temperature: o.temperature,
        seed: o.seed,
      };
      const policyName = served ? `${o.policy} (${o.policyModel ?? rt!.backend.name.replace(/^http:/, '')})` : bundle;
      const runConfig: SynthRunConfig = {
        data: o.data,
        dataSha256: sha256File(o.data),
        policy: policyName,
        policySha256: policySha,
        ...(guide === 'ppm' ? { reward: o.reward ? `${o.reward} (${o.rewardModel})` : ppm, rewardSha256: ppm ? manifestSha(ppm, 'ppm') : null } : {}),
        seed: o.seed,
        mode: guide === 'ppm' ? 'mcts-ppm' : 'mcts-terminal',
        rollouts: o.rollouts,
        candidates: o.candidates,
        maxDepth: o.maxDepth,
        temperature: o.temperature,
        ...(from ? { from, only, selected: problems.length } : {}),
      };
      let fleet = '';
      let source: SynthSource | undefined;
      if (q) {
        const identity = { kind: 'synth', out: resolve(o.out), search, config: resumeIdentity(runConfig) };
        source = await openQueuedRun<SynthRecord>(
          q,
          'synth',
          identity,
          {
            search,
            policy: { name: policyName, sha256: policySha, ...(served ? { served: o.policyModel as string } : {}) },
            reward: guide === 'ppm' ? { name: String(runConfig.reward), sha256: runConfig.rewardSha256 ?? null } : null,
          },
          (line) => (fleet = line),
        );
      }
      const bar = startProgress('synth', problems.length);
      // Rates count this session's problems only (a resumed run starts with some done).
      let startDone = 0;
      let startTokens = 0;
      const { progress, failed } = await runSynth(problems, rt?.deps ?? NO_DEPS, search, runConfig, {
        out: o.out,
        concurrency: o.concurrency,
        source,
        onStart: (p) => {
          startDone = p.done;
          startTokens = p.tokens;
        },
        onProgress: (p) => {
          const secs = (Date.now() - t0) / 1000;
          const levels = Object.entries(p.perLevel)
            .map(([l, v]) => `L${l} ${Math.round((100 * v.solved) / v.n)}%`)
            .join(' ');
          bar.tick({
            'p/s': ((p.done - startDone) / secs).toFixed(2),
            'tok/s': Math.round((p.tokens - startTokens) / secs),
            solved: `${p.solved}/${p.done}`,
            levels,
            ...(fleet ? { workers: fleet } : {}),
          });
        },
      });
      bar.stop();
      const summary = {
        out: o.out,
        seed: o.seed,
        ...(from ? { only, from } : {}),
        problems: progress.total,
        solved: progress.solved,
        coverage: progress.solved / Math.max(1, progress.total),
        tokens: progress.tokens,
        perLevel: progress.perLevel,
        wallSeconds: (Date.now() - t0) / 1000,
        ...(rt?.engine ? { kvCache: rt.engine.kvCacheSummary() } : {}),
        ...(failed.length ? { failed } : {}),
      };
      process.stdout.write(
        (o.json
          ? JSON.stringify(summary)
          : `synth: ${summary.solved}/${summary.problems} problems solved by at least one rollout; trees in ${join(o.out, 'trees')}`) + '\n',
      );
      if (failed.length) {
        for (const f of failed) process.stderr.write(`synth: problem ${f.id} failed after ${f.attempts} attempts: ${f.error}\n`);
        throw new UserError(
          `synth: ${failed.length} problem(s) failed on every attempt (listed in ${join(o.out, 'manifest.json')}; rerun with --retry-failed to try them again)`,
          1,
        );
      }
    } finally {
      await rt?.close();
    }
  });
}
