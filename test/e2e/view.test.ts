// rstar view without a browser: what the server serves and refuses, the CLI, bad input, the static
// export's file, and `rstar solve --view` on the shipped bundle.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildViewRun, XSS, PROBLEMS, type ViewRun } from '../helpers/view-fixtures.js';
import { rstar } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { ViewSource } from '../../src/view/source.js';
import { startViewServer, type ViewServer } from '../../src/view/server.js';
import { readTreeFile } from '../../src/search/tree-file.js';
import type { StaticData } from '../../src/view/types.js';

let dir: string;
let fx: ViewRun;
let server: ViewServer;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rstar-view-'));
  fx = await buildViewRun(dir);
  server = await startViewServer(ViewSource.open(fx.run));
});
after(() => server?.close());

/** A raw GET: the path goes out exactly as written (no client-side normalisation). */
function get(
  url: string,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Starts `rstar ARGS --json` and resolves with its first stdout line (parsed) once it prints it. */
function startCli(args: string[]): Promise<{ child: ChildProcess; line: Record<string, unknown>; exit: Promise<number | null> }> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'rstar.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve({ child, line: JSON.parse(out.slice(0, nl)), exit });
    });
    void exit.then((code) => reject(new Error(`rstar ${args[0]} exited ${code} before printing: ${err}`)));
  });
}

test('the eval records name their saved trees, relative to the results file, and the trees read back', () => {
  assert.equal(fx.results.length, PROBLEMS.length);
  for (const r of fx.results) {
    assert.match(r.tree!, /^trees\/tree-p-\w+\.json$/);
    const t = readTreeFile(join(fx.run, 'round-1', 'eval', r.tree!));
    assert.equal(t.question, PROBLEMS.find((p) => p.id === r.id)!.question);
    assert.ok(t.chosen === null || t.nodes[t.chosen!].terminal, 'the chosen node is a terminal');
  }
});

test('rstar view serves the named run on 127.0.0.1, prints its URL as JSON, and stops on SIGTERM', async () => {
  const { child, line, exit } = await startCli(['view', fx.run, '--json']);
  try {
    assert.equal(line.event, 'listening');
    assert.equal(line.kind, 'evolve');
    const url = String(line.url);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await get(url, '/');
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /text\/html/);
    assert.match(String(page.headers['content-security-policy']), /default-src 'none'/);
    const cat = JSON.parse((await get(url, '/api/catalogue')).body) as { views: Array<{ key: string; kind: string; label: string }> };
    assert.deepEqual(
      cat.views.map((v) => [v.kind, v.label]),
      [
        ['evolve', fx.run],
        ['synth', join('round-1', 'synth')],
        ['eval', 'round-1/eval/mcts.jsonl'],
      ],
    );
    const synth = JSON.parse((await get(url, '/api/view/v1')).body) as { rows: Array<{ id: string; nodes: number }> };
    assert.deepEqual(
      synth.rows.map((r) => [r.id, r.nodes]),
      fx.records.map((r) => [r.id, r.tree.nodes.length]),
    );
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exit, 0);
});

test('the server maps no request to a file: traversal, encoded traversal and unknown keys get 404; other hosts 403; other methods 405', async () => {
  const url = server.url;
  const ok = await get(url, '/api/tree/v1.0');
  assert.equal(ok.status, 200);
  assert.equal(JSON.parse(ok.body).format, 'rstar-ts/tree@1');
  const refused = [
    '/../../../../etc/passwd',
    '/assets/../../package.json',
    '/assets/..%2f..%2fpackage.json',
    '/assets/%2e%2e/%2e%2e/package.json',
    '/assets/app.js/../../../package.json',
    '//etc/passwd',
    '/api/view/../../etc/passwd',
    '/api/view/v1%2f..%2f..%2fetc%2fpasswd',
    '/api/tree/v1.999',
    '/api/tree/v9.0',
    '/api/view/v99',
    '/api/tree/..%2f..%2fround-1%2fsynth%2fmanifest.json',
    '/round-1/synth/manifest.json',
    '/evolve.json',
    '/assets/package.json',
    '/assets/vega.min.js',
  ];
  for (const path of refused) {
    const r = await get(url, path);
    assert.equal(r.status, 404, path);
    assert.doesNotMatch(r.body, /root:|"name": "rstar-ts"|rstar-ts\/synth-run|rstar-ts\/evolve/, path);
  }
  const port = new URL(url).port;
  assert.equal((await get(url, '/api/catalogue', { Host: `evil.example:${port}` })).status, 403, 'DNS rebinding: a foreign Host');
  assert.equal((await get(url, '/api/catalogue', { Host: `localhost:${port}` })).status, 200);
  assert.equal((await get(url, '/', {}, 'POST')).status, 405);
  assert.equal((await get(url, '/', {}, 'DELETE')).status, 405);
});

