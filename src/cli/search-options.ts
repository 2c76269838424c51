import { type Command, Option } from 'commander';
import {
  DEFAULT_SEARCH_CONFIG as D,
  SEARCH_MODES,
  SELECT_MODES,
  BON_AGGREGATES,
  MCTS_GUIDES,
  REWARD_MODES,
  type SearchConfig,
  type SearchDeps,
  type SearchMode,
} from '../search/types.js';
import { HeuristicReward } from '../search/heuristic-reward.js';
import { BatchingReward } from '../models/batching/reward.js';
import { intOption, floatOption } from './options.js';

/** The search flags shared by `solve` and `eval`. */
export function addSearchOptions(cmd: Command, guideHelp: string): Command {
  return cmd
    .addOption(new Option('--mode <mode>', 'search mode').choices([...SEARCH_MODES]).default('greedy'))
    .option('-n, --samples <n>', 'samples for self-consistency and best-of-n', intOption('--samples', 1, 1024), 8)
    .option('--temperature <t>', 'sampling temperature', floatOption('--temperature', 0, 5), D.temperature)
    .option('--rollouts <n>', 'MCTS rollouts', intOption('--rollouts', 1, 4096), D.rollouts)
    .option('--candidates <n>', 'candidate steps per expansion (MCTS, beam)', intOption('--candidates', 1, 256), D.candidates)
    .option('--c-puct <c>', 'UCT exploration constant', floatOption('--c-puct', 0, 100), D.cPuct)
    .option('--max-depth <n>', 'maximum steps per trajectory', intOption('--max-depth', 1, 256), D.maxDepth)
    .option('--beam-width <n>', 'beam width', intOption('--beam-width', 1, 256), D.beamWidth)
    .addOption(new Option('--guide <g>', guideHelp).choices([...MCTS_GUIDES]).default(D.guide))
    .addOption(new Option('--select <s>', 'final answer: best trajectory or vote among top-k').choices([...SELECT_MODES]).default(D.select))
    .option('--top-k <k>', 'trajectories voting with --select topk-vote', intOption('--top-k', 1, 4096), D.topK)
    .addOption(new Option('--aggregate <a>', 'best-of-n step score aggregate').choices([...BON_AGGREGATES]).default(D.bonAggregate))
    .option('--token-budget <n>', 'per-problem policy token budget (0: none)', intOption('--token-budget', 0), D.tokenBudget)
    .option('--seed <n>', 'random seed', intOption('--seed'), 0);
}

export function searchConfigFrom(o: Record<string, unknown>): SearchConfig {
  return {
    ...D,
    mode: o.mode as SearchMode,
    n: o.samples as number,
    temperature: o.temperature as number,
    seed: o.seed as number,
    rollouts: o.rollouts as number,
    candidates: o.candidates as number,
    cPuct: o.cPuct as number,
    maxDepth: o.maxDepth as number,
    beamWidth: o.beamWidth as number,
    guide: o.guide as SearchConfig['guide'],
    select: o.select as SearchConfig['select'],
    topK: o.topK as number,
    bonAggregate: o.aggregate as SearchConfig['bonAggregate'],
    tokenBudget: o.tokenBudget as number,
  };
}

/**
 * Modes that need a reward model get one: the bundle's PPM when there is one; otherwise the
 * non-learned execution heuristic stands in, and the user is told.
 */
export function withReward(deps: SearchDeps, cfg: SearchConfig, quiet = false): SearchDeps {
  if (deps.reward || !(REWARD_MODES.includes(cfg.mode) || (cfg.mode === 'mcts' && cfg.guide === 'ppm'))) return deps;
  if (!quiet) process.stderr.write('note: no reward model in the bundle; using the non-learned execution heuristic as the reward\n');
  return { ...deps, reward: new BatchingReward(new HeuristicReward(deps.executor)) };
}
