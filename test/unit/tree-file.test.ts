/** src/search/tree-file.ts: the tree JSON format — what the writer writes reads back; older trees read; other formats are refused by name. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SearchTree } from '../../src/search/tree.js';
import { chosenNode, parseTree, pathTo, readTreeFile, TREE_FORMAT, type TreeJSON } from '../../src/search/tree-file.js';
import { readRun } from '../../src/synth/synth-run.js';

const dir = mkdtempSync(join(tmpdir(), 'rstar-tree-file-'));
const file = (name: string, value: unknown): string => {
  const p = join(dir, name);
  writeFileSync(p, typeof value === 'string' ? value : JSON.stringify(value));
  return p;
};

/** A small tree as the search writes it: root → a → (b terminal correct, c). */
function written(): TreeJSON {
  const t = new SearchTree('P:');
  const a = t.add(t.root, 'a', 3);
  const b = t.add(a, 'b', 2);
  t.add(a, 'c', 1);
  Object.assign(b, { terminal: true, reason: 'answer', answer: '1', correct: true });
  return t.toJSON({
    mode: 'mcts',
    guide: 'terminal',
    question: 'q?',
    gold: '1',
    seed: 0,
    config: {},
    answer: '1',
    ranking: [{ node: b.id, score: 1, answer: '1' }],
    chosen: b.id,
    totals: {
      policyTokens: 6,
      policyCalls: 2,
      policySequences: 3,
      rewardCalls: 0,
      rewardTexts: 0,
      sandboxCalls: 0,
      rollouts: 1,
      nodes: 4,
      stopReason: 'rollouts',
      wallMs: 0,
      policyMs: 0,
      rewardMs: 0,
      sandboxMs: 0,
      bookkeepingMs: 0,
    },
  });
}

test('v1: what the writer writes carries the format and reads back equal', () => {
  const t = written();
  assert.equal(t.format, TREE_FORMAT);
  assert.equal(TREE_FORMAT, 'rstar-ts/tree@1');
  const back = readTreeFile(file('v1.json', t));
  assert.deepEqual(back, JSON.parse(JSON.stringify(t)));
  assert.deepEqual(
    pathTo(back, back.nodes[2]).map((n) => n.text),
    ['a', 'b'],
  );
  assert.equal(chosenNode(back), 2);
});

test('legacy: a tree from before `chosen`, `expansionTokens` and the later totals reads as it is', () => {
  const t = JSON.parse(JSON.stringify(written())) as Record<string, unknown> & TreeJSON;
  delete t.chosen;
  for (const n of t.nodes) delete n.expansionTokens;
  t.totals = { policyTokens: 6, rollouts: 1, nodes: 4 };
  const back = readTreeFile(file('legacy.json', t));
  assert.equal(back.chosen, undefined);
  assert.equal(back.nodes[1].expansionTokens, undefined);
  assert.deepEqual(back.totals, { policyTokens: 6, rollouts: 1, nodes: 4 });
  assert.equal(chosenNode(back), 2); // the best-ranked terminal with the tree's answer
});

test('an unknown or missing format is refused, naming the file and the version', () => {
  const t = { ...written(), format: 'rstar-ts/tree@2' };
  assert.throws(
    () => readTreeFile(file('v2.json', t)),
    (e: Error) => {
      assert.match(e.message, /v2\.json: field "format": unknown tree format "rstar-ts\/tree@2" \(this version reads rstar-ts\/tree@1\)/);
      return true;
    },
  );
  const { format: _f, ...bare } = written();
  assert.throws(() => readTreeFile(file('bare.json', bare)), /bare\.json: field "format": missing: not a tree JSON/);
  assert.throws(() => readTreeFile(file('broken.json', '{"format": "rstar-ts/tree@1"')), /broken\.json: invalid JSON/);
  assert.throws(() => parseTree({ ...written(), nodes: 'x' }, 'here'), /^Error: here: field "nodes": /);
});

test('readRun validates every tree: errors name the shard, the line and the tree field', () => {
  const run = join(dir, 'run');
  mkdirSync(join(run, 'trees'), { recursive: true });
  const rec = (id: string, tree: unknown) => JSON.stringify({ id, level: 1, question: 'q?', gold: '1', tokens: 6, tree });
  const shard = join(run, 'trees', 'shard-00000.jsonl');
  writeFileSync(shard, `${rec('a', written())}\n`);
  assert.deepEqual(
    readRun(run).map((r) => [r.id, r.tree.nodes.length]),
    [['a', 4]],
  );
  writeFileSync(shard, `${rec('a', written())}\n${rec('b', { ...written(), format: 'rstar-ts/tree@9' })}\n`);
  assert.throws(() => readRun(run), new RegExp(`${shard.replace(/[.\\/]/g, '\\$&')}:2: field "tree\\.format": unknown tree format "rstar-ts/tree@9"`));
  const bad = JSON.parse(JSON.stringify(written()));
  bad.nodes[1].parent = 9;
  writeFileSync(shard, `${rec('c', bad)}\n`);
  assert.throws(() => readRun(run), /shard-00000\.jsonl:1: field "tree\.nodes\.1\.parent": 9 is not a node of the tree/);
});
