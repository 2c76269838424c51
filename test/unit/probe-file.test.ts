import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeResultSchema } from '../../src/evolve/probe.js';
import { readJsonFile } from '../../src/util/jsonl.js';
import { REPO_ROOT } from '../helpers/paths.js';

const results = join(REPO_ROOT, 'docs', 'results');
const probeFiles = (readdirSync(results, { recursive: true }) as string[]).filter((f) => /probe\.json$/.test(f)).map((f) => join(results, f));

test('every committed probe file (rstar probe --json, an evolve round probe.json) reads under the probe schema', () => {
  assert.ok(probeFiles.length >= 10, `found ${probeFiles.length} probe files`);
  for (const f of probeFiles) {
    const p = readJsonFile(f, probeResultSchema);
    assert.ok(p.levels.length > 0, f);
  }
});

test('a probe file with a bad field is refused with the file and the field named', () => {
  const good = readJsonFile(probeFiles[0], probeResultSchema);
  const f = join(mkdtempSync(join(tmpdir(), 'rstar-probe-')), 'probe.json');
  writeFileSync(f, JSON.stringify({ ...good, levels: [{ ...good.levels[0], pass1: 'high' }] }));
  assert.throws(
    () => readJsonFile(f, probeResultSchema),
    (e: Error) => e.message.startsWith(f) && /levels\.0\.pass1/.test(e.message),
  );
});
