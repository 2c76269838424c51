/** src/synth/run-manifest.ts: what the writer writes reads back; a hand-made manifest reads; resume refuses another run by the key that differs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SEARCH_CONFIG } from '../../src/search/types.js';
import {
  assertSameRun,
  readRunManifest,
  RESUME_KEYS,
  resumeIdentity,
  SAMPLING_RESUME_KEYS,
  SYNTH_RUN_FORMAT,
  writeRunManifest,
  type SynthRunConfig,
} from '../../src/synth/run-manifest.js';

const config: SynthRunConfig = {
  data: 'train.jsonl',
  dataSha256: 'abc',
  policy: 'models/default',
  policySha256: null,
  seed: 11,
  mode: 'mcts-terminal',
  rollouts: 4,
  candidates: 4,
  maxDepth: 8,
  temperature: 1,
};
const counts = { problems: 2, done: 1, solved: 1, tokens: 30, perLevel: { '1': { n: 1, solved: 1 } } };

test('the writer stamps format and time; the reader reads it back', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rstar-run-manifest-'));
  writeRunManifest(dir, { status: 'running', config, search: DEFAULT_SEARCH_CONFIG, counts });
  const raw = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  assert.deepEqual(Object.keys(raw), ['format', 'status', 'updated', 'config', 'search', 'counts']);
  assert.equal(raw.format, SYNTH_RUN_FORMAT);
  assert.deepEqual(readRunManifest(dir), raw);
});

test('a hand-made manifest with only a seed in its config reads, unknown fields kept; other formats and bad fields are named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rstar-run-manifest-'));
  const path = join(dir, 'manifest.json');
  assert.throws(() => readRunManifest(dir), { message: `${dir}: not a synthesis run directory (no manifest.json)` });
  const hand = { format: SYNTH_RUN_FORMAT, status: 'complete', updated: '', config: { seed: 3, note: 'x' }, search: {}, counts: {} };
  writeFileSync(path, JSON.stringify(hand));
  assert.deepEqual(readRunManifest(dir), hand);
  writeFileSync(path, '{');
  assert.throws(
    () => readRunManifest(dir),
    (e: Error) => e.message.startsWith(`${path}: not valid JSON: `),
  );
  writeFileSync(path, JSON.stringify({ ...hand, config: { seed: 1.5 } }));
  assert.throws(
    () => readRunManifest(dir),
    (e: Error) => e.message.startsWith(`${path}: field "config.seed": `),
  );
  writeFileSync(path, JSON.stringify({ ...hand, format: 'rstar-ts/bundle@1' }));
  assert.throws(
    () => readRunManifest(dir),
    (e: Error) => e.message.startsWith(`${path}: field "format": `),
  );
});

test('resume: the same run continues, another is refused by its first differing key; sampling runs compare their own keys', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rstar-run-manifest-'));
  assertSameRun(dir, config); // no manifest: a new run
  writeRunManifest(dir, { status: 'running', config, search: DEFAULT_SEARCH_CONFIG, counts });
  assertSameRun(dir, { ...config, selected: 5 }); // not a resume key
  assert.throws(() => assertSameRun(dir, { ...config, seed: 12 }), {
    message: `${join(dir, 'manifest.json')}: cannot resume: seed was 11, now 12 (use a new --out)`,
  });
  assert.throws(() => assertSameRun(dir, { ...config, only: 'hard' }), /cannot resume: only was undefined, now "hard"/);
  assertSameRun(dir, { ...config, maxDepth: 0 }, SAMPLING_RESUME_KEYS);
  assert.deepEqual(Object.keys(resumeIdentity(config)), [...RESUME_KEYS]);
});
