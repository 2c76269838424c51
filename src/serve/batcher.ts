import type { Completion, GenerateRequest, Policy } from '../models/types.js';
import { MicroBatcher } from '../search/micro-batcher.js';

export interface BatcherStats {
  batches: number;
  sequences: number;
  requests: number;
  maxBatchSequences: number;
}

const rows = (reqs: GenerateRequest[]): number => reqs.reduce((a, r) => a + r.n, 0);

/**
 * Batches the generation work of concurrent HTTP requests onto one engine: whatever arrived while the
 * engine was busy goes out together in its next call (up to maxSequences rows), so the engine's batch
 * grows with the load instead of serving requests one by one. One HTTP request is one item.
 */
export class RequestBatcher {
  private readonly batcher: MicroBatcher<GenerateRequest[], Completion[][]>;
  private requests = 0;

  constructor(policy: Policy, maxSequences = 256) {
    this.batcher = new MicroBatcher(
      async (items) => {
        this.requests += items.length;
        const out = await policy.generate(items.flat());
        let k = 0;
        return items.map((reqs) => out.slice(k, (k += reqs.length)));
      },
      rows,
      maxSequences,
    );
  }

  get stats(): BatcherStats {
    const sizes = this.batcher.batchSizes;
    return {
      batches: sizes.length,
      sequences: sizes.reduce((a, b) => a + b, 0),
      requests: this.requests,
      maxBatchSequences: sizes.reduce((a, b) => Math.max(a, b), 0),
    };
  }

  submit(reqs: GenerateRequest[]): Promise<Completion[][]> {
    return this.batcher.submit(reqs);
  }
}
