import type { RewardModel } from '../types.js';
import { MicroBatcher } from './micro-batcher.js';

/** Merges score() calls issued concurrently by many trees into one reward-model call. */
export class BatchingReward implements RewardModel {
  readonly name: string;
  private readonly batcher: MicroBatcher<string[], number[]>;

  constructor(
    private readonly inner: RewardModel,
    maxTexts = 512,
  ) {
    this.name = inner.name;
    this.batcher = new MicroBatcher(
      async (groups) => {
        const flat = await inner.score(groups.flat());
        let at = 0;
        return groups.map((g) => flat.slice(at, (at += g.length)));
      },
      (g) => g.length,
      maxTexts,
    );
  }

  get batchSizes(): number[] {
    return this.batcher.batchSizes;
  }

  score(texts: string[]): Promise<number[]> {
    return texts.length === 0 ? Promise.resolve([]) : this.batcher.submit(texts);
  }

  meanBatchSize(): number {
    return this.batcher.meanBatchSize();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
