/**
 * The viewer's plots: vega-lite specs (the report's own, src/evolve/plots.ts and report.ts, plus the
 * per-level bars of one eval), made interactive (legend click isolates a series, drag pans, wheel
 * zooms, hover shows values) and compiled to vega on the server, so the page ships only vega.
 */
import * as vl from 'vega-lite';
import { tokensSpec, type CurvePoint, type TokenPoint } from '../evolve/plots.js';
import { plotSpecs, type EvolveReport } from '../evolve/report.js';
import type { EvalSummary } from '../eval/types.js';
import type { PlotDoc } from './types.js';

type Spec = Record<string, unknown> & { encoding?: Record<string, unknown> };

const PICK = { name: 'pick', select: { type: 'point', fields: ['series'] }, bind: 'legend' };
const ZOOM = { name: 'zoom', select: 'interval', bind: 'scales' };
const FADE = { condition: { param: 'pick', value: 1, empty: true }, value: 0.15 };

/**
 * Adds a legend-bound selection of a `series` colour (click a legend entry to isolate it) and, on
 * unit and layered specs, pan/zoom of the scales; the spec itself is not changed.
 */
export function interactive(spec: vl.TopLevelSpec): vl.TopLevelSpec {
  const s = structuredClone(spec) as unknown as Spec;
  const faceted = s.spec !== undefined;
  const units: Spec[] = Array.isArray(s.layer) ? (s.layer as Spec[]) : faceted ? [s.spec as Spec] : [s];
  const colored = units.filter((u) => (u.encoding?.color as { field?: string } | undefined)?.field === 'series');
  if (colored.length === 0) return spec;
  colored[0].params = faceted ? [PICK] : [PICK, ZOOM];
  for (const u of colored) u.encoding = { ...u.encoding, opacity: FADE };
  return s as unknown as vl.TopLevelSpec;
}

export function toPlot(id: string, spec: vl.TopLevelSpec): PlotDoc {
  const title = typeof (spec as { title?: unknown }).title === 'string' ? (spec as { title: string }).title : id;
  return { id, title, spec: vl.compile(interactive(spec)).spec };
}

/** Accuracy per level (bars, with n and tokens on hover) of one eval. */
export function levelBarsSpec(s: EvalSummary): vl.TopLevelSpec {
  const values = s.perLevel.map((l) => ({ level: `level ${l.level}`, accuracy: 100 * l.accuracy, n: l.n, correct: l.correct, tokens: l.tokens / l.n }));
  return {
    title: `Accuracy per level (${s.mode})`,
    width: 360,
    height: 220,
    background: 'white',
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'level', type: 'nominal', sort: values.map((v) => v.level), title: null, axis: { labelAngle: 0 } },
      y: { field: 'accuracy', type: 'quantitative', title: 'accuracy %', scale: { domain: [0, 100] } },
      tooltip: [
        { field: 'level' },
        { field: 'accuracy', format: '.1f' },
        { field: 'correct' },
        { field: 'n' },
        { field: 'tokens', format: '.0f', title: 'tokens/problem' },
      ],
    },
  } as vl.TopLevelSpec;
}

/** The plots of one eval results file: accuracy per level, and maj@k / rm@k / pass@k against tokens. */
export function evalPlots(s: EvalSummary): PlotDoc[] {
  const out: PlotDoc[] = [];
  if (s.perLevel.length) out.push(toPlot('levels', levelBarsSpec(s)));
  const own = s.accuracyVsTokens[0];
  if (own) {
    const points: TokenPoint[] = [{ series: `${s.mode} (${own.metric})`, round: 0, tokens: Math.max(1, own.tokensPerProblem), accuracy: 100 * own.accuracy }];
    const curves: CurvePoint[] = s.accuracyVsTokens
      .slice(1)
      .map((p) => ({ series: p.metric.replace(/@\d+$/, '@k'), k: p.k, tokens: Math.max(1, p.tokensPerProblem), accuracy: 100 * p.accuracy }));
    const spec = tokensSpec({ title: 'Accuracy against generated tokens per problem', points, curves, order: [points[0].series, 'maj@k', 'rm@k', 'pass@k'] });
    // One eval has no rounds: drop the report's round labels (its last layer).
    const layered = spec as { layer: unknown[] };
    layered.layer = layered.layer.slice(0, -1);
    out.push(toPlot('tokens', spec));
  }
  return out;
}

/** The report's plots of an evolve run. */
export function evolvePlots(rep: EvolveReport): PlotDoc[] {
  return Object.entries(plotSpecs(rep)).map(([id, spec]) => toPlot(id, spec!));
}
