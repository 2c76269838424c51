import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { summarize } from '../eval/summary.js';
import { readMeta } from '../eval/results-file.js';
import type { EvalSummary, ProblemResult } from '../eval/types.js';
import type { RewardModelAblation, SftDataAblation } from './ablation.js';
import { chartSvg, type Point } from './plots.js';
import { EVAL_MODES, EVAL_MODE_LABELS, EVOLVE_STATE_FILE, type EvalModeName, type EvolveState } from './layout.js';

export interface RoundReport {
  round: number;
  summaries: Partial<Record<EvalModeName, EvalSummary>>;
}

export interface EvolveReport {
  run: string;
  state: EvolveState;
  rounds: RoundReport[];
  levels: string[];
  sftAblation: SftDataAblation | null;
  rewardAblation: RewardModelAblation | null;
}

/** Per-problem results of one eval file, read only (a bad line is reported as file:line). */
export function readResults(file: string): ProblemResult[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const out: ProblemResult[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let r: ProblemResult;
    try {
      r = JSON.parse(line) as ProblemResult;
    } catch (e) {
      // A torn last line (an eval still running, or killed) is not part of the results yet.
      if (i === lines.length - 1) return;
      throw new Error(`${file}:${i + 1}: invalid result record: ${(e as Error).message}`);
    }
    if (typeof r !== 'object' || r === null || typeof r.id !== 'string' || typeof r.correct !== 'boolean') {
      throw new Error(`${file}:${i + 1}: invalid result record: needs "id" and "correct"`);
    }
    out.push(r);
  });
  return out;
}

function summaryOf(file: string): EvalSummary {
  const results = readResults(file);
  const meta = existsSync(`${file}.meta.json`) ? readMeta(file) : null;
  const n = typeof meta?.config.n === 'number' ? meta.config.n : 1;
  const mode = meta?.mode ?? 'greedy';
  const sampling = mode === 'self-consistency' || mode === 'best-of-n';
  return summarize(results, {
    dataset: meta?.dataset ?? file,
    data: meta?.data ?? file,
    mode,
    seed: meta?.seed ?? 0,
    samples: sampling ? n : 1,
    temperature: typeof meta?.config.temperature === 'number' ? meta.config.temperature : 0,
    reward: meta?.reward ?? null,
    oracle: meta?.oracle ?? false,
    metric: mode === 'self-consistency' ? `maj@${n}` : mode === 'best-of-n' ? `rm@${n}` : 'pass@1',
    k: sampling ? n : 1,
    resumed: 0,
    wallSeconds: 0,
    totalWallSeconds: meta?.sessions.reduce((a, s) => a + s.wallSeconds, 0) ?? 0,
  });
}

export function loadReport(run: string): EvolveReport {
  const statePath = join(run, EVOLVE_STATE_FILE);
  if (!existsSync(statePath)) throw new Error(`${statePath}: not found (is this an rstar evolve run directory?)`);
  let state: EvolveState;
  try {
    state = JSON.parse(readFileSync(statePath, 'utf8')) as EvolveState;
  } catch (e) {
    throw new Error(`${statePath}: invalid JSON: ${(e as Error).message}`);
  }
  if (state.format !== 'rstar-ts/evolve@1' || !Array.isArray(state.rounds)) throw new Error(`${statePath}: field "format": not an rstar evolve state (rstar-ts/evolve@1)`);
  const levels = new Set<string>();
  const rounds = state.rounds.map((r) => {
    const summaries: RoundReport['summaries'] = {};
    for (const mode of EVAL_MODES) {
      const rel = r.eval[mode];
      if (!rel || !existsSync(join(run, rel))) continue;
      const s = summaryOf(join(run, rel));
      if (s.n === 0) continue;
      summaries[mode] = s;
      s.perLevel.forEach((l) => levels.add(l.key));
    }
    return { round: r.round, summaries };
  });
  const readOpt = <T>(p: string): T | null => (existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as T) : null);
  return {
    run,
    state,
    rounds,
    levels: [...levels].sort((a, b) => a.localeCompare(b, 'en', { numeric: true })),
    sftAblation: readOpt<SftDataAblation>(join(run, 'ablation', 'sft-data.json')),
    rewardAblation: readOpt<RewardModelAblation>(join(run, 'ablation', 'reward-models.json')),
  };
}

const pct = (x: number | undefined | null) => (x === undefined || x === null || Number.isNaN(x) ? '—' : `${(100 * x).toFixed(1)}`);

function levelAcc(s: EvalSummary | undefined, level: string): { acc: number; tokens: number } | null {
  if (!s) return null;
  if (level === 'all') return { acc: s.accuracy, tokens: s.tokensPerProblem };
  const g = s.perLevel.find((l) => l.key === level);
  return g ? { acc: g.accuracy, tokens: g.tokens / g.n } : null;
}

const row = (cells: Array<string | number>) => `| ${cells.join(' | ')} |`;

