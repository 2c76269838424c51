import { pathTo } from '../search/tree-file.js';
import type { SynthRecord } from '../synth/synth-run.js';

export interface SftExample {
  prompt: string;
  completion: string;
  problem_id: string;
  avg_q: number;
  min_q: number;
}

/**
 * Verified trajectories for SFT, the paper's rule: per problem, the correct root-to-terminal paths
 * with the highest average Q (ties: higher minimum Q), none containing an error step, deduplicated,
 * `perProblem` of them.
 */
export function extractSft(records: SynthRecord[], perProblem: number): SftExample[] {
  const out: SftExample[] = [];
  for (const r of records) {
    const t = r.tree;
    const cands: SftExample[] = [];
    const seen = new Set<string>();
    for (const leaf of t.nodes) {
      if (!leaf.terminal || leaf.correct !== true) continue;
      const path = pathTo(t, leaf);
      if (path.some((n) => n.execStatus !== null && n.execStatus !== 'ok')) continue;
      const completion = path.map((n) => n.text).join('');
      if (seen.has(completion)) continue;
      seen.add(completion);
      const qs = path.map((n) => n.q);
      cands.push({
        prompt: t.prompt,
        completion,
        problem_id: r.id,
        avg_q: qs.reduce((a, b) => a + b, 0) / qs.length,
        min_q: Math.min(...qs),
      });
    }
    cands.sort((a, b) => b.avg_q - a.avg_q || b.min_q - a.min_q);
    out.push(...cands.slice(0, perProblem));
  }
  return out;
}
