// rstar view in a real headless Chromium (Debian's, driven by playwright-core): the run list, the
// tree (all nodes, chosen path, node detail, keyboard), eval and evolve pages, model text that tries
// to be HTML, and the static export with the network off. Screenshots go to test-artifacts/view/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.js';
import { buildViewRun, XSS, type ViewRun } from '../helpers/view-fixtures.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { rstar } from '../helpers/cli.js';
import { ViewSource } from '../../src/view/source.js';
import { startViewServer, type ViewServer } from '../../src/view/server.js';
import { staticPage } from '../../src/view/page.js';
import { chosenNode, type TreeJSON } from '../../src/search/tree-file.js';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'view');
let dir: string;
let fx: ViewRun;
let server: ViewServer;
let browser: Browser;

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'rstar-view-browser-'));
  fx = await buildViewRun(dir);
  [server, browser] = await Promise.all([startViewServer(ViewSource.open(fx.run)), launchChromium()]);
});
after(async () => {
  await browser?.close();
  await server?.close();
});

interface Opened {
  page: Page;
  context: BrowserContext;
  /** Console errors, page errors and dialogs seen so far; must stay empty. */
  problems: string[];
  /** Requests to anything but the page's own origin, file: or data:. */
  foreign: string[];
}

async function open(url: string, rendered: string, opts: { offline?: boolean } = {}): Promise<Opened> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 760 }, offline: opts.offline ?? false });
  const page = await context.newPage();
  const problems: string[] = [];
  const foreign: string[] = [];
  const origin = url.startsWith('http') ? new URL(url).origin : null;
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  page.on('request', (r) => {
    const u = r.url();
    if (!(origin && u.startsWith(origin)) && !u.startsWith('file:') && !u.startsWith('data:')) foreign.push(u);
  });
  await page.goto(url);
  await page.waitForSelector(`body[data-rendered="${rendered}"]`, { timeout: 20_000 });
  return { page, context, problems, foreign };
}

async function done(o: Opened, shot?: string): Promise<void> {
  if (shot) await o.page.screenshot({ path: join(ARTIFACTS, `${shot}.png`) });
  assert.equal(await o.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined, 'no model text ran as script');
  assert.deepEqual(o.problems, []);
  assert.deepEqual(o.foreign, []);
  await o.context.close();
}

const synthKey = () => 'v1';
const evalKey = () => 'v2';
const treeOf = (i: number): TreeJSON => fx.records[i].tree;

/** Node ids from the root to the chosen terminal. */
function chosenPath(t: TreeJSON): number[] {
  const out: number[] = [];
  for (let c = chosenNode(t); c !== null; c = t.nodes[c].parent) out.unshift(c);
  return out;
}

const nodeIds = (page: Page, sel = 'g.node[data-node-id]') =>
  page.$$eval(sel, (els) => els.map((e) => Number(e.getAttribute('data-node-id'))).sort((a, b) => a - b));
const detailNode = (page: Page) => page.getAttribute('[data-testid="node-detail"]', 'data-node').then(Number);

test('the run list loads every problem of a synthesis run; filter and sort work; a row opens its tree', async () => {
  const o = await open(`${server.url}#/v/${synthKey()}`, synthKey());
  const { page } = o;
  const ids = () => page.$$eval('[data-testid="run-table"] tbody tr', (rows) => rows.map((r) => r.querySelector('td')!.textContent));
  assert.deepEqual(
    await ids(),
    fx.records.map((r) => r.id),
  );
  await page.fill('input[type="search"]', 'mul');
  assert.deepEqual(await ids(), ['p-mul']);
  assert.equal(await page.textContent('[data-testid="row-count"]'), `1 of ${fx.records.length}`);
  await page.fill('input[type="search"]', '');
  await page.click('th:has-text("id")');
  await page.click('th:has-text("id")');
  assert.deepEqual(
    await ids(),
    fx.records
      .map((r) => r.id)
      .sort()
      .reverse(),
  );
  await done(o, 'run-list');
});

