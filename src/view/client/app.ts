/**
 * The viewer's page script (runs in the browser; compiled by tsc like the rest, loaded as one module
 * with no imports at run time: d3-hierarchy and vega are globals from their own browser builds).
 *
 * All text from runs (model steps, code, outputs, questions, answers) is untrusted and is only ever
 * put into the page as text nodes (textContent / createTextNode); this file builds no HTML strings.
 */
import type * as D3H from 'd3-hierarchy';
import type * as Vega from 'vega';
import type { TreeJSON, TreeNodeJSON } from '../../search/tree-file.js';
import type { Catalogue, EvalDoc, EvalRow, EvolveDoc, PlotDoc, StaticData, SynthDoc, SynthRow, TreeFileRow, TreesDoc, ViewDoc } from '../types.js';

declare const d3: typeof D3H;
declare const vega: typeof Vega;

// ── data: inline (static export) or from the server ─────────────────────────────────────────────────

const inline = document.getElementById('rstar-data');
const staticData: StaticData | null = inline ? (JSON.parse(inline.textContent ?? 'null') as StaticData) : null;
const KEY = /^v\d+(\.\d+)?$/;

async function getJson<T>(path: string): Promise<T> {
  const r = await fetch(path);
  if (!r.ok) throw new Error(`${path}: ${r.status} ${(await r.text()).trim()}`);
  return (await r.json()) as T;
}

const api = {
  catalogue: (): Promise<Catalogue> => (staticData ? Promise.resolve(staticData.catalogue) : getJson<Catalogue>('/api/catalogue')),
  view(key: string): Promise<ViewDoc> {
    if (!KEY.test(key)) return Promise.reject(new Error(`no view "${key}"`));
    if (staticData) return staticData.views[key] ? Promise.resolve(staticData.views[key]) : Promise.reject(new Error(`no view "${key}"`));
    return getJson<ViewDoc>(`/api/view/${key}`);
  },
  tree(key: string): Promise<TreeJSON> {
    if (!KEY.test(key)) return Promise.reject(new Error(`no tree "${key}"`));
    if (staticData) return staticData.trees[key] ? Promise.resolve(staticData.trees[key]) : Promise.reject(new Error(`no tree "${key}"`));
    return getJson<TreeJSON>(`/api/tree/${key}`);
  },
};

// ── DOM helpers (text only) ─────────────────────────────────────────────────────────────────────────

type Child = Node | string | number | null | undefined | false;

function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number | boolean | null | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined && v !== false) el.setAttribute(k, v === true ? '' : String(v));
  append(el, children);
  return el;
}

/** Replaces an element's children. */
function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

const SVGNS = 'http://www.w3.org/2000/svg';
function s<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

const app = document.getElementById('app')!;
const crumbs = document.getElementById('crumbs')!;
const pct = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : `${(100 * x).toFixed(1)}%`);
const fixed = (x: number | null | undefined, d = 3) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(d));
const goldText = (g: string | string[] | null) => (g === null ? '—' : Array.isArray(g) ? g.join(' | ') : g);
const link = (href: string, text: string) => h('a', { href }, text);

function setCrumbs(items: Array<[string, string | null]>): void {
  crumbs.replaceChildren();
  items.forEach(([text, href], i) => {
    if (i) crumbs.appendChild(document.createTextNode(' › '));
    crumbs.appendChild(href ? link(href, text) : h('span', {}, text));
  });
}

function notes(list: string[]): Node | null {
  return list.length ? h('div', { class: 'notes', role: 'note' }, h('ul', {}, ...list.map((n) => h('li', {}, n)))) : null;
}

// ── tables with filter and sort ────────────────────────────────────────────────────────────────────

interface Col<R> {
  label: string;
  num?: boolean;
  sort?: (r: R) => number | string;
  cell: (r: R) => Child;
}

function dataTable<R>(cols: Array<Col<R>>, rows: R[], opts: { keep?: () => (r: R) => boolean; open?: (r: R) => void; testid: string; count?: HTMLElement }) {
  let sortCol = -1;
  let dir = 1;
  const tbody = h('tbody');
  const heads = cols.map((c, i) => {
    const th = h('th', { class: `${c.num ? 'num ' : ''}${c.sort ? 'sortable' : ''}`, scope: 'col' }, c.label);
    if (c.sort) {
      th.tabIndex = 0;
      const toggle = () => {
        dir = sortCol === i ? -dir : 1;
        sortCol = i;
        heads.forEach((x) => x.removeAttribute('aria-sort'));
        th.setAttribute('aria-sort', dir > 0 ? 'ascending' : 'descending');
        refresh();
      };
      th.addEventListener('click', toggle);
      th.addEventListener('keydown', (e) => e.key === 'Enter' && toggle());
    }
    return th;
  });
  const refresh = () => {
    const keep = opts.keep?.() ?? (() => true);
    let shown = rows.filter(keep);
    if (sortCol >= 0) {
      const f = cols[sortCol].sort!;
      shown = [...shown].sort((a, b) => {
        const x = f(a);
        const y = f(b);
        return dir * (typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), 'en', { numeric: true }));
      });
    }
    tbody.replaceChildren(
      ...shown.map((r) => {
        const tr = h(
          'tr',
          { class: opts.open ? 'row' : null, tabindex: opts.open ? 0 : null },
          ...cols.map((c) => h('td', { class: c.num ? 'num' : null }, c.cell(r))),
        );
        if (opts.open) {
          const open = opts.open;
          tr.addEventListener('click', (e) => {
            if (!(e.target as Element).closest('a')) open(r);
          });
          tr.addEventListener('keydown', (e) => e.key === 'Enter' && open(r));
        }
        return tr;
      }),
    );
    if (opts.count) opts.count.textContent = `${shown.length} of ${rows.length}`;
  };
  const table = h('table', { 'data-testid': opts.testid }, h('thead', {}, h('tr', {}, ...heads)), tbody);
  refresh();
  return { table, refresh };
}

