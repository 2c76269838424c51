/**
 * The report's plots as vega-lite specs, compiled to vega and rendered to SVG headlessly (vega's
 * `renderer: 'none'` view: no browser, no canvas). Pure data in, SVG text out.
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const WIDTH = 440;
const HEIGHT = 260;

/** Compiles a vega-lite spec and renders it to an SVG document. */
export async function renderSvg(spec: vl.TopLevelSpec): Promise<string> {
  const withConfig = { ...spec, config: { legend: { labelLimit: 320 }, ...spec.config } } as vl.TopLevelSpec;
  const view = new vega.View(vega.parse(vl.compile(withConfig).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** One accuracy value of a search mode in a round (accuracy in %), optionally of one level. */
export interface RoundPoint {
  round: number;
  series: string;
  accuracy: number;
  level?: string;
}

/** A mode's score in a round against its mean generated tokens per problem. */
export interface TokenPoint {
  series: string;
  round: number;
  tokens: number;
  accuracy: number;
}

/** One point of a maj@k / rm@k / pass@k curve (k samples per problem). */
export interface CurvePoint {
  series: string;
  k: number;
  tokens: number;
  accuracy: number;
}

const color = (order: string[]) => ({ field: 'series', type: 'nominal' as const, title: null, sort: order, scale: { domain: order } });
const roundAxis = (rounds: number[]) => ({
  field: 'round',
  type: 'quantitative' as const,
  title: 'round',
  scale: { domain: [Math.min(...rounds), Math.max(...rounds, Math.min(...rounds) + 1)] },
  axis: { values: [...new Set(rounds)].sort((a, b) => a - b), format: 'd' },
});
const pctAxis = (title: string) => ({ field: 'accuracy', type: 'quantitative' as const, title, scale: { domain: [0, 100] } });
const ordered = (names: string[], order: readonly string[]) => [
  ...order.filter((s) => names.includes(s)),
  ...[...new Set(names)].filter((s) => !order.includes(s)),
];

/** A line per series across rounds: the mark and encoding of the single plot and of each level's panel. */
function roundLines(points: RoundPoint[], y: string, order: readonly string[] = []) {
  const series = ordered(
    points.map((p) => p.series),
    order,
  );
  return {
    mark: { type: 'line', point: true },
    encoding: {
      x: roundAxis(points.map((p) => p.round)),
      y: pctAxis(y),
      color: color(series),
      tooltip: [{ field: 'series' }, { field: 'round' }, { field: 'accuracy', format: '.1f' }],
    },
  };
}

/** Lines per series across rounds (accuracy % or coverage %). */
export function perRoundSpec(opts: { title: string; y: string; points: RoundPoint[]; order?: readonly string[] }): vl.TopLevelSpec {
  return {
    $schema: SCHEMA,
    title: opts.title,
    width: WIDTH,
    height: HEIGHT,
    background: 'white',
    data: { values: opts.points },
    ...roundLines(opts.points, opts.y, opts.order),
  } as vl.TopLevelSpec;
}

/** The same lines, one small panel per level (`level` of every point). */
export function perLevelSpec(opts: { title: string; y: string; points: RoundPoint[]; order?: readonly string[]; levels: string[] }): vl.TopLevelSpec {
  return {
    $schema: SCHEMA,
    title: opts.title,
    background: 'white',
    data: { values: opts.points.map((p) => ({ ...p, level: `level ${p.level}` })) },
    facet: { column: { field: 'level', type: 'nominal', title: null, sort: opts.levels.map((l) => `level ${l}`) } },
    spec: { width: 150, height: 180, ...roundLines(opts.points, opts.y, opts.order) },
  } as vl.TopLevelSpec;
}

/**
 * Accuracy against mean generated tokens per problem (log x): a point per round and mode, labelled
 * with its round, plus the sampling modes' k-ladder curves (maj@k, rm@k, pass@k) as lines.
 */
export function tokensSpec(opts: { title: string; points: TokenPoint[]; curves: CurvePoint[]; order?: readonly string[] }): vl.TopLevelSpec {
  const series = ordered([...opts.points.map((p) => p.series), ...opts.curves.map((c) => c.series)], opts.order ?? []);
  const x = { field: 'tokens', type: 'quantitative' as const, title: 'mean generated tokens per problem (log scale)', scale: { type: 'log' as const } };
  const y = pctAxis('accuracy %');
  const layers: unknown[] = [];
  if (opts.curves.length) {
    layers.push({
      data: { values: opts.curves },
      mark: { type: 'line', point: { shape: 'diamond', size: 40 }, strokeDash: [4, 3] },
      encoding: {
        x,
        y,
        color: color(series),
        detail: { field: 'series' },
        tooltip: [{ field: 'series' }, { field: 'k' }, { field: 'tokens', format: '.0f' }, { field: 'accuracy', format: '.1f' }],
      },
    });
  }
  layers.push(
    {
      data: { values: opts.points },
      mark: { type: 'point', filled: true, size: 80 },
      encoding: {
        x,
        y,
        color: color(series),
        tooltip: [{ field: 'series' }, { field: 'round' }, { field: 'tokens', format: '.0f' }, { field: 'accuracy', format: '.1f' }],
      },
    },
    {
      data: { values: opts.points.map((p) => ({ ...p, label: `r${p.round}` })) },
      mark: { type: 'text', dx: 9, dy: -7, fontSize: 9 },
      encoding: { x, y, text: { field: 'label' }, color: color(series) },
    },
  );
  return { $schema: SCHEMA, title: opts.title, width: WIDTH, height: HEIGHT, background: 'white', layer: layers } as vl.TopLevelSpec;
}