test('a tree renders all its nodes, the chosen path is highlighted, and clicking a node shows its code and output', async () => {
  const t = treeOf(0);
  const o = await open(`${server.url}#/v/${synthKey()}`, synthKey());
  const { page } = o;
  await page.click(`[data-testid="run-table"] tbody tr:has-text("${fx.records[0].id}")`);
  await page.waitForSelector(`body[data-rendered="${synthKey()}.0"]`);
  assert.deepEqual(
    await nodeIds(page),
    t.nodes.map((n) => n.id),
  );
  const path = chosenPath(t);
  assert.ok(path.length >= 2, 'the fixture search chose an answer');
  assert.deepEqual(await nodeIds(page, 'g.node[data-chosen="true"]'), path);
  assert.notEqual(await page.getAttribute('[data-testid="chosen-links"]', 'd'), '');
  // Verdicts are marked: the fixture has right, wrong, failing and truncated terminals.
  for (const v of ['correct', 'wrong', 'error', 'truncated']) assert.ok((await page.$$(`g.node.verdict-${v}`)).length > 0, v);

  // A node whose program failed: its code (highlighted) and the sandbox's error.
  const failing = t.nodes.find((n) => n.execStatus === 'error' && n.code !== '')!;
  await page.click(`g.node[data-node-id="${failing.id}"]`);
  assert.equal(await detailNode(page), failing.id);
  const detail = page.locator('[data-testid="node-detail"]');
  assert.equal(await detail.locator('[data-testid="detail-code"]').textContent(), failing.code);
  assert.ok((await detail.locator('[data-testid="detail-code"] span').count()) > 0, 'code is highlighted');
  assert.equal(await detail.locator('[data-testid="detail-error"]').textContent(), failing.error);
  // The chosen terminal: its output and answer, and its path from the root as one solution.
  const end = t.nodes[path[path.length - 1]];
  await page.click(`g.node[data-node-id="${end.id}"]`);
  assert.equal(await detail.locator('[data-testid="detail-output"]').textContent(), end.output);
  assert.equal(await detail.locator('[data-testid="detail-answer"]').textContent(), end.answer);
  assert.equal(await detail.locator('[data-testid="on-chosen-path"]').count(), 1);
  assert.deepEqual(await detail.locator('[data-path-node]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-path-node')))), path.slice(1));
  assert.equal(
    (await detail.locator('[data-path-node] pre').allTextContents()).join(''),
    path
      .slice(1)
      .map((id) => t.nodes[id].text)
      .join(''),
  );
  await done(o, 'tree');
});

test('keyboard: arrows move between parent, child and siblings; Enter collapses and expands a subtree', async () => {
  const t = treeOf(0);
  const key = `${synthKey()}.0`;
  const o = await open(`${server.url}#/t/${key}`, key);
  const { page } = o;
  const path = chosenPath(t);
  await page.focus('[data-testid="tree-canvas"]');
  await page.keyboard.press('Home');
  assert.equal(await detailNode(page), 0);
  await page.keyboard.press('ArrowDown');
  assert.equal(await detailNode(page), path[1], 'down follows the chosen path');
  await page.keyboard.press('ArrowDown');
  assert.equal(await detailNode(page), path[2]);
  await page.keyboard.press('ArrowUp');
  assert.equal(await detailNode(page), path[1]);
  const siblings = t.nodes[0].children;
  const at = siblings.indexOf(path[1]);
  await page.keyboard.press('ArrowRight');
  assert.equal(await detailNode(page), siblings[at + 1]);
  await page.keyboard.press('ArrowLeft');
  assert.equal(await detailNode(page), path[1]);
  assert.match(page.url(), new RegExp(`#/t/${key.replace('.', '\\.')}/${path[1]}$`), 'the URL names the selected node');
  // Collapse the node: its descendants leave the drawing, and come back.
  const below = (id: number): number => t.nodes[id].children.reduce((a, c) => a + 1 + below(c), 0);
  await page.keyboard.press('Enter');
  assert.equal((await nodeIds(page)).length, t.nodes.length - below(path[1]));
  assert.equal(await page.getAttribute(`g.node[data-node-id="${path[1]}"]`, 'data-collapsed'), 'true');
  await page.keyboard.press('Enter');
  assert.equal((await nodeIds(page)).length, t.nodes.length);
  await page.keyboard.press('c');
  assert.equal(await detailNode(page), path[path.length - 1], 'c jumps to the chosen answer');
  await done(o);
});