function select(label: string, values: string[], onChange: () => void): HTMLSelectElement {
  const el = h('select', { 'aria-label': label }, h('option', { value: '' }, `all ${label}s`), ...values.map((v) => h('option', { value: v }, v)));
  el.addEventListener('change', onChange);
  return el;
}

function search(onInput: () => void): HTMLInputElement {
  const el = h('input', { type: 'search', placeholder: 'filter by id or text', 'aria-label': 'filter' });
  el.addEventListener('input', onInput);
  return el;
}

const uniq = (xs: Array<string | number | null>) =>
  [...new Set(xs.filter((x) => x !== null).map(String))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));

// ── plots ──────────────────────────────────────────────────────────────────────────────────────────

function plots(list: PlotDoc[]): Node | null {
  if (!list.length) return null;
  const box = h('div', { class: 'plots', 'data-testid': 'plots' });
  for (const p of list) {
    const div = h('div', { class: 'plot', 'data-plot': p.id, role: 'figure', 'aria-label': p.title });
    box.appendChild(div);
    const view = new vega.View(vega.parse(p.spec as Vega.Spec), { renderer: 'svg', container: div, hover: true });
    view.runAsync().then(
      () => div.setAttribute('data-rendered', 'true'),
      (e: unknown) => {
        div.textContent = `plot failed: ${String(e)}`;
        console.error(e);
      },
    );
  }
  return box;
}

// ── views ──────────────────────────────────────────────────────────────────────────────────────────

/** A table of rows that each open a tree (`#/t/KEY`), filtered by the search box's text (lower-cased) and `keep`. */
function treeTable<R extends { tree: string }>(cols: Array<Col<R>>, rows: R[], count: HTMLElement, q: HTMLInputElement, keep: (r: R, text: string) => boolean) {
  return dataTable(cols, rows, {
    testid: 'run-table',
    count,
    open: (r) => (location.hash = `#/t/${r.tree}`),
    keep: () => {
      const text = q.value.trim().toLowerCase();
      return (r) => keep(r, text);
    },
  });
}

function synthView(doc: SynthDoc): Node {
  const q = search(() => t.refresh());
  const tier = select('tier', uniq(doc.rows.map((r) => r.tier)), () => t.refresh());
  const level = select('level', uniq(doc.rows.map((r) => r.level)), () => t.refresh());
  const count = h('span', { class: 'muted', 'data-testid': 'row-count' });
  const cols: Array<Col<SynthRow>> = [
    { label: 'id', sort: (r) => r.id, cell: (r) => r.id },
    { label: 'level', num: true, sort: (r) => r.level ?? -1, cell: (r) => r.level ?? '—' },
    { label: 'tier', sort: (r) => r.tier, cell: (r) => r.tier },
    { label: 'solve rate', num: true, sort: (r) => r.solveRate, cell: (r) => pct(r.solveRate) },
    { label: 'correct / terminals', num: true, sort: (r) => r.correctTerminals, cell: (r) => `${r.correctTerminals} / ${r.terminals}` },
    {
      label: 'answer',
      sort: (r) => (r.correct ? 1 : 0),
      cell: (r) => h('span', { class: r.correct ? 'verdict-correct' : 'verdict-wrong' }, `${r.correct ? '✓' : '✗'} ${r.answer ?? '(none)'}`),
    },
    { label: 'gold', cell: (r) => goldText(r.gold) },
    { label: 'tokens', num: true, sort: (r) => r.tokens, cell: (r) => r.tokens },
    { label: 'nodes', num: true, sort: (r) => r.nodes, cell: (r) => r.nodes },
    { label: 'question', cell: (r) => (r.question.length > 90 ? r.question.slice(0, 90) + '…' : r.question) },
  ];
  const t = treeTable(
    cols,
    doc.rows,
    count,
    q,
    (r, text) =>
      (!tier.value || r.tier === tier.value) &&
      (!level.value || String(r.level) === level.value) &&
      (!text || r.id.toLowerCase().includes(text) || r.question.toLowerCase().includes(text)),
  );
  const solved = doc.rows.filter((r) => r.correctTerminals > 0).length;
  const cfg = doc.config ?? {};
  const setting = ['mode', 'seed', 'rollouts', 'candidates', 'maxDepth', 'temperature']
    .filter((k) => cfg[k] !== undefined)
    .map((k) => `${k} ${String(cfg[k])}`);
  return h(
    'section',
    {},
    h('h1', {}, `Synthesis run ${doc.title}`),
    h(
      'p',
      { class: 'muted' },
      `${doc.rows.length} problems, ${solved} solved (a correct terminal), ${doc.rows.reduce((a, r) => a + r.tokens, 0)} tokens`,
      doc.status ? ` · status ${doc.status}` : '',
      setting.length ? ` · ${setting.join(', ')}` : '',
    ),
    notes(doc.notes),
    h('div', { class: 'controls' }, q, tier, level, count),
    t.table,
  );
}

