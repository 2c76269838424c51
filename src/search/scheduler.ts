import { solve } from './solve.js';
import type { SearchConfig, SearchDeps, SolveResult } from './types.js';

export interface SearchJob {
  question: string;
  /** Gold answer: passed to terminal-guided MCTS (synthesis / oracle runs). */
  gold?: string | string[];
}

/**
 * Runs many searches at once — one tree per problem, up to `concurrency` in flight. Each tree issues
 * its expansions as soon as it is ready; the shared BatchingPolicy / BatchingReward in `deps` merge
 * the pending requests of all trees into large batched calls, and sandbox runs go to the pool
 * concurrently. Results come back in job order; `onResult` sees each as it finishes.
 */
export async function runSearches(
  jobs: SearchJob[],
  deps: SearchDeps,
  cfg: SearchConfig,
  opts: { concurrency: number; onResult?: (index: number, r: SolveResult) => void },
): Promise<SolveResult[]> {
  const out: SolveResult[] = new Array(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      const job = jobs[i];
      const r = await solve(job.question, deps, job.gold !== undefined ? { ...cfg, gold: job.gold } : cfg);
      out[i] = r;
      opts.onResult?.(i, r);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency, jobs.length)) }, worker));
  return out;
}
