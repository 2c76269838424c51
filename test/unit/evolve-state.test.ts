/** src/evolve/state.ts: evolve.json — the committed runs read and write back unchanged; a bad field is named with its file. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { EVOLVE_STATE_FILE, readEvolveRun, readEvolveState, writeEvolveState } from '../../src/evolve/state.js';
import { REPO_ROOT } from '../helpers/paths.js';

const results = join(REPO_ROOT, 'docs', 'results');
const committed = readdirSync(results, { recursive: true, encoding: 'utf8' })
  .filter((p) => p.endsWith(EVOLVE_STATE_FILE))
  .map((p) => join(results, p));

test('every committed evolve.json reads, its config parses, and it writes back byte for byte', () => {
  assert.ok(committed.length >= 3, `evolve.json files under docs/results: ${committed.length}`);
  for (const file of committed) {
    const raw = readFileSync(file, 'utf8');
    const { state, cfg } = readEvolveRun(dirname(file));
    assert.equal(cfg.rounds.length + 1, state.rounds.length, file);
    const dir = mkdtempSync(join(tmpdir(), 'rstar-evolve-state-'));
    const updated = state.updated;
    writeEvolveState(dir, state);
    const again = readFileSync(join(dir, EVOLVE_STATE_FILE), 'utf8');
    assert.equal(again, raw.replace(JSON.stringify(updated), JSON.stringify(state.updated)), file);
  }
});

test('a missing state, bad JSON and a bad field name the file (and the field)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rstar-evolve-state-'));
  const path = join(dir, EVOLVE_STATE_FILE);
  assert.throws(() => readEvolveState(dir), { message: `${path}: not found (is this an rstar evolve run directory?)` });
  writeFileSync(path, '{');
  assert.throws(
    () => readEvolveState(dir),
    (e: Error) => e.message.startsWith(`${path}: invalid JSON: `),
  );
  const state = JSON.parse(readFileSync(committed[0], 'utf8'));
  state.rounds[1].status = 'half-done';
  writeFileSync(path, JSON.stringify(state));
  assert.throws(
    () => readEvolveState(dir),
    (e: Error) => e.message.startsWith(`${path}: field "rounds.1.status": `),
  );
});
