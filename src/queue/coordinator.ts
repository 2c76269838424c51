/**
 * The coordinator's side of a distributed run: publishes the run's settings, enqueues one job per
 * problem still to do (idempotently: job ids derive from the run and the problem), and collects the
 * finished jobs' results, handing each to the run's writer (runSynth / runEval, the only writer of
 * the run directory) before removing the job. Delivery is at least once (a job whose worker dies is
 * retried after its lock expires); results are written exactly once (the writer ignores an id it
 * already holds). A job that failed every attempt is reported, not retried forever.
 */
import { Queue, type Job } from 'bullmq';
import type { Problem } from '../data/problems.js';
import type { FailedProblem } from '../synth/run-manifest.js';
import { openRedis, probeRedis, redisOptions, type QueueUrl } from './connection.js';
import { PREFIX, jobIdOf, queueName } from './ids.js';
import { publishRun, retireRun, type RunSettings } from './settings.js';

/** Waits `ms`, or less when `signal` aborts (its listener removed either way). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((res) => {
    if (signal?.aborted) return res();
    const onAbort = () => {
      clearTimeout(t);
      res();
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      res();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Attempts per job by default (a thrown error or a worker that died holding it each count one). */
export const DEFAULT_ATTEMPTS = 3;

/** What the fleet is doing, for the progress line. */
export interface FleetStatus {
  /** Worker processes connected to this run's queue. */
  workers: number;
  waiting: number;
  active: number;
  /** Jobs waiting to be retried. */
  delayed: number;
  failed: number;
}

export interface CoordinateOptions {
  queue: QueueUrl;
  settings: RunSettings;
  /** Attempts per job (also published to workers, who allow as many stalls). */
  attempts?: number;
  /** Put jobs that failed in an earlier session back in the queue. */
  retryFailed?: boolean;
  /** How often finished jobs are collected when none were found (ms). */
  pollMs?: number;
  log: (line: string) => void;
  onFleet?: (f: FleetStatus) => void;
}

/**
 * Runs `todo` on the fleet: resolves once every problem's result went through `onResult` or its job
 * failed for good (returned in `failed`), or when `signal` aborts (jobs stay queued; a rerun collects
 * them). Throws when Redis is not reachable, before anything is enqueued.
 */
export async function coordinate<R>(
  opts: CoordinateOptions,
  todo: Problem[],
  onResult: (value: R) => void,
  signal?: AbortSignal,
): Promise<{ failed: FailedProblem[] }> {
  await probeRedis(opts.queue);
  const attempts = opts.attempts ?? DEFAULT_ATTEMPTS;
  const { settings } = opts;
  const redis = openRedis(opts.queue, opts.log);
  // After Redis was away (a restart), enqueue what is pending again: idempotent for the jobs Redis
  // kept, and it puts back any a Redis without a durable log lost.
  let away = false;
  let reconnected = false;
  redis.on('close', () => (away = true));
  redis.on('ready', () => {
    if (away) reconnected = true;
    away = false;
  });
  const queue = new Queue(queueName(settings.runId), { connection: redisOptions(opts.queue), prefix: PREFIX });
  let lastErr = '';
  queue.on('error', (e: Error) => {
    if (e.message !== lastErr) opts.log(`queue: ${e.message}`);
    lastErr = e.message;
  });
  const byJob = new Map(todo.map((p) => [jobIdOf(settings.runId, p.id), p]));
  const pending = new Set(byJob.keys());
  const failed: FailedProblem[] = [];
  const enqueue = async (ids: string[]) => {
    for (let i = 0; i < ids.length; i += 500) {
      await queue.addBulk(
        ids.slice(i, i + 500).map((jobId) => ({
          name: settings.kind,
          data: { problem: byJob.get(jobId)! },
          opts: { jobId, attempts, backoff: { type: 'fixed', delay: 1000 }, removeOnComplete: false, removeOnFail: false },
        })),
      );
    }
  };
  try {
    await publishRun(redis, { ...settings, attempts } as RunSettings);
    if (opts.retryFailed) {
      for (const job of (await queue.getJobs(['failed'], 0, -1)) as Job[]) {
        if (job.id && pending.has(job.id)) await job.retry('failed');
      }
    }
    // A job id that exists (waiting, active, done, failed) is left as it is: enqueueing is idempotent.
    await enqueue([...pending]);
    let lastFleet = 0;
    while (pending.size > 0 && !signal?.aborted) {
      if (reconnected) {
        reconnected = false;
        await enqueue([...pending]);
      }
      let found = 0;
      for (const job of (await queue.getJobs(['completed'], 0, 199, true)) as Job[]) {
        found++;
        if (job.id && pending.has(job.id)) {
          onResult(job.returnvalue as R);
          pending.delete(job.id);
        }
        // Written now (or earlier, by a session that died before removing it): Redis need not keep it.
        await job.remove();
      }
      for (const job of (await queue.getJobs(['failed'], 0, -1, true)) as Job[]) {
        if (!job.id || !pending.has(job.id)) continue;
        found++;
        pending.delete(job.id);
        failed.push({ id: byJob.get(job.id)!.id, error: job.failedReason ?? 'unknown error', attempts: job.attemptsMade });
      }
      const now = Date.now();
      if (now - lastFleet > 1000 || pending.size === 0) {
        lastFleet = now;
        const c = await queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed');
        const f: FleetStatus = {
          workers: await queue.getWorkersCount(),
          waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
          active: c.active ?? 0,
          delayed: c.delayed ?? 0,
          failed: c.failed ?? 0,
        };
        opts.onFleet?.(f);
        // Jobs gone from Redis without a result (a Redis that lost its data): enqueue them again.
        if (pending.size > 0 && f.waiting + f.active + f.delayed + (c.completed ?? 0) === 0 && c.failed === 0) await enqueue([...pending]);
      }
      if (found === 0) await sleep(opts.pollMs ?? 200, signal);
    }
    if (pending.size === 0) {
      await retireRun(redis, settings.runId);
      // Failed jobs stay for inspection (a rerun reports them again; --retry-failed retries them).
      if (failed.length === 0) await queue.obliterate({ force: true });
    }
  } finally {
    await queue.close();
    redis.disconnect();
  }
  return { failed };
}
