/**
 * `rstar report`: reads an `rstar evolve` run directory (layout in ./layout.ts) into a report model —
 * the run's state (./state.ts) plus a summary (src/eval/summary.ts) of every held-out eval results file — and renders
 * it as Markdown with vega-lite SVG plots (./plots.ts). Loading validates every input and names the
 * file, line and field of what is wrong; rendering is pure.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type * as vl from 'vega-lite';
import { SAMPLING_MODES, modeMetric } from '../eval/modes.js';
import { readMeta, metaPath, readResultsFile, type EvalMeta } from '../eval/results-file.js';
import { summarize } from '../eval/summary.js';
import type { EvalSummary, ProblemResult } from '../eval/types.js';
import type { SearchMode } from '../search/types.js';
import type { RewardModelAblation, SftDataAblation } from './ablation.js';
import { EVAL_MODES, EVAL_MODE_LABELS, evalFile, type EvalModeName } from './layout.js';
import { EVOLVE_STATE_FILE, readEvolveState, type EvolveState } from './state.js';
import { perLevelSpec, perRoundSpec, renderSvg, tokensSpec, type CurvePoint, type RoundPoint, type TokenPoint } from './plots.js';
import { atomicWrite } from '../util/files.js';
import { readJsonFile } from '../util/jsonl.js';
import { ppmHeldOut, readManifest } from '../models/bundle.js';
import { V2_SEED_RUNGS } from '../data/curriculum/ladder.js';

/**
 * The ablation files the report renders, written by `rstar ablate` (src/evolve/ablation.ts, which
 * owns the interfaces): OUT/ablation/sft-data.json and OUT/ablation/reward-models.json.
 */
export type { SftDataAblation, RewardModelAblation } from './ablation.js';
export const SFT_ABLATION_FILE = join('ablation', 'sft-data.json');
export const REWARD_ABLATION_FILE = join('ablation', 'reward-models.json');

// ── input validation ──────────────────────────────────────────────────────────────────────────────

const num = z.number();
const accuracies = z.record(z.string(), num);
/** What the report accepts (round / samplesPerProblem may be missing from a hand-written file). */
const sftAblationSchema = z.object({
  command: z.string().optional(),
  round: z.number().int().optional(),
  samplesPerProblem: num.optional(),
  rows: z.array(z.object({ data: z.string(), examples: num, perLevel: accuracies, all: num })),
});
const rewardAblationSchema = z.object({
  command: z.string().optional(),
  round: z.number().int().optional(),
  n: num,
  heldOutPairs: num.optional(),
  heldOut: num.optional(),
  rows: z.array(z.object({ model: z.string(), pairAccuracy: num.nullable(), bestOfN: accuracies.nullable(), mcts: accuracies.nullable().optional() })),
});
export type SftAblationInput = z.infer<typeof sftAblationSchema>;
export type RewardAblationInput = z.infer<typeof rewardAblationSchema>;
// What `rstar ablate` writes must be readable here (a compile-time check; exported only so noUnusedLocals keeps it).
type Assignable<T extends U, U> = T;
export type _SftWriterFits = Assignable<SftDataAblation, SftAblationInput>;
export type _RewardWriterFits = Assignable<RewardModelAblation, RewardAblationInput>;

/**
 * The per-problem records of an eval results file, read only (the file is never truncated: an eval
 * may still be writing it). A torn last line is not part of the results yet; a bad line anywhere else
 * throws as `file:line`. A repeated id keeps its first record, as `--resume` does.
 */
export function readResults(file: string): ProblemResult[] {
  return readResultsFile(file, 'report').results;
}

// ── the report model ──────────────────────────────────────────────────────────────────────────────

const SEARCH_MODE_OF: Record<EvalModeName, SearchMode> = { greedy: 'greedy', sc: 'self-consistency', bon: 'best-of-n', mcts: 'mcts' };

