/**
 * The viewer's one page: a shell that loads d3-hierarchy (tree layout), vega (plots, only when the
 * run has any) and the page's own script (./client/app.ts, compiled by tsc), all from node_modules on
 * this machine. Served, the scripts are separate files under /assets/; exported, they are inlined with
 * the data, and a Content-Security-Policy allows exactly those scripts and no network at all.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StaticData } from './types.js';

const require = createRequire(import.meta.url);

export interface Assets {
  'app.js': string;
  'd3-hierarchy.js': string;
  'vega.js': string;
}

let cached: Assets | null = null;

/** The page's scripts, read once: the compiled client, and the libraries' browser builds. */
export function assets(): Assets {
  if (cached) return cached;
  const app = readFileSync(fileURLToPath(new URL('./client/app.js', import.meta.url)), 'utf8').replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n');
  cached = {
    'app.js': app,
    'd3-hierarchy.js': readFileSync(join(dirname(require.resolve('d3-hierarchy')), 'd3-hierarchy.min.js'), 'utf8'),
    'vega.js': readFileSync(join(dirname(require.resolve('vega')), 'vega.min.js'), 'utf8'),
  };
  return cached;
}

/** Whether the views need vega (eval and evolve views have plots). */
export const needsPlots = (kinds: string[]) => kinds.some((k) => k === 'eval' || k === 'evolve');

// vega compiles its expressions with Function(): pages with plots allow eval, and only those.
const scriptSrc = (sources: string[], plots: boolean) => [...sources, ...(plots ? ["'unsafe-eval'"] : [])].join(' ');

