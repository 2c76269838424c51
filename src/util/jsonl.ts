/**
 * The one reader of JSON and JSONL artifacts (problem sets, preference pairs, reward examples, SFT
 * data, eval results and their sidecars, tree files, bundle manifests): every record with the line it
 * starts on, validated with a zod schema, errors naming the place —
 *
 *   file:line: invalid JSON: …
 *   file:line: expected a JSON object, got an array
 *   file:line: field "a.b": …
 *   file: field "a.b": …                 (a JSON file)
 *
 * A reader may word a field error its own way (`describe`) or name what its records are (`label`:
 * `file:line: invalid result record: …`). `tornTail` is the tolerance a file that is being, or was,
 * appended to needs for its last line.
 */
import { readFileSync } from 'node:fs';
import type { z } from 'zod';

/** One parsed record and the (1-based) line it starts on. */
export interface JsonRecord {
  value: unknown;
  line: number;
}

/** A zod issue, as `describe` receives it. */
export type Issue = z.core.$ZodIssue;

/**
 * Words a failed record's first issue: the text after `file:line: `. `value` is the record (always an
 * object: non-objects fail before the schema runs).
 */
export type Describe = (issue: Issue, value: Record<string, unknown>) => string;

export interface RecordOptions {
  /** Field-error wording; the default is `field "a.b": <zod's message>`. */
  describe?: Describe;
  /** What a record is, for errors: `file:line: invalid <label>: <detail>` (JSON and schema errors alike). */
  label?: string;
}

/** `file: cannot read: …` when the file cannot be read. */
export function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`${file}: cannot read: ${(e as Error).message}`);
  }
}

/** How a value that is not what a field wants reads in an error. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing (field missing)';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'number') return Number.isFinite(v) ? `${v}` : String(v);
  return typeof v === 'object' ? 'an object' : typeof v;
}

/**
 * A `describe` that words top-level field errors as `field "name": <expect[name]>, got <value>`
 * (the value described by `describeValue`), falling back to zod's message for a field not in `expect`.
 */
export function expectedGot(expect: Record<string, string>): Describe {
  return (issue, value) => {
    const key = String(issue.path[0] ?? '');
    if (!key) return issue.message;
    return `field "${key}": ${expect[key] ?? issue.message}, got ${describeValue(value[key])}`;
  };
}

const defaultDescribe: Describe = (issue) => (issue.path.length ? `field "${issue.path.map(String).join('.')}": ${issue.message}` : issue.message);

function recordError(where: string, detail: string, label: string | undefined): Error {
  return new Error(`${where}: ${label ? `invalid ${label}: ` : ''}${detail}`);
}

/**
 * Validates one record with `schema`: it must be a JSON object, then pass the schema. Throws
 * `name:line: …` (see the top of the file); returns the schema's output.
 */
export function validateRecord<T>(schema: z.ZodType<T>, rec: JsonRecord, name: string, opts: RecordOptions = {}): T {
  const where = `${name}:${rec.line}`;
  if (rec.value === null || typeof rec.value !== 'object' || Array.isArray(rec.value)) {
    throw recordError(where, `expected a JSON object, got ${describeValue(rec.value)}`, opts.label);
  }
  const parsed = schema.safeParse(rec.value);
  if (parsed.success) return parsed.data;
  throw recordError(where, (opts.describe ?? defaultDescribe)(parsed.error.issues[0], rec.value as Record<string, unknown>), opts.label);
}

// ── JSONL ──

/** How the last line of a JSONL file is read when it may be a torn write. */
export type TornTail =
  /** Like any other line (a file written whole). */
  | 'error'
  /**
   * A file another process may still be appending to, read without touching it: an unterminated last
   * line that is not valid JSON is not a record yet. (One that parses is a record like any other.)
   */
  | 'skip'
  /**
   * Resuming a file this process will append to: whatever follows the last newline is dropped, and so
   * is the last complete line when it is not a valid record (a torn write that happens to end in a
   * newline byte). `keptBytes` says where the records the caller keeps end.
   */
  | 'drop';

export interface JsonlOptions extends RecordOptions {
  /** Default `error`. */
  tornTail?: TornTail;
}

export interface JsonlRecord<T> {
  /** The schema's output. */
  value: T;
  /** The record as parsed, before the schema. */
  raw: unknown;
  line: number;
}

export interface JsonlFile<T> {
  records: Array<JsonlRecord<T>>;
  /** Bytes of the file up to the end of the last record kept (with `tornTail: 'drop'`; otherwise the file's size). */
  keptBytes: number;
  /** Bytes after that: a torn tail (0 when the file ended cleanly). */
  droppedBytes: number;
}

function parseLine(text: string, where: string, label: string | undefined): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw recordError(where, label ? (e as Error).message : `invalid JSON: ${(e as Error).message}`, label);
  }
}

/**
 * Parses JSONL text: one JSON value per line, blank lines skipped (a line's `\r` is whitespace).
 * Errors name `name:line`.
 */
export function parseJsonl(text: string, name: string): JsonRecord[] {
  const out: JsonRecord[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    out.push({ value: parseLine(raw, `${name}:${i + 1}`, undefined), line: i + 1 });
  });
  return out;
}