/** The summary of one eval results file, as `rstar eval` printed it (from the records and the sidecar). */
export function summarizeFile(file: string, mode: EvalModeName): EvalSummary {
  const results = readResults(file);
  const meta: EvalMeta | null = existsSync(metaPath(file)) ? readMeta(file) : null;
  const searchMode = (meta?.mode ?? SEARCH_MODE_OF[mode]) as SearchMode;
  const cfgNum = (k: string) => (typeof meta?.config[k] === 'number' ? (meta.config[k] as number) : undefined);
  const sampling = SAMPLING_MODES.includes(searchMode);
  const k = searchMode === 'mcts' ? (cfgNum('rollouts') ?? 1) : sampling ? (cfgNum('n') ?? 1) : 1;
  return summarize(results, {
    dataset: meta?.dataset ?? file,
    data: meta?.data ?? file,
    mode: searchMode,
    seed: meta?.seed ?? 0,
    samples: sampling ? k : 1,
    temperature: searchMode === 'greedy' ? 0 : (cfgNum('temperature') ?? 0),
    reward: meta?.reward ?? null,
    oracle: meta?.oracle ?? false,
    metric: modeMetric(searchMode, k),
    k,
    resumed: 0,
    wallSeconds: 0,
    totalWallSeconds: meta?.sessions.reduce((a, s) => a + s.wallSeconds, 0) ?? 0,
  });
}

export interface RoundReport {
  round: number;
  status: string;
  /** Summaries of the round's held-out evals by mode (modes not evaluated are absent). */
  summaries: Partial<Record<EvalModeName, EvalSummary>>;
}

export interface EvolveReport {
  /** The run directory as given. */
  run: string;
  state: EvolveState;
  rounds: RoundReport[];
  /** Levels seen in any eval, in numeric order (rows of the per-level tables). */
  levels: string[];
  sftAblation: SftAblationInput | null;
  rewardAblation: RewardAblationInput | null;
  /** Held-out pairs of each round's PPM read from its bundle manifest, for states that did not record them. */
  ppmHeldOutPairs: Record<number, number | null>;
  /** Things the reader should know: listed results that are missing, evals still running. */
  notes: string[];
}

const byLevel = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

/** Reads and validates the run directory (throws with file, line and field). */
export function loadReport(run: string): EvolveReport {
  const state = readEvolveState(run);
  const levels = new Set<string>();
  const notes: string[] = [];
  const rounds = [...state.rounds]
    .sort((a, b) => a.round - b.round)
    .map((r): RoundReport => {
      const summaries: RoundReport['summaries'] = {};
      for (const mode of EVAL_MODES) {
        const rel = r.eval[mode];
        if (!rel) {
          const pending = evalFile(run, r.round, mode);
          if (existsSync(pending))
            notes.push(`round ${r.round}: the ${EVAL_MODE_LABELS[mode]} eval is not finished (${readResults(pending).length} problems so far); not shown`);
          continue;
        }
        const file = join(run, rel);
        if (!existsSync(file)) {
          notes.push(`round ${r.round}: ${rel} is listed in ${EVOLVE_STATE_FILE} but not found`);
          continue;
        }
        const s = summarizeFile(file, mode);
        if (s.n === 0) continue;
        summaries[mode] = s;
        for (const l of s.perLevel) levels.add(l.key);
      }
      return { round: r.round, status: r.status, summaries };
    });
  const optional = <T>(rel: string, schema: z.ZodType<T>): T | null => (existsSync(join(run, rel)) ? readJsonFile(join(run, rel), schema) : null);
  return {
    run,
    state,
    rounds,
    levels: [...levels].sort(byLevel),
    ppmHeldOutPairs: Object.fromEntries(
      state.rounds.map((r) => [r.round, r.ppm && existsSync(join(r.ppm, 'manifest.json')) ? ppmHeldOut(readManifest(r.ppm)).pairs : null]),
    ),
    sftAblation: optional(SFT_ABLATION_FILE, sftAblationSchema),
    rewardAblation: optional(REWARD_ABLATION_FILE, rewardAblationSchema),
    notes,
  };
}

/**
 * Levels of the held-out set whose training rungs carry seed solutions: rungs 1..V2_SEED_RUNGS of a
 * curriculum-v2 test set; null when the set is not the v2 ladder (no seed/frontier split is known).
 */
