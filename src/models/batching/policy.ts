import type { Completion, GenerateRequest, Policy } from '../types.js';
import { MicroBatcher } from './micro-batcher.js';

/**
 * How many merged calls a batcher keeps in flight on `policy`: one (later calls wait and go out
 * together), or, when asked for and the policy batches continuously, as many as are ready.
 */
export function callsInFlight(policy: Policy, continuous = false): number {
  return policy.continuousBatching && continuous ? Number.POSITIVE_INFINITY : 1;
}

/**
 * Merges generate() calls issued concurrently by many trees or problems into one large policy call;
 * calls that arrive while one runs wait for the next. Over a continuously batching policy (the
 * embedded engine) `continuous: true` sends each tick's calls at once to join the running batch
 * instead. Searches hold by default: on a 2-core CPU continuous admission measured 0.92x before the
 * engine's cache-free decode step and 1.04x after it (bench/continuous), short of a new default.
 */
export class BatchingPolicy implements Policy {
  readonly name: string;
  private readonly batcher: MicroBatcher<GenerateRequest, Completion[]>;

  constructor(
    private readonly inner: Policy,
    maxSequences = 256,
    opts: { continuous?: boolean } = {},
  ) {
    this.name = inner.name;
    this.batcher = new MicroBatcher(
      (reqs) => inner.generate(reqs),
      (r) => r.n,
      maxSequences,
      callsInFlight(inner, opts.continuous),
    );
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