test('an eval record whose tree lies outside the results directory (by path or by symlink) is not served', () => {
  const d = mkdtempSync(join(tmpdir(), 'rstar-view-out-'));
  mkdirSync(join(d, 'results'));
  const tree = join(fx.run, 'round-1', 'eval', fx.results[0].tree!);
  copyFileSync(tree, join(d, 'outside.json'));
  symlinkSync(join(d, 'outside.json'), join(d, 'results', 'link.json'));
  copyFileSync(tree, join(d, 'results', 'inside.json'));
  const rec = (id: string, t: string) => JSON.stringify({ ...fx.results[0], id, tree: t });
  writeFileSync(
    join(d, 'results', 'r.jsonl'),
    [rec('a', '../outside.json'), rec('b', 'link.json'), rec('c', 'inside.json'), rec('d', '/etc/passwd')].join('\n') + '\n',
  );
  const src = ViewSource.open(join(d, 'results', 'r.jsonl'));
  const doc = src.view('v0')!;
  assert.equal(doc.kind, 'eval');
  if (doc.kind !== 'eval') return;
  assert.deepEqual(
    doc.rows.map((r) => r.tree !== null),
    [false, false, true, false],
  );
  assert.equal(doc.notes.filter((n) => /outside the results file's directory/.test(n)).length, 3);
  assert.equal(src.tree('v0.0')!.question, fx.results[0] && PROBLEMS[0].question);
  assert.equal(src.tree('v0.1'), null);
});

test('a directory of tree files (solve --save-trees) lists them; a broken one is a note, not a failure', () => {
  const d = mkdtempSync(join(tmpdir(), 'rstar-view-trees-'));
  fx.records.slice(0, 2).forEach((r, i) => writeFileSync(join(d, `tree-${i}.json`), JSON.stringify(r.tree)));
  writeFileSync(join(d, 'tree-broken.json'), '{"format": "rstar-ts/tree@1"');
  const src = ViewSource.open(d);
  const doc = src.view('v0')!;
  assert.equal(doc.kind, 'trees');
  if (doc.kind !== 'trees') return;
  assert.deepEqual(
    doc.rows.map((r) => [r.file, r.nodes]),
    fx.records.slice(0, 2).map((r, i) => [`tree-${i}.json`, r.tree.nodes.length]),
  );
  assert.equal(doc.notes.length, 1);
  assert.match(doc.notes[0], /^tree-broken\.json: invalid JSON/);
  assert.deepEqual(src.tree(doc.rows[1].tree), fx.records[1].tree);
});

test('the page script never builds HTML from strings (model text only ever becomes text nodes)', () => {
  const client = readFileSync(join(REPO_ROOT, 'src', 'view', 'client', 'app.ts'), 'utf8');
  assert.doesNotMatch(client, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|DOMParser|createContextualFragment|srcdoc/);
});

test('rstar view: bad input fails with the file and field, exit 2', () => {
  const d = mkdtempSync(join(tmpdir(), 'rstar-view-bad-'));
  const missing = rstar(['view', join(d, 'nope.json')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nope\.json: no such file or directory/);
  const t = JSON.parse(JSON.stringify(fx.records[0].tree));
  t.nodes[1].parent = 99;
  writeFileSync(join(d, 'bad.json'), JSON.stringify(t));
  const bad = rstar(['view', join(d, 'bad.json')]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /bad\.json: field "nodes\.1\.parent": 99 is not a node of the tree/);
  writeFileSync(join(d, 'notatree.json'), JSON.stringify({ format: 'rstar-ts/tree@1', nodes: 'x' }));
  assert.match(rstar(['view', join(d, 'notatree.json')]).stderr, /notatree\.json: field "mode"/);
  writeFileSync(join(d, 'r.jsonl'), '{"id": "a"}\n{"id": "b", "verdict": "correct"}\n');
  const badEval = rstar(['view', join(d, 'r.jsonl')]);
  assert.equal(badEval.code, 2);
  assert.match(badEval.stderr, /r\.jsonl:1: invalid result record: field "verdict"/);
  writeFileSync(join(d, 'notes.txt'), 'hello');
  assert.match(rstar(['view', join(d, 'notes.txt')]).stderr, /not something rstar view shows/);
});

test('rstar view --static writes one file: all views and trees inlined, model text unable to close the script element', () => {
  const file = join(dir, 'export.html');
  const r = rstar(['view', fx.run, '--static', file, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).event, 'written');
  const html = readFileSync(file, 'utf8');
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'sha256-/);
  assert.doesNotMatch(html, /connect-src/, 'no network allowed (default-src none)');
  assert.doesNotMatch(html, /\ssrc="(?!data:)/, 'nothing loaded from elsewhere');
  assert.ok(!html.includes(XSS.script) && !html.includes(XSS.img), 'model text is inlined with < escaped');
  const json = /<script type="application\/json" id="rstar-data">([\s\S]*?)<\/script>/.exec(html)![1];
  const data = JSON.parse(json) as StaticData;
  assert.deepEqual(data, JSON.parse(JSON.stringify(ViewSource.open(fx.run).everything())));
  assert.equal(Object.keys(data.trees).length, 2 * PROBLEMS.length, 'the synthesis trees and the eval trees');
});

test('rstar solve --view serves the tree of that one question (shipped bundle, real sandbox)', { timeout: 120_000 }, async () => {
  const { child, line, exit } = await startCli([
    'solve',
    '--mode',
    'mcts',
    '--rollouts',
    '3',
    '--candidates',
    '3',
    '--temperature',
    '1',
    '--view',
    '--json',
    'What is 12 + 30?',
  ]);
  try {
    assert.equal(line.event, 'listening');
    const result = line.result as { totals: { nodes: number }; answer: string | null };
    const url = String(line.url);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal(JSON.parse((await get(url, '/api/view/v0')).body).kind, 'tree');
    const tree = JSON.parse((await get(url, '/api/tree/v0.0')).body);
    assert.equal(tree.question, 'What is 12 + 30?');
    assert.equal(tree.nodes.length, result.totals.nodes);
    assert.equal(tree.answer, result.answer);
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exit, 0);
  const greedy = rstar(['solve', '--view', 'What is 1 + 1?']);
  assert.equal(greedy.code, 2);
  assert.match(greedy.stderr, /--view shows a search tree: use --mode mcts or beam/);
  assert.match(rstar(['solve', '--mode', 'mcts', '--static', 'x.html', 'What is 1 + 1?']).stderr, /--static needs --view/);
});
