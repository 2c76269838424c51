/**
 * Merges calls issued concurrently (by many searches in flight) into one call on a batched backend.
 * Items that arrive while `maxInFlight` batches run wait and go out together in the next one, so
 * batches grow with the number of searches in flight. `size` says how much of the batch budget an
 * item uses. A backend that batches continuously itself (rows join its running batch) takes more
 * than one call in flight; items ready in the same tick still go out as one call.
 */
export class MicroBatcher<Item, Result> {
  private pending: Array<{ item: Item; resolve: (r: Result) => void; reject: (e: unknown) => void }> = [];
  private running = 0;
  private scheduled = false;
  /** The summed size of every batch sent, in order. */
  readonly batchSizes: number[] = [];
  /** Items whose signal aborted while they waited (never sent). */
  abandoned = 0;

  constructor(
    private readonly run: (items: Item[]) => Promise<Result[]>,
    private readonly size: (item: Item) => number,
    private readonly maxBatch: number,
    private readonly maxInFlight = 1,
  ) {}

  /** Items waiting for the next batch. */
  get waiting(): number {
    return this.pending.length;
  }

  /**
   * Queues an item. When `signal` aborts while the item still waits, it leaves the queue and the
   * promise rejects with the signal's reason; once sent, cancelling it is the backend's business.
   */
  submit(item: Item, signal?: AbortSignal): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const entry = { item, resolve, reject };
      this.pending.push(entry);
      signal?.addEventListener(
        'abort',
        () => {
          const at = this.pending.indexOf(entry);
          if (at < 0) return;
          this.pending.splice(at, 1);
          this.abandoned++;
          reject(signal.reason);
        },
        { once: true },
      );
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.running >= this.maxInFlight || this.scheduled) return;
    this.scheduled = true;
    // Let every search that is ready this tick add its item first.
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.running >= this.maxInFlight || this.pending.length === 0) return;
    this.running++;
    const batch: typeof this.pending = [];
    let total = 0;
    while (this.pending.length > 0 && (batch.length === 0 || total + this.size(this.pending[0].item) <= this.maxBatch)) {
      const p = this.pending.shift()!;
      total += this.size(p.item);
      batch.push(p);
    }
    this.batchSizes.push(total);
    // What did not fit goes out in another call when one more may run now.
    if (this.pending.length > 0) this.schedule();
    try {
      const out = await this.run(batch.map((b) => b.item));
      batch.forEach((b, i) => b.resolve(out[i]));
    } catch (e) {
      batch.forEach((b) => b.reject(e));
    } finally {
      this.running--;
      if (this.pending.length > 0) this.schedule();
    }
  }

  meanBatchSize(): number {
    return this.batchSizes.length ? this.batchSizes.reduce((a, b) => a + b, 0) / this.batchSizes.length : 0;
  }
}
