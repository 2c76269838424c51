import * as vega from 'vega';
import * as vl from 'vega-lite';

export interface Point {
  x: number;
  y: number;
  series: string;
  label?: string;
}

/** A vega-lite line or point chart rendered to SVG headlessly (no browser, no canvas). */
export async function chartSvg(opts: {
  title: string;
  points: Point[];
  x: string;
  y: string;
  mark: 'line' | 'point';
  xScale?: 'linear' | 'log';
  yDomain?: [number, number];
}): Promise<string> {
  const spec: vl.TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: opts.title,
    width: 420,
    height: 260,
    background: 'white',
    data: { values: opts.points },
    mark: opts.mark === 'line' ? { type: 'line', point: true } : { type: 'point', filled: true, size: 70 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: opts.x, scale: opts.xScale === 'log' ? { type: 'log' } : { zero: false } },
      y: { field: 'y', type: 'quantitative', title: opts.y, scale: opts.yDomain ? { domain: opts.yDomain } : { zero: true } },
      color: { field: 'series', type: 'nominal', title: null },
      ...(opts.mark === 'point' ? { shape: { field: 'series', type: 'nominal', title: null } } : {}),
      tooltip: [{ field: 'label', type: 'nominal' }],
    },
  };
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}
