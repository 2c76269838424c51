import { Command, Option } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_BUNDLE } from '../paths.js';
import { openRuntime } from '../runtime.js';
import { solve } from '../../search/solve.js';
import {
  DEFAULT_SEARCH_CONFIG,
  SEARCH_MODES,
  SELECT_MODES,
  BON_AGGREGATES,
  MCTS_GUIDES,
  REWARD_MODES,
  type SearchConfig,
  type SearchMode,
} from '../../search/types.js';
import { HeuristicReward } from '../../search/heuristic-reward.js';
import { BatchingReward } from '../../search/batching-reward.js';
import { hashSeed } from '../../util/rng.js';
import { parseSolution } from '../../steps/protocol.js';
import { UserError } from '../errors.js';
import { intOption, floatOption } from '../options.js';

const D = DEFAULT_SEARCH_CONFIG;

export function registerSolve(program: Command): void {
  program
    .command('solve')
    .description('solve a math question with deep thinking and print the reasoning steps, the executed output and the boxed answer')
    .argument('<question...>', 'the question (quote it)')
    .option('--bundle <dir>', 'model bundle directory', DEFAULT_BUNDLE)
    .addOption(new Option('--mode <mode>', 'search mode').choices([...SEARCH_MODES]).default('greedy'))
    .option('-n, --samples <n>', 'samples for self-consistency and best-of-n', intOption('--samples', 1, 1024), 8)
    .option('--rollouts <n>', 'MCTS rollouts', intOption('--rollouts', 1, 4096), D.rollouts)
    .option('--candidates <n>', 'candidate steps per expansion (MCTS, beam)', intOption('--candidates', 1, 256), D.candidates)
    .option('--c-puct <c>', 'UCT exploration constant', floatOption('--c-puct', 0, 100), D.cPuct)
    .option('--max-depth <n>', 'maximum steps per trajectory', intOption('--max-depth', 1, 256), D.maxDepth)
    .option('--beam-width <n>', 'beam width', intOption('--beam-width', 1, 256), D.beamWidth)
    .addOption(new Option('--guide <g>', 'MCTS guidance (terminal needs --gold)').choices([...MCTS_GUIDES]).default(D.guide))
    .addOption(new Option('--select <s>', 'final answer: best trajectory or vote among top-k').choices([...SELECT_MODES]).default(D.select))
    .option('--top-k <k>', 'trajectories voting with --select topk-vote', intOption('--top-k', 1, 4096), D.topK)
    .addOption(new Option('--aggregate <a>', 'best-of-n step score aggregate').choices([...BON_AGGREGATES]).default(D.bonAggregate))
    .option('--token-budget <n>', 'per-problem policy token budget (0: none)', intOption('--token-budget', 0), D.tokenBudget)
    .option('--gold <answer>', 'known answer: enables terminal-guided MCTS')
    .option('--save-trees <dir>', 'write the search tree JSON (MCTS, beam) to this directory')
    .option('--temperature <t>', 'sampling temperature', floatOption('--temperature', 0, 5), D.temperature)
    .option('--seed <n>', 'random seed', intOption('--seed'), 0)
    .option('--threads <n>', 'ONNX Runtime threads', intOption('--threads', 1, 256))
    .option('--unsafe-no-sandbox', 'run model code without isolation (development only)')
    .option('--json', 'print a JSON result')
    .action(async (words: string[], o) => {
      const question = words.join(' ').trim();
      if (question === '') throw new UserError('the question is empty');
      const mode = o.mode as SearchMode;
      const rt = await openRuntime({ bundle: o.bundle, threads: o.threads, seed: o.seed, unsafeNoSandbox: o.unsafeNoSandbox });
      try {
        const deps = { ...rt.deps };
        if (!deps.reward && (REWARD_MODES.includes(mode) || (mode === 'mcts' && o.guide === 'ppm'))) {
          // No trained PPM in the bundle yet: fall back to the non-learned execution heuristic.
          process.stderr.write('note: no reward model in the bundle; using the non-learned execution heuristic as the reward\n');
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
          gold: o.gold,
        };
        if (mode === 'mcts' && o.guide === 'terminal' && o.gold === undefined) throw new UserError('--guide terminal needs --gold');
        const res = await solve(question, deps, cfg);
        if (o.saveTrees && res.tree) {
          mkdirSync(o.saveTrees, { recursive: true });
          const file = join(o.saveTrees, `tree-${hashSeed(o.seed, question).toString(16)}.json`);
          writeFileSync(file, JSON.stringify(res.tree) + '\n');
          if (!o.json) process.stderr.write(`tree saved: ${file}\n`);
        }
        const chosen = res.trajectories[res.chosen];
        if (o.json) {
          const { tree: _tree, ...rest } = res;
          process.stdout.write(JSON.stringify({ question, ...rest, solution: chosen ?? null }) + '\n');
          return;
        }
        const out: string[] = [];
        if (chosen) {
          const parsed = parseSolution(chosen.text);
          parsed.steps.forEach((s, i) => {
            out.push(`── step ${i + 1} ──`);
            out.push(s.text.replace(/^<code>\n?/, ''));
          });
          out.push('── output ──');
          out.push(chosen.output ?? `(${chosen.execStatus ?? 'not executed'}${chosen.execError ? ': ' + chosen.execError : ''})`);
          if (parsed.answer) {
            out.push('── answer ──');
            out.push(parsed.answer);
          }
        } else out.push('(no complete solution found)');
        if (res.votes.length > 1 || res.mode === 'self-consistency') out.push(`votes: ${res.votes.map((v) => `${v.answer}×${v.count}`).join(', ')}`);
        if (res.totals) out.push(`search: ${res.totals.nodes} nodes, ${res.totals.rollouts} rollouts/steps, stop: ${res.totals.stopReason}`);
        out.push(`answer: ${res.answer ?? '(none)'}   [${res.tokens} tokens, ${(res.ms / 1000).toFixed(2)} s]`);
        process.stdout.write(out.join('\n') + '\n');
      } finally {
        await rt.close();
      }
    });
}
