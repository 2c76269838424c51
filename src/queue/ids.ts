/**
 * Names in Redis derived from what a run is: the run id hashes the run's identity (kind, where its
 * results go, every setting its trees depend on), and a job id hashes the problem id under it. So a
 * coordinator that is rerun, or enqueues the same problem twice, names the same jobs, and BullMQ adds
 * a job whose id exists as a no-op: enqueueing is idempotent.
 */
import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level (the same value always gives the same text). */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => stableJson(x === undefined ? null : x)).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** A run's id: 16 hex digits of the hash of its identity. */
export function runIdOf(identity: unknown): string {
  return sha(stableJson(identity)).slice(0, 16);
}

/** A problem's job id within a run (BullMQ ids may not contain ':' nor be plain integers). */
export function jobIdOf(runId: string, problemId: string): string {
  return `${runId}-${sha(problemId).slice(0, 24)}`;
}

/** Key prefix of every BullMQ structure and registry entry of rstar in the Redis database. */
export const PREFIX = 'rstar';
/** The hash of active runs: run id -> its settings (JSON). Workers watch it. */
export const RUNS_KEY = `${PREFIX}:runs`;
/** The BullMQ queue of one run. */
export const queueName = (runId: string) => `run-${runId}`;
