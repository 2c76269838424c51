import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, appendFileSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { ShardStore } from '../../src/synth/shard-store.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'rstar-shards-'));
const rec = (i: number) => ({ id: `p${i}`, value: i, text: 'x'.repeat(i % 7) });

test('records survive reopen; full shards are gzip-sealed; duplicates are ignored', () => {
  const dir = tmp();
  const { store } = ShardStore.open<ReturnType<typeof rec>>(dir, 4);
  for (let i = 0; i < 10; i++) store.append(rec(i));
  store.append(rec(3));
  store.close();
  const names = readdirSync(dir).sort();
  assert.deepEqual(names, ['shard-00000.jsonl.gz', 'shard-00001.jsonl.gz', 'shard-00002.jsonl']);
  const { store: again, records } = ShardStore.open<ReturnType<typeof rec>>(dir, 4);
  assert.deepEqual(
    records.map((r) => r.value),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
  again.append(rec(10));
  again.append(rec(11));
  again.close();
  assert.equal(ShardStore.readAll(dir).length, 12);
  assert.ok(readdirSync(dir).includes('shard-00002.jsonl.gz'));
});

test('a torn last line (crash mid-write or disk full) is cut off and the store stays appendable', () => {
  const dir = tmp();
  const { store } = ShardStore.open<ReturnType<typeof rec>>(dir, 100);
  for (let i = 0; i < 3; i++) store.append(rec(i));
  store.close();
  appendFileSync(join(dir, 'shard-00000.jsonl'), '{"id":"p3","val');
  const { store: s2, records } = ShardStore.open<ReturnType<typeof rec>>(dir, 100);
  assert.equal(records.length, 3);
  assert.ok(!s2.has('p3'));
  s2.append(rec(3));
  s2.close();
  const lines = readFileSync(join(dir, 'shard-00000.jsonl'), 'utf8').trim().split('\n');
  assert.equal(lines.length, 4);
  assert.deepEqual(JSON.parse(lines[3]), rec(3));
});

test('a crash between sealing and removing the plain shard keeps each record once', () => {
  const dir = tmp();
  const lines = [rec(0), rec(1)].map((r) => JSON.stringify(r) + '\n').join('');
  writeFileSync(join(dir, 'shard-00000.jsonl.gz'), gzipSync(Buffer.from(lines)));
  writeFileSync(join(dir, 'shard-00000.jsonl'), lines);
  const { store, records } = ShardStore.open<ReturnType<typeof rec>>(dir, 2);
  assert.equal(records.length, 2);
  store.append(rec(2));
  store.close();
  assert.deepEqual(
    ShardStore.readAll(dir).map((r) => r.id),
    ['p0', 'p1', 'p2'],
  );
});
