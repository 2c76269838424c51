/**
 * Problem datasets: JSONL (`{"id","question","answer","level"?,"source"?,"solution"?}` per line) and
 * rStar's eval JSON arrays (`[{"index","question","answer"}, ...]`, `answer` a string, a number or a
 * list of acceptable strings). Every record is validated; errors name the file, the line and the field.
 */
import { createWriteStream } from 'node:fs';
import { readFile, rename, mkdir } from 'node:fs/promises';
import { basename, dirname, extname } from 'node:path';
import type { Writable } from 'node:stream';
import { once } from 'node:events';
import { z } from 'zod';

export interface Problem {
  id: string;
  question: string;
  /** The ground truth, or a list of acceptable answers. */
  answer: string | string[];
  level?: number;
  source?: string;
  /** A worked solution in the step protocol, when the dataset has one. */
  solution?: string;
}

const answerSchema = z.union([z.string().min(1), z.number(), z.array(z.union([z.string().min(1), z.number()])).min(1)]);

const common = {
  question: z.string().min(1),
  answer: answerSchema,
  level: z.number().int().min(0).optional(),
  source: z.string().optional(),
  solution: z.string().optional(),
};

const jsonlRecord = z.object({ id: z.union([z.string().min(1), z.number().int()]), ...common });
const rstarRecord = z.object({ index: z.union([z.number().int(), z.string().min(1)]), ...common });

const EXPECT: Record<string, string> = {
  id: 'must be a non-empty string or an integer',
  index: 'must be an integer or a non-empty string',
  question: 'must be a non-empty string',
  answer: 'must be a non-empty string, a number or a non-empty list of them',
  level: 'must be a non-negative integer',
  source: 'must be a string',
  solution: 'must be a string',
};

function describeIssue(issue: z.core.$ZodIssue, obj: Record<string, unknown>): string {
  const key = String(issue.path[0] ?? '');
  if (!key) return issue.message;
  if (!(key in obj)) return `field "${key}" is required`;
  return `field "${key}" ${EXPECT[key] ?? issue.message}`;
}

function toAnswer(a: z.infer<typeof answerSchema>): string | string[] {
  return Array.isArray(a) ? a.map(String) : String(a);
}

/** Validates one record; `where` is "file:line". Throws with the field named. */
function toProblem(obj: unknown, where: string, stem: string): Problem {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new Error(`${where}: expected a JSON object`);
  const rec = obj as Record<string, unknown>;
  const useIndex = !('id' in rec) && 'index' in rec;
  const parsed = (useIndex ? rstarRecord : jsonlRecord).safeParse(rec);
  if (!parsed.success) {
    throw new Error(`${where}: ${describeIssue(parsed.error.issues[0], rec)}`);
  }
  const d = parsed.data as z.infer<typeof jsonlRecord> & z.infer<typeof rstarRecord>;
  const p: Problem = {
    id: useIndex ? `${stem}-${d.index}` : String(d.id),
    question: d.question,
    answer: toAnswer(d.answer),
  };
  if (d.level !== undefined) p.level = d.level;
  const source = d.source ?? (useIndex ? stem : undefined);
  if (source !== undefined) p.source = source;
  if (d.solution !== undefined) p.solution = d.solution;
  return p;
}

function jsonErrorLine(message: string, text: string): { line: number; col: number } | null {
  const m = /position (\d+)/.exec(message);
  if (!m) return null;
  const pos = Number(m[1]);
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  return { line, col: pos - before.lastIndexOf('\n') };
}

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

function parseJsonArray(text: string, name: string, stem: string): Array<{ p: Problem; line: number }> {
  let elements: Element[];
  try {
    elements = scanArray(text);
  } catch (e) {
    const line = (e as { line?: number }).line ?? 1;
    throw new Error(`${name}:${line}: invalid JSON: ${(e as Error).message}`);
  }
  return elements.map((el) => {
    let value: unknown;
    try {
      value = JSON.parse(el.text);
    } catch (e) {
      const at = jsonErrorLine((e as Error).message, el.text);
      throw new Error(`${name}:${el.line + (at ? at.line - 1 : 0)}: invalid JSON: ${(e as Error).message}`);
    }
    return { p: toProblem(value, `${name}:${el.line}`, stem), line: el.line };
  });
}

function parseJsonl(text: string, name: string, stem: string): Array<{ p: Problem; line: number }> {
  const out: Array<{ p: Problem; line: number }> = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (e) {
      throw new Error(`${name}:${i + 1}: invalid JSON: ${(e as Error).message}`);
    }
    out.push({ p: toProblem(obj, `${name}:${i + 1}`, stem), line: i + 1 });
  });
  return out;
}

/**
 * Parses dataset text (JSONL, or a JSON array when the first non-blank character is "["). `name`
 * prefixes error messages (normally the file path).
 */
export function parseProblems(text: string, name: string): Problem[] {
  const clean = text.replace(/^\uFEFF/, '');
  const stem = basename(name, extname(name));
  const isArray = clean.trimStart().startsWith('[');
  const rows = isArray ? parseJsonArray(clean, name, stem) : parseJsonl(clean, name, stem);
  if (rows.length === 0) throw new Error(`${name}: no problems (empty dataset)`);
  const seen = new Map<string, number>();
  for (const { p, line } of rows) {
    const first = seen.get(p.id);
    if (first !== undefined) throw new Error(`${name}:${line}: duplicate id "${p.id}" (first used on line ${first})`);
    seen.set(p.id, line);
  }
  return rows.map((r) => r.p);
}

/** Reads a problem file: JSONL or an rStar eval JSON array. */
export async function loadProblems(path: string): Promise<Problem[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new Error(`${path}: cannot read: ${(e as Error).message}`);
  }
  return parseProblems(text, path);
}

/** Writes records as JSONL to a stream, honouring backpressure. Does not end the stream. */
export async function writeJsonl(stream: Writable | NodeJS.WritableStream, records: Iterable<unknown> | AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const r of records as AsyncIterable<unknown>) {
    const ok = stream.write(`${JSON.stringify(r)}\n`);
    n++;
    if (!ok) await once(stream as Writable, 'drain');
  }
  return n;
}

/** Writes a JSONL file atomically (temporary file, then rename). Returns the number of records. */
export async function saveJsonl(path: string, records: Iterable<unknown> | AsyncIterable<unknown>): Promise<number> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const out = createWriteStream(tmp, { encoding: 'utf8' });
  const n = await writeJsonl(out, records);
  out.end();
  await once(out, 'finish');
  await rename(tmp, path);
  return n;
}
