/**
 * The worker's side of a distributed run: watches the registry of active runs, and for each run its
 * models can serve, takes that run's jobs from BullMQ, many at once (one search tree per job, their
 * model calls batched together as in a local run), sending each finished record back through Redis.
 * A worker that leaves gracefully (`signal`) finishes its jobs in flight first; one that dies holds
 * its jobs until their lock expires, then another worker retries them.
 */
import { Worker, type Job } from 'bullmq';
import type { Problem } from '../data/problems.js';
import { openRedis, probeRedis, redisOptions, type QueueUrl } from './connection.js';
import { PREFIX, queueName } from './ids.js';
import { activeRuns, type RunSettings } from './settings.js';
import { DEFAULT_ATTEMPTS, sleep } from './coordinator.js';

/** What a worker solves problems with: built once, when it starts (models loaded before any run appears). */
export interface Solver {
  /** Throws (with the reason) when this worker's models cannot serve the run. */
  check(s: RunSettings): void;
  /** The run's record for one problem (the same per-problem function a local run uses). */
  solve(s: RunSettings, p: Problem): Promise<unknown>;
}

export interface WorkerOptions {
  queue: QueueUrl;
  /** Jobs (trees) in flight at once per run. */
  concurrency: number;
  /** How long a job's lock lasts without renewal: a dead worker's jobs are retried after it (ms). */
  lockMs: number;
  /** How often the registry of runs is read (ms). */
  pollMs?: number;
  /** Exit once no run has been active for this long, after serving at least one (ms); default: wait for runs forever. */
  idleExitMs?: number;
  signal: AbortSignal;
  log: (line: string) => void;
  onJob?: (e: { runId: string; problemId: string; ok: boolean; ms: number; error?: string; tokens?: number }) => void;
}

export interface WorkerSummary {
  runs: number;
  completed: number;
  failed: number;
  wallSeconds: number;
}

/** Serves runs until `signal` aborts (in-flight jobs finish first) or, with idleExitMs, no run is left. */
export async function runWorker(opts: WorkerOptions, makeSolver: () => Promise<Solver>): Promise<WorkerSummary> {
  await probeRedis(opts.queue);
  const solver = await makeSolver();
  opts.log(`worker: ready, waiting for runs on ${opts.queue.display}`);
  const t0 = Date.now();
  const redis = openRedis(opts.queue, opts.log);
  const serving = new Map<string, Worker>();
  const refused = new Set<string>();
  let runs = 0;
  let completed = 0;
  let failed = 0;
  let idleSince = Date.now();
  try {
    while (!opts.signal.aborted) {
      const active = await activeRuns(redis, opts.log);
      for (const s of active) {
        if (serving.has(s.runId) || opts.signal.aborted) continue;
        if (refused.has(s.runId)) continue;
        try {
          solver.check(s);
        } catch (e) {
          // Alone, a worker that can serve nothing says why and leaves; beside runs it serves, it
          // says why once and keeps serving those.
          if (serving.size === 0) throw e;
          refused.add(s.runId);
          opts.log((e as Error).message);
          continue;
        }
        const srv = solver;
        const attempts = s.attempts ?? DEFAULT_ATTEMPTS;
        const w = new Worker(
          queueName(s.runId),
          async (job: Job) => {
            const p = (job.data as { problem: Problem }).problem;
            const ts = Date.now();
            try {
              const r = await srv.solve(s, p);
              completed++;
              opts.onJob?.({
                runId: s.runId,
                problemId: p.id,
                ok: true,
                ms: Date.now() - ts,
                tokens: (r as { tokens?: number }).tokens ?? (r as { result?: { tokens?: number } }).result?.tokens,
              });
              return r;
            } catch (e) {
              failed++;
              opts.onJob?.({ runId: s.runId, problemId: p.id, ok: false, ms: Date.now() - ts, error: (e as Error).message });
              throw e;
            }
          },
          {
            connection: redisOptions(opts.queue),
            prefix: PREFIX,
            concurrency: opts.concurrency,
            lockDuration: opts.lockMs,
            stalledInterval: opts.lockMs,
            // A job whose holder died counts as an attempt: after `attempts` runs in all it fails.
            maxStalledCount: Math.max(0, attempts - 1),
          },
        );
        let lastErr = '';
        w.on('error', (e: Error) => {
          if (e.message !== lastErr) opts.log(`worker: ${e.message}`);
          lastErr = e.message;
        });
        serving.set(s.runId, w);
        runs++;
        opts.log(`worker: serving run ${s.runId} (${s.kind}, ${s.policy.name})`);
      }
      for (const [id, w] of serving) {
        if (active.some((s) => s.runId === id)) continue;
        serving.delete(id);
        await w.close();
        opts.log(`worker: run ${id} is finished`);
      }
      if (serving.size > 0) idleSince = Date.now();
      else if (runs > 0 && opts.idleExitMs !== undefined && Date.now() - idleSince >= opts.idleExitMs) break;
      await sleep(opts.pollMs ?? 250, opts.signal);
    }
  } finally {
    // Graceful: close() lets the jobs in flight finish and report before the connections go.
    await Promise.all([...serving.values()].map((w) => w.close()));
    redis.disconnect();
  }
  return { runs, completed, failed, wallSeconds: (Date.now() - t0) / 1000 };
}
