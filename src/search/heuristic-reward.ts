import type { RewardModel } from '../models/types.js';
import type { Executor } from '../sandbox/types.js';
import { parseSolution, accumulatedCode } from '../steps/protocol.js';

/** The heuristic reward's name, as results files record it. */
export const HEURISTIC_REWARD_NAME = 'heuristic-exec (non-learned baseline)';

/**
 * NON-LEARNED BASELINE reward model — not a PPM. Scores a (partial) trajectory only by whether its
 * accumulated code runs: −1 when the program fails, +1 for a complete solution whose program runs and
 * whose answer sentence has a \boxed{} answer, +0.5 for a running partial solution, 0 when there is no
 * code yet. It exists so reward-dependent modes (best-of-N, beam, PPM-guided MCTS) can run end to end
 * before a trained PPM exists; it cannot tell a right answer from a wrong one.
 */
export class HeuristicReward implements RewardModel {
  readonly name = HEURISTIC_REWARD_NAME;

  constructor(
    private readonly executor: Executor,
    private readonly timeoutMs = 5000,
  ) {}

  async score(texts: string[]): Promise<number[]> {
    return Promise.all(
      texts.map(async (t) => {
        const parsed = parseSolution(t.includes('<code>') ? t.slice(t.indexOf('<code>')) : '');
        const code = accumulatedCode(parsed.steps);
        if (code.trim() === '') return 0;
        const res = await this.executor.run(code, { timeoutMs: this.timeoutMs });
        if (res.status !== 'ok') return -1;
        if (parsed.complete) return parsed.boxed !== null ? 1 : -0.5;
        return 0.5;
      }),
    );
  }

  async close(): Promise<void> {}
}