function evalView(doc: EvalDoc): Node {
  const sm = doc.summary;
  const q = search(() => t.refresh());
  const verdict = select('verdict', uniq(doc.rows.map((r) => r.verdict)), () => t.refresh());
  const level = select('level', uniq(doc.rows.map((r) => r.level)), () => t.refresh());
  const count = h('span', { class: 'muted', 'data-testid': 'row-count' });
  const detail = h('div', { 'data-testid': 'prediction' });
  const showPrediction = (r: EvalRow) => {
    fill(
      detail,
      h(
        'h2',
        {},
        `Problem ${r.id}: `,
        h('span', { class: `verdict-${r.verdict}` }, r.verdict),
        r.tree ? ' · ' : '',
        r.tree ? link(`#/t/${r.tree}`, 'open its tree') : '',
      ),
      h(
        'p',
        {},
        'answer ',
        h('code', {}, r.answer ?? '(none)'),
        ' · gold ',
        h('code', {}, goldText(r.gold)),
        r.votes ? ` · votes ${r.votes.map((v) => `${v.answer}×${v.count}`).join(', ')}` : '',
      ),
      r.error ? h('pre', { class: 'error' }, r.error) : null,
      h('pre', { class: 'prediction' }, r.prediction || '(no prediction)'),
    );
  };
  const cols: Array<Col<EvalRow>> = [
    { label: 'id', sort: (r) => r.id, cell: (r) => r.id },
    { label: 'level', num: true, sort: (r) => r.level ?? -1, cell: (r) => r.level ?? '—' },
    { label: 'verdict', sort: (r) => r.verdict, cell: (r) => h('span', { class: `verdict-${r.verdict}` }, r.verdict) },
    { label: 'answer', sort: (r) => r.answer ?? '', cell: (r) => r.answer ?? '(none)' },
    { label: 'gold', cell: (r) => goldText(r.gold) },
    { label: 'tokens', num: true, sort: (r) => r.tokens, cell: (r) => r.tokens },
    { label: 'tree', cell: (r) => (r.tree ? link(`#/t/${r.tree}`, 'tree') : '—') },
  ];
  const t = dataTable(cols, doc.rows, {
    testid: 'eval-table',
    count,
    open: showPrediction,
    keep: () => {
      const text = q.value.trim().toLowerCase();
      return (r) =>
        (!verdict.value || r.verdict === verdict.value) &&
        (!level.value || String(r.level) === level.value) &&
        (!text || r.id.toLowerCase().includes(text) || r.prediction.toLowerCase().includes(text));
    },
  });
  const ladder =
    sm.accuracyVsTokens.length > 1
      ? h(
          'table',
          { 'data-testid': 'ladder' },
          h('thead', {}, h('tr', {}, h('th', {}, 'metric'), h('th', { class: 'num' }, 'accuracy'), h('th', { class: 'num' }, 'tokens / problem'))),
          h(
            'tbody',
            {},
            ...sm.accuracyVsTokens.map((p) =>
              h('tr', {}, h('td', {}, p.metric), h('td', { class: 'num' }, pct(p.accuracy)), h('td', { class: 'num' }, p.tokensPerProblem.toFixed(0))),
            ),
          ),
        )
      : null;
  return h(
    'section',
    {},
    h('h1', {}, `Evaluation ${doc.title}`),
    h(
      'p',
      { 'data-testid': 'eval-summary' },
      `${sm.dataset} · ${sm.mode}${sm.oracle ? ' (oracle)' : ''}: ${sm.correct}/${sm.n} = ${pct(sm.accuracy)}`,
      sm.invalid ? `, ${sm.invalid} without an answer` : '',
      ` · ${sm.tokensPerProblem.toFixed(0)} tokens/problem`,
    ),
    notes(doc.notes),
    plots(doc.plots),
    ladder,
    h('h2', {}, 'Problems'),
    h('div', { class: 'controls' }, q, verdict, level, count),
    t.table,
    detail,
  );
}

