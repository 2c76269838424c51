/** src/util/jsonl.ts: the one JSON/JSONL reader — records with their lines, `file:line: field "a.b"` errors, torn last lines. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { expectedGot, parseJsonRecords, readJsonFile, readJsonl, readJsonRecords } from '../../src/util/jsonl.js';

const dir = mkdtempSync(join(tmpdir(), 'rstar-jsonl-'));
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const schema = z.object({ id: z.string(), a: z.object({ b: z.number() }) });
const rec = (id: string, b = 1) => JSON.stringify({ id, a: { b } });

test('a good JSONL file: every record validated, with its line; blank lines and \\r are skipped', () => {
  const f = file('good.jsonl', `${rec('x')}\r\n\n   \n${rec('y', 2)}\n`);
  const r = readJsonl(f, schema);
  assert.deepEqual(
    r.records.map((x) => [x.value.id, x.value.a.b, x.line]),
    [
      ['x', 1, 1],
      ['y', 2, 4],
    ],
  );
  assert.equal(r.droppedBytes, 0);
});

test('a bad JSON line is `file:line: invalid JSON: …`; with a label, `file:line: invalid <label>: …`', () => {
  const f = file('bad.jsonl', `${rec('x')}\n\n{"id": "y", "a": \n${rec('z')}\n`);
  assert.throws(() => readJsonl(f, schema), new RegExp(`^Error: ${f.replace(/[.\\/]/g, '\\$&')}:3: invalid JSON: `));
  assert.throws(() => readJsonl(f, schema, { label: 'thing' }), /bad\.jsonl:3: invalid thing: /);
  assert.throws(() => readJsonRecords(f), /bad\.jsonl:3: invalid JSON: /);
});

test('a schema error names file:line and the field path', () => {
  const f = file('field.jsonl', `${rec('x')}\n${JSON.stringify({ id: 'y', a: { b: 'two' } })}\n`);
  assert.throws(
    () => readJsonl(f, schema),
    (e: Error) => {
      assert.match(e.message, /field\.jsonl:2: field "a\.b": /);
      return true;
    },
  );
  assert.throws(() => readJsonl(file('arr.jsonl', '[1]\n'), schema), /arr\.jsonl:1: expected a JSON object, got an array/);
  // A reader's own wording.
  const g = file('got.jsonl', JSON.stringify({ id: 5, a: { b: 1 } }));
  assert.throws(() => readJsonl(g, schema, { describe: expectedGot({ id: 'expected string' }) }), {
    message: `${g}:1: field "id": expected string, got 5`,
  });
  assert.throws(() => readJsonl(join(dir, 'missing.jsonl'), schema), /missing\.jsonl: cannot read/);
});

test("tornTail 'error' (the default): an unterminated bad last line is an error like any other", () => {
  const f = file('torn0.jsonl', `${rec('x')}\n{"id": "y", "a`);
  assert.throws(() => readJsonl(f, schema), /torn0\.jsonl:2: invalid JSON/);
});

test("tornTail 'skip': an unterminated last line that is not JSON is not a record yet; the file is not touched", () => {
  const text = `${rec('x')}\n{"id": "y", "a`;
  const f = file('torn1.jsonl', text);
  assert.deepEqual(
    readJsonl(f, schema, { tornTail: 'skip' }).records.map((r) => r.value.id),
    ['x'],
  );
  assert.equal(readFileSync(f, 'utf8'), text);
  // An unterminated line that parses is a record; a bad line that ends in a newline is corruption.
  assert.deepEqual(
    readJsonl(file('torn2.jsonl', `${rec('x')}\n${rec('y')}`), schema, { tornTail: 'skip' }).records.map((r) => r.value.id),
    ['x', 'y'],
  );
  assert.throws(() => readJsonl(file('torn3.jsonl', `${rec('x')}\n{"id"\n`), schema, { tornTail: 'skip' }), /torn3\.jsonl:2: invalid JSON/);
  // Schema errors are not forgiven on the last line.
  assert.throws(() => readJsonl(file('torn4.jsonl', `${rec('x')}\n{"id": 1}`), schema, { tornTail: 'skip' }), /torn4\.jsonl:2: field "id"/);
});

test("tornTail 'drop': the tail after the last newline, and a bad last complete line, are dropped and measured", () => {
  const good = `${rec('x')}\n`;
  const r1 = readJsonl(file('drop1.jsonl', `${good}${rec('y')}`), schema, { tornTail: 'drop' });
  assert.deepEqual(
    r1.records.map((r) => r.value.id),
    ['x'],
  );
  assert.equal(r1.keptBytes, Buffer.byteLength(good));
  assert.equal(r1.droppedBytes, Buffer.byteLength(rec('y')));
  const tail = '{"id": "é", "a"\n';
  const r2 = readJsonl(file('drop2.jsonl', `${good}${tail}`), schema, { tornTail: 'drop' });
  assert.deepEqual([r2.records.length, r2.keptBytes, r2.droppedBytes], [1, Buffer.byteLength(good), Buffer.byteLength(tail)]);
  const r3 = readJsonl(file('drop3.jsonl', `${good}{"id": 3}\n`), schema, { tornTail: 'drop' });
  assert.deepEqual([r3.records.length, r3.keptBytes], [1, Buffer.byteLength(good)]);
  assert.throws(() => readJsonl(file('drop4.jsonl', `${good}not json\n${good}`), schema, { tornTail: 'drop' }), /drop4\.jsonl:2: invalid JSON/);
});

test('JSON arrays: each element with the line it starts on; syntax errors name their line', () => {
  const recs = parseJsonRecords('\uFEFF[\n  {"id": "x"},\n\n  {"id": "y",\n   "n": [1, "]"]}\n]\n', 'a.json');
  assert.deepEqual(
    recs.map((r) => [(r.value as { id: string }).id, r.line]),
    [
      ['x', 2],
      ['y', 4],
    ],
  );
  assert.throws(() => parseJsonRecords('[\n{"id": "x"},\n]', 'b.json'), /b\.json:3: invalid JSON: trailing ","/);
  assert.throws(() => parseJsonRecords('[\n{"id": "x"},\n{"id": \n "y" "z"}\n]', 'c.json'), /c\.json:4: invalid JSON/);
  assert.throws(() => parseJsonRecords('[\n{"id": "x"}\n', 'd.json'), /d\.json:\d+: invalid JSON: the array is not closed/);
});

test('a JSON file: the schema output, or `file: invalid JSON` / `file: field "a.b"`', () => {
  assert.deepEqual(readJsonFile(file('ok.json', rec('x')), schema), { id: 'x', a: { b: 1 } });
  assert.throws(() => readJsonFile(file('bad.json', '{"id": '), schema), /bad\.json: invalid JSON: /);
  assert.throws(() => readJsonFile(file('f.json', '{"id": "x", "a": {}}'), schema), /f\.json: field "a\.b": /);
});
