/**
 * Evaluation datasets. `--data` takes either a file (JSONL problems or an rStar eval JSON array, see
 * src/data/problems.ts) or a curriculum spec:
 *
 *   curriculum:level=3,count=100,seed=999,split=test
 *   curriculum:level=1-5,count=100          (count problems per level; defaults: seed 999, split test)
 *   curriculum:version=v2,level=1-10,count=20   (the v2 ladder's rungs; without `version` a spec means v1)
 *
 * Records may carry `subject` (or MATH's `type`) next to the validated fields; it is picked up here
 * for per-subject breakdowns.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { z } from 'zod';
import { loadProblems, type Problem } from '../data/problems.js';
import { generateProblems, CURRICULUM_VERSIONS, LADDER_LEVELS, type CurriculumVersion, type Level } from '../data/curriculum/index.js';
import { goldAnswer } from '../grade/index.js';
import { parseJsonRecords } from '../util/jsonl.js';

export interface EvalProblem extends Problem {
  subject?: string;
}

export interface Dataset {
  /** The spec as given (file path or curriculum spec). */
  spec: string;
  /** Short name for reports: file stem or "curriculum". */
  name: string;
  problems: EvalProblem[];
}

export const CURRICULUM_PREFIX = 'curriculum:';

const curriculumSpecSchema = z.object({
  level: z
    .string()
    .regex(/^\d+(-\d+)?$|^\d+(\+\d+)*$/, 'must be a level 1-5 (v2: 1-10), a range like 1-5, or a list like 1+3')
    .optional(),
  version: z.enum(CURRICULUM_VERSIONS).default('v1'),
  count: z.coerce.number().int().min(1).max(1_000_000).default(100),
  seed: z.coerce.number().int().default(999),
  split: z.enum(['train', 'test']).default('test'),
});

/** `curriculum` is present only when the spec names a version (a spec without one means v1). */
export type CurriculumSpec = { levels: Level[]; count: number; seed: number; split: 'train' | 'test'; curriculum?: CurriculumVersion };

export function parseCurriculumSpec(spec: string): CurriculumSpec {
  const body = spec.slice(CURRICULUM_PREFIX.length).trim();
  const raw: Record<string, string> = {};
  if (body !== '') {
    for (const part of body.split(',')) {
      const m = /^\s*([a-z]+)\s*=\s*(\S+)\s*$/.exec(part);
      if (!m) throw new Error(`--data ${spec}: expected key=value pairs separated by ",", got "${part}"`);
      if (!['level', 'count', 'seed', 'split', 'version'].includes(m[1]))
        throw new Error(`--data ${spec}: unknown key "${m[1]}" (level, count, seed, split, version)`);
      raw[m[1]] = m[2];
    }
  }
  const parsed = curriculumSpecSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new Error(`--data ${spec}: field "${String(i.path[0])}" ${i.message}`);
  }
  const { count, seed, split, version } = parsed.data;
  const max = LADDER_LEVELS[version];
  const level = parsed.data.level ?? `1-${max}`;
  let levels: number[];
  const range = /^(\d+)-(\d+)$/.exec(level);
  if (range) {
    const [a, b] = [Number(range[1]), Number(range[2])];
    if (a > b) throw new Error(`--data ${spec}: field "level" range ${level} is empty`);
    levels = Array.from({ length: b - a + 1 }, (_, i) => a + i);
  } else levels = [...new Set(level.split('+').map(Number))];
  const bad = levels.find((l) => l < 1 || l > max);
  if (bad !== undefined) throw new Error(`--data ${spec}: field "level" ${bad} is outside the ${version} levels 1-${max}`);
  const out: CurriculumSpec = { levels: levels as Level[], count, seed, split };
  if (raw.version !== undefined) out.curriculum = version;
  return out;
}

function curriculumProblems(s: CurriculumSpec): EvalProblem[] {
  return s.levels.flatMap((level) =>
    generateProblems({ level, count: s.count, seed: s.seed, split: s.split, curriculum: s.curriculum ?? 'v1' }).map((p) => ({
      id: p.id,
      question: p.question,
      answer: p.answer,
      level: p.level,
      source: p.source,
      subject: p.families.length === 1 ? p.families[0] : 'composite',
    })),
  );
}

/** Extra fields the problem schema drops: `subject` (or MATH's `type`), by problem id. */
async function readSubjects(path: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const text = await readFile(path, 'utf8');
  const stem = basename(path, extname(path));
  let records: unknown[] = [];
  try {
    records = parseJsonRecords(text, path).map((r) => r.value);
  } catch {
    return out; // loadProblems already validated the file; a parse failure here only loses subjects
  }
  for (const r of records) {
    if (r === null || typeof r !== 'object') continue;
    const o = r as Record<string, unknown>;
    const subject = typeof o.subject === 'string' ? o.subject : typeof o.type === 'string' ? o.type : undefined;
    if (subject === undefined) continue;
    const id = 'id' in o ? String(o.id) : 'index' in o ? `${stem}-${String(o.index)}` : undefined;
    if (id !== undefined) out.set(id, subject);
  }
  return out;
}

/** The gold side as graded: solution texts reduced to their final answer, lists kept as lists. */
export function goldOf(p: Problem): string | string[] {
  return Array.isArray(p.answer) ? p.answer.map(goldAnswer) : goldAnswer(p.answer);
}

/** Loads `--data`: a file or a curriculum spec. */
export async function loadDataset(spec: string): Promise<Dataset> {
  if (spec.startsWith(CURRICULUM_PREFIX)) {
    const s = parseCurriculumSpec(spec);
    return { spec, name: `curriculum-${s.curriculum ?? 'v1'}`, problems: curriculumProblems(s) };
  }
  const problems: EvalProblem[] = await loadProblems(spec);
  const subjects = await readSubjects(spec);
  if (subjects.size) for (const p of problems) if (subjects.has(p.id)) p.subject = subjects.get(p.id);
  return { spec, name: basename(spec, extname(spec)), problems };
}

/** A fingerprint of the problems (ids, questions, answers) a results file was produced from. */
export function datasetHash(problems: Problem[]): string {
  const h = createHash('sha256');
  for (const p of problems) h.update(JSON.stringify([p.id, p.question, p.answer])).update('\n');
  return h.digest('hex').slice(0, 16);
}