test('model text that looks like HTML shows as characters: question, steps, outputs and answers', async () => {
  const t = treeOf(0);
  const key = `${synthKey()}.0`;
  const o = await open(`${server.url}#/t/${key}`, key);
  const { page } = o;
  assert.equal(await page.textContent('[data-testid="question"]'), t.question);
  assert.ok(t.question.includes(XSS.question));
  const scripted = t.nodes.find((n) => n.text.includes(XSS.script))!;
  await page.click(`g.node[data-node-id="${scripted.id}"]`);
  assert.equal(await page.textContent('[data-testid="detail-text"]'), scripted.text);
  const imaged = t.nodes.find((n) => n.output.includes(XSS.img))!;
  await page.click(`g.node[data-node-id="${imaged.id}"]`);
  assert.equal(await page.textContent('[data-testid="detail-output"]'), imaged.output);
  assert.equal(await page.textContent('[data-testid="detail-answer"]'), imaged.answer);
  // Nothing of it became an element: the page's only scripts are its own, and it has no images.
  assert.equal(await page.$$eval('script', (s) => s.filter((x) => x.textContent!.includes('pwned')).length), 0);
  assert.equal(await page.$$eval('img, b', (els) => els.length), 0);
  // The eval page lists the same payload as an answer, as text.
  await page.goto(`${server.url}#/v/${evalKey()}`);
  await page.waitForSelector(`body[data-rendered="${evalKey()}"]`);
  const answers = await page.$$eval('[data-testid="eval-table"] tbody tr td:nth-child(4)', (tds) => tds.map((td) => td.textContent));
  assert.ok(answers.includes(fx.results.find((r) => r.id === 'p-add')!.answer ?? '(none)'));
  assert.ok(answers.some((a) => a!.includes(XSS.img)));
  await page.click('[data-testid="eval-table"] tbody tr:has-text("p-add")');
  assert.equal(await page.textContent('pre.prediction'), fx.results.find((r) => r.id === 'p-add')!.prediction);
  assert.equal(await page.$$eval('img', (els) => els.length), 0);
  await done(o, 'xss');
});

test('eval and evolve pages: interactive plots render, predictions against gold with verdicts, links into the run', async () => {
  const o = await open(`${server.url}#/v/${evalKey()}`, evalKey());
  const { page } = o;
  await page.waitForSelector('[data-plot="levels"][data-rendered="true"] svg');
  await page.waitForSelector('[data-plot="tokens"][data-rendered="true"] svg');
  const rows = await page.$$eval('[data-testid="eval-table"] tbody tr', (trs) =>
    trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 5).map((td) => td.textContent)),
  );
  // In the file's order (problems finish in any order).
  assert.deepEqual(rows.sort(), fx.results.map((r) => [r.id, String(r.level), r.verdict, r.answer ?? '(none)', String(r.gold)]).sort());
  const correct = fx.results.filter((r) => r.correct).length;
  assert.match((await page.textContent('[data-testid="eval-summary"]'))!, new RegExp(`: ${correct}/${fx.results.length} = `));
  // A tree link from the eval opens that problem's saved tree.
  const treeLink = page.locator('[data-testid="eval-table"] tbody tr:has-text("p-mul") a');
  const key = (await treeLink.getAttribute('href'))!.replace('#/t/', '');
  await treeLink.click();
  await page.waitForSelector(`body[data-rendered="${key}"]`);
  assert.equal(await page.textContent('[data-testid="question"]'), 'What is 4 * 6?');
  assert.ok((await nodeIds(page)).length > 1);
  await page.goto(`${server.url}#/`);
  await page.waitForSelector('body[data-rendered="v0"]');
  for (const id of ['rounds', 'levels', 'tokens', 'coverage']) await page.waitForSelector(`[data-plot="${id}"][data-rendered="true"] svg`);
  // Clicking a legend entry selects its series (vega-lite's legend binding), without errors.
  await page.click('[data-plot="rounds"] .role-legend-symbol path, [data-plot="rounds"] .role-legend-label text');
  assert.deepEqual(await page.$$eval('[data-testid="rounds-table"] tbody tr a', (as) => as.map((a) => a.textContent)), ['synth', 'eval/mcts.jsonl']);
  await page.click('[data-testid="rounds-table"] a:has-text("synth")');
  await page.waitForSelector(`body[data-rendered="${synthKey()}"]`);
  await done(o, 'evolve');
});

