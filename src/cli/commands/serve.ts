import type { Command } from 'commander';
import { DEFAULT_BUNDLE } from '../../paths.js';
import { DEFAULT_KV_CACHE_MB } from '../../models/onnx/engine.js';
import { openBundleModels } from '../../runtime.js';
import { RstarServer, SERVE_DEFAULTS as D } from '../../serve/server.js';
import { UserError } from '../errors.js';
import { intOption, floatOption } from '../options.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve a model bundle: the policy as an OpenAI-compatible completions endpoint (/v1/completions), the PPM as a scoring endpoint (/v1/rewards)')
    .option('--bundle <dir>', 'model bundle directory', DEFAULT_BUNDLE)
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port (0: any free port)', intOption('--port', 0, 65535), 8000)
    .option('--model-name <name>', 'served model name (default: the bundle name)')
    .option('--threads <n>', 'ONNX Runtime threads', intOption('--threads', 1, 256))
    .option('--max-batch <n>', 'rows decoded together by the engine', intOption('--max-batch', 1, 4096), 256)
    .option(
      '--kv-cache-mb <n>',
      "memory cap of the engine's prefix cache (KV of earlier prompts and generations, shared across requests, LRU; 0: off)",
      floatOption('--kv-cache-mb', 0),
      DEFAULT_KV_CACHE_MB,
    )
    .option(
      '--continuous-batching',
      "each request's rows join the batch being decoded (default: requests that arrive while a batch decodes go out together in the next; faster on a 2-core CPU, see docs/served-models.md)",
    )
    .option('--max-n <n>', 'request budget: largest n per request', intOption('--max-n', 1, 4096), D.maxN)
    .option(
      '--max-prompts <n>',
      'request budget: most prompts per completions request (4x that many rewards inputs)',
      intOption('--max-prompts', 1, 4096),
      D.maxPrompts,
    )
    .option('--max-tokens <n>', "request budget: largest max_tokens (default: the model's context)", intOption('--max-tokens', 1))
    .option(
      '--max-request-tokens <n>',
      'request budget: largest n × prompts × max_tokens of one request',
      intOption('--max-request-tokens', 1),
      D.maxRequestTokens,
    )
    .option(
      '--max-queue <n>',
      'completions/rewards requests accepted and not yet answered; more get 429 with Retry-After',
      intOption('--max-queue', 1),
      D.maxQueue,
    )
    .option('--max-body-bytes <n>', 'largest request body', intOption('--max-body-bytes', 1024), D.maxBodyBytes)
    .option('--headers-timeout-ms <n>', 'time to receive request headers', intOption('--headers-timeout-ms', 100), D.headersTimeoutMs)
    .option(
      '--request-timeout-ms <n>',
      'time to receive a whole request (headers and body; not the generation): a stalled upload gets 408 and is disconnected',
      intOption('--request-timeout-ms', 100),
      D.requestTimeoutMs,
    )
    .option('--max-connections <n>', 'open connections at most (further ones are closed at once)', intOption('--max-connections', 1), D.maxConnections)
    .option('--grace-ms <n>', 'on SIGTERM/SIGINT, wait this long for requests in flight', intOption('--grace-ms', 0), 30_000)
    .option('--seed <n>', 'seed of requests that carry none', intOption('--seed'), 0)
    .option('--json', 'print the listening address as a JSON line')
    .action(async (o) => {
      let server: RstarServer;
      let name: string;
      try {
        const { bundle, policy, reward } = await openBundleModels(o.bundle, o);
        name = o.modelName ?? bundle.manifest.name;
        server = new RstarServer({
          policy,
          reward,
          modelName: name,
          countTokens: (t) => bundle.tokenizer.encode(t).length,
          maxContext: bundle.manifest.architecture.max_seq_len,
          rewardMaxContext: reward ? bundle.manifest.architecture.max_seq_len : undefined,
          maxBodyBytes: o.maxBodyBytes,
          maxN: o.maxN,
          maxPrompts: o.maxPrompts,
          maxTokens: o.maxTokens,
          maxRequestTokens: o.maxRequestTokens,
          maxQueue: o.maxQueue,
          headersTimeoutMs: o.headersTimeoutMs,
          requestTimeoutMs: o.requestTimeoutMs,
          maxConnections: o.maxConnections,
          maxBatchSequences: o.maxBatch,
          continuousBatching: Boolean(o.continuousBatching),
          seed: o.seed,
          log: (l) => process.stderr.write(`rstar serve: ${l}\n`),
        });
      } catch (e) {
        throw new UserError((e as Error).message);
      }
      let url: string;
      try {
        url = await server.listen(o.port, o.host);
      } catch (e) {
        throw new UserError(`cannot listen on ${o.host}:${o.port}: ${(e as Error).message}`);
      }
      if (o.json) process.stdout.write(JSON.stringify({ event: 'listening', url, model: name, pid: process.pid }) + '\n');
      process.stderr.write(
        `rstar serve: model "${name}" at ${url} (completions${server.batcher ? '' : ': none'}, rewards: ${server.hasReward ? 'yes' : 'none'})\n`,
      );
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (sig: string) => {
          if (stopping) {
            process.stderr.write(`rstar serve: ${sig} again, exiting now\n`);
            process.exit(130);
          }
          stopping = true;
          process.stderr.write(`rstar serve: ${sig}: draining ${server.stats.inFlight} request(s) in flight\n`);
          void server.close(o.graceMs).then(({ drained }) => {
            process.stderr.write(`rstar serve: stopped${drained ? '' : ' (grace period over; open requests cut)'}\n`);
            resolve();
          });
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
    });
}
