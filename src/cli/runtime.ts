import { existsSync } from 'node:fs';
import { loadBundle } from '../models/bundle.js';
import { OnnxPolicy } from '../models/onnx/engine.js';
import { BatchingPolicy } from '../search/batching-policy.js';
import { createSandbox } from '../sandbox/index.js';
import { createJudge } from '../grade/index.js';
import type { SearchDeps } from '../search/types.js';
import { UserError } from './errors.js';

export interface RuntimeOptions {
  bundle: string;
  threads?: number;
  maxBatch?: number;
  seed?: number;
  workers?: number;
  unsafeNoSandbox?: boolean;
}

export interface Runtime {
  deps: SearchDeps;
  engine: OnnxPolicy;
  batching: BatchingPolicy;
  close(): Promise<void>;
}

/** Loads the embedded model bundle, the sandbox pool and the grader for a search command. */
export async function openRuntime(o: RuntimeOptions): Promise<Runtime> {
  if (!existsSync(o.bundle)) throw new UserError(`model bundle not found: ${o.bundle}`);
  let engine: OnnxPolicy;
  try {
    engine = await OnnxPolicy.load(loadBundle(o.bundle), { threads: o.threads, maxBatch: o.maxBatch, seed: o.seed });
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  const batching = new BatchingPolicy(engine);
  const executor = await createSandbox({ workers: o.workers, unsafeNoSandbox: o.unsafeNoSandbox });
  const judge = createJudge();
  return {
    deps: { policy: batching, executor, judge },
    engine,
    batching,
    async close() {
      await executor.close();
      await engine.close();
    },
  };
}
