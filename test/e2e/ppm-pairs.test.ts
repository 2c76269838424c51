import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { boundedEditDistance, extractPairs, readPairs, type PpmPair } from '../../src/extract/pairs.js';
import { extractOrm, extractQreg, readRewardExamples } from '../../src/extract/reward-data.js';
import { ShardStore } from '../../src/synth/shard-store.js';
import type { SynthRecord } from '../../src/synth/synth-run.js';
import type { TreeJSON, TreeNodeJSON } from '../../src/search/tree-file.js';
import { TreeBuilder, type NodeSpec } from '../helpers/trees.js';
import { rstar } from '../helpers/cli.js';
import { RSTAR_EVAL } from '../helpers/paths.js';

// ───────────── a small tree builder ─────────────

/** A step text far (≥ 30 edits) from any other label's text. */
const T = (label: string) => `# ${label}\n${label.repeat(30)}\n<end_of_step>\n`;

class PairsTree extends TreeBuilder {
  constructor(readonly prompt = 'PROMPT\n') {
    super();
    this.add({ parent: null });
  }

  /** An intermediate step. */
  step(parent: number, label: string, q: number, extra: Omit<NodeSpec, 'parent'> = {}): number {
    return this.add({ parent, text: T(label), q, value: q, tokens: 1, ...extra }).id;
  }

  /** A branch-ending terminal: `correct` true/false for answers, or another reason (invalid, …). */
  end(parent: number, label: string, q: number, correct: boolean | null, reason: TreeNodeJSON['reason'] = 'answer'): number {
    return this.step(parent, label, q, { terminal: true, reason, correct, answer: reason === 'answer' ? label : null });
  }

  text(...ids: number[]): string {
    return ids.map((i) => this.nodes[i].text).join('');
  }

  override tree(): TreeJSON {
    return super.tree({ prompt: this.prompt });
  }
}

function record(id: string, tree: TreeJSON): SynthRecord {
  return {
    id,
    level: 1,
    question: tree.question,
    gold: '1',
    answer: null,
    correct: false,
    solveRate: 0,
    correctTerminals: 0,
    terminals: 0,
    tier: 'hard',
    tokens: 0,
    ms: 0,
    tree,
  };
}

/**
 * Tree 1 (prompt "PROMPT\n"), root children:
 *   A q .8 → A1 correct (1), A2 wrong (−1)      B q .6 → B1 correct (1)
 *   C q .9 error step → C1 correct (1)           I q .3 → I1 correct (1)
 *   D q −.7 error step → D1 wrong (−1)           E q −.2 → E1 invalid (−1)
 *   F q −.9 → F1 wrong (−1)                      G q 0, unvisited frontier (no terminal)
 *   H terminal wrong (−1) directly under the root
 */
function tree1() {
  const b = new PairsTree();
  const A = b.step(0, 'A', 0.8);
  const A1 = b.end(A, 'a', 1, true);
  const A2 = b.end(A, 'b', -1, false);
  const B = b.step(0, 'B', 0.6);
  const B1 = b.end(B, 'c', 1, true);
  const C = b.step(0, 'C', 0.9, { execStatus: 'error', error: 'NameError' });
  const C1 = b.end(C, 'd', 1, true);
  const I = b.step(0, 'I', 0.3);
  const I1 = b.end(I, 'e', 1, true);
  const D = b.step(0, 'D', -0.7, { execStatus: 'error', error: 'ZeroDivisionError' });
  const D1 = b.end(D, 'f', -1, false);
  const E = b.step(0, 'E', -0.2);
  const E1 = b.end(E, 'g', -1, null, 'invalid');
  const F = b.step(0, 'F', -0.9);
  const F1 = b.end(F, 'h', -1, false);
  const G = b.step(0, 'G', 0, { visits: 0, qSum: 0, value: null });
  const H = b.end(0, 'H', -1, false);
  return { b, ids: { A, A1, A2, B, B1, C, C1, I, I1, D, D1, E, E1, F, F1, G, H } };
}

