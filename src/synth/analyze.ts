/**
 * What a synthesis run produced, from its trees: coverage, diversity of the correct solutions,
 * false positives (right answer, flawed path), tokens, solve-rate tiers — per level and overall — and
 * the compute-matched comparison of runs made with models of different cost ("Smaller, Weaker, Yet
 * Better": coverage of each run when every run gets the same generated-token budget).
 *
 * Token accounting per rollout. Node ids are in creation order and one expansion creates all the
 * children of a node at once (one policy request of `candidates` proposals, then one answer-sentence
 * request for the finishing ones), so the tree is a sequence of expansion batches, in order. Each
 * node carries the tokens generated for it (step + answer sentence), and each expanded node the whole
 * cost of its expansion (`expansionTokens`), which includes the proposals merged away as duplicates of
 * a sibling (or empty). Trees written before that field existed have the merged proposals' tokens in
 * the problem's total (`SynthRecord.tokens`) but on no node; for them that residual is given back to
 * the batches it came from, in proportion to each batch's estimated loss (missing proposals × the
 * batch's mean tokens per child). The cost of a problem's first correct terminal is then the tokens
 * of every batch up to and including the one that created it; the batches' costs add up to the
 * problem's total.
 */
import { pathTo, type TreeJSON, type TreeNodeJSON } from '../search/tree-file.js';
import type { RewardModel } from '../models/types.js';
import type { SynthRecord } from './synth-run.js';
import { solveRate, tierOf, TIERS, type Tier } from './tiers.js';

export interface ProblemAnalysis {
  id: string;
  level: number | null;
  solved: boolean;
  terminals: number;
  correctTerminals: number;
  solveRate: number;
  tier: Tier;
  /** Distinct correct paths by normalized step text (whitespace collapsed; output and answer sentence left out). */
  distinctSolutions: number;
  /** Distinct correct paths by normalized program (the path's code, comment lines and blank lines dropped): distinct computations. */
  distinctPrograms: number;
  /** Correct terminals whose path has a flawed step (a step the sandbox failed, or with --ppm one scored below the threshold). */
  falsePositives: number;
  /** … of which through a step whose code did not run (execStatus not `ok`). */
  fpSandbox: number;
  /** … of which through a step the PPM scored below the threshold (null: no PPM given). */
  fpPpm: number | null;
  /** Policy tokens generated for the problem. */
  tokens: number;
  /** Of those, the tokens carried by tree nodes (the rest went to merged duplicate proposals). */
  treeTokens: number;
  /** Tokens generated until the expansion that created the first correct terminal (null: unsolved). */
  firstCorrectCost: number | null;
}

export const SOLVE_RATE_BINS = ['0', '(0,0.25)', '[0.25,0.5)', '[0.5,0.75)', '[0.75,1]'] as const;

export interface GroupStats {
  problems: number;
  solved: number;
  /** Problems with at least one correct terminal / problems. */
  coverage: number;
  /** Mean distinct correct solutions (by step text) per problem, unsolved problems counting 0. */
  diversity: number;
  /** The same over solved problems only. */
  diversitySolved: number;
  /** Mean distinct correct programs per solved problem. */
  programsSolved: number;
  correctTerminals: number;
  falsePositives: number;
  /** falsePositives / correctTerminals (0 when there are none). */
  falsePositiveRate: number;
  fpSandbox: number;
  fpPpm: number | null;
  /** Solved problems whose every correct path is a false positive. */
  onlyFalsePositive: number;
  tokensPerProblem: number;
  /** Share of generated tokens carried by tree nodes (the rest: merged duplicate proposals). */
  treeTokenShare: number;
  meanSolveRate: number;
  solveRates: Record<(typeof SOLVE_RATE_BINS)[number], number>;
  tiers: Record<Tier, number>;
  /** Median and mean first-correct cost over solved problems (null when none is solved). */
  firstCorrectCostMedian: number | null;
  firstCorrectCostMean: number | null;
}

export interface RunAnalysis {
  overall: GroupStats;
  levels: Record<string, GroupStats>;
  problems: ProblemAnalysis[];
}

export interface AnalyzeOptions {
  /** Scores path prefixes; a correct path through a step scored below `ppmThreshold` is a false positive. */
  reward?: RewardModel;
  ppmThreshold?: number;
  /** Problems scored concurrently (their reward calls merge in a BatchingReward). */
  concurrency?: number;
}

const levelKey = (level: number | null): string => (level === null ? 'none' : String(level));

/** One step's text for diversity: the output and answer sentence a terminal carries are cut, whitespace collapsed. */
export function normalizeStepText(text: string): string {
  const cut = text.indexOf('<output>');
  return (cut >= 0 ? text.slice(0, cut) : text).replace(/\s+/g, ' ').trim();
}

