import type { RewardModel } from '../models/types.js';

/**
 * Merges score() calls issued concurrently (by many trees in flight) into one call on the wrapped
 * reward model, the way BatchingPolicy merges generate() calls.
 */
export class BatchingReward implements RewardModel {
  readonly name: string;
  private pending: Array<{ texts: string[]; resolve: (s: number[]) => void; reject: (e: unknown) => void }> = [];
  private running = false;
  private scheduled = false;
  readonly batchSizes: number[] = [];

  constructor(
    private readonly inner: RewardModel,
    private readonly maxTexts = 512,
  ) {
    this.name = inner.name;
  }

  score(texts: string[]): Promise<number[]> {
    if (texts.length === 0) return Promise.resolve([]);
    return new Promise<number[]>((resolve, reject) => {
      this.pending.push({ texts, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.running || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.running || this.pending.length === 0) return;
    this.running = true;
    const batch: typeof this.pending = [];
    let n = 0;
    while (this.pending.length > 0 && (batch.length === 0 || n + this.pending[0].texts.length <= this.maxTexts)) {
      const item = this.pending.shift()!;
      n += item.texts.length;
      batch.push(item);
    }
    this.batchSizes.push(n);
    try {
      const out = await this.inner.score(batch.flatMap((b) => b.texts));
      let at = 0;
      for (const b of batch) {
        b.resolve(out.slice(at, at + b.texts.length));
        at += b.texts.length;
      }
    } catch (e) {
      batch.forEach((b) => b.reject(e));
    } finally {
      this.running = false;
      if (this.pending.length > 0) this.schedule();
    }
  }

  meanBatchSize(): number {
    return this.batchSizes.length ? this.batchSizes.reduce((a, b) => a + b, 0) / this.batchSizes.length : 0;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
