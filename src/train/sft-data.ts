import { z } from 'zod';
import { formatPrompt } from '../steps/protocol.js';
import { readJsonl, type Describe } from '../util/jsonl.js';

export interface SftRecord {
  prompt: string;
  completion: string;
}

const promptCompletion = z.object({ prompt: z.string().min(1), completion: z.string().min(1) });
const problemWithSolution = z.object({ question: z.string().min(1), solution: z.string().min(1) });

/** A record is `{"prompt","completion"}` or `{"question","solution"}`; an error names the field the record lacks. */
const sftRecord = z.union([promptCompletion, problemWithSolution]);
const missingField: Describe = (_issue, obj) => {
  const keys = Object.keys(obj);
  const missing = keys.includes('question') ? 'solution' : keys.includes('prompt') ? 'completion' : 'prompt';
  return `field "${missing}" is required (a record is {"prompt","completion"} or {"question","solution"})`;
};

/**
 * Reads SFT data: JSONL of `{"prompt","completion"}` (TRL-style) or curriculum problems carrying a
 * worked `solution` (turned into rStar's SFT prompt + completion). Errors name the file and line.
 */
export function loadSftRecords(path: string): SftRecord[] {
  const out = readJsonl(path, sftRecord, { describe: missingField }).records.map(({ value: v }) =>
    'prompt' in v ? { prompt: v.prompt, completion: v.completion } : { prompt: formatPrompt(v.question), completion: v.solution },
  );
  if (out.length === 0) throw new Error(`${path}: no SFT records`);
  return out;
}
