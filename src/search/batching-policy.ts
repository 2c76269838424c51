import type { Completion, GenerateRequest, Policy } from '../models/types.js';

/**
 * Merges generate() calls issued concurrently (by many trees or problems in flight) into one large
 * call on the wrapped policy. Requests that arrive while a batch is running wait and go out together
 * in the next one, so batches grow with the number of searches in flight.
 */
export class BatchingPolicy implements Policy {
  readonly name: string;
  private pending: Array<{ req: GenerateRequest; resolve: (c: Completion[]) => void; reject: (e: unknown) => void }> = [];
  private running = false;
  private scheduled = false;
  readonly batchSizes: number[] = [];

  constructor(
    private readonly inner: Policy,
    private readonly maxSequences = 256,
  ) {
    this.name = inner.name;
  }

  generate(requests: GenerateRequest[]): Promise<Completion[][]> {
    return Promise.all(
      requests.map(
        (req) =>
          new Promise<Completion[]>((resolve, reject) => {
            this.pending.push({ req, resolve, reject });
            this.schedule();
          }),
      ),
    );
  }

  private schedule(): void {
    if (this.running || this.scheduled) return;
    this.scheduled = true;
    // Let every search that is ready this tick add its request first.
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
    while (this.pending.length > 0 && (batch.length === 0 || seqs + this.pending[0].req.n <= this.maxSequences)) {
      const item = this.pending.shift()!;
      seqs += item.req.n;
      batch.push(item);
    }
    this.batchSizes.push(seqs);
    try {
      const out = await this.inner.generate(batch.map((b) => b.req));
      batch.forEach((b, i) => b.resolve(out[i]));
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
