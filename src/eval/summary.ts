import type { CurvePoint, EvalSummary, GroupSummary, ProblemResult } from './types.js';

/** What summarize() takes besides the results: the run's fields of the summary, and the mode's own metric. */
export type SummaryInfo = Pick<
  EvalSummary,
  'dataset' | 'data' | 'mode' | 'seed' | 'samples' | 'temperature' | 'reward' | 'oracle' | 'resumed' | 'wallSeconds' | 'totalWallSeconds'
> & {
  /** The mode's own metric name in the accuracy-vs-tokens table (`pass@1`, `maj@8`, …). */
  metric: string;
  /** Ladder k for the mode's own row. */
  k: number;
};

function groupBy(results: ProblemResult[], key: (r: ProblemResult) => string | undefined): GroupSummary[] {
  const m = new Map<string, GroupSummary>();
  for (const r of results) {
    const k = key(r);
    if (k === undefined) continue;
    const g = m.get(k) ?? { key: k, n: 0, correct: 0, accuracy: 0, tokens: 0 };
    g.n++;
    g.correct += r.correct ? 1 : 0;
    g.tokens += r.tokens;
    m.set(k, g);
  }
  for (const g of m.values()) g.accuracy = g.correct / g.n;
  return [...m.values()].sort((a, b) => a.key.localeCompare(b.key, 'en', { numeric: true }));
}

/** The k ladder rows, averaged over the problems whose results carry curves. */
function ladder(results: ProblemResult[]): CurvePoint[] {
  const withCurves = results.filter((r) => r.curves);
  if (withCurves.length === 0) return [];
  // Problems normally share one ladder; use the k values every problem has.
  const ks = withCurves[0].curves!.k.filter((k) => withCurves.every((r) => r.curves!.k.includes(k)));
  const rows: CurvePoint[] = [];
  const mean = (f: (r: ProblemResult, i: number) => number, k: number) => withCurves.reduce((a, r) => a + f(r, r.curves!.k.indexOf(k)), 0) / withCurves.length;
  const tok = (k: number) => mean((r, i) => r.curves!.tokens[i], k);
  for (const k of ks) rows.push({ metric: `maj@${k}`, k, accuracy: mean((r, i) => (r.curves!.maj[i] ? 1 : 0), k), tokensPerProblem: tok(k) });
  if (withCurves.every((r) => r.curves!.rm)) {
    for (const k of ks) rows.push({ metric: `rm@${k}`, k, accuracy: mean((r, i) => (r.curves!.rm![i] ? 1 : 0), k), tokensPerProblem: tok(k) });
  }
  for (const k of ks) rows.push({ metric: `pass@${k}`, k, accuracy: mean((r, i) => r.curves!.pass[i], k), tokensPerProblem: tok(k) });
  return rows;
}

/** The mode's own row first, unless the k ladder already has it (maj@N for self-consistency, rm@N for best-of-N). */
function withOwn(own: CurvePoint, rows: CurvePoint[]): CurvePoint[] {
  return rows.some((r) => r.metric === own.metric) ? rows : [own, ...rows];
}

/** The summary of a set of per-problem results (computed from the records alone, so a resumed run's summary matches). */
export function summarize(results: ProblemResult[], info: SummaryInfo): EvalSummary {
  const n = results.length;
  const correct = results.filter((r) => r.correct).length;
  const tokens = results.reduce((a, r) => a + r.tokens, 0);
  const problemMs = results.reduce((a, r) => a + r.ms, 0);
  const own: CurvePoint = { metric: info.metric, k: info.k, accuracy: n ? correct / n : 0, tokensPerProblem: n ? tokens / n : 0 };
  const sources = groupBy(results, (r) => r.source);
  return {
    dataset: info.dataset,
    data: info.data,
    mode: info.mode,
    seed: info.seed,
    samples: info.samples,
    temperature: info.temperature,
    reward: info.reward,
    oracle: info.oracle,
    n,
    correct,
    accuracy: own.accuracy,
    invalid: results.filter((r) => r.verdict === 'invalid').length,
    errors: results.filter((r) => r.error !== undefined).length,
    resumed: info.resumed,
    perLevel: groupBy(results, (r) => (r.level === null || r.level === undefined ? undefined : String(r.level))).map((g) => ({ level: g.key, ...g })),
    perSubject: groupBy(results, (r) => r.subject),
    perSource: sources.length > 1 ? sources : [],
    accuracyVsTokens: withOwn(own, ladder(results)),
    tokensGenerated: tokens,
    tokensPerProblem: own.tokensPerProblem,
    wallSeconds: info.wallSeconds,
    totalWallSeconds: info.totalWallSeconds,
    problemSeconds: problemMs / 1000,
    tokensPerSecond: tokens / Math.max(info.totalWallSeconds, 1e-9),
  };
}

/** The summary as a few lines of text (the non-JSON CLI output). */
export function formatSummary(s: EvalSummary): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const lines = [
    `${s.dataset} · ${s.mode}${s.oracle ? ' (oracle: terminal-guided with gold answers)' : ''}: ${s.correct}/${s.n} = ${pct(s.accuracy)}` +
      (s.invalid ? `, ${s.invalid} without an answer` : '') +
      (s.errors ? ` (${s.errors} search errors, see "error" in the results)` : '') +
      (s.resumed ? ` (${s.resumed} resumed from the results file)` : ''),
  ];
  for (const l of s.perLevel) lines.push(`  level ${l.level}: ${l.correct}/${l.n} = ${pct(l.accuracy)}`);
  if (s.perSubject.length > 1) for (const g of s.perSubject) lines.push(`  ${g.key}: ${g.correct}/${g.n} = ${pct(g.accuracy)}`);
  for (const g of s.perSource) lines.push(`  source ${g.key}: ${g.correct}/${g.n} = ${pct(g.accuracy)}`);
  if (s.accuracyVsTokens.length > 1) {
    lines.push('  metric      accuracy   tokens/problem');
    for (const p of s.accuracyVsTokens) lines.push(`  ${p.metric.padEnd(10)}  ${pct(p.accuracy).padStart(7)}   ${p.tokensPerProblem.toFixed(0).padStart(8)}`);
  }
  lines.push(
    `  tokens ${s.tokensGenerated} (${s.tokensPerProblem.toFixed(0)}/problem), ${s.totalWallSeconds.toFixed(1)} s wall` +
      (s.resumed > 0 ? ` (${s.wallSeconds.toFixed(1)} s this run)` : '') +
      `, ${s.tokensPerSecond.toFixed(0)} tok/s`,
  );
  return lines.join('\n');
}