test('tree 1: sibling rule at the root and final-step trajectory pairs, exactly', () => {
  const { b, ids } = tree1();
  const { A, A1, B, B1, D, F, F1, H } = ids;
  const pairs = extractPairs([record('p1', b.tree())]);
  const P = b.prompt;
  const step = (c: number, r: number, w = 0.25): PpmPair => ({
    prompt: P,
    chosen: b.text(c),
    rejected: b.text(r),
    chosen_q: b.nodes[c].q,
    rejected_q: b.nodes[r].q,
    weight: w,
    problem_id: 'p1',
    depth: 1,
  });
  const traj = (c: number[], cq: number, r: number[], rq: number): PpmPair => ({
    prompt: P,
    chosen: b.text(...c),
    rejected: b.text(...r),
    chosen_q: cq,
    rejected_q: rq,
    weight: 0.25,
    problem_id: 'p1',
  });
  assert.deepEqual(pairs, [
    // Root group: positives A (.8), B (.6) — C (.9) is an error step, I (.3) is third; negatives F (−.9), D (−.7, an error step is fine).
    step(A, F),
    step(A, D),
    step(B, F),
    step(B, D),
    // Final step: correct paths by mean Q A→A1 (.9), B→B1 (.8) [C→C1 has an error step, I→I1 .65];
    // incorrect ones lowest first H (−1), F→F1 (−.95).
    traj([A, A1], 0.9, [H], -1),
    traj([A, A1], 0.9, [F, F1], -0.95),
    traj([B, B1], 0.8, [H], -1),
    traj([B, B1], 0.8, [F, F1], -0.95),
  ]);
  // What the reward model scores at search time: prompt + path text of a node.
  for (const p of pairs.filter((x) => x.depth !== undefined)) {
    const node = b.nodes.find((n) => n.text === p.chosen)!;
    assert.equal(p.prompt + p.chosen, b.prompt + b.text(...pathIds(b, node.id)));
  }
});

function pathIds(b: PairsTree, id: number): number[] {
  const out: number[] = [];
  for (let n = b.nodes[id]; n.parent !== null; n = b.nodes[n.parent]) out.push(n.id);
  return out.reverse();
}

test('perSide, weighting off and determinism', () => {
  const { b, ids } = tree1();
  const pairs = extractPairs([record('p1', b.tree())], { perSide: 1, weighting: false });
  assert.deepEqual(
    pairs.map((p) => [p.chosen, p.rejected, p.weight]),
    [
      [b.text(ids.A), b.text(ids.F), 1],
      [b.text(ids.A, ids.A1), b.text(ids.H), 1],
    ],
  );
  const three = extractPairs([record('p1', b.tree())], { perSide: 3 });
  // Root: 3 positives (A, B, I) × 3 negatives (F, D, E); final: 3 × 3 (H, F→F1, D→D1).
  assert.equal(three.length, 18);
  assert.ok(three.every((p) => Math.abs(p.weight - 1 / 9) < 1e-12));
  assert.deepEqual(extractPairs([record('p1', b.tree())], { perSide: 3 }), three);
});

test('deeper groups: prompt is the shared prefix, margin and edit-distance filters, exhausted nodes are steps', () => {
  const b = new PairsTree('Q: x\n');
  const X = b.step(0, 'X', 0.5, { terminal: true, reason: 'exhausted' });
  const P1 = b.step(X, 'P', 0.2);
  b.end(P1, 'p', 1, true);
  const N1 = b.step(X, 'N', 0.0);
  b.end(N1, 'n', -1, false);
  const N2 = b.step(X, 'M', -0.5);
  b.end(N2, 'm', -1, null, 'too-many-errors');
  // Two near-identical siblings (2 edits apart) under the root's other child.
  const Y = b.step(0, 'Y', -0.1);
  const close = 'print(1)\n'.repeat(5);
  const S1 = b.step(Y, 'S', 0.6, { text: close + 'yy' });
  b.end(S1, 's', 1, true);
  const S2 = b.step(Y, 'S', -0.6, { text: close + 'zz' });
  b.end(S2, 't', -1, false);

  const stepPairs = (o: Parameters<typeof extractPairs>[1]) => extractPairs([record('q', b.tree())], o).filter((p) => p.depth !== undefined);
  // Defaults: at X, (P, N) has margin .2 < .5 and is dropped; (P, M) kept with the group's weight 1/(1·2).
  // At Y, the siblings are 2 edits apart (< 20): dropped. At the root both X and Y lead to a correct answer: no negative, no pair.
  assert.deepEqual(stepPairs({}), [
    { prompt: 'Q: x\n' + b.text(X), chosen: b.text(P1), rejected: b.text(N2), chosen_q: 0.2, rejected_q: -0.5, weight: 0.5, problem_id: 'q', depth: 2 },
  ]);
  // No filters: all three pairs come back.
  const all = stepPairs({ minMargin: 0, minEditDistance: 0 });
  assert.deepEqual(
    all.map((p) => [p.prompt, p.chosen, p.rejected, p.weight]),
    [
      ['Q: x\n' + b.text(X), b.text(P1), b.text(N2), 0.5],
      ['Q: x\n' + b.text(X), b.text(P1), b.text(N1), 0.5],
      ['Q: x\n' + b.text(Y), close + 'yy', close + 'zz', 1],
    ],
  );
  // Edit distance 2: kept at threshold 2, dropped at 3.
  assert.equal(stepPairs({ minMargin: 0, minEditDistance: 2 }).length, 3);
  assert.equal(stepPairs({ minMargin: 0, minEditDistance: 3 }).length, 2);
});

