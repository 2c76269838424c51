import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PrefixCache, copyPlanes, kvFloats, type KvLayout } from '../../src/models/onnx/prefix-cache.js';

// A small layout whose values name their token and plane, so every copy can be checked exactly.
const layout: KvLayout = { planes: 3, headDim: 2 };
const cellValue = (tok: number, p: number, d: number) => tok * 100 + p * 10 + d;
function blockOf(tokens: number[]): Float32Array {
  const n = tokens.length;
  const b = new Float32Array(kvFloats(layout, n));
  for (let p = 0; p < layout.planes; p++)
    for (let t = 0; t < n; t++) for (let d = 0; d < layout.headDim; d++) b[(p * n + t) * layout.headDim + d] = cellValue(tokens[t], p, d);
  return b;
}
const kvOf = (tokens: number[]) => (from: number, to: number) => blockOf(tokens.slice(from, to));
/** The matched prefix's KV gathered into one block. */
function gather(c: PrefixCache, tokens: number[], limit?: number): { length: number; block: Float32Array } {
  const { length, spans } = c.match(tokens, limit);
  const block = new Float32Array(kvFloats(layout, length));
  let at = 0;
  for (const s of spans) {
    copyPlanes(layout, s.kv, s.n, s.from, s.count, block, length, at);
    at += s.count;
  }
  return { length, block };
}
const bytesPerToken = kvFloats(layout, 1) * 4;

test('match returns the longest cached prefix and its exact keys/values, across split edges', () => {
  const c = new PrefixCache(layout, 1 << 20);
  const a = [1, 2, 3, 4, 5];
  c.insert(a, kvOf(a));
  const b = [1, 2, 3, 9, 9, 9];
  c.insert(b, kvOf(b)); // splits the [1..5] edge after 3 tokens
  assert.equal(c.stats.insertedTokens, 5 + 3);
  for (const [q, len] of [
    [[1, 2, 3, 4, 5, 6], 5],
    [[1, 2, 3, 9, 9], 5],
    [[1, 2, 7], 2],
    [[8], 0],
  ] as Array<[number[], number]>) {
    const got = gather(c, q);
    assert.equal(got.length, len, `prefix of ${q}`);
    assert.deepEqual(got.block, blockOf(q.slice(0, len)));
  }
  // The limit keeps tokens back (the engine always runs a prompt's last token).
  assert.equal(gather(c, a, a.length - 1).length, 4);
  assert.equal(c.stats.bytes, 8 * bytesPerToken);
});

test('the memory cap evicts least recently used leaves first, parents after their children', () => {
  const c = new PrefixCache(layout, 10 * bytesPerToken);
  const a = [1, 2, 3, 4];
  const b = [1, 2, 5, 6];
  const d = [7, 8, 9];
  c.insert(a, kvOf(a));
  c.insert(b, kvOf(b)); // [1,2] + [3,4] + [5,6]: 6 tokens
  c.match([1, 2, 3, 4]); // a's branch is now the most recent
  c.insert(d, kvOf(d)); // 9 tokens: under the cap
  assert.equal(c.stats.evictions, 0);
  const e = [10, 11, 12];
  c.insert(e, kvOf(e)); // 12 tokens: evict the LRU leaf [5,6], then under the cap
  assert.equal(c.stats.evictions, 1);
  assert.equal(c.stats.bytes, 10 * bytesPerToken);
  assert.equal(gather(c, b).length, 2);
  assert.equal(gather(c, a).length, 4);
  assert.deepEqual(gather(c, e).block, blockOf(e));
  // A cap of zero caches nothing.
  const off = new PrefixCache(layout, 0);
  off.insert(a, kvOf(a));
  assert.equal(gather(off, a).length, 0);
  assert.equal(off.stats.bytes, 0);
});

test('eviction of every leaf empties the tree; bytes never exceed the cap after an insert', () => {
  const c = new PrefixCache(layout, 3 * bytesPerToken);
  for (let i = 0; i < 20; i++) {
    const t = [i % 4, 50 + i, 60 + i];
    c.insert(t, kvOf(t));
    assert.ok(c.stats.bytes <= 3 * bytesPerToken);
  }
  assert.ok(c.stats.evictions > 0);
  assert.equal(c.stats.bytes, 3 * bytesPerToken);
  assert.equal(gather(c, [3, 69, 79]).length, 3);
});
