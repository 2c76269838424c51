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
import { parseJsonRecords, validateRecord, type Describe, type JsonRecord } from '../util/jsonl.js';

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
type JsonlRow = z.infer<typeof jsonlRecord>;
type RstarRow = z.infer<typeof rstarRecord>;

const EXPECT: Record<string, string> = {
  id: 'must be a non-empty string or an integer',
  index: 'must be an integer or a non-empty string',
  question: 'must be a non-empty string',
  answer: 'must be a non-empty string, a number or a non-empty list of them',
  level: 'must be a non-negative integer',
  source: 'must be a string',
  solution: 'must be a string',
};

/** `field "x" is required` when it is missing, else `field "x" <what it must be>`. */
const describeIssue: Describe = (issue, obj) => {
  const key = String(issue.path[0] ?? '');
  if (!key) return issue.message;
  if (!(key in obj)) return `field "${key}" is required`;
  return `field "${key}" ${EXPECT[key] ?? issue.message}`;
};

function toAnswer(a: z.infer<typeof answerSchema>): string | string[] {
  return Array.isArray(a) ? a.map(String) : String(a);
}

/** Validates one record (`name:line` in errors) and makes it a Problem. */
function toProblem(rec: JsonRecord, name: string, stem: string): Problem {
  const v = rec.value;
  const useIndex = v !== null && typeof v === 'object' && !('id' in v) && 'index' in v;
  const schema: z.ZodType<JsonlRow | RstarRow> = useIndex ? rstarRecord : jsonlRecord;
  const d = validateRecord(schema, rec, name, { describe: describeIssue }) as JsonlRow & RstarRow;
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

/**
 * Parses dataset text (JSONL, or a JSON array when the first non-blank character is "["). `name`
 * prefixes error messages (normally the file path).
 */
export function parseProblems(text: string, name: string): Problem[] {
  const stem = basename(name, extname(name));
  const rows = parseJsonRecords(text, name).map((rec) => ({ p: toProblem(rec, name, stem), line: rec.line }));
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
