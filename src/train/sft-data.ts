import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { formatPrompt } from '../steps/protocol.js';

export interface SftRecord {
  prompt: string;
  completion: string;
}

const promptCompletion = z.object({ prompt: z.string().min(1), completion: z.string().min(1) });
const problemWithSolution = z.object({ question: z.string().min(1), solution: z.string().min(1) });

/**
 * Reads SFT data: JSONL of `{"prompt","completion"}` (TRL-style) or curriculum problems carrying a
 * worked `solution` (turned into rStar's SFT prompt + completion). Errors name the file and line.
 */
export function loadSftRecords(path: string): SftRecord[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`${path}: cannot read: ${(e as Error).message}`);
  }
  const out: SftRecord[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (e) {
      throw new Error(`${path}:${i + 1}: not valid JSON (${(e as Error).message})`);
    }
    const pc = promptCompletion.safeParse(obj);
    if (pc.success) {
      out.push(pc.data);
      return;
    }
    const ps = problemWithSolution.safeParse(obj);
    if (ps.success) {
      out.push({ prompt: formatPrompt(ps.data.question), completion: ps.data.solution });
      return;
    }
    const keys = obj && typeof obj === 'object' ? Object.keys(obj) : [];
    const missing = keys.includes('question') ? 'solution' : keys.includes('prompt') ? 'completion' : 'prompt';
    throw new Error(`${path}:${i + 1}: field "${missing}" is required (a record is {"prompt","completion"} or {"question","solution"})`);
  });
  if (out.length === 0) throw new Error(`${path}: no SFT records`);
  return out;
}