test('identical pairs across records are kept once; trees without gold give no pairs', () => {
  const { b } = tree1();
  assert.equal(extractPairs([record('p1', b.tree()), record('p1', b.tree())]).length, 8);
  const nogold = new PairsTree();
  const a = nogold.step(0, 'A', 0.5);
  nogold.end(a, 'a', 0.5, null);
  const c = nogold.step(0, 'C', -0.5);
  nogold.end(c, 'c', -1, null, 'invalid');
  assert.deepEqual(extractPairs([record('x', nogold.tree())]), []);
});

test('boundedEditDistance equals Levenshtein below the cap', () => {
  const lev = (a: string, b: string) => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0][j] = j;
    for (let i = 1; i <= a.length; i++)
      for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    return d[a.length][b.length];
  };
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const mutate = (s: string) => {
    const a = [...s];
    for (let e = rnd(12); e > 0; e--) {
      const op = rnd(3);
      const i = rnd(a.length + 1);
      if (op === 0) a.splice(i, 0, 'abc'[rnd(3)]);
      else if (op === 1 && a.length) a.splice(Math.min(i, a.length - 1), 1);
      else if (a.length) a[Math.min(i, a.length - 1)] = 'abc'[rnd(3)];
    }
    return a.join('');
  };
  for (let t = 0; t < 400; t++) {
    const a = Array.from({ length: rnd(40) }, () => 'abc'[rnd(3)]).join('');
    const b = rnd(4) === 0 ? Array.from({ length: rnd(40) }, () => 'abc'[rnd(3)]).join('') : mutate(a);
    const k = 1 + rnd(15);
    assert.equal(boundedEditDistance(a, b, k), Math.min(lev(a, b), k), `${JSON.stringify(a)} ${JSON.stringify(b)} k=${k}`);
  }
  assert.equal(boundedEditDistance('', '', 5), 0);
  assert.equal(boundedEditDistance('abc', '', 5), 3);
  assert.equal(boundedEditDistance('x'.repeat(100000), 'y'.repeat(100000), 20), 20);
});

// ───────────── reading pair files ─────────────

const tmp = () => mkdtempSync(join(tmpdir(), 'rstar-ppm-'));

test('readPairs: our JSONL round trip and defaults', () => {
  const dir = tmp();
  const { b } = tree1();
  const pairs = extractPairs([record('p1', b.tree())]);
  const f = join(dir, 'pairs.jsonl');
  writeFileSync(f, pairs.map((p) => JSON.stringify(p)).join('\n') + '\n\n' + JSON.stringify({ prompt: 'p', chosen: 'c', rejected: 'r' }) + '\n');
  const back = readPairs(f);
  assert.deepEqual(back.slice(0, pairs.length), pairs);
  assert.deepEqual(back[pairs.length], { prompt: 'p', chosen: 'c', rejected: 'r', chosen_q: null, rejected_q: null, weight: 1 });
});

test("readPairs: rStar's released pairs (JSON array and JSONL)", () => {
  const f = join(RSTAR_EVAL, 'ppm_pairs_examples.json');
  const raw = JSON.parse(readFileSync(f, 'utf8')) as Array<{ prompt: string; pos: string; neg: string; pos_count: number; neg_count: number }>;
  const pairs = readPairs(f);
  assert.equal(pairs.length, 5);
  assert.equal(pairs.length, raw.length);
  pairs.forEach((p, i) => {
    assert.equal(p.prompt, raw[i].prompt);
    assert.equal(p.chosen, raw[i].pos);
    assert.equal(p.rejected, raw[i].neg);
    assert.equal(p.weight, 1 / (raw[i].pos_count * raw[i].neg_count));
    assert.equal(p.chosen_q, null);
  });
  assert.ok(pairs[0].chosen.includes('\\boxed{8.9443}'));
  const dir = tmp();
  const jl = join(dir, 'rstar.jsonl');
  writeFileSync(jl, raw.map((r) => JSON.stringify(r)).join('\n') + '\n');
  assert.deepEqual(readPairs(jl), pairs);
});

