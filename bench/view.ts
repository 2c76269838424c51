/**
 * Viewer benchmark: time to first render of a large search tree in headless Chromium (Debian's, via
 * playwright-core). A synthetic tree of --nodes nodes (MCTS-like: up to 8 children per expansion,
 * depth ≤ 16, step text, code and output of a realistic size, visits and Q backed up) is served by
 * the viewer's own server; each rep opens it in a fresh browser context and reads the time from
 * navigation start until the tree is laid out, drawn and painted (the page records it after two
 * animation frames). Median of --reps. Usage: node dist/bench/view.js [--nodes 5000] [--reps 3]
 * [--screenshot FILE]. Prints one JSON object.
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { execFileSync } from 'node:child_process';
import { Rng } from '../src/util/rng.js';
import type { TreeJSON, TreeNodeJSON } from '../src/search/tree-file.js';
import { ViewSource } from '../src/view/source.js';
import { startViewServer } from '../src/view/server.js';
import { findChromium, launchChromium } from '../test/helpers/chromium.js';
import { TreeBuilder } from '../test/helpers/trees.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const numArg = (name: string, dflt: number) => (arg(name) === undefined ? dflt : Number(arg(name)));

/** An MCTS-shaped tree: nodes expanded breadth-biased towards visited branches, terminals scored ±1. */
export function syntheticTree(n: number, seed = 1): TreeJSON {
  const rng = new Rng(seed);
  const builder = new TreeBuilder();
  const nodes = builder.nodes;
  const add = (parent: TreeNodeJSON | null): TreeNodeJSON => {
    if (!parent) return builder.add({ parent: null, visits: 0, expansionTokens: 0 });
    const depth = parent.depth + 1;
    const k = parent.children.length + 1;
    const code = `x${depth} = x${depth - 1} * ${k} + ${rng.int(100)}\nprint(x${depth})`;
    const text = `# Step ${depth}: combine the previous quantity with option ${k} of this step\n${code}\n<end_of_step>`;
    return builder.add({ parent: parent.id, text, code, output: `${rng.int(10_000)}\n`, tokens: 30 + rng.int(40), visits: 0, expansionTokens: 0 });
  };
  add(null);
  // Expand: walk down from the root choosing children at random until an unexpanded node.
  while (nodes.length < n) {
    let cur = nodes[0];
    while (cur.children.length && !cur.terminal && cur.depth < 16) cur = nodes[cur.children[rng.int(cur.children.length)]];
    if (cur.terminal || cur.depth >= 16) {
      cur.terminal = true;
      continue;
    }
    const kids = Math.min(n - nodes.length, 2 + rng.int(7));
    for (let i = 0; i < kids; i++) add(cur);
  }
  // Leaves become terminals with a verdict; values back up to the root.
  for (const node of nodes) {
    if (node.children.length || node.parent === null) continue;
    node.terminal = true;
    const r = rng.next();
    node.reason = r < 0.6 ? 'answer' : r < 0.8 ? 'invalid' : 'truncated';
    if (node.reason === 'answer') {
      node.correct = rng.next() < 0.4;
      node.answer = node.correct ? '42' : String(rng.int(100));
    }
    const v = node.correct ? 1 : -1;
    node.value = v;
    for (let c: TreeNodeJSON | null = node; c; c = c.parent === null ? null : nodes[c.parent]) {
      c.visits++;
      c.qSum += v;
    }
  }
  for (const node of nodes) node.q = node.visits ? node.qSum / node.visits : 0;
  const best = nodes.filter((x) => x.correct === true).sort((a, b) => b.q - a.q)[0];
  return builder.tree({
    question: 'A synthetic question for the viewer benchmark: what is 6 times 7?',
    prompt: 'synthetic',
    gold: '42',
    seed,
    answer: best ? '42' : null,
    ranking: best ? [{ node: best.id, score: 1, answer: '42' }] : [],
    chosen: best ? best.id : null,
    totals: { policyTokens: nodes.reduce((a, x) => a + x.tokens, 0), stopReason: 'synthetic' },
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main(): Promise<void> {
  const n = numArg('nodes', 5000);
  const reps = numArg('reps', 3);
  const tree = syntheticTree(n);
  const server = await startViewServer(ViewSource.ofTree(tree, 'bench'));
  const browser = await launchChromium();
  const runs: Array<{ firstRenderMs: number; drawnNodes: number }> = [];
  try {
    for (let i = 0; i < reps; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${server.url}#/t/v0.0`);
      await page.waitForSelector('body[data-rendered="v0.0"]', { timeout: 60_000 });
      const firstRenderMs = await page.evaluate(() => (window as unknown as { rstarRendered: number }).rstarRendered);
      const drawnNodes = await page.$$eval('g.node[data-node-id]', (els) => els.length);
      if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
      if (drawnNodes !== n) throw new Error(`drew ${drawnNodes} of ${n} nodes`);
      runs.push({ firstRenderMs: Math.round(firstRenderMs), drawnNodes });
      if (i === reps - 1 && arg('screenshot')) await page.screenshot({ path: arg('screenshot')! });
      await context.close();
    }
  } finally {
    await browser.close();
    await server.close();
  }
  const exe = findChromium();
  process.stdout.write(
    JSON.stringify(
      {
        bench: 'view',
        what: 'time from navigation start to the tree laid out, drawn and painted (two animation frames after the DOM is built), served by rstar view, fresh browser context per rep',
        nodes: n,
        reps,
        runs,
        medianFirstRenderMs: median(runs.map((r) => r.firstRenderMs)),
        targetMs: 2000,
        browser: execFileSync(exe, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(),
        cores: availableParallelism(),
        cpu: cpus()[0]?.model ?? null,
        loadavg: loadavg().map((x) => Number(x.toFixed(2))),
        date: new Date().toISOString(),
      },
      null,
      1,
    ) + '\n',
  );
}

await main();