/** A step's code for diversity: comment-only and blank lines dropped, whitespace collapsed per line. */
export function normalizeCode(code: string): string {
  return code
    .split('\n')
    .map((l) => l.replace(/\s+/g, ' ').trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .join('\n');
}

const isCorrectTerminal = (n: TreeNodeJSON): boolean => n.terminal && n.correct === true && n.parent !== null;

/**
 * The tree's expansion batches in creation order with the tokens each cost: the parent's recorded
 * `expansionTokens` when the tree has them, otherwise the nodes' tokens plus the merged duplicates'
 * tokens (`totalTokens` minus the nodes' tokens) restored as described at the top of the file.
 */
export function expansionBatches(
  tree: TreeJSON,
  totalTokens: number,
): Array<{ parent: number; first: number; last: number; nodeTokens: number; cost: number }> {
  const batches = tree.nodes
    .filter((n) => n.children.length > 0)
    .map((n) => ({
      parent: n.id,
      first: Math.min(...n.children),
      last: Math.max(...n.children),
      nodeTokens: n.children.reduce((a, c) => a + tree.nodes[c].tokens, 0),
      width: n.children.length,
      cost: 0,
    }))
    .sort((a, b) => a.first - b.first);
  // Trees that record each expansion's whole cost need no estimate.
  if (batches.every((b) => typeof tree.nodes[b.parent].expansionTokens === 'number')) {
    return batches.map(({ width: _w, ...b }) => ({ ...b, cost: tree.nodes[b.parent].expansionTokens! }));
  }
  const onNodes = tree.nodes.reduce((a, n) => a + n.tokens, 0);
  const residual = Math.max(0, totalTokens - onNodes);
  const cfgCands = Number((tree.config as { candidates?: unknown }).candidates);
  const candidates = Number.isFinite(cfgCands) && cfgCands > 0 ? cfgCands : Math.max(0, ...batches.map((b) => b.width));
  let weights = batches.map((b) => Math.max(0, candidates - b.width) * (b.nodeTokens / b.width));
  if (weights.every((w) => w === 0)) weights = batches.map((b) => b.nodeTokens);
  if (weights.every((w) => w === 0)) weights = batches.map((_, i) => (i === 0 ? 1 : 0));
  const W = weights.reduce((a, b) => a + b, 0);
  batches.forEach((b, i) => (b.cost = b.nodeTokens + (W > 0 ? (residual * weights[i]) / W : 0)));
  return batches.map(({ width: _w, ...b }) => b);
}

/** Tokens generated until (and including) the expansion that created the first correct terminal; null when none is correct. */
export function firstCorrectCost(tree: TreeJSON, totalTokens: number): number | null {
  const first = tree.nodes.find(isCorrectTerminal);
  if (!first) return null;
  let cost = 0;
  for (const b of expansionBatches(tree, totalTokens)) {
    cost += b.cost;
    if (b.first <= first.id && first.id <= b.last) return cost;
  }
  return cost;
}

/** PPM scores of every node on a correct path (prompt + path text, as the search scores them). */
export async function scoreCorrectPaths(tree: TreeJSON, reward: RewardModel): Promise<Map<number, number>> {
  const ids = new Set<number>();
  for (const leaf of tree.nodes) if (isCorrectTerminal(leaf)) for (const n of pathTo(tree, leaf)) ids.add(n.id);
  const list = [...ids].sort((a, b) => a - b);
  if (list.length === 0) return new Map();
  const texts = list.map(
    (id) =>
      tree.prompt +
      pathTo(tree, tree.nodes[id])
        .map((n) => n.text)
        .join(''),
  );
  const scores = await reward.score(texts);
  if (scores.length !== texts.length) throw new Error(`reward model ${reward.name}: ${scores.length} scores for ${texts.length} texts`);
  return new Map(list.map((id, i) => [id, scores[i]]));
}

/** One problem's numbers; `ppm` holds the PPM scores of the nodes on its correct paths when a PPM is used. */
export function analyzeProblem(rec: SynthRecord, ppm?: Map<number, number>, ppmThreshold = 0): ProblemAnalysis {
  const tree = rec.tree;
  const sr = solveRate(tree);
  const texts = new Set<string>();
  const programs = new Set<string>();
  let fp = 0;
  let fpSandbox = 0;
  let fpPpm = 0;
  for (const leaf of tree.nodes) {
    if (!isCorrectTerminal(leaf)) continue;
    const path = pathTo(tree, leaf);
    texts.add(path.map((n) => normalizeStepText(n.text)).join('\n'));
    programs.add(
      path
        .map((n) => normalizeCode(n.code))
        .filter((c) => c !== '')
        .join('\n'),
    );
    const badExec = path.some((n) => n.execStatus !== null && n.execStatus !== 'ok');
    const badPpm = ppm ? path.some((n) => (ppm.get(n.id) ?? Infinity) < ppmThreshold) : false;
    if (badExec) fpSandbox++;
    if (badPpm) fpPpm++;
    if (badExec || badPpm) fp++;
  }
  return {
    id: rec.id,
    level: rec.level,
    solved: sr.correct > 0,
    terminals: sr.terminals,
    correctTerminals: sr.correct,
    solveRate: sr.rate,
    tier: tierOf(sr.rate, sr.correct),
    distinctSolutions: texts.size,
    distinctPrograms: programs.size,
    falsePositives: fp,
    fpSandbox,
    fpPpm: ppm ? fpPpm : null,
    tokens: rec.tokens,
    treeTokens: tree.nodes.reduce((a, n) => a + n.tokens, 0),
    firstCorrectCost: firstCorrectCost(tree, rec.tokens),
  };
}

const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function rateBin(rate: number, solved: boolean): (typeof SOLVE_RATE_BINS)[number] {
  if (!solved || rate === 0) return '0';
  if (rate < 0.25) return '(0,0.25)';
  if (rate < 0.5) return '[0.25,0.5)';
  if (rate < 0.75) return '[0.5,0.75)';
  return '[0.75,1]';
}

export function groupStats(ps: ProblemAnalysis[]): GroupStats {
  const solved = ps.filter((p) => p.solved);
  const correct = ps.reduce((a, p) => a + p.correctTerminals, 0);
  const fp = ps.reduce((a, p) => a + p.falsePositives, 0);
  const hasPpm = ps.some((p) => p.fpPpm !== null);
  const tokens = ps.reduce((a, p) => a + p.tokens, 0);
  const solveRates = Object.fromEntries(SOLVE_RATE_BINS.map((b) => [b, 0])) as GroupStats['solveRates'];
  const tiers = Object.fromEntries(TIERS.map((t) => [t, 0])) as GroupStats['tiers'];
  for (const p of ps) {
    solveRates[rateBin(p.solveRate, p.solved)]++;
    tiers[p.tier]++;
  }
  const costs = solved.map((p) => p.firstCorrectCost!);
  return {
    problems: ps.length,
    solved: solved.length,
    coverage: ps.length ? solved.length / ps.length : 0,
    diversity: mean(ps.map((p) => p.distinctSolutions)),
    diversitySolved: mean(solved.map((p) => p.distinctSolutions)),
    programsSolved: mean(solved.map((p) => p.distinctPrograms)),
    correctTerminals: correct,
    falsePositives: fp,
    falsePositiveRate: correct ? fp / correct : 0,
    fpSandbox: ps.reduce((a, p) => a + p.fpSandbox, 0),
    fpPpm: hasPpm ? ps.reduce((a, p) => a + (p.fpPpm ?? 0), 0) : null,
    onlyFalsePositive: solved.filter((p) => p.falsePositives === p.correctTerminals).length,
    tokensPerProblem: ps.length ? tokens / ps.length : 0,
    treeTokenShare: tokens ? ps.reduce((a, p) => a + p.treeTokens, 0) / tokens : 1,
    meanSolveRate: mean(ps.map((p) => p.solveRate)),
    solveRates,
    tiers,
    firstCorrectCostMedian: median(costs),
    firstCorrectCostMean: costs.length ? mean(costs) : null,
  };
}

/** Per level (sorted) and overall statistics of a set of per-problem analyses. */
export function summarize(problems: ProblemAnalysis[]): RunAnalysis {
  const byLevel = new Map<string, ProblemAnalysis[]>();
  for (const p of problems) {
    const k = levelKey(p.level);
    if (!byLevel.has(k)) byLevel.set(k, []);
    byLevel.get(k)!.push(p);
  }
  const keys = [...byLevel.keys()].sort((a, b) => (a === 'none' ? 1 : b === 'none' ? -1 : Number(a) - Number(b)));
  return { overall: groupStats(problems), levels: Object.fromEntries(keys.map((k) => [k, groupStats(byLevel.get(k)!)])), problems };
}

/** Analyzes every record of a run (PPM scoring, when a reward model is given, `concurrency` problems at a time). */
export async function analyzeRecords(records: SynthRecord[], opts: AnalyzeOptions = {}): Promise<RunAnalysis> {
  const out: ProblemAnalysis[] = new Array(records.length);
  if (!opts.reward) {
    records.forEach((r, i) => (out[i] = analyzeProblem(r)));
    return summarize(out);
  }
  const reward = opts.reward;
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < records.length; i = next++) {
      const scores = await scoreCorrectPaths(records[i].tree, reward);
      out[i] = analyzeProblem(records[i], scores, opts.ppmThreshold ?? 0);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 16, records.length)) }, worker));
  return summarize(out);
}