function evolveView(doc: EvolveDoc): Node {
  const rounds = h(
    'table',
    { 'data-testid': 'rounds-table' },
    h(
      'thead',
      {},
      h('tr', {}, ...['round', 'status', ...doc.modes, 'coverage', 'SFT examples', 'PPM pairs', 'PPM pair acc', 'runs and results'].map((x) => h('th', {}, x))),
    ),
    h(
      'tbody',
      {},
      ...doc.rounds.map((r) =>
        h(
          'tr',
          {},
          h('td', { class: 'num' }, r.round),
          h('td', {}, r.status),
          ...doc.modes.map((m) => h('td', { class: 'num' }, pct(r.accuracy[m]))),
          h('td', { class: 'num' }, r.coverage ? `${r.coverage.solved}/${r.coverage.total} (${pct(r.coverage.solved / r.coverage.total)})` : '—'),
          h('td', { class: 'num' }, r.sftExamples ?? '—'),
          h('td', { class: 'num' }, r.ppmPairs ?? '—'),
          h('td', { class: 'num' }, pct(r.ppmPairAccuracy)),
          h('td', {}, ...r.links.flatMap((l, i) => [i ? ', ' : '', link(`#/v/${l.view}`, l.label)])),
        ),
      ),
    ),
  );
  const perRung = doc.rounds
    .filter((r) => doc.modes.some((m) => r.accuracy[m] !== null))
    .map((r) =>
      h(
        'details',
        { open: r.round === doc.rounds[doc.rounds.length - 1].round },
        h('summary', {}, `Round ${r.round}: accuracy per rung (mean tokens per problem)`),
        h(
          'table',
          { 'data-testid': `rungs-${r.round}` },
          h('thead', {}, h('tr', {}, h('th', {}, 'level'), ...doc.modes.map((m) => h('th', { class: 'num' }, m)))),
          h(
            'tbody',
            {},
            ...r.perLevel.map((l) =>
              h(
                'tr',
                {},
                h('td', {}, l.level),
                ...doc.modes.map((m) => h('td', { class: 'num' }, l.cells[m] ? `${pct(l.cells[m]!.accuracy)} (${l.cells[m]!.tokens.toFixed(0)})` : '—')),
              ),
            ),
          ),
        ),
      ),
    );
  return h(
    'section',
    {},
    h('h1', {}, `Evolve run ${doc.title}`),
    h('p', { class: 'muted' }, h('code', {}, doc.command), ` · held-out ${doc.testSet} · N = ${doc.evalN}`),
    notes(doc.notes),
    plots(doc.plots),
    h('h2', {}, 'Rounds'),
    rounds,
    h('h2', {}, 'Per rung'),
    ...perRung,
  );
}

function treesView(doc: TreesDoc): Node {
  const q = search(() => t.refresh());
  const count = h('span', { class: 'muted', 'data-testid': 'row-count' });
  const cols: Array<Col<TreeFileRow>> = [
    { label: 'file', sort: (r) => r.file, cell: (r) => r.file },
    { label: 'mode', sort: (r) => r.mode, cell: (r) => r.mode },
    { label: 'answer', cell: (r) => r.answer ?? '(none)' },
    { label: 'gold', cell: (r) => goldText(r.gold) },
    { label: 'nodes', num: true, sort: (r) => r.nodes, cell: (r) => r.nodes },
    { label: 'tokens', num: true, sort: (r) => r.tokens, cell: (r) => r.tokens },
    { label: 'question', cell: (r) => r.question },
  ];
  const t = treeTable(cols, doc.rows, count, q, (r, text) => !text || r.file.toLowerCase().includes(text) || r.question.toLowerCase().includes(text));
  return h('section', {}, h('h1', {}, `Trees in ${doc.title}`), notes(doc.notes), h('div', { class: 'controls' }, q, count), t.table);
}

// ── the tree ───────────────────────────────────────────────────────────────────────────────────────

const DX = 24;
const DY = 70;
/** Below this scale nodes and links are too small to see; a wider tree starts here and is panned. */
const MIN_START_SCALE = 0.35;
const radius = (n: TreeNodeJSON) => 4 + Math.min(10, 2 * Math.sqrt(n.visits));

type Verdict = 'correct' | 'wrong' | 'answer' | 'error' | 'truncated' | null;
function verdictOf(n: TreeNodeJSON): Verdict {
  if (!n.terminal) return null;
  if (n.reason === 'answer') return n.correct === true ? 'correct' : n.correct === false ? 'wrong' : 'answer';
  if (n.reason === 'invalid' || n.reason === 'too-many-errors') return 'error';
  if (n.reason === 'truncated' || n.reason === 'too-many-steps') return 'truncated';
  return null;
}
const VERDICT_TEXT: Record<Exclude<Verdict, null>, string> = {
  correct: 'correct',
  wrong: 'wrong',
  answer: 'answer (no gold)',
  error: 'error',
  truncated: 'truncated',
};

/** Diverging colour for a value in [-1, 1]: red (−1), grey (0), green (+1); white when unknown. */
function valueColor(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '#ffffff';
  const t = Math.max(-1, Math.min(1, v));
  const mid = [226, 229, 232];
  const end = t < 0 ? [198, 40, 40] : [26, 143, 60];
  const a = Math.abs(t);
  return `rgb(${mid.map((m, i) => Math.round(m + (end[i] - m) * a)).join(',')})`;
}

/** The chosen terminal: recorded in the tree, or (older trees) the best-ranked terminal with the tree's answer. */
function chosenNode(t: TreeJSON): number | null {
  if (t.chosen !== undefined) return t.chosen;
  if (t.answer === null) return null;
  return t.ranking.find((r) => r.answer === t.answer)?.node ?? t.ranking[0]?.node ?? null;
}