export function seedLevels(testSet: string): Set<string> | null {
  if (!/^curriculum:/.test(testSet) || !/version=v2\b/.test(testSet)) return null;
  return new Set(Array.from({ length: V2_SEED_RUNGS }, (_, i) => String(i + 1)));
}

/** Mean of the per-level accuracies over the levels `keep` selects (each level weighs the same); null if none. */
export function meanOverLevels(s: EvalSummary | undefined, keep: (level: string) => boolean): { accuracy: number; levels: number; n: number } | null {
  const ls = (s?.perLevel ?? []).filter((l) => keep(l.level));
  if (!ls.length) return null;
  return { accuracy: ls.reduce((a, l) => a + l.accuracy, 0) / ls.length, levels: ls.length, n: ls.reduce((a, l) => a + l.n, 0) };
}

/** docs/results/evolve/summary.json: the per-round, per-level numbers behind the report. */
export function summaryJson(rep: EvolveReport) {
  const seeds = seedLevels(rep.state.testSet);
  return {
    format: 'rstar-ts/evolve-summary@1',
    command: rep.state.command,
    testSet: rep.state.testSet,
    seedLevels: seeds ? [...seeds].map(Number) : null,
    rounds: rep.rounds.map((r) => {
      const st = rep.state.rounds.find((x) => x.round === r.round)!;
      return {
        round: r.round,
        status: r.status,
        policy: st.policy,
        coverage: st.coverage
          ? { solved: st.coverage.solved, total: st.coverage.total, rate: st.coverage.solved / Math.max(1, st.coverage.total), perLevel: st.coverage.perLevel }
          : null,
        probe: st.probe ? Object.fromEntries(st.probe.levels.map((l) => [String(l.level), { pass1: l.pass1, passK: l.passK, problems: l.problems }])) : null,
        sftExamples: st.sftExamples ?? null,
        ppmPairs: st.ppmPairs ?? null,
        wallSeconds: st.wallSeconds,
        eval: Object.fromEntries(
          Object.entries(r.summaries).map(([mode, s]) => [
            mode,
            {
              accuracy: s!.accuracy,
              n: s!.n,
              tokensPerProblem: s!.tokensPerProblem,
              seedLevels: seeds ? meanOverLevels(s, (l) => seeds.has(l)) : null,
              otherLevels: seeds ? meanOverLevels(s, (l) => !seeds.has(l)) : null,
              perLevel: Object.fromEntries(s!.perLevel.map((l) => [l.level, { accuracy: l.accuracy, correct: l.correct, n: l.n }])),
            },
          ]),
        ),
      };
    }),
  };
}

// ── Markdown ──────────────────────────────────────────────────────────────────────────────────────

/** Plot ids and their file names (next to the Markdown). */
export const PLOTS = {
  rounds: 'accuracy-per-round.svg',
  levels: 'accuracy-per-level.svg',
  tokens: 'accuracy-vs-tokens.svg',
  coverage: 'coverage.svg',
} as const;
export type PlotId = keyof typeof PLOTS;

const DASH = '—';
const pct = (x: number | undefined | null) => (x === undefined || x === null || !Number.isFinite(x) ? DASH : (100 * x).toFixed(1));
const int = (x: number | undefined | null) => (x === undefined || x === null || !Number.isFinite(x) ? DASH : String(Math.round(x)));
const row = (cells: Array<string | number>) => `| ${cells.join(' | ')} |`;
const table = (head: string[], rows: Array<Array<string | number>>) => [row(head), row(head.map(() => '---')), ...rows.map(row)];

/** A pair accuracy with the number of pairs behind it: "50.0 (n = 2)"; "100.0 (n not recorded)". */
export function withN(accuracy: number | null | undefined, n: number | null): string {
  if (accuracy === null || accuracy === undefined) return DASH;
  return `${pct(accuracy)} (${n === null ? 'n not recorded' : `n = ${n}`})`;
}

const madeBy = (command: string | undefined) =>
  command ? `Made by \`${command}\`.` : 'The command that made it was not recorded (a file from before it was).';

/** Column headers of the per-level tables, with the run's N. */
export function modeLabel(mode: EvalModeName, n: number): string {
  return EVAL_MODE_LABELS[mode].replace('@N', `@${n}`).replace('best-of-N', `best-of-${n}`);
}

