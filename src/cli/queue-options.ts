import type { Command } from 'commander';
import type { QueueUrl } from '../queue/connection.js';
import { UserError } from './errors.js';
import { intOption } from './options.js';

/** The distributed-run flags of synth and eval. */
export function queueOptions(cmd: Command): Command {
  return cmd
    .option('--queue <url>', 'distribute the problems over `rstar worker`s through Redis (redis://host:6379/0); this process only enqueues and writes the results')
    .option('--attempts <n>', 'with --queue: attempts per problem before it is reported failed (a worker dying counts as one)', intOption('--attempts', 1, 100), 3)
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
