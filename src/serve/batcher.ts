import type { Completion, GenerateRequest, Policy } from '../models/types.js';
import { MicroBatcher } from '../models/batching/micro-batcher.js';
import { callsInFlight } from '../models/batching/policy.js';

export interface BatcherStats {
  batches: number;
  sequences: number;
  requests: number;
  maxBatchSequences: number;
  /** Requests whose client went away while they waited for an engine call (never sent). */
  abandoned: number;
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
        // Requests aborted while waiting were dropped; a call whose requests are all aborted
        // rejects as a whole, which only callers that went away see.
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
      abandoned: this.batcher.abandoned,
    };
  }

  /** Requests waiting for an engine call (not yet sent). */
  get waiting(): number {
    return this.batcher.waiting;
  }

  /**
   * One HTTP request's generation. `signal` aborts it: it leaves the queue if it still waits, and
   * the engine drops its rows if it was sent (each request carries the signal).
   */
  submit(reqs: GenerateRequest[], signal?: AbortSignal): Promise<Completion[][]> {
    return this.batcher.submit(signal ? reqs.map((r) => ({ ...r, signal })) : reqs, signal);
  }
}