/** Accuracy and mean generated tokens per problem of one mode at one level ("all": every problem). */
export function levelCell(s: EvalSummary | undefined, level: string): { accuracy: number; tokens: number } | null {
  if (!s) return null;
  if (level === 'all') return { accuracy: s.accuracy, tokens: s.tokensPerProblem };
  const g = s.perLevel.find((l) => l.key === level);
  return g ? { accuracy: g.accuracy, tokens: g.tokens / g.n } : null;
}

function configLines(config: Record<string, unknown>): string[] {
  const scalar = (v: unknown) => (typeof v === 'string' ? `\`${v}\`` : Array.isArray(v) ? v.join(', ') : String(v));
  const out: string[] = [];
  for (const [k, v] of Object.entries(config)) {
    if (k === 'rounds' && Array.isArray(v)) {
      const rs = v as Array<{ guide?: string; rollouts?: number; unsolvedRollouts?: number[] }>;
      out.push(
        `  - rounds: ${rs.map((r, i) => `${i + 1}: ${r.guide}-guided MCTS × ${r.rollouts}${r.unsolvedRollouts?.length ? ` (+ ${r.unsolvedRollouts.join(', ')} on unsolved)` : ''}`).join('; ')}`,
      );
    } else if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      out.push(
        `  - ${k}: ${Object.entries(v)
          .map(([a, b]) => `${a} ${scalar(b)}`)
          .join(', ')}`,
      );
    } else {
      out.push(`  - ${k}: ${scalar(v)}`);
    }
  }
  return out;
}