/** The Markdown report; `plots` are the SVG file names to link (relative to the Markdown file). */
export function renderMarkdown(rep: EvolveReport, plots: Record<string, string>): string {
  const s = rep.state;
  const cfg = s.config as { rounds?: Array<{ guide: string; rollouts: number; unsolvedRollouts?: number[] }>; train?: string };
  const L: string[] = [];
  L.push('# Self-evolution report', '');
  L.push(`- run: \`${rep.run}\` (started ${s.started}, updated ${s.updated})`);
  L.push(`- command: \`${s.command}\``);
  L.push(`- training problems: \`${cfg.train ?? '?'}\`; held-out test set: \`${s.testSet}\`; N = ${s.evalN} (self-consistency@N, best-of-N, MCTS rollouts)`);
  L.push(`- rounds: ${(cfg.rounds ?? []).map((r, i) => `${i + 1}: ${r.guide}-guided MCTS × ${r.rollouts}${r.unsolvedRollouts?.length ? ` (+ ${r.unsolvedRollouts.join(', ')} on unsolved)` : ''}`).join('; ')}`);
  L.push('');
  L.push('## Headline series (the paper\'s three)', '');
  L.push(row(['round', 'policy alone (greedy) %', 'PPM-guided MCTS %', 'training-set coverage %']));
  L.push(row(['---', '---', '---', '---']));
  for (const r of rep.rounds) {
    const st = s.rounds[r.round];
    const cov = st.coverage ? st.coverage.solved / st.coverage.total : null;
    L.push(row([r.round, pct(r.summaries.greedy?.accuracy), pct(r.summaries.mcts?.accuracy), pct(cov)]));
  }
  if (plots.rounds) L.push('', `![accuracy per round](${plots.rounds})`);
  if (plots.levels) L.push('', `![accuracy per round and level](${plots.levels})`);
  if (plots.tokens) L.push('', `![accuracy against generated tokens](${plots.tokens})`);
  if (plots.coverage) L.push('', `![training-set coverage](${plots.coverage})`);
  L.push('', '## Held-out accuracy per round and level', '', 'Each cell: accuracy % (mean generated tokens per problem).', '');
  for (const r of rep.rounds) {
    const modes = EVAL_MODES.filter((m) => r.summaries[m]);
    if (modes.length === 0) continue;
    L.push(`### Round ${r.round}${r.round === 0 ? ' (bootstrap)' : ''}`, '');
    L.push(row(['level', ...EVAL_MODES.map((m) => EVAL_MODE_LABELS[m])]));
    L.push(row(['---', ...EVAL_MODES.map(() => '---')]));
    for (const level of [...rep.levels, 'all']) {
      L.push(
        row([
          level,
          ...EVAL_MODES.map((m) => {
            const a = levelAcc(r.summaries[m], level);
            return a ? `${pct(a.acc)} (${Math.round(a.tokens)})` : '—';
          }),
        ]),
      );
    }
    L.push('');
  }
  L.push('## Rounds: synthesis and training', '');
  L.push(row(['round', 'synthesis', 'problems searched', 'solved', 'tokens', 'coverage', 'SFT examples', 'PPM pairs', 'PPM held-out pair acc %', 'wall s (synth / policy / PPM / eval)']));
  L.push(row(Array(10).fill('---')));
  for (const st of s.rounds) {
    const w = st.wallSeconds;
    const cov = st.coverage ? `${st.coverage.solved}/${st.coverage.total} (${Object.entries(st.coverage.perLevel).map(([l, v]) => `L${l} ${v.solved}/${v.n}`).join(', ')})` : '—';
    L.push(
      row([
        st.round,
        st.synth ? `${st.synth.guide} × ${st.synth.rollouts}` : '—',
        st.synth?.problems ?? '—',
        st.synth?.solved ?? '—',
        st.synth?.tokens ?? '—',
        cov,
        st.sftExamples ?? '—',
        st.ppmPairs ?? '—',
        pct(st.ppmPairAccuracy),
        ['synth', 'train-policy', 'train-ppm', 'eval'].map((k) => (w[k] === undefined ? '—' : Math.round(w[k]))).join(' / '),
      ]),
    );
  }
  const total = s.rounds.reduce((a, st) => a + Object.values(st.wallSeconds).reduce((x, y) => x + y, 0), 0);
  const noEval = s.rounds.reduce((a, st) => a + Object.entries(st.wallSeconds).filter(([k]) => k !== 'eval').reduce((x, [, y]) => x + y, 0), 0);
  L.push('', `Wall time: ${(total / 60).toFixed(1)} min in all, ${(noEval / 60).toFixed(1)} min without the held-out evaluations.`, '');
  if (rep.sftAblation) {
    const a = rep.sftAblation;
    L.push(`## SFT-data ablation (round ${a.round} data, ${a.samplesPerProblem} self-samples per problem)`, '', 'Greedy accuracy % of the policy fine-tuned from the same base on each kind of data.', '');
    L.push(row(['data', 'examples', ...rep.levels.map((l) => `L${l}`), 'all']));
    L.push(row(['---', '---', ...rep.levels.map(() => '---'), '---']));
    for (const r of a.rows) L.push(row([r.data, r.examples, ...rep.levels.map((l) => pct(r.perLevel[l])), pct(r.all)]));
    L.push('');
  }
  if (rep.rewardAblation) {
    const a = rep.rewardAblation;
    L.push(`## Reward-model ablation (round ${a.round} policy and trees, N = ${a.n})`, '');
    L.push(row(['reward model', 'held-out pair acc %', ...rep.levels.map((l) => `best-of-N L${l}`), 'best-of-N all', ...rep.levels.map((l) => `MCTS L${l}`), 'MCTS all']));
    L.push(row(Array(4 + 2 * rep.levels.length).fill('---')));
    for (const r of a.rows) {
      L.push(row([r.model, pct(r.pairAccuracy), ...rep.levels.map((l) => pct(r.bestOfN?.[l])), pct(r.bestOfN?.all), ...rep.levels.map((l) => pct(r.mcts?.[l])), pct(r.mcts?.all)]));
    }
    L.push('');
  }
  return L.join('\n') + '\n';
}

