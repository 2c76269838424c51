/**
 * `rstar grade --json`: reads JSONL `{"pred": string, "gold": string | string[]}` and writes one
 * `{"equal", "pred_extracted", "gold_normalized"}` line per input line. `pred` is a model's text
 * (its final answer is extracted); `gold` is a reference answer (a solution text also works: its
 * final answer is used). A malformed line stops the run with a message naming the line and field;
 * results already written stay written.
 */
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { extractAnswer, goldAnswer, isEquivalent, normalizeAnswer } from './index.js';

export const GradeLine = z.object(
  {
    pred: z.string({ error: 'expected a string (the model output)' }),
    gold: z.union([z.string(), z.array(z.string()).min(1)], {
      error: 'expected a string or a non-empty array of strings (acceptable answers)',
    }),
  },
  { error: 'expected an object {"pred": string, "gold": string | string[]}' },
);
export type GradeLine = z.infer<typeof GradeLine>;

export interface GradeResult {
  equal: boolean;
  pred_extracted: string | null;
  gold_normalized: string | string[];
}

/** Grades one record. */
export function gradeRecord(rec: GradeLine): GradeResult {
  const golds = Array.isArray(rec.gold) ? rec.gold : [rec.gold];
  const goldAnswers = golds.map(goldAnswer);
  const pred = extractAnswer(rec.pred);
  const equal = pred !== null && isEquivalent(pred, goldAnswers);
  const norm = goldAnswers.map(normalizeAnswer);
  return { equal, pred_extracted: pred, gold_normalized: Array.isArray(rec.gold) ? norm : norm[0] };
}

function describe(err: z.ZodError): string {
  const issue = err.issues[0];
  const field = issue.path.length > 0 ? issue.path.join('.') : '(record)';
  return `field "${field}": ${issue.message}`;
}

async function write(out: NodeJS.WritableStream, s: string): Promise<void> {
  if (!out.write(s)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
}

/**
 * Runs the command over `input`; returns the exit code (0 success, 2 malformed input, like every command's usage and input errors). Errors go to
 * `errors` (stderr by default).
 */
export async function runGradeCommand(
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
  errors: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  const rl = createInterface({ input, crlfDelay: Infinity });
  let lineNo = 0;
  try {
    for await (const rawLine of rl) {
      lineNo++;
      const line = lineNo === 1 ? rawLine.replace(/^\uFEFF/, '') : rawLine;
      if (line.trim() === '') continue;
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch (e) {
        errors.write(`rstar grade: line ${lineNo}: invalid JSON: ${(e as Error).message}\n`);
        return 2;
      }
      const parsed = GradeLine.safeParse(raw);
      if (!parsed.success) {
        errors.write(`rstar grade: line ${lineNo}: ${describe(parsed.error)}\n`);
        return 2;
      }
      await write(output, `${JSON.stringify(gradeRecord(parsed.data))}\n`);
    }
  } finally {
    rl.close();
  }
  return 0;
}