/** The Markdown report. `plots`: ids of the plots that were written (linked by their PLOTS file names). */
export function renderMarkdown(rep: EvolveReport, opts: { plots?: Iterable<PlotId>; generated?: string } = {}): string {
  const s = rep.state;
  const plots = new Set(opts.plots ?? []);
  const img = (id: PlotId, alt: string) => (plots.has(id) ? ['', `![${alt}](${PLOTS[id]})`] : []);
  const roundState = (r: number) => s.rounds.find((x) => x.round === r);
  const complete = s.rounds.filter((r) => r.status === 'complete').length;
  const L: string[] = [];

  L.push('# Self-evolution report', '');
  L.push(`- command: \`${s.command}\``);
  L.push(`- run: \`${rep.run}\`, started ${s.started}, updated ${s.updated}; ${complete} of ${s.rounds.length} rounds complete (round 0: the bootstrap)`);
  L.push(`- held-out test set: \`${s.testSet}\`${rep.rounds[0]?.summaries.greedy ? ` (${rep.rounds[0].summaries.greedy.n} problems)` : ''}`);
  L.push(`- N = ${s.evalN}: samples of self-consistency and best-of-N, rollouts of PPM-guided MCTS`);
  L.push(`- report generated: ${opts.generated ?? new Date().toISOString()}`);
  L.push('- config:', ...configLines(s.config));
  if (rep.notes.length) L.push('', '> Notes:', ...rep.notes.map((n) => `> - ${n}`));

  L.push('', "## Headline series (the paper's three)", '');
  const seeds = seedLevels(s.testSet);
  const split = (m: EvalSummary | undefined, seed: boolean) => (seeds ? pct(meanOverLevels(m, (l) => seeds.has(l) === seed)?.accuracy) : null);
  L.push(
    ...table(
      [
        'round',
        'policy alone (greedy) %',
        ...(seeds ? ['greedy, rungs without seeds %', 'greedy, seed rungs %'] : []),
        'PPM-guided MCTS %',
        'training-set coverage %',
      ],
      rep.rounds.map((r) => {
        const cov = roundState(r.round)?.coverage;
        return [
          r.round,
          pct(r.summaries.greedy?.accuracy),
          ...(seeds ? [split(r.summaries.greedy, false)!, split(r.summaries.greedy, true)!] : []),
          pct(r.summaries.mcts?.accuracy),
          cov ? pct(cov.solved / cov.total) : DASH,
        ];
      }),
    ),
  );
  if (seeds)
    L.push(
      '',
      `Rungs without seeds: the mean of the per-rung greedy accuracies over rungs above ${seeds.size} (each rung weighs the same); seed rungs: rungs 1–${seeds.size}.`,
    );
  L.push(
    ...img('rounds', 'held-out accuracy per round'),
    ...img('levels', 'held-out accuracy per round and level'),
    ...img('coverage', 'training-set coverage per round'),
  );

  L.push('', '## Held-out accuracy per round and level', '', 'Each cell: accuracy % (mean generated tokens per problem); — where a mode was not evaluated.');
  for (const r of rep.rounds) {
    const st = roundState(r.round)!;
    L.push('', `### Round ${r.round}${r.round === 0 ? ' (bootstrap)' : ''}`, '');
    L.push(`Policy \`${st.policy}\`${st.ppm ? `, PPM \`${st.ppm}\`` : ''}; status ${st.status}.`, '');
    if (EVAL_MODES.every((m) => !r.summaries[m])) {
      L.push('Not evaluated yet.');
      continue;
    }
    L.push(
      ...table(
        ['level', ...EVAL_MODES.map((m) => modeLabel(m, s.evalN))],
        [...rep.levels, 'all'].map((level) => [
          level,
          ...EVAL_MODES.map((m) => {
            const c = levelCell(r.summaries[m], level);
            return c ? `${pct(c.accuracy)} (${int(c.tokens)})` : DASH;
          }),
        ]),
      ),
    );
  }
  if (plots.has('tokens')) {
    L.push(
      '',
      '## Accuracy against generated tokens',
      '',
      'A point per round and mode (labelled with its round); dashed: the k-sample curves of the sampling modes (maj@k, rm@k, pass@k over the first k samples), each from the last round that has it.',
    );
    L.push(...img('tokens', 'accuracy against mean generated tokens per problem'));
  }

  L.push('', '## Synthesis', '');
  L.push(
    ...table(
      ['round', 'guide', 'rollouts', 'problems searched', 'solved', 'tokens', 'wall s', 'coverage', 'coverage per level'],
      s.rounds
        .filter((st) => st.synth || st.coverage)
        .map((st) => [
          st.round,
          st.synth?.guide ?? DASH,
          st.synth?.rollouts ?? DASH,
          st.synth?.problems ?? DASH,
          st.synth?.solved ?? DASH,
          st.synth?.tokens ?? DASH,
          int(st.synth?.wallSeconds),
          st.coverage ? `${st.coverage.solved}/${st.coverage.total} (${pct(st.coverage.solved / st.coverage.total)}%)` : DASH,
          st.coverage
            ? Object.entries(st.coverage.perLevel)
                .sort(([a], [b]) => byLevel(a, b))
                .map(([l, v]) => `L${l} ${v.solved}/${v.n}`)
                .join(', ')
            : DASH,
        ]),
    ),
  );

  const stages = ['synth', 'train-policy', 'train-ppm', 'eval'];
  for (const st of s.rounds) for (const k of Object.keys(st.wallSeconds)) if (!stages.includes(k)) stages.push(k);
  L.push('', '## Training and wall time', '');
  L.push(
    ...table(
      ['round', 'status', 'SFT examples', 'PPM pairs', 'PPM held-out pair acc % (n pairs)', ...stages.map((k) => `${k} s`), 'total s'],
      s.rounds.map((st) => [
        st.round,
        st.status,
        st.sftExamples ?? DASH,
        st.ppmPairs ?? DASH,
        withN(st.ppmPairAccuracy, st.ppmHeldOutPairs ?? rep.ppmHeldOutPairs[st.round] ?? null),
        ...stages.map((k) => int(st.wallSeconds[k])),
        int(Object.values(st.wallSeconds).reduce((a, b) => a + b, 0)),
      ]),
    ),
  );
  const total = s.rounds.reduce((a, st) => a + Object.values(st.wallSeconds).reduce((x, y) => x + y, 0), 0);
  const evalTotal = s.rounds.reduce((a, st) => a + (st.wallSeconds.eval ?? 0), 0);
  const span = (Date.parse(s.updated) - Date.parse(s.started)) / 60_000;
  L.push(
    '',
    `Wall time: ${(total / 60).toFixed(1)} min in all, ${((total - evalTotal) / 60).toFixed(1)} min without the held-out evaluations; the run's start-to-last-update span is ${span.toFixed(1)} min.`,
  );
  if (s.stageTimes !== 'checkpointed') {
    L.push(
      '',
      '> Stage times of this run are wrong by the old accounting: a stage counted only the work that finished in the process that started it, so a stage killed and resumed lost its earlier part (an eval resumed from finished results shows ~1 s). ' +
        `Trust the start-to-last-update span (${span.toFixed(1)} min) instead.`,
    );
  }

  if (rep.sftAblation) {
    const a = rep.sftAblation;
    const levels = [...new Set(a.rows.flatMap((r) => Object.keys(r.perLevel)))].sort(byLevel);
    const what = [
      a.round !== undefined ? `round ${a.round} data` : null,
      a.samplesPerProblem !== undefined ? `${a.samplesPerProblem} self-samples per problem` : null,
    ].filter(Boolean);
    L.push(
      '',
      `## SFT-data ablation${what.length ? ` (${what.join(', ')})` : ''}`,
      '',
      `Greedy held-out accuracy % of the policy fine-tuned from the same base on each kind of data. ${madeBy(a.command)}`,
      '',
    );
    L.push(
      ...table(
        ['data', 'examples', ...levels.map((l) => `L${l}`), 'all'],
        a.rows.map((r) => [r.data, r.examples, ...levels.map((l) => pct(r.perLevel[l])), pct(r.all)]),
      ),
    );
  }
  if (rep.rewardAblation) {
    const a = rep.rewardAblation;
    const levels = [...new Set(a.rows.flatMap((r) => [...Object.keys(r.bestOfN ?? {}), ...Object.keys(r.mcts ?? {})]))]
      .filter((l) => l !== 'all')
      .sort(byLevel);
    const hasMcts = a.rows.some((r) => r.mcts);
    L.push('', `## Reward-model ablation (${a.round !== undefined ? `round ${a.round} policy and trees, ` : ''}N = ${a.n})`, '');
    L.push(
      'Held-out accuracy % with each reward model choosing among N samples (best-of-N)' +
        (hasMcts ? ' and guiding MCTS' : '') +
        `; pair accuracy on ${a.heldOutPairs !== undefined ? `n = ${a.heldOutPairs} held-out pairs${a.heldOut !== undefined ? ` (pairs of ${pct(a.heldOut)}% of the training problems, held out)` : ''}` : 'n = not recorded (a file from before n was recorded) held-out pairs'}. ${madeBy(a.command)}`,
      '',
    );
    const head = ['reward model', `held-out pair acc % (n = ${a.heldOutPairs ?? '?'})`, ...levels.map((l) => `best-of-N L${l}`), 'best-of-N all'];
    if (hasMcts) head.push(...levels.map((l) => `MCTS L${l}`), 'MCTS all');
    L.push(
      ...table(
        head,
        a.rows.map((r) => {
          const cells = [r.model, pct(r.pairAccuracy), ...[...levels, 'all'].map((l) => pct(r.bestOfN?.[l]))];
          if (hasMcts) cells.push(...[...levels, 'all'].map((l) => pct(r.mcts?.[l])));
          return cells;
        }),
      ),
    );
  }
  return L.join('\n') + '\n';
}