// ── compute-matched comparison ──

export interface BudgetRun {
  name: string;
  problems: ProblemAnalysis[];
  /** Cost of one generated token relative to the others (e.g. parameter-count ratio); default 1. */
  costRatio?: number;
}

export interface BudgetComparison {
  /** Problems every run has (coverage is over these). */
  problems: number;
  runs: Array<{ name: string; costRatio: number; problems: number; totalCost: number; coverage: number }>;
  /**
   * One row per total budget (in cost units: generated tokens × cost ratio): the per-problem budget
   * (total / problems) and, per run, the fraction of problems whose first correct terminal cost at
   * most that; also per level.
   */
  budgets: Array<{ budget: number; perProblem: number; coverage: number[]; levels: Record<string, number[]> }>;
}

/**
 * Coverage of each run at matched budgets. Problems are matched by id (only those in every run
 * count). Without `budgets`, the grid is each run's own total cost plus fractions 1/32 … 1 of the
 * largest one.
 */
export function compareAtBudgets(runs: BudgetRun[], budgets?: number[]): BudgetComparison {
  if (runs.length === 0) throw new Error('compareAtBudgets: no runs');
  // biome-ignore lint/performance/noAccumulatingSpread: one pass per run, and runs are a handful
  const common = runs.map((r) => new Set(r.problems.map((p) => p.id))).reduce((a, b) => new Set([...a].filter((id) => b.has(id))));
  if (common.size === 0) throw new Error(`the runs ${runs.map((r) => r.name).join(', ')} have no problem in common`);
  const ids = [...common].sort();
  const tables = runs.map((r) => new Map(r.problems.map((p) => [p.id, p])));
  const ratio = runs.map((r) => r.costRatio ?? 1);
  const totalCost = tables.map((t, i) => ids.reduce((a, id) => a + t.get(id)!.tokens * ratio[i], 0));
  let grid = budgets;
  if (!grid || grid.length === 0) {
    const max = Math.max(...totalCost);
    grid = [...[1 / 32, 1 / 16, 1 / 8, 1 / 4, 1 / 2, 1].map((f) => Math.round(max * f)), ...totalCost.map((c) => Math.round(c))];
  }
  grid = [...new Set(grid.filter((b) => b > 0))].sort((a, b) => a - b);
  const levelOf = new Map(ids.map((id) => [id, levelKey(tables[0].get(id)!.level)]));
  const levelIds = new Map<string, string[]>();
  for (const id of ids) {
    const k = levelOf.get(id)!;
    if (!levelIds.has(k)) levelIds.set(k, []);
    levelIds.get(k)!.push(id);
  }
  const covered = (i: number, subset: string[], perProblem: number) =>
    subset.filter((id) => {
      const c = tables[i].get(id)!.firstCorrectCost;
      return c !== null && c * ratio[i] <= perProblem;
    }).length / subset.length;
  return {
    problems: ids.length,
    runs: runs.map((r, i) => ({
      name: r.name,
      costRatio: ratio[i],
      problems: r.problems.length,
      totalCost: totalCost[i],
      coverage: ids.filter((id) => tables[i].get(id)!.solved).length / ids.length,
    })),
    budgets: grid.map((budget) => {
      const perProblem = budget / ids.length;
      return {
        budget,
        perProblem,
        coverage: runs.map((_, i) => covered(i, ids, perProblem)),
        levels: Object.fromEntries([...levelIds].map(([k, sub]) => [k, runs.map((_, i) => covered(i, sub, perProblem))])),
      };
    }),
  };
}

/** Parameters of a Llama-style policy from its architecture (embeddings, attention, MLP, norms, untied head). */
export function llamaParameters(a: {
  vocab_size: number;
  d_model: number;
  n_layers: number;
  n_heads: number;
  n_kv_heads: number;
  d_ff: number;
  tie_embeddings: boolean;
}): number {
  const kv = (a.d_model / a.n_heads) * a.n_kv_heads;
  const layer = 2 * a.d_model * a.d_model + 2 * a.d_model * kv + 3 * a.d_model * a.d_ff + 2 * a.d_model;
  return a.vocab_size * a.d_model * (a.tie_embeddings ? 1 : 2) + a.n_layers * layer + a.d_model;
}
