import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { trainBpe, BpeTokenizer } from '../../src/models/tokenizer/bpe.js';
import { SPECIAL_TOKENS, TAGS } from '../../src/steps/protocol.js';
import { RSTAR_EVAL } from '../helpers/paths.js';

const sft = JSON.parse(readFileSync(join(RSTAR_EVAL, 'sft_examples.json'), 'utf8')) as Array<{ query: string; response: string }>;
const corpus = sft.flatMap((r) => [r.query, r.response]);

test('BPE round-trips real rStar solutions byte for byte, including unicode', () => {
  const tok = trainBpe(corpus, { vocabSize: 600, specialTokens: SPECIAL_TOKENS });
  for (const text of [...corpus, 'Unicode: π ≈ 3.14159, naïve café — 日本', '']) {
    assert.equal(tok.decode(tok.encode(text)), text);
  }
});

test('protocol tags are single special tokens and digits are split', () => {
  const tok = trainBpe(corpus, { vocabSize: 600, specialTokens: SPECIAL_TOKENS });
  const ids = tok.encode(`x = 12345\n${TAGS.endOfStep}`);
  assert.equal(ids[ids.length - 1], tok.specialId(TAGS.endOfStep));
  const digits = ids.filter((id) => /^[0-9]$/.test(tok.decode([id])));
  assert.equal(digits.length, 5);
});

test('merges compress text and the saved tokenizer.json reloads identically', () => {
  const tok = trainBpe(corpus, { vocabSize: 700, specialTokens: SPECIAL_TOKENS });
  const text = corpus.join('\n');
  const bytes = Buffer.byteLength(text);
  assert.ok(tok.encode(text).length < bytes / 2, 'BPE should at least halve the sequence length');
  const dir = mkdtempSync(join(tmpdir(), 'rstar-tok-'));
  tok.save(join(dir, 'tokenizer.json'));
  const again = BpeTokenizer.load(join(dir, 'tokenizer.json'));
  assert.deepEqual(again.encode(text), tok.encode(text));
  assert.equal(again.vocabSize, tok.vocabSize);
});

test('a corrupt tokenizer.json is rejected with the file and field named', () => {
  assert.throws(
    () => BpeTokenizer.fromJSON({ added_tokens: [], model: { type: 'BPE', vocab: {} } }, 'x/tokenizer.json'),
    /x\/tokenizer\.json: field "model\.merges"/,
  );
});