// ── plots ─────────────────────────────────────────────────────────────────────────────────────────

/** The plots' vega-lite specs by id (a plot without data is left out); `rstar view` shows them interactively. */
export function plotSpecs(rep: EvolveReport): Partial<Record<PlotId, vl.TopLevelSpec>> {
  const n = rep.state.evalN;
  const order = EVAL_MODES.map((m) => modeLabel(m, n));
  const perRound: RoundPoint[] = [];
  const perLevel: RoundPoint[] = [];
  const tokens: TokenPoint[] = [];
  for (const r of rep.rounds) {
    for (const m of EVAL_MODES) {
      const s = r.summaries[m];
      if (!s) continue;
      const series = modeLabel(m, n);
      perRound.push({ round: r.round, series, accuracy: 100 * s.accuracy });
      tokens.push({ round: r.round, series, tokens: Math.max(1, s.tokensPerProblem), accuracy: 100 * s.accuracy });
      for (const l of s.perLevel) perLevel.push({ round: r.round, series, level: l.key, accuracy: 100 * l.accuracy });
    }
  }
  // The k-sample curves (maj@k, rm@k, pass@k), each from the last round that has it.
  const curves: CurvePoint[] = [];
  const curve = (modes: EvalModeName[], prefix: string, name: string) => {
    for (const r of [...rep.rounds].reverse()) {
      for (const m of modes) {
        const pts = (r.summaries[m]?.accuracyVsTokens ?? []).filter((p) => p.metric.startsWith(prefix));
        if (pts.length < 2) continue;
        for (const p of pts) curves.push({ series: `${name} (round ${r.round})`, k: p.k, tokens: Math.max(1, p.tokensPerProblem), accuracy: 100 * p.accuracy });
        return;
      }
    }
  };
  curve(['sc'], 'maj@', 'self-consistency maj@k');
  curve(['bon'], 'rm@', 'best-of-N rm@k');
  curve(['sc', 'bon'], 'pass@', 'pass@k (oracle)');
  const coverage: RoundPoint[] = rep.state.rounds.flatMap((st) =>
    st.coverage
      ? [
          { round: st.round, series: 'all levels', accuracy: (100 * st.coverage.solved) / st.coverage.total },
          ...Object.entries(st.coverage.perLevel).map(([l, v]) => ({ round: st.round, series: `level ${l}`, accuracy: (100 * v.solved) / v.n })),
        ]
      : [],
  );
  const coverageOrder = ['all levels', ...[...new Set(coverage.map((p) => p.series))].filter((x) => x !== 'all levels').sort(byLevel)];
  const out: Partial<Record<PlotId, vl.TopLevelSpec>> = {};
  if (perRound.length) out.rounds = perRoundSpec({ title: 'Held-out accuracy per round', y: 'accuracy %', points: perRound, order });
  if (perLevel.length)
    out.levels = perLevelSpec({ title: 'Held-out accuracy per round, by level', y: 'accuracy %', points: perLevel, order, levels: rep.levels });
  if (tokens.length) out.tokens = tokensSpec({ title: 'Accuracy against generated tokens per problem', points: tokens, curves, order });
  if (coverage.length)
    out.coverage = perRoundSpec({ title: 'Training-set coverage per round', y: 'problems with a verified solution %', points: coverage, order: coverageOrder });
  return out;
}