test('readPairs: bad input names file, line and field', () => {
  const dir = tmp();
  const ok = JSON.stringify({ prompt: 'p', chosen: 'c', rejected: 'r' });
  const f = join(dir, 'pairs.jsonl');
  const bad = (lines: string[]) => {
    writeFileSync(f, lines.join('\n') + '\n');
    return () => readPairs(f);
  };
  assert.throws(bad([ok, '', JSON.stringify({ prompt: 'p', chosen: 5, rejected: 'r' })]), { message: `${f}:3: field "chosen": expected string, got 5` });
  assert.throws(bad([ok, JSON.stringify({ prompt: 'p', chosen: 'c' })]), { message: `${f}:2: field "rejected": expected string, got nothing (field missing)` });
  assert.throws(
    bad([ok, JSON.stringify({ prompt: 'p', chosen: 'c', rejected: 'r', chosen_q: 'high' })]),
    /pairs\.jsonl:2: field "chosen_q": expected a number or null/,
  );
  assert.throws(bad([JSON.stringify({ prompt: 'p', chosen: 'c', rejected: 'r', weight: 0 })]), /pairs\.jsonl:1: field "weight": expected a positive number/);
  assert.throws(bad([ok, ok, '{"prompt": "p", "chosen"']), /pairs\.jsonl:3: invalid JSON/);
  assert.throws(bad([ok, '[1, 2]']), /pairs\.jsonl:2: expected a JSON object, got an array/);
  assert.throws(
    bad([JSON.stringify({ prompt: 'p', pos: 'c', neg: 'r', pos_count: 0 })]),
    /pairs\.jsonl:1: field "pos_count": expected a positive integer, got 0/,
  );
  assert.throws(bad(['']), /pairs\.jsonl: no preference pairs/);
  assert.throws(() => readPairs(join(dir, 'missing.jsonl')), /missing\.jsonl: cannot read/);
  // A JSON array: the error names the line where the bad element starts.
  const arr = join(dir, 'arr.json');
  writeFileSync(arr, '[\n  {"prompt": "p", "pos": "a", "neg": "b"},\n  {"prompt": "p",\n   "pos": "a", "neg": ["b"]}\n]\n');
  assert.throws(() => readPairs(arr), { message: `${arr}:3: field "neg": expected string, got an array` });
  writeFileSync(arr, '[\n  {"prompt": "p", "pos": "a", "neg": "b"},\n  {"prompt": "p" "pos": "a"}\n]\n');
  assert.throws(() => readPairs(arr), /arr\.json:3: invalid JSON/);
});

// ───────────── pointwise reward data ─────────────

test('extractOrm: whole trajectories ending in a judged answer, ±1, capped per class, deduplicated', () => {
  const { b, ids } = tree1();
  const { A, A1, A2, B, B1, C, C1, I, I1, D, D1, F, F1, H } = ids;
  const P = b.prompt;
  const ex = extractOrm([record('p1', b.tree())]);
  // Creation order; E→E1 is an invalid terminal (no answer) and is left out.
  assert.deepEqual(
    ex.map((e) => [e.text, e.target]),
    [
      [P + b.text(A, A1), 1],
      [P + b.text(A, A2), -1],
      [P + b.text(B, B1), 1],
      [P + b.text(C, C1), 1],
      [P + b.text(I, I1), 1],
      [P + b.text(D, D1), -1],
      [P + b.text(F, F1), -1],
      [P + b.text(H), -1],
    ],
  );
  assert.ok(ex.every((e) => e.weight === 1 && e.kind === 'orm' && e.problem_id === 'p1'));
  const capped = extractOrm([record('p1', b.tree()), record('p2', b.tree())], { perProblem: 2 });
  // p2's tree is identical: texts p1 already gave are dropped, p2 contributes the ones p1's cap left out.
  assert.deepEqual(
    capped.map((e) => [e.problem_id, e.text, e.target]),
    [
      ['p1', P + b.text(A, A1), 1],
      ['p1', P + b.text(A, A2), -1],
      ['p1', P + b.text(B, B1), 1],
      ['p1', P + b.text(D, D1), -1],
      ['p2', P + b.text(C, C1), 1],
      ['p2', P + b.text(I, I1), 1],
      ['p2', P + b.text(F, F1), -1],
      ['p2', P + b.text(H), -1],
    ],
  );
});

