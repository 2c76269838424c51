import type { Completion, GenerateRequest, Policy } from '../models/types.js';

export interface BatcherStats {
  batches: number;
  sequences: number;
  requests: number;
  maxBatchSequences: number;
}

/**
 * Batches the generation work of concurrent HTTP requests onto one engine: whatever arrived while the
 * engine was busy goes out together in its next call (up to maxSequences rows), so the engine's batch
 * grows with the load instead of serving requests one by one.
 */
export class RequestBatcher {
  readonly stats: BatcherStats = { batches: 0, sequences: 0, requests: 0, maxBatchSequences: 0 };
  private pending: Array<{ reqs: GenerateRequest[]; resolve: (c: Completion[][]) => void; reject: (e: unknown) => void }> = [];
  private running = false;
  private scheduled = false;

  constructor(
    private readonly policy: Policy,
    private readonly maxSequences = 256,
  ) {}

  get busy(): boolean {
    return this.running || this.pending.length > 0;
  }

  submit(reqs: GenerateRequest[]): Promise<Completion[][]> {
    return new Promise((resolve, reject) => {
      this.pending.push({ reqs, resolve, reject });
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
    let seqs = 0;
    const rows = (p: (typeof this.pending)[number]) => p.reqs.reduce((a, r) => a + r.n, 0);
    while (this.pending.length > 0 && (batch.length === 0 || seqs + rows(this.pending[0]) <= this.maxSequences)) {
      const item = this.pending.shift()!;
      seqs += rows(item);
      batch.push(item);
    }
    this.stats.batches++;
    this.stats.sequences += seqs;
    this.stats.requests += batch.length;
    this.stats.maxBatchSequences = Math.max(this.stats.maxBatchSequences, seqs);
    try {
      const flat = batch.flatMap((b) => b.reqs);
      const out = await this.policy.generate(flat);
      let k = 0;
      for (const b of batch) {
        b.resolve(out.slice(k, k + b.reqs.length));
        k += b.reqs.length;
      }
    } catch (e) {
      batch.forEach((b) => b.reject(e));
    } finally {
      this.running = false;
      if (this.pending.length > 0) this.schedule();
    }
  }
}
