import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prefillGroups, PREFILL_SLACK, PREFILL_WASTE } from '../../src/models/onnx/prefill-plan.js';

const padded = (suffix: number[], g: number[]) => g.length * Math.max(...g.map((u) => suffix[u]));
const real = (suffix: number[], g: number[]) => g.reduce((a, u) => a + suffix[u], 0);

test('every prompt is prefilled exactly once, longest first, each pass within its padding allowance', () => {
  const suffix = [12, 240, 31, 230, 5, 120, 118, 7, 250, 64, 66, 1];
  const groups = prefillGroups(suffix);
  assert.deepEqual(
    groups.flat().sort((a, b) => a - b),
    suffix.map((_, u) => u),
  );
  const firsts = groups.map((g) => suffix[g[0]]);
  assert.deepEqual(
    firsts,
    [...firsts].sort((a, b) => b - a),
  );
  for (const g of groups) {
    assert.equal(suffix[g[0]], Math.max(...g.map((u) => suffix[u])), 'a pass is as wide as its first prompt');
    if (g.length > 1) assert.ok(padded(suffix, g) <= (1 + PREFILL_WASTE) * real(suffix, g) + PREFILL_SLACK, `pass ${g} pads too much`);
  }
  // The long prompts go together, apart from the short ones.
  assert.deepEqual(groups[0].slice(0, 3), [8, 1, 3]);
  for (const short of [0, 4, 7, 11]) assert.ok(!groups[0].includes(short), `prompt ${short} padded to 250 tokens`);
});

test('prompts of similar length share one pass; one long prompt does not make short ones pay its length', () => {
  assert.deepEqual(prefillGroups([100, 101, 99, 100]), [[1, 0, 3, 2]]);
  const groups = prefillGroups([400, 20, 22, 21]);
  assert.deepEqual(groups, [[0], [2, 3, 1]]);
  assert.deepEqual(prefillGroups([7]), [[0]]);
  assert.deepEqual(prefillGroups([]), []);
});

test('short prompts are merged within the fixed slack even when their relative spread is large', () => {
  // 1..8 tokens: padding 8*8 = 64 vs 36 real, within 1.25*36 + 64.
  assert.equal(prefillGroups([1, 2, 3, 4, 5, 6, 7, 8]).length, 1);
  // With no slack and no waste allowed, only equal lengths share a pass.
  assert.deepEqual(prefillGroups([5, 3, 5, 3], 0, 0), [
    [0, 2],
    [1, 3],
  ]);
});
