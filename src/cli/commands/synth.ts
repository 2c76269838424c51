import { Command, Option } from 'commander';
import { writeFileSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_BUNDLE } from '../paths.js';
import { openRuntime, addModelOptions, modelOptions, isUrl } from '../runtime.js';
import { DEFAULT_SEARCH_CONFIG } from '../../search/types.js';
import { loadProblems } from '../../data/problems.js';
import { runSynth, sha256File, selectProblems, rerunSeed, resolveRunDirs, ONLY_FILTERS, type OnlyFilter } from '../../synth/synth-run.js';
import { startProgress } from '../progress.js';
import { UserError } from '../errors.js';
import { intOption, floatOption } from '../options.js';
import { readManifest } from '../../models/bundle.js';

export function registerSynth(program: Command): void {
  const cmd = program
    .command('synth')
    .description('data synthesis: terminal-guided MCTS over every problem, trees saved durably; rerun the same command to resume')
    .requiredOption('--data <file>', 'problems (JSONL or rStar eval JSON) with answers')
    .requiredOption('--out <dir>', 'run directory')
    .option('--policy <bundle|url>', 'policy: a model bundle, or served OpenAI-compatible base URL(s) with --policy-model', DEFAULT_BUNDLE)
    .option('--rollouts <n>', 'MCTS rollouts per problem', intOption('--rollouts', 1, 4096), 16)
    .option('--candidates <n>', 'candidate steps per expansion', intOption('--candidates', 1, 64), 8)
    .option('--max-depth <n>', 'maximum steps', intOption('--max-depth', 1, 64), 16)
    .option('--temperature <t>', 'sampling temperature', floatOption('--temperature', 0, 5), 1.0)
    .option('--seed <n>', 'run seed', intOption('--seed'), 0)
    .option('--limit <n>', 'only the first n problems', intOption('--limit', 1))
    .addOption(new Option('--only <filter>', 'rerun only the problems the --from runs left unsolved (no correct terminal in any), or also those of tier hard').choices([...ONLY_FILTERS]))
    .option('--from <run>', 'earlier synthesis run(s) whose results --only filters on (repeatable); the seed must differ from theirs (default: one more than the largest)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--concurrency <n>', 'trees in flight', intOption('--concurrency', 1, 4096), 64)
    .option('--threads <n>', 'ONNX Runtime threads', intOption('--threads', 1, 256))
    .option('--unsafe-no-sandbox', 'run model code without isolation (development only)')
    .option('--json', 'print the final summary as JSON');
  addModelOptions(cmd, { policyFlag: false });
  cmd.action(async (o) => {
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
      // A served policy is identified by its model name (the server's weights cannot be hashed from here).
      const policySha = served ? null : manifestSha(o.policy, 'policy');
      const rt = await openRuntime({ bundle: o.policy, threads: o.threads, seed: o.seed, unsafeNoSandbox: o.unsafeNoSandbox, ...modelOptions(o) });
      const ppm = o.ppm ?? (rt.deps.reward && !o.reward && !served ? o.policy : undefined);
      const guide = rt.deps.reward ? ('ppm' as const) : ('terminal' as const);
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
        const bar = startProgress('synth', problems.length);
        let last = 0;
        const { progress } = await runSynth(
          problems,
          rt.deps,
          search,
          {
            data: o.data,
            dataSha256: sha256File(o.data),
            policy: served ? `${o.policy} (${o.policyModel ?? rt.backend.name.replace(/^http:/, '')})` : o.policy,
            policySha256: policySha,
            ...(guide === 'ppm' ? { reward: o.reward ? `${o.reward} (${o.rewardModel})` : ppm, rewardSha256: ppm ? manifestSha(ppm, 'ppm') : null } : {}),
            seed: o.seed,
            mode: guide === 'ppm' ? 'mcts-ppm' : 'mcts-terminal',
            rollouts: o.rollouts,
            candidates: o.candidates,
            maxDepth: o.maxDepth,
            temperature: o.temperature,
            ...(from ? { from, only, selected: problems.length } : {}),
          },
          {
            out: o.out,
            concurrency: o.concurrency,
            onProgress: (p) => {
              const secs = (Date.now() - t0) / 1000;
              const levels = Object.entries(p.perLevel).map(([l, v]) => `L${l} ${Math.round((100 * v.solved) / v.n)}%`).join(' ');
              const fresh = p.tokens - last;
              last = p.tokens;
              void fresh;
              bar.tick({ 'tok/s': Math.round(p.tokens / secs), solved: `${p.solved}/${p.done}`, levels });
            },
          },
        );
        bar.stop();
        const summary = { out: o.out, seed: o.seed, ...(from ? { only, from } : {}), problems: progress.total, solved: progress.solved, coverage: progress.solved / Math.max(1, progress.total), tokens: progress.tokens, perLevel: progress.perLevel, wallSeconds: (Date.now() - t0) / 1000, ...(rt.engine ? { kvCache: rt.engine.kvCacheSummary() } : {}) };
        process.stdout.write((o.json ? JSON.stringify(summary) : `synth: ${summary.solved}/${summary.problems} problems solved by at least one rollout; trees in ${join(o.out, 'trees')}`) + '\n');
      } finally {
        await rt.close();
      }
    });
}
