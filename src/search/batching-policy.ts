import type { Completion, GenerateRequest, Policy } from '../models/types.js';
import { MicroBatcher } from './micro-batcher.js';

/** Merges generate() calls issued concurrently by many trees or problems into one large policy call. */
export class BatchingPolicy implements Policy {
  readonly name: string;
  private readonly batcher: MicroBatcher<GenerateRequest, Completion[]>;

  constructor(
    private readonly inner: Policy,
    maxSequences = 256,
  ) {
    this.name = inner.name;
    this.batcher = new MicroBatcher((reqs) => inner.generate(reqs), (r) => r.n, maxSequences);
  }

  get batchSizes(): number[] {
    return this.batcher.batchSizes;
  }

  generate(requests: GenerateRequest[]): Promise<Completion[][]> {
    return Promise.all(requests.map((r) => this.batcher.submit(r)));
  }

  meanBatchSize(): number {
    return this.batcher.meanBatchSize();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