test('extractQreg: every visited non-root node, Q clamped, deduplicated; readRewardExamples round trip and errors', () => {
  const { b, ids } = tree1();
  b.nodes[ids.B].q = 1.5; // a reward-model value outside [-1, 1]
  const ex = extractQreg([record('p1', b.tree()), record('p2', b.tree())]);
  // 17 non-root nodes, G never visited.
  assert.equal(ex.length, 16);
  assert.ok(!ex.some((e) => e.text === b.prompt + b.text(ids.G)));
  const byText = new Map(ex.map((e) => [e.text, e]));
  assert.equal(byText.get(b.prompt + b.text(ids.B))!.target, 1);
  assert.equal(byText.get(b.prompt + b.text(ids.F, ids.F1))!.target, -1);
  assert.equal(byText.get(b.prompt + b.text(ids.A))!.target, 0.8);
  assert.ok(ex.every((e) => e.kind === 'qreg' && e.weight === 1 && e.problem_id === 'p1'));

  const dir = tmp();
  const f = join(dir, 'qreg.jsonl');
  writeFileSync(f, ex.map((e) => JSON.stringify(e)).join('\n') + '\n');
  assert.deepEqual(readRewardExamples(f), ex);
  writeFileSync(f, JSON.stringify(ex[0]) + '\n' + JSON.stringify({ ...ex[1], target: 2 }) + '\n');
  assert.throws(() => readRewardExamples(f), { message: `${f}:2: field "target": expected a number in [-1, 1], got 2` });
  writeFileSync(f, JSON.stringify({ text: 'x', target: 1 }) + '\n');
  assert.throws(() => readRewardExamples(f), /qreg\.jsonl:1: field "kind": expected "orm" or "qreg", got nothing/);
});

// ───────────── the CLI ─────────────

function makeRun(dir: string, records: SynthRecord[]): void {
  const { store } = ShardStore.open<SynthRecord>(join(dir, 'trees'), 2);
  for (const r of records) store.append(r);
  store.close();
}

test('rstar extract ppm|orm|qreg on run directories', () => {
  const dir = tmp();
  const run1 = join(dir, 'run1');
  const run2 = join(dir, 'run2');
  const t1 = tree1().b.tree();
  const other = new PairsTree('OTHER\n');
  const a = other.step(0, 'K', 0.7);
  other.end(a, 'k', 1, true);
  const z = other.step(0, 'Z', -0.7);
  other.end(z, 'z', -1, false);
  const recs1 = [record('p1', t1), record('p2', other.tree()), record('p3', new PairsTree().tree())];
  makeRun(run1, recs1);
  makeRun(run2, [record('p4', { ...t1, prompt: 'ANOTHER\n' })]);

  const out = join(dir, 'out', 'pairs.jsonl');
  const r = rstar(['extract', 'ppm', '--run', run1, '--run', run2, '--out', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  const expected = extractPairs([...recs1, record('p4', { ...t1, prompt: 'ANOTHER\n' })]);
  assert.equal(summary.pairs, expected.length);
  assert.equal(summary.pairs, 8 + 2 + 8);
  assert.equal(summary.stepPairs, 4 + 1 + 4);
  assert.equal(summary.problems, 3);
  assert.equal(summary.runProblems, 4);
  assert.ok(summary.meanMargin > 1);
  assert.deepEqual(readPairs(out), expected);
  assert.equal(readFileSync(out, 'utf8'), expected.map((p) => JSON.stringify(p)).join('\n') + '\n');

  const plain = rstar(['extract', 'ppm', '--run', run1, '--out', out, '--per-side', '1', '--no-weighting', '--min-margin', '1.8']);
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(plain.stdout, /^wrote 1 pairs \(0 step, 1 final-step\) from 1\/3 problems to .*pairs\.jsonl; mean margin 1\.900\n$/);
  assert.deepEqual(
    readPairs(out).map((p) => p.weight),
    [1],
  );

  const orm = rstar(['extract', 'orm', '--run', run1, '--out', join(dir, 'orm.jsonl'), '--json']);
  assert.equal(orm.code, 0, orm.stderr);
  assert.deepEqual(JSON.parse(orm.stdout).examples, 10);
  assert.equal(readRewardExamples(join(dir, 'orm.jsonl')).length, 10);
  const qreg = rstar(['extract', 'qreg', '--run', run1, '--out', join(dir, 'qreg.jsonl'), '--json']);
  assert.equal(qreg.code, 0, qreg.stderr);
  assert.equal(JSON.parse(qreg.stdout).examples, 16 + 4);

  const missing = rstar(['extract', 'ppm', '--run', join(dir, 'nope'), '--out', out]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^rstar: .*nope: not a synthesis run directory \(no trees\/\)\n$/);
  const norun = rstar(['extract', 'qreg', '--out', out]);
  assert.equal(norun.code, 2);
  assert.match(norun.stderr, /--run/);
  const badMargin = rstar(['extract', 'ppm', '--run', run1, '--out', out, '--min-margin', 'x']);
  assert.equal(badMargin.code, 2);
});