/** The plots' SVG documents by id (a plot without data is left out). */
export async function renderPlots(rep: EvolveReport): Promise<Partial<Record<PlotId, string>>> {
  const out: Partial<Record<PlotId, string>> = {};
  for (const [id, spec] of Object.entries(plotSpecs(rep)) as Array<[PlotId, vl.TopLevelSpec]>) out[id] = await renderSvg(spec);
  return out;
}

// ── files ─────────────────────────────────────────────────────────────────────────────────────────

export interface WrittenReport {
  /** OUT/README.md */
  markdown: string;
  /** The SVG files written next to it. */
  plots: string[];
  report: EvolveReport;
}

/** Writes OUT/README.md and its SVG plots for the run directory `run`. */
export async function writeReport(run: string, outDir: string, opts: { generated?: string } = {}): Promise<WrittenReport> {
  const rep = loadReport(run);
  const svgs = await renderPlots(rep);
  mkdirSync(outDir, { recursive: true });
  const plots: string[] = [];
  for (const [id, svg] of Object.entries(svgs) as Array<[PlotId, string]>) {
    const p = join(outDir, PLOTS[id]);
    atomicWrite(p, svg);
    plots.push(p);
  }
  const markdown = join(outDir, 'README.md');
  atomicWrite(markdown, renderMarkdown(rep, { plots: Object.keys(svgs) as PlotId[], generated: opts.generated }));
  atomicWrite(join(outDir, 'summary.json'), JSON.stringify(summaryJson(rep), null, 1) + '\n');
  return { markdown, plots, report: rep };
}
