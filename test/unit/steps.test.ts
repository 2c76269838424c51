import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSolution, formatSolution, accumulatedCode, lastBoxed, formatPrompt, TAGS } from '../../src/steps/protocol.js';
import { RSTAR_EVAL } from '../helpers/paths.js';

const sft = JSON.parse(readFileSync(join(RSTAR_EVAL, 'sft_examples.json'), 'utf8')) as Array<{ query: string; response: string }>;
const pairs = JSON.parse(readFileSync(join(RSTAR_EVAL, 'ppm_pairs_examples.json'), 'utf8')) as Array<{ prompt: string; pos: string; neg: string }>;

test('every rStar SFT record parses into steps, code, output and a boxed answer', () => {
  for (const r of sft) {
    const p = parseSolution(r.response);
    assert.ok(p.steps.length >= 1, r.query);
    assert.ok(p.complete);
    assert.ok(p.output !== null && p.output.length > 0);
    assert.ok(p.boxed !== null, `no boxed answer in ${r.response.slice(-80)}`);
    const last = p.steps[p.steps.length - 1];
    assert.match(last.code, /print\(/);
    assert.ok(accumulatedCode(p.steps).includes(last.code));
  }
});

test('the first SFT record parses exactly', () => {
  const p = parseSolution(sft[0].response);
  assert.equal(p.steps.length, 3);
  assert.deepEqual(p.steps[0].reasoning, ['Step 1: Define the function G(m, n, p, q)']);
  assert.equal(p.steps[0].code, 'def G(m, n, p, q):\n    return m**n + p * q');
  assert.equal(p.output, '4');
  assert.equal(p.boxed, '4');
});

test('re-formatting a parsed SFT record reproduces its steps, output and answer', () => {
  for (const r of sft) {
    const p = parseSolution(r.response);
    const again = parseSolution(
      formatSolution(
        p.steps.map((s) => s.text),
        p.output!,
        p.answer!,
      ),
    );
    assert.deepEqual(again.steps, p.steps);
    assert.equal(again.output, p.output);
    assert.equal(again.boxed, p.boxed);
  }
});

test('PPM pair examples parse: step-level pairs end at a step, final pairs with an answer', () => {
  let finals = 0;
  for (const pair of pairs) {
    const pos = parseSolution(pair.prompt + pair.pos);
    assert.ok(pos.steps.length >= 1);
    if (pos.complete) {
      finals++;
      assert.ok(pos.boxed !== null);
    } else assert.ok(pair.pos.trimEnd().endsWith(TAGS.endOfStep));
    const neg = parseSolution(pair.prompt + pair.neg);
    assert.ok(neg.steps.length >= 1);
  }
  assert.ok(finals >= 1 && finals < pairs.length);
});

test('partial solutions (no end of code) parse as incomplete', () => {
  const p = parseSolution(`${TAGS.code}\n# Step 1: x\nx = 1\n${TAGS.endOfStep}\n# Step 2: y\ny = x +`);
  assert.equal(p.complete, false);
  assert.equal(p.steps.length, 2);
  assert.equal(p.boxed, null);
});

test('lastBoxed matches nested braces and takes the last box', () => {
  assert.equal(lastBoxed('a \\boxed{1} b \\boxed{\\frac{1}{2}}.'), '\\frac{1}{2}');
  assert.equal(lastBoxed('\\boxed{unclosed'), null);
  assert.equal(lastBoxed('no box'), null);
});

test('the prompt follows rStar-Math SFT format', () => {
  assert.equal(formatPrompt('What is 1+1?'), "<|user|>:\nWhat is 1+1?\n<|assistant|>: Let's think step by step and solve the problem with code.");
});
