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

/**
 * The search flags, declared once: `addSearchOptions` gives solve and eval all of them; synth takes
 * the ones it has (`searchOption`), with the same bounds and defaults unless it states its own.
 */
const SEARCH_FLAGS = {
  mode: () => new Option('--mode <mode>', 'search mode').choices([...SEARCH_MODES]).default('greedy'),
  samples: () => new Option('-n, --samples <n>', 'samples for self-consistency and best-of-n').argParser(intOption('--samples', 1, 1024)).default(D.n),
  temperature: () => new Option('--temperature <t>', 'sampling temperature').argParser(floatOption('--temperature', 0, 5)).default(D.temperature),
  rollouts: () => new Option('--rollouts <n>', 'MCTS rollouts').argParser(intOption('--rollouts', 1, 4096)).default(D.rollouts),
  candidates: () =>
    new Option('--candidates <n>', 'candidate steps per expansion (MCTS, beam)').argParser(intOption('--candidates', 1, 256)).default(D.candidates),
  'c-puct': () => new Option('--c-puct <c>', 'UCT exploration constant').argParser(floatOption('--c-puct', 0, 100)).default(D.cPuct),
  'max-depth': () => new Option('--max-depth <n>', 'maximum steps per trajectory').argParser(intOption('--max-depth', 1, 256)).default(D.maxDepth),
  'beam-width': () => new Option('--beam-width <n>', 'beam width').argParser(intOption('--beam-width', 1, 256)).default(D.beamWidth),
  guide: () => new Option('--guide <g>', 'MCTS guidance').choices([...MCTS_GUIDES]).default(D.guide),
  select: () => new Option('--select <s>', 'final answer: best trajectory or vote among top-k').choices([...SELECT_MODES]).default(D.select),
  'top-k': () => new Option('--top-k <k>', 'trajectories voting with --select topk-vote').argParser(intOption('--top-k', 1, 4096)).default(D.topK),
  aggregate: () => new Option('--aggregate <a>', 'best-of-n step score aggregate').choices([...BON_AGGREGATES]).default(D.bonAggregate),
  'token-budget': () =>
    new Option('--token-budget <n>', 'per-problem policy token budget (0: none)').argParser(intOption('--token-budget', 0)).default(D.tokenBudget),
  seed: () => new Option('--seed <n>', 'random seed').argParser(intOption('--seed')).default(D.seed),
} as const;
export type SearchFlag = keyof typeof SEARCH_FLAGS;

/** One search flag; `help` and `default` replace the shared ones where a command means something of its own. */
export function searchOption(name: SearchFlag, o: { help?: string; default?: unknown } = {}): Option {
  const opt = SEARCH_FLAGS[name]();
  if (o.help !== undefined) opt.description = o.help;
  if ('default' in o) opt.default(o.default);
  return opt;
}

/** The search flags shared by `solve` and `eval`. */
export function addSearchOptions(cmd: Command, guideHelp: string): Command {
  for (const name of Object.keys(SEARCH_FLAGS) as SearchFlag[]) cmd.addOption(searchOption(name, name === 'guide' ? { help: guideHelp } : {}));
  return cmd;
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
