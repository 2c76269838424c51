import { createWriteStream, type WriteStream } from 'node:fs';
import { solve } from '../search/solve.js';
import type { SearchConfig, SearchDeps } from '../search/types.js';
import type { Problem } from '../data/problems.js';

export interface ProblemResult {
  id: string;
  level: number | null;
  gold: string | string[];
  prediction: string | null;
  correct: boolean;
  tokens: number;
  ms: number;
  solution: string;
}

export interface LevelSummary {
  level: string;
  n: number;
  correct: number;
  accuracy: number;
  tokens: number;
}

export interface EvalSummary {
  mode: string;
  n: number;
  correct: number;
  accuracy: number;
  perLevel: LevelSummary[];
  tokensGenerated: number;
  tokensPerProblem: number;
  wallSeconds: number;
  tokensPerSecond: number;
  meanPolicyBatch?: number;
}

/** Runs search over every problem (many in flight so policy calls batch), grades, and summarizes. */
export async function runEval(
  problems: Problem[],
  deps: SearchDeps,
  cfg: SearchConfig,
  opts: { concurrency: number; outFile?: string; onResult?: (r: ProblemResult) => void },
): Promise<{ summary: EvalSummary; results: ProblemResult[] }> {
  const t0 = performance.now();
  const results: ProblemResult[] = new Array(problems.length);
  const out: WriteStream | null = opts.outFile ? createWriteStream(opts.outFile, { flags: 'w' }) : null;
  let nextIdx = 0;
  const worker = async () => {
    while (nextIdx < problems.length) {
      const i = nextIdx++;
      const p = problems[i];
      const res = await solve(p.question, deps, cfg);
      const correct = res.answer !== null && deps.judge.equal(res.answer, p.answer);
      const r: ProblemResult = {
        id: p.id,
        level: p.level ?? null,
        gold: p.answer,
        prediction: res.answer,
        correct,
        tokens: res.tokens,
        ms: Math.round(res.ms),
        solution: res.trajectories[res.chosen]?.text ?? '',
      };
      results[i] = r;
      out?.write(JSON.stringify(r) + '\n');
      opts.onResult?.(r);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency) }, worker));
  if (out) await new Promise<void>((res) => out.end(res));
  const wall = (performance.now() - t0) / 1000;
  return { summary: summarize(cfg.mode, results, wall), results };
}

export function summarize(mode: string, results: ProblemResult[], wallSeconds: number): EvalSummary {
  const byLevel = new Map<string, LevelSummary>();
  for (const r of results) {
    const key = r.level === null ? 'all' : String(r.level);
    const s = byLevel.get(key) ?? { level: key, n: 0, correct: 0, accuracy: 0, tokens: 0 };
    s.n++;
    s.correct += r.correct ? 1 : 0;
    s.tokens += r.tokens;
    byLevel.set(key, s);
  }
  for (const s of byLevel.values()) s.accuracy = s.correct / s.n;
  const correct = results.filter((r) => r.correct).length;
  const tokens = results.reduce((a, r) => a + r.tokens, 0);
  return {
    mode,
    n: results.length,
    correct,
    accuracy: results.length ? correct / results.length : 0,
    perLevel: [...byLevel.values()].sort((a, b) => a.level.localeCompare(b.level)),
    tokensGenerated: tokens,
    tokensPerProblem: results.length ? tokens / results.length : 0,
    wallSeconds,
    tokensPerSecond: tokens / Math.max(wallSeconds, 1e-9),
  };
}
