import type { Command } from 'commander';
import type { QueueUrl } from '../queue/connection.js';
import type { RunSettings } from '../queue/settings.js';
import type { FleetStatus } from '../queue/coordinator.js';
import type { FailedProblem } from '../synth/run-manifest.js';
import type { Problem } from '../data/problems.js';
import { UserError } from './errors.js';
import { intOption } from './options.js';

/** The distributed-run flags of synth and eval. */
export function queueOptions(cmd: Command): Command {
  return cmd
    .option(
      '--queue <url>',
      'distribute the problems over `rstar worker`s through Redis (redis://host:6379/0); this process only enqueues and writes the results',
    )
    .option(
      '--attempts <n>',
      'with --queue: attempts per problem before it is reported failed (a worker dying counts as one)',
      intOption('--attempts', 1, 100),
      3,
    )
    .option('--retry-failed', 'with --queue: give the problems that failed in an earlier session new attempts');
}

export interface QueueFlags {
  url: QueueUrl;
  attempts: number;
  retryFailed: boolean;
}

/**
 * Parses --queue and checks that Redis answers, before anything is written. The queue code (bullmq)
 * loads only here: a run without --queue never touches it.
 */
export async function openQueueFlags(o: { queue: string; attempts?: number; retryFailed?: boolean }): Promise<QueueFlags> {
  const { parseQueueUrl, probeRedis } = await import('../queue/connection.js');
  let url: QueueUrl;
  try {
    url = parseQueueUrl(o.queue);
    await probeRedis(url);
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  return { url, attempts: o.attempts ?? 3, retryFailed: !!o.retryFailed };
}

/** What a command knows of its queued run; the helper adds the id, format and time. */
export type QueuedRunFields = Omit<RunSettings, 'format' | 'runId' | 'kind' | 'created'>;

/** Coordinates one queued run's problems; each finished result goes through `onResult`. */
export type QueuedRun<R> = (todo: Problem[], onResult: (value: R) => void, signal?: AbortSignal) => Promise<{ failed: FailedProblem[] }>;

/**
 * A synth or eval coordinator over `q`: the run id from `identity` (what the trees depend on), the
 * settings workers read, and the one line that tells the user how to start workers. `onFleet` gets
 * the fleet line the progress bar shows.
 */
export async function openQueuedRun<R>(
  q: QueueFlags,
  kind: RunSettings['kind'],
  identity: unknown,
  fields: QueuedRunFields,
  onFleet: (line: string) => void,
  quiet = false,
): Promise<QueuedRun<R>> {
  const { coordinate } = await import('../queue/coordinator.js');
  const { runIdOf } = await import('../queue/ids.js');
  const { RUN_SETTINGS_FORMAT } = await import('../queue/settings.js');
  const runId = runIdOf(identity);
  const settings: RunSettings = { format: RUN_SETTINGS_FORMAT, runId, kind, created: new Date().toISOString(), ...fields };
  if (!quiet) process.stderr.write(`${kind}: run ${runId} on ${q.url.display}; start workers with: rstar worker --queue ${q.url.display}\n`);
  const fleetLine = (f: FleetStatus) => `${f.workers} (${f.active} active, ${f.waiting} waiting${f.delayed ? `, ${f.delayed} to retry` : ''})`;
  return (todo, onResult, signal) =>
    coordinate<R>(
      {
        queue: q.url,
        settings,
        attempts: q.attempts,
        retryFailed: q.retryFailed,
        log: (l) => process.stderr.write(l + '\n'),
        onFleet: (f) => onFleet(fleetLine(f)),
      },
      todo,
      onResult,
      signal,
    );
}
