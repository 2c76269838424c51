/**
 * Wall time per evolve stage that survives kills and resumes: elapsed time is added to the stage's
 * total as it runs (at every checkpoint, and when the stage ends or throws), and each checkpoint
 * persists the state, so a stage killed mid-way keeps what it had spent and a resumed run adds to it.
 */
export interface StageClockOptions {
  /** Milliseconds from a monotonic clock (default: performance.now). */
  now?: () => number;
  /** Persists the state that holds the totals (evolve.json). */
  save: () => void;
  /** Calls `tick` periodically until the returned stop function is called (default: every 15 s). */
  every?: (tick: () => void) => () => void;
}

const CHECKPOINT_MS = 15_000;

const defaultEvery = (tick: () => void) => {
  const t = setInterval(tick, CHECKPOINT_MS);
  t.unref();
  return () => clearInterval(t);
};

/** Runs `f`, adding its wall time in seconds to `totals[stage]` (checkpointed while it runs). */
export async function timeStage<T>(totals: Record<string, number>, stage: string, f: () => Promise<T>, o: StageClockOptions): Promise<T> {
  const now = o.now ?? (() => performance.now());
  let last = now();
  const checkpoint = () => {
    const t = now();
    totals[stage] = Math.round(((totals[stage] ?? 0) + (t - last) / 1000) * 1000) / 1000;
    last = t;
    o.save();
  };
  const stop = (o.every ?? defaultEvery)(checkpoint);
  try {
    return await f();
  } finally {
    stop();
    checkpoint();
  }
}