/** The Content-Security-Policy of the served page. */
export function serverCsp(plots: boolean): string {
  return [
    "default-src 'none'",
    `script-src ${scriptSrc(["'self'"], plots)}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const shell = (head: string, body: string) =>
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
${head}
<title>rstar view</title>
<style>${CSS}</style>
</head>
<body>
<header><a id="home" href="#/">rstar view</a><nav id="crumbs" aria-label="breadcrumbs"></nav></header>
<main id="app" aria-live="polite"></main>
${body}
</body>
</html>
`;

/** The served page: scripts from /assets/, data from /api/. */
export function serverPage(plots: boolean): string {
  const scripts = [
    '<script src="/assets/d3-hierarchy.js"></script>',
    ...(plots ? ['<script src="/assets/vega.js"></script>'] : []),
    '<script type="module" src="/assets/app.js"></script>',
  ];
  return shell('', scripts.join('\n'));
}

/** JSON safe inside a <script> element: no `<` at all (so no `</script>`), no HTML comment openers. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** One self-contained HTML file: data and scripts inlined, no network allowed. */
export function staticPage(data: StaticData): string {
  const a = assets();
  const plots = needsPlots(data.catalogue.views.map((v) => v.kind));
  const classic = [a['d3-hierarchy.js'], ...(plots ? [a['vega.js']] : [])];
  for (const s of [...classic, a['app.js']]) if (/<\/script/i.test(s)) throw new Error('a page script contains "</script": cannot inline it');
  const csp = [
    "default-src 'none'",
    `script-src ${scriptSrc([...classic, a['app.js']].map(sha256), plots)}`,
    "style-src 'unsafe-inline'",
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const body = [
    `<script type="application/json" id="rstar-data">${scriptJson(data)}</script>`,
    ...classic.map((s) => `<script>${s}</script>`),
    `<script type="module">${a['app.js']}</script>`,
  ].join('\n');
  return shell(`<meta http-equiv="Content-Security-Policy" content="${csp}">`, body);
}

const CSS = `
:root { --fg: #1d2328; --muted: #5c6670; --line: #d5dbe0; --bg: #f6f8fa; --accent: #0b63c5; --chosen: #e8a400;
  --correct: #1a8f3c; --wrong: #c62828; --error: #e07b00; --truncated: #7a7f85; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "DejaVu Sans", sans-serif; color: var(--fg); background: #fff; }
header { display: flex; gap: 16px; align-items: baseline; padding: 8px 16px; border-bottom: 1px solid var(--line); background: var(--bg); }
header a { color: var(--accent); text-decoration: none; font-weight: 600; }
#crumbs { color: var(--muted); }
#crumbs a { font-weight: normal; }
main { padding: 12px 16px; }
h1 { font-size: 18px; margin: 4px 0 8px; }
h2 { font-size: 15px; margin: 16px 0 6px; }
.muted { color: var(--muted); }
.notes { background: #fff7e0; border: 1px solid #f0d890; padding: 6px 10px; margin: 8px 0; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: var(--bg); position: sticky; top: 0; }
th.sortable { cursor: pointer; user-select: none; }
th[aria-sort="ascending"]::after { content: " ▲"; }
th[aria-sort="descending"]::after { content: " ▼"; }
tr.row { cursor: pointer; }
tr.row:hover, tr.row:focus { background: #eef5ff; outline: none; }
td.num, th.num { text-align: right; }
.controls { display: flex; gap: 8px; align-items: center; margin: 8px 0; flex-wrap: wrap; }
input, select, button { font: inherit; }
.verdict-correct { color: var(--correct); } .verdict-wrong { color: var(--wrong); } .verdict-invalid, .verdict-error { color: var(--error); }
.plots { display: flex; flex-wrap: wrap; gap: 16px; }
.plot { border: 1px solid var(--line); padding: 6px; }
.tree-page { display: grid; grid-template-columns: minmax(0, 1fr) 420px; grid-template-rows: auto minmax(0, 1fr); gap: 12px; height: calc(100vh - 60px); }
.tree-head { grid-column: 1 / -1; }
.tree-head .question { white-space: pre-wrap; margin: 0; }
.legend { display: flex; gap: 14px; flex-wrap: wrap; color: var(--muted); font-size: 12px; margin-top: 4px; }
.legend svg { vertical-align: middle; }
.canvas { position: relative; border: 1px solid var(--line); min-height: 300px; overflow: hidden; background: #fcfdfe; }
.canvas:focus { outline: 2px solid var(--accent); }
.canvas svg.tree { width: 100%; height: 100%; display: block; cursor: grab; }
.canvas .tools { position: absolute; top: 6px; right: 6px; display: flex; gap: 4px; }
.links { fill: none; stroke: #b8c2cc; stroke-width: 1; }
.links.chosen { stroke: var(--chosen); stroke-width: 3; }
g.node { cursor: pointer; }
g.node circle.dot { stroke: #59636e; stroke-width: 1; }
g.node circle.ring { fill: none; stroke-width: 2.5; }
g.node.verdict-correct circle.ring { stroke: var(--correct); }
g.node.verdict-wrong circle.ring { stroke: var(--wrong); }
g.node.verdict-error circle.ring { stroke: var(--error); }
g.node.verdict-truncated circle.ring { stroke: var(--truncated); stroke-dasharray: 2 2; }
g.node.verdict-answer circle.ring { stroke: #333; }
g.node circle.halo { fill: none; stroke: var(--chosen); stroke-width: 3; }
g.node.selected circle.dot { stroke: var(--accent); stroke-width: 3; }
g.node text.more { font-size: 10px; fill: var(--muted); }
.detail { border: 1px solid var(--line); padding: 8px 10px; overflow: auto; }
.detail pre { white-space: pre-wrap; word-break: break-word; background: var(--bg); padding: 6px; margin: 4px 0 8px; font: 12px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; }
.detail dl { display: grid; grid-template-columns: auto 1fr; gap: 2px 10px; margin: 6px 0; }
.detail dt { color: var(--muted); }
.detail dd { margin: 0; font-variant-numeric: tabular-nums; }
.path-step { border-left: 3px solid var(--line); padding-left: 6px; margin: 4px 0; cursor: pointer; }
.path-step.current { border-left-color: var(--accent); }
.tok-kw { color: #8839ef; font-weight: 600; } .tok-str { color: #1a7f37; } .tok-num { color: #b35900; } .tok-com { color: #6e7781; font-style: italic; } .tok-fn { color: #0550ae; }
.badge { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 12px; border: 1px solid currentColor; }
`;