test('the static export renders the same trees with the network off', async () => {
  const file = join(dir, 'static.html');
  writeFileSync(file, staticPage(ViewSource.open(fx.run).everything()));
  for (const [key, t] of [
    [`${synthKey()}.0`, treeOf(0)],
    [`${evalKey()}.1`, null],
  ] as const) {
    const o = await open(`${pathToFileURL(file).href}#/t/${key}`, key, { offline: true });
    const tree = t ?? (await o.page.evaluate(() => JSON.parse(document.getElementById('rstar-data')!.textContent!).trees['v2.1'] as TreeJSON));
    assert.deepEqual(
      await nodeIds(o.page),
      tree.nodes.map((n) => n.id),
    );
    assert.deepEqual(await nodeIds(o.page, 'g.node[data-chosen="true"]'), chosenPath(tree));
    await o.page.click(`g.node[data-node-id="${chosenPath(tree).at(-1)}"]`);
    assert.equal(await o.page.textContent('[data-testid="detail-output"]'), tree.nodes[chosenPath(tree).at(-1)!].output);
    await done(o, key === 'v1.0' ? 'static-tree' : undefined);
  }
  // The evolve page with its plots, offline.
  const o = await open(`${pathToFileURL(file).href}#/`, 'v0', { offline: true });
  await o.page.waitForSelector('[data-plot="tokens"][data-rendered="true"] svg');
  await done(o);
});

test('rstar solve --view --static on the shipped bundle: the page shows every node of the real search', { timeout: 120_000 }, async () => {
  const file = join(dir, 'solve.html');
  const question =
    'There are 4 roads from Fairview to Carver. There are 6 roads from Carver to Jasper. There are also 2 direct roads from Fairview to Jasper. How many different routes are there from Fairview to Jasper?';
  const r = rstar([
    'solve',
    '--mode',
    'mcts',
    '--rollouts',
    '8',
    '--candidates',
    '4',
    '--temperature',
    '1',
    '--gold',
    '26',
    '--json',
    '--view',
    '--static',
    file,
    question,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { event: string; result: { totals: { nodes: number }; trajectories: Array<{ node?: number }>; chosen: number } };
  assert.equal(out.event, 'written');
  const o = await open(`${pathToFileURL(file).href}`, 'v0.0', { offline: true });
  assert.equal((await nodeIds(o.page)).length, out.result.totals.nodes);
  assert.equal(await o.page.textContent('[data-testid="question"]'), question);
  // The chosen trajectory's terminal is the end of the highlighted path (the README's picture shows it selected).
  const end = out.result.trajectories[out.result.chosen]?.node;
  if (end !== undefined) {
    assert.equal((await nodeIds(o.page, 'g.node[data-chosen="true"]')).at(-1), end);
    await o.page.click(`g.node[data-node-id="${end}"]`);
  }
  await done(o, 'solve');
});