/** The plots: accuracy per round (per mode; per level for greedy and MCTS), accuracy vs tokens, coverage. */
export async function renderPlots(rep: EvolveReport): Promise<Record<string, string>> {
  const perRound: Point[] = [];
  const perLevel: Point[] = [];
  const tokens: Point[] = [];
  for (const r of rep.rounds) {
    for (const m of EVAL_MODES) {
      const s = r.summaries[m];
      if (!s) continue;
      perRound.push({ x: r.round, y: 100 * s.accuracy, series: EVAL_MODE_LABELS[m], label: `round ${r.round}` });
      tokens.push({ x: Math.max(1, s.tokensPerProblem), y: 100 * s.accuracy, series: EVAL_MODE_LABELS[m], label: `round ${r.round}` });
      if (m === 'greedy' || m === 'mcts') for (const l of s.perLevel) perLevel.push({ x: r.round, y: 100 * l.accuracy, series: `${m} L${l.key}`, label: `round ${r.round}` });
      if (m === 'sc') {
        for (const p of s.accuracyVsTokens.filter((q) => q.metric.startsWith('maj@'))) {
          tokens.push({ x: Math.max(1, p.tokensPerProblem), y: 100 * p.accuracy, series: `self-consistency maj@k (round ${r.round})`, label: p.metric });
        }
      }
    }
  }
  const coverage: Point[] = rep.state.rounds
    .filter((st) => st.coverage)
    .flatMap((st) => [
      { x: st.round, y: (100 * st.coverage!.solved) / st.coverage!.total, series: 'all', label: `round ${st.round}` },
      ...Object.entries(st.coverage!.perLevel).map(([l, v]) => ({ x: st.round, y: (100 * v.solved) / v.n, series: `L${l}`, label: `round ${st.round}` })),
    ]);
  const out: Record<string, string> = {};
  if (perRound.length) out.rounds = await chartSvg({ title: 'Held-out accuracy per round', points: perRound, x: 'round', y: 'accuracy %', mark: 'line', yDomain: [0, 100] });
  if (perLevel.length) out.levels = await chartSvg({ title: 'Greedy and PPM-guided MCTS per level', points: perLevel, x: 'round', y: 'accuracy %', mark: 'line', yDomain: [0, 100] });
  if (tokens.length) out.tokens = await chartSvg({ title: 'Accuracy against generated tokens per problem', points: tokens, x: 'generated tokens per problem (log)', y: 'accuracy %', mark: 'point', xScale: 'log', yDomain: [0, 100] });
  if (coverage.length) out.coverage = await chartSvg({ title: 'Training-set coverage per round', points: coverage, x: 'round', y: 'problems with a verified solution %', mark: 'line', yDomain: [0, 100] });
  return out;
}

function atomicWrite(path: string, text: string): void {
  writeFileSync(path + '.tmp', text);
  renameSync(path + '.tmp', path);
}

/** Writes OUT/README.md and OUT/*.svg for the run; returns the written paths. */
export async function writeReport(run: string, outDir: string): Promise<string[]> {
  const rep = loadReport(run);
  mkdirSync(outDir, { recursive: true });
  const svgs = await renderPlots(rep);
  const names: Record<string, string> = {};
  const written: string[] = [];
  for (const [k, svg] of Object.entries(svgs)) {
    names[k] = `${k}.svg`;
    atomicWrite(join(outDir, names[k]), svg);
    written.push(join(outDir, names[k]));
  }
  atomicWrite(join(outDir, 'README.md'), renderMarkdown(rep, names));
  written.unshift(join(outDir, 'README.md'));
  return written;
}
