import type { Completion, GenerateRequest, Policy } from '../models/types.js';
import { MicroBatcher } from '../search/micro-batcher.js';
import { callsInFlight } from '../search/batching-policy.js';

export interface BatcherStats {
  batches: number;
  sequences: number;
  requests: number;
  maxBatchSequences: number;
}

const rows = (reqs: GenerateRequest[]): number => reqs.reduce((a, r) => a + r.n, 0);

/**
 * Batches the generation work of concurrent HTTP requests onto one engine, so the engine's batch
 * grows with the load instead of serving requests one by one: whatever arrived while the engine was
 * busy goes out together in its next call (up to maxSequences rows). With `continuous: true` and an
 * engine that batches continuously (the embedded one), each request goes out as it arrives and its
 * rows join the running batch. One HTTP request is one item.
 */
export class RequestBatcher {
  private readonly batcher: MicroBatcher<GenerateRequest[], Completion[][]>;
  private requests = 0;

  constructor(policy: Policy, maxSequences = 256, opts: { continuous?: boolean } = {}) {
    this.batcher = new MicroBatcher(
      async (items) => {
        this.requests += items.length;
        const out = await policy.generate(items.flat());
        let k = 0;
        return items.map((reqs) => out.slice(k, (k += reqs.length)));
      },
      rows,
      maxSequences,
      callsInFlight(policy, opts.continuous),
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