const PY_KEYWORDS = new Set(
  'and as assert break class continue def del elif else except False finally for from global if import in is lambda None nonlocal not or pass raise return True try while with yield'.split(
    ' ',
  ),
);
const PY_TOKEN = /(#[^\n]*)|("""[\s\S]*?"""|'''[\s\S]*?'''|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')|(\b\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\b)|([A-Za-z_]\w*)/g;

/** Python code as text nodes and spans by token kind (comments, strings, numbers, keywords, calls). */
function highlight(code: string): Node[] {
  const out: Node[] = [];
  let last = 0;
  const span = (cls: string, text: string) => h('span', { class: cls }, text);
  for (const m of code.matchAll(PY_TOKEN)) {
    const i = m.index!;
    let node: Node | null = null;
    if (m[1]) node = span('tok-com', m[1]);
    else if (m[2]) node = span('tok-str', m[2]);
    else if (m[3]) node = span('tok-num', m[3]);
    else if (m[4] && PY_KEYWORDS.has(m[4])) node = span('tok-kw', m[4]);
    else if (m[4] && code[i + m[4].length] === '(') node = span('tok-fn', m[4]);
    if (!node) continue;
    if (i > last) out.push(document.createTextNode(code.slice(last, i)));
    out.push(node);
    last = i + m[0].length;
  }
  if (last < code.length) out.push(document.createTextNode(code.slice(last)));
  return out;
}

interface Zoom {
  x: number;
  y: number;
  k: number;
}

function treeView(key: string, tree: TreeJSON, title: string, initial: number | null): Node {
  const nodes = tree.nodes;
  const chosen = chosenNode(tree);
  const onPath = new Set<number>();
  for (let c: number | null = chosen; c !== null; c = nodes[c].parent) onPath.add(c);
  const size = new Array<number>(nodes.length).fill(1);
  for (let i = nodes.length - 1; i > 0; i--) size[nodes[i].parent!] += size[i];
  const collapsed = new Set<number>();
  let selected = initial !== null && initial >= 0 && initial < nodes.length ? initial : 0;
  let colorBy: 'q' | 'value' = 'q';
  let zoom: Zoom = { x: 0, y: 0, k: 1 };
  let pos = new Map<number, { x: number; y: number }>();
  const els = new Map<number, SVGGElement>();

  // Head: the question and what the search did.
  const chosenCorrect = chosen !== null ? nodes[chosen].correct : null;
  const totals = tree.totals as unknown as Record<string, unknown>;
  const colorSel = h(
    'select',
    { 'aria-label': 'colour nodes by' },
    h('option', { value: 'q' }, 'colour: Q'),
    h('option', { value: 'value' }, 'colour: value (PPM score / reward)'),
  );
  colorSel.addEventListener('change', () => {
    colorBy = colorSel.value === 'value' ? 'value' : 'q';
    for (const [id, g] of els) g.querySelector('circle.dot')!.setAttribute('fill', fillOf(nodes[id]));
  });
  const swatch = (cls: string, extra: Record<string, string | number> = {}) => {
    const svg = s('svg', { width: 18, height: 18 });
    const g = s('g', { class: `node ${cls}`, transform: 'translate(9,9)' });
    g.appendChild(s('circle', { class: 'dot', r: 4, fill: '#e2e5e8', ...extra }));
    if (cls.startsWith('verdict')) g.appendChild(s('circle', { class: 'ring', r: 7 }));
    if (cls === 'chosen') g.appendChild(s('circle', { class: 'halo', r: 7 }));
    svg.appendChild(g);
    return svg;
  };
  const legend = h(
    'div',
    { class: 'legend' },
    h('span', {}, swatch('', { fill: valueColor(-1) }), ' Q −1 … ', swatch('', { fill: valueColor(1) }), ' +1; size: visits'),
    ...(['correct', 'wrong', 'answer', 'error', 'truncated'] as const).map((v) => h('span', {}, swatch(`verdict-${v}`), ` ${VERDICT_TEXT[v]}`)),
    h('span', {}, swatch('chosen'), ' chosen path'),
    h('span', {}, 'keys: ↑ parent, ↓ child, ← → siblings, Enter collapse, Home root, c chosen, + − 0 zoom'),
  );
  const head = h(
    'div',
    { class: 'tree-head' },
    h('h1', {}, title),
    h('p', { class: 'question', 'data-testid': 'question' }, tree.question),
    h(
      'p',
      { class: 'muted' },
      `${tree.mode}${tree.guide ? ` (${tree.guide}-guided)` : ''} · answer `,
      h('code', { 'data-testid': 'tree-answer' }, tree.answer ?? '(none)'),
      chosenCorrect === null ? '' : h('span', { class: chosenCorrect ? 'verdict-correct' : 'verdict-wrong' }, chosenCorrect ? ' ✓' : ' ✗'),
      ' · gold ',
      h('code', {}, goldText(tree.gold)),
      ` · ${nodes.length} nodes · ${String(totals.rollouts ?? '—')} rollouts · ${String(totals.policyTokens ?? '—')} tokens · stop: ${String(totals.stopReason ?? '—')} · `,
      colorSel,
    ),
    legend,
  );

  // The canvas.
  const svg = s('svg', { class: 'tree', role: 'tree', 'aria-label': 'search tree' });
  const viewport = s('g', { class: 'viewport' });
  const linkPath = s('path', { class: 'links' });
  const chosenPath = s('path', { class: 'links chosen', 'data-testid': 'chosen-links' });
  const nodeLayer = s('g', { class: 'nodes' });
  viewport.append(linkPath, chosenPath, nodeLayer);
  svg.appendChild(viewport);
  const tools = h('div', { class: 'tools' });
  const tool = (label: string, f: () => void) => {
    const b = h('button', { type: 'button', title: label, 'aria-label': label }, label);
    b.addEventListener('click', f);
    tools.appendChild(b);
  };
  const canvas = h(
    'div',
    { class: 'canvas', tabindex: 0, 'data-testid': 'tree-canvas', 'aria-label': 'search tree: arrow keys move between nodes' },
    svg,
    tools,
  );
  const detail = h('aside', { class: 'detail', 'data-testid': 'node-detail', 'aria-live': 'polite' });

  function fillOf(n: TreeNodeJSON): string {
    if (colorBy === 'value') return valueColor(n.value);
    return n.visits === 0 ? '#ffffff' : valueColor(n.q);
  }

  const visibleChildren = (id: number) => (collapsed.has(id) ? [] : nodes[id].children);

  function layout(): void {
    const root = d3
      .tree<TreeNodeJSON>()
      .nodeSize([DX, DY])
      .separation((a, b) => (a.parent === b.parent ? 1 : 1.3))(d3.hierarchy<TreeNodeJSON>(nodes[0], (n) => visibleChildren(n.id).map((c) => nodes[c])));
    pos = new Map();
    let links = '';
    let chosenLinks = '';
    nodeLayer.replaceChildren();
    els.clear();
    const frag = document.createDocumentFragment();
    for (const d of root.descendants()) {
      const n = d.data;
      pos.set(n.id, { x: d.x, y: d.y });
      if (d.parent) {
        const p = d.parent;
        const my = (p.y + d.y) / 2;
        const seg = `M${p.x},${p.y}C${p.x},${my} ${d.x},${my} ${d.x},${d.y}`;
        if (onPath.has(n.id)) chosenLinks += seg;
        else links += seg;
      }
      const v = verdictOf(n);
      const g = s('g', {
        class: `node${v ? ` verdict-${v}` : ''}${n.id === selected ? ' selected' : ''}`,
        transform: `translate(${d.x},${d.y})`,
        'data-node-id': n.id,
        role: 'treeitem',
      });
      if (onPath.has(n.id)) {
        g.setAttribute('data-chosen', 'true');
        g.appendChild(s('circle', { class: 'halo', r: radius(n) + 6 }));
      }
      const r = radius(n);
      g.appendChild(s('circle', { class: 'dot', r, fill: fillOf(n) }));
      if (v) g.appendChild(s('circle', { class: 'ring', r: r + 3 }));
      if (collapsed.has(n.id) && n.children.length) {
        const more = s('text', { class: 'more', x: r + 4, y: 4 });
        more.textContent = `+${size[n.id] - 1}`;
        g.appendChild(more);
        g.setAttribute('data-collapsed', 'true');
      }
      const tip = s('title');
      tip.textContent = `${n.tag} · visits ${n.visits} · Q ${n.q.toFixed(3)}${v ? ` · ${VERDICT_TEXT[v]}` : ''}`;
      g.appendChild(tip);
      els.set(n.id, g);
      frag.appendChild(g);
    }
    nodeLayer.appendChild(frag);
    linkPath.setAttribute('d', links);
    chosenPath.setAttribute('d', chosenLinks);
  }

  const apply = () => viewport.setAttribute('transform', `translate(${zoom.x},${zoom.y}) scale(${zoom.k})`);
  /** Whole tree in view; a tree too wide to read that way starts at a readable scale around the root instead. */
  function start(): void {
    fit();
    if (zoom.k >= MIN_START_SCALE) return;
    const k = MIN_START_SCALE;
    zoom = { k, x: (svg.clientWidth || 800) / 2 - pos.get(0)!.x * k, y: 20 };
    apply();
  }
  function fit(): void {
    const w = svg.clientWidth || 800;
    const hgt = svg.clientHeight || 600;
    let x0 = Infinity;
    let x1 = -Infinity;
    let y1 = 0;
    for (const p of pos.values()) {
      x0 = Math.min(x0, p.x);
      x1 = Math.max(x1, p.x);
      y1 = Math.max(y1, p.y);
    }
    const k = Math.min(1.5, (w - 40) / Math.max(1, x1 - x0), (hgt - 40) / Math.max(1, y1));
    zoom = { k, x: (w - k * (x0 + x1)) / 2, y: 20 };
    apply();
  }
  function zoomAt(factor: number, cx: number, cy: number): void {
    const k = Math.max(0.01, Math.min(8, zoom.k * factor));
    zoom = { k, x: cx - ((cx - zoom.x) * k) / zoom.k, y: cy - ((cy - zoom.y) * k) / zoom.k };
    apply();
  }
  /** Pans so the node is in view (centred when it was outside). */
  function reveal(id: number): void {
    const p = pos.get(id);
    if (!p) return;
    const w = svg.clientWidth || 800;
    const hgt = svg.clientHeight || 600;
    const sx = zoom.x + p.x * zoom.k;
    const sy = zoom.y + p.y * zoom.k;
    if (sx < 20 || sx > w - 20 || sy < 20 || sy > hgt - 20) {
      zoom = { ...zoom, x: w / 2 - p.x * zoom.k, y: hgt / 2 - p.y * zoom.k };
      apply();
    }
  }

  function row(label: string, value: Child): Node[] {
    return [h('dt', {}, label), h('dd', {}, value)];
  }
  function showDetail(): void {
    const n = nodes[selected];
    const v = verdictOf(n);
    const path: number[] = [];
    for (let c: number | null = n.id; c !== null && c !== 0; c = nodes[c].parent) path.unshift(c);
    detail.setAttribute('data-node', String(n.id));
    fill(
      detail,
      h(
        'h2',
        {},
        n.id === 0 ? 'root (the prompt)' : `node ${n.id} · step ${n.depth}`,
        ' ',
        v ? h('span', { class: `badge verdict-${v}`, 'data-testid': 'verdict' }, VERDICT_TEXT[v]) : null,
        onPath.has(n.id) ? h('span', { class: 'badge', 'data-testid': 'on-chosen-path' }, 'chosen path') : null,
      ),
      h(
        'dl',
        {},
        ...row('tag', n.tag),
        ...row('visits', n.visits),
        ...row('Q', fixed(n.q)),
        ...row('value (reward / PPM score)', fixed(n.value)),
        ...row('tokens', n.tokens),
        ...(n.expansionTokens !== undefined ? row('expansion tokens', n.expansionTokens) : []),
        ...row('execution', n.execStatus ?? '—'),
        ...(n.terminal ? row('ends because', n.reason ?? '—') : []),
        ...(n.answer !== null ? row('answer', h('code', { 'data-testid': 'detail-answer' }, n.answer)) : []),
        ...row('children', n.children.length),
      ),
      n.id === 0 ? h('pre', { 'data-testid': 'detail-prompt' }, tree.prompt) : null,
      n.id !== 0 ? h('h3', {}, 'Step') : null,
      n.id !== 0 ? h('pre', { 'data-testid': 'detail-text' }, n.text) : null,
      n.code ? h('h3', {}, 'Code') : null,
      n.code ? h('pre', { class: 'code', 'data-testid': 'detail-code' }, ...highlight(n.code)) : null,
      n.id !== 0 ? h('h3', {}, 'Output') : null,
      n.id !== 0 ? h('pre', { 'data-testid': 'detail-output' }, n.output === '' ? '(nothing printed)' : n.output) : null,
      n.error ? h('h3', {}, 'Error') : null,
      n.error ? h('pre', { 'data-testid': 'detail-error' }, n.error) : null,
      path.length ? h('h3', {}, `Path from the root (${path.length} step${path.length > 1 ? 's' : ''})`) : null,
      ...path.map((id) => {
        const step = h('div', { class: `path-step${id === n.id ? ' current' : ''}`, 'data-path-node': id }, h('pre', {}, nodes[id].text));
        step.addEventListener('click', () => choose(id));
        return step;
      }),
    );
  }

  function choose(id: number): void {
    els.get(selected)?.classList.remove('selected');
    selected = id;
    els.get(id)?.classList.add('selected');
    showDetail();
    reveal(id);
    history.replaceState(null, '', `#/t/${key}/${id}`);
  }
  function toggle(id: number): void {
    if (!nodes[id].children.length) return;
    if (collapsed.has(id)) collapsed.delete(id);
    else collapsed.add(id);
    layout();
    reveal(id);
  }

  // Pointer: click selects, double click collapses, drag pans, wheel zooms.
  let drag: { x: number; y: number; zx: number; zy: number; moved: boolean } | null = null;
  svg.addEventListener('pointerdown', (e) => {
    drag = { x: e.clientX, y: e.clientY, zx: zoom.x, zy: zoom.y, moved: false };
  });
  svg.addEventListener('pointermove', (e) => {
    if (!drag) return;
    const dx = e.clientX - drag.x;
    const dy = e.clientY - drag.y;
    if (!drag.moved && Math.hypot(dx, dy) < 4) return;
    if (!drag.moved) svg.setPointerCapture(e.pointerId);
    drag.moved = true;
    zoom = { ...zoom, x: drag.zx + dx, y: drag.zy + dy };
    apply();
  });
  svg.addEventListener('pointerup', (e) => {
    const was = drag;
    drag = null;
    if (was?.moved) return;
    const g = (e.target as Element).closest('g.node');
    if (g) {
      choose(Number(g.getAttribute('data-node-id')));
      canvas.focus({ preventScroll: true });
    }
  });
  svg.addEventListener('dblclick', (e) => {
    const g = (e.target as Element).closest('g.node');
    if (g) toggle(Number(g.getAttribute('data-node-id')));
  });
  svg.addEventListener(
    'wheel',
    (e) => {
      e.preventDefault();
      const r = svg.getBoundingClientRect();
      zoomAt(Math.exp(-e.deltaY * 0.0015), e.clientX - r.left, e.clientY - r.top);
    },
    { passive: false },
  );
  const centre = () => [svg.clientWidth / 2, svg.clientHeight / 2] as const;
  tool('+', () => zoomAt(1.25, ...centre()));
  tool('−', () => zoomAt(0.8, ...centre()));
  tool('fit', fit);

  canvas.addEventListener('keydown', (e) => {
    const n = nodes[selected];
    const siblings = n.parent === null ? [n.id] : nodes[n.parent].children;
    const at = siblings.indexOf(n.id);
    let next: number | null = null;
    switch (e.key) {
      case 'ArrowUp':
        next = n.parent;
        break;
      case 'ArrowDown': {
        const kids = visibleChildren(n.id);
        next =
          kids.find((c) => onPath.has(c)) ?? kids.reduce<number | null>((best, c) => (best === null || nodes[c].visits > nodes[best].visits ? c : best), null);
        break;
      }
      case 'ArrowLeft':
        next = at > 0 ? siblings[at - 1] : null;
        break;
      case 'ArrowRight':
        next = at < siblings.length - 1 ? siblings[at + 1] : null;
        break;
      case 'Home':
        next = 0;
        break;
      case 'c':
        next = chosen;
        break;
      case 'Enter':
      case ' ':
        toggle(n.id);
        break;
      case '+':
      case '=':
        zoomAt(1.25, ...centre());
        break;
      case '-':
        zoomAt(0.8, ...centre());
        break;
      case '0':
        fit();
        break;
      default:
        return;
    }
    e.preventDefault();
    if (next !== null && next !== undefined) choose(next);
  });

  const page = h('div', { class: 'tree-page', 'data-testid': 'tree-page' }, head, canvas, detail);
  layout();
  showDetail();
  // Fit once the canvas has its size (it is attached by the caller right after this returns).
  requestAnimationFrame(() => {
    start();
    if (selected !== 0) reveal(selected);
    requestAnimationFrame(() => {
      (window as unknown as { rstarRendered?: number }).rstarRendered = performance.now();
      document.body.setAttribute('data-rendered', key);
    });
  });
  return page;
}

// ── routing ────────────────────────────────────────────────────────────────────────────────────────

let catalogue: Catalogue | null = null;

function show(node: Node): void {
  app.replaceChildren(node);
}

async function route(): Promise<void> {
  document.body.removeAttribute('data-rendered');
  try {
    catalogue ??= await api.catalogue();
    const cat = catalogue;
    document.title = `rstar view · ${cat.title}`;
    const rootCrumb: [string, string] = [cat.title, '#/'];
    const parts = location.hash.replace(/^#\/?/, '').split('/');
    const entry = (key: string) => cat.views.find((v) => v.key === key);
    if (parts[0] === 't' && parts[1]) {
      const key = parts[1];
      const view = key.split('.')[0];
      const tree = await api.tree(key);
      const v = entry(view);
      const viewDoc = v && v.kind !== 'tree' ? await api.view(view) : null;
      const rowId = rowLabel(viewDoc, key);
      setCrumbs([rootCrumb, ...(v && view !== 'v0' ? [[v.label, `#/v/${view}`] as [string, string]] : []), [rowId ?? 'tree', null]]);
      show(treeView(key, tree, rowId ? `Search tree of ${rowId}` : 'Search tree', parts[2] !== undefined && /^\d+$/.test(parts[2]) ? Number(parts[2]) : null));
      (app.querySelector('[data-testid="tree-canvas"]') as HTMLElement | null)?.focus({ preventScroll: true });
      return;
    }
    const key = parts[0] === 'v' && parts[1] ? parts[1] : 'v0';
    const doc = await api.view(key);
    if (doc.kind === 'tree') {
      location.replace(`#/t/${doc.tree}`);
      return;
    }
    setCrumbs(key === 'v0' ? [[cat.title, null]] : [rootCrumb, [entry(key)?.label ?? key, null]]);
    show(doc.kind === 'synth' ? synthView(doc) : doc.kind === 'eval' ? evalView(doc) : doc.kind === 'evolve' ? evolveView(doc) : treesView(doc));
    document.body.setAttribute('data-rendered', key);
  } catch (e) {
    show(h('div', { class: 'notes', role: 'alert', 'data-testid': 'error' }, (e as Error).message));
    document.body.setAttribute('data-rendered', 'error');
  }
}

/** The problem id (or file) a tree belongs to in its view, for titles. */
function rowLabel(doc: ViewDoc | null, tree: string): string | null {
  if (!doc) return null;
  if (doc.kind === 'synth') return doc.rows.find((r) => r.tree === tree)?.id ?? null;
  if (doc.kind === 'eval') return doc.rows.find((r) => r.tree === tree)?.id ?? null;
  if (doc.kind === 'trees') return doc.rows.find((r) => r.tree === tree)?.file ?? null;
  return null;
}

window.addEventListener('hashchange', () => void route());
void route();