/** Reads a JSONL file and validates every record with `schema` (see `TornTail` for its last line). */
export function readJsonl<T>(file: string, schema: z.ZodType<T>, opts: JsonlOptions = {}): JsonlFile<T> {
  const torn = opts.tornTail ?? 'error';
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new Error(`${file}: cannot read: ${(e as Error).message}`);
  }
  // With 'drop', only newline-terminated lines are records; the rest is a torn tail.
  let kept = torn === 'drop' ? buf.lastIndexOf(0x0a) + 1 : buf.length;
  const lines = buf.subarray(0, kept).toString('utf8').split('\n');
  if (torn === 'drop') lines.pop(); // the empty string after the final newline
  const records: Array<JsonlRecord<T>> = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    const last = i === lines.length - 1;
    const where = `${file}:${i + 1}`;
    let raw: unknown;
    try {
      raw = parseLine(line, where, opts.label);
    } catch (e) {
      if (last && torn === 'skip') break; // no newline after it: a write in progress (or killed)
      if (last && torn === 'drop') {
        kept -= Buffer.byteLength(line, 'utf8') + 1;
        break;
      }
      throw e;
    }
    let value: T;
    try {
      value = validateRecord(schema, { value: raw, line: i + 1 }, file, opts);
    } catch (e) {
      if (last && torn === 'drop') {
        kept -= Buffer.byteLength(line, 'utf8') + 1;
        break;
      }
      throw e;
    }
    records.push({ value, raw, line: i + 1 });
  }
  return { records, keptBytes: kept, droppedBytes: buf.length - kept };
}

// ── JSON arrays ──

interface Element {
  text: string;
  line: number;
}

/** A syntax error at a line. */
function syntaxError(message: string, line: number): Error {
  return Object.assign(new Error(message), { line });
}

/**
 * Splits a top-level JSON array into its element texts with their starting line numbers (strings and
 * nesting respected), so each element can be parsed and reported on its own line.
 */
function scanArray(text: string): Element[] {
  const open = text.indexOf('[');
  let line = text.slice(0, open).split('\n').length;
  const out: Element[] = [];
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = -1;
  let startLine = 0;
  let afterComma = false;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') line++;
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (depth === 1 && start < 0 && !/[\s,\]]/.test(c)) {
      start = i;
      startLine = line;
    }
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') {
      depth--;
      if (depth === 0) {
        if (start >= 0) out.push({ text: text.slice(start, i), line: startLine });
        else if (afterComma) throw syntaxError('trailing "," before "]"', line);
        const rest = text.slice(i + 1);
        const extra = rest.search(/\S/);
        if (extra >= 0) throw syntaxError('unexpected text after the closing "]"', line + rest.slice(0, extra).split('\n').length - 1);
        return out;
      }
    } else if (c === ',' && depth === 1) {
      if (start < 0) throw syntaxError('unexpected ","', line);
      out.push({ text: text.slice(start, i), line: startLine });
      start = -1;
      afterComma = true;
    }
  }
  throw syntaxError(inString ? 'unterminated string' : 'the array is not closed with "]"', line);
}

/** The line within `text` that a JSON.parse error message's `position N` points at (1 when it has none). */
function errorLine(message: string, text: string): number {
  const m = /position (\d+)/.exec(message);
  return m ? text.slice(0, Number(m[1])).split('\n').length : 1;
}

/** Parses a JSON array text into its elements, each with the line it starts on. Errors name `name:line`. */
export function parseJsonArray(text: string, name: string): JsonRecord[] {
  let elements: Element[];
  try {
    elements = scanArray(text);
  } catch (e) {
    throw new Error(`${name}:${(e as { line?: number }).line ?? 1}: invalid JSON: ${(e as Error).message}`);
  }
  return elements.map((el) => {
    try {
      return { value: JSON.parse(el.text), line: el.line };
    } catch (e) {
      throw new Error(`${name}:${el.line + errorLine((e as Error).message, el.text) - 1}: invalid JSON: ${(e as Error).message}`);
    }
  });
}

/**
 * Records of a JSONL text, or of a JSON array text (first non-blank character `[`, as rStar's
 * released files are); a byte-order mark is dropped.
 */
export function parseJsonRecords(text: string, name: string): JsonRecord[] {
  const clean = text.replace(/^\uFEFF/, '');
  return clean.trimStart().startsWith('[') ? parseJsonArray(clean, name) : parseJsonl(clean, name);
}

/** `parseJsonRecords` of a file. */
export function readJsonRecords(file: string): JsonRecord[] {
  return parseJsonRecords(readText(file), file);
}

// ── JSON files ──

/** How a JSON file's syntax error reads: `file: <invalid>: …` (a reader may keep the wording its users know). */
export interface JsonFileOptions {
  invalid?: string;
}

/** Reads one JSON file: `file: cannot read: …`, `file: invalid JSON: …`. */
export function readJsonValue(file: string, opts: JsonFileOptions = {}): unknown {
  const text = readText(file);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: ${opts.invalid ?? 'invalid JSON'}: ${(e as Error).message}`);
  }
}

/** Reads one JSON file and validates it: `file: invalid JSON: …`, `file: field "a.b": …`. */
export function readJsonFile<T>(file: string, schema: z.ZodType<T>, opts: JsonFileOptions = {}): T {
  const parsed = schema.safeParse(readJsonValue(file, opts));
  if (parsed.success) return parsed.data;
  throw new Error(`${file}: ${defaultDescribe(parsed.error.issues[0], {})}`);
}
