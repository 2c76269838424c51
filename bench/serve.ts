/**
 * `rstar serve` throughput under concurrent load vs the in-process engine, side by side in one run.
 * The same bounded load generator (C workers, each sending its next request when the last one is
 * answered, R requests in all) drives (a) the embedded engine behind the in-process request batcher
 * and (b) a real `rstar serve` process on loopback through the HTTP policy client (both in the
 * server's default mode: requests arriving while a batch decodes go out in the next); and (c) the
 * engine with continuous batching (rows join the running batch) and (d) a second `rstar serve
 * --continuous-batching` process over HTTP, for what that buys in each path. Request lengths vary (new-tokens × ¼, ½, 1, 2) so rows finish at
 * different steps, as real requests do. Prints JSON: tokens/s and per-request latency medians.
 *   node dist/bench/serve.js [--bundle DIR] [--threads N] [--concurrency 16] [--requests 48] [--n 4] [--new-tokens 64] [--reps 2]
 */
import { join } from 'node:path';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { loadBundle } from '../src/models/bundle.js';
import { OnnxPolicy } from '../src/models/onnx/engine.js';
import { OpenAIPolicy } from '../src/models/http/openai-policy.js';
import { RequestBatcher } from '../src/serve/batcher.js';
import { spawnServe } from '../src/serve/spawn.js';
import type { Completion, GenerateRequest } from '../src/models/types.js';
import { formatPrompt } from '../src/steps/protocol.js';
import { generateProblems } from '../src/data/curriculum/index.js';
import { bundleInfo } from './bundle-info.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const { values } = parseArgs({
  options: {
    bundle: { type: 'string', default: join(root, 'models', 'default') },
    threads: { type: 'string', default: String(cpus().length) },
    concurrency: { type: 'string', default: '16' },
    requests: { type: 'string', default: '48' },
    n: { type: 'string', default: '4' },
    'new-tokens': { type: 'string', default: '64' },
    reps: { type: 'string', default: '2' },
  },
});
const threads = Number(values.threads);
const C = Number(values.concurrency);
const R = Number(values.requests);
const n = Number(values.n);
const newTokens = Number(values['new-tokens']);
const reps = Number(values.reps);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const questions = [1, 2, 3].flatMap((level) => generateProblems({ level: level as 1, count: 16, seed: 4321, split: 'test' }).map((p) => p.question));
const reqs: GenerateRequest[] = Array.from({ length: R }, (_, i) => ({
  prompt: formatPrompt(questions[i % questions.length]),
  n,
  maxTokens: Math.max(1, Math.round((newTokens * [1, 2, 4, 8][i % 4]) / 4)),
  temperature: 0.8,
  topP: 0.95,
  stop: [],
  seed: i,
  ignoreEos: true,
}));

const expected = reqs.reduce((a, r) => a + r.n * r.maxTokens, 0);
async function load(
  gen: (r: GenerateRequest) => Promise<Completion[]>,
): Promise<{ tokens_per_s: number; requests_per_s: number; tokens: number; latency_ms_p50: number }> {
  let next = 0;
  let tokens = 0;
  const latencies: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: C }, async () => {
      while (next < reqs.length) {
        const r = reqs[next++];
        const t = performance.now();
        const out = await gen(r);
        latencies.push(performance.now() - t);
        tokens += out.reduce((a, c) => a + c.tokens, 0);
      }
    }),
  );
  const s = (performance.now() - t0) / 1000;
  if (tokens !== expected) throw new Error(`expected ${expected} tokens, got ${tokens}`);
  return { tokens_per_s: tokens / s, requests_per_s: R / s, tokens, latency_ms_p50: median(latencies) };
}

const bundle = loadBundle(values.bundle!);
const maxBatch = 256;
const engine = await OnnxPolicy.load(bundle, { threads, maxBatch });
const batcher = new RequestBatcher(engine, maxBatch);
const inproc = (r: GenerateRequest) => batcher.submit([r]).then((o) => o[0]);
const contBatcher = new RequestBatcher(engine, maxBatch, { continuous: true });
const continuous = (r: GenerateRequest) => contBatcher.submit([r]).then((o) => o[0]);

const served = await spawnServe(['--bundle', values.bundle!, '--model-name', 'bench', '--threads', String(threads), '--max-batch', String(maxBatch)]);
const { proc, url } = served;
const client = new OpenAIPolicy({ baseUrls: [url], model: 'bench', concurrency: C });
const http = (r: GenerateRequest) => client.generate([r]).then((o) => o[0]);
const servedCont = await spawnServe([
  '--bundle',
  values.bundle!,
  '--model-name',
  'bench',
  '--threads',
  String(threads),
  '--max-batch',
  String(maxBatch),
  '--continuous-batching',
]);
const contClient = new OpenAIPolicy({ baseUrls: [servedCont.url], model: 'bench', concurrency: C });
const httpContinuous = (r: GenerateRequest) => contClient.generate([r]).then((o) => o[0]);

// Warm-up both paths.
await inproc(reqs[0]);
await http(reqs[0]);
await httpContinuous(reqs[0]);
type Load = Awaited<ReturnType<typeof load>>;
const a: Load[] = [];
const b: Load[] = [];
const c: Load[] = [];
const d: Load[] = [];
for (let i = 0; i < reps; i++) {
  a.push(await load(inproc));
  b.push(await load(http));
  c.push(await load(continuous));
  d.push(await load(httpContinuous));
}
for (const p of [proc, servedCont.proc]) {
  p.kill('SIGTERM');
  await new Promise((r) => p.once('exit', r));
}
await engine.close();

const inTok = median(a.map((x) => x.tokens_per_s));
const httpTok = median(b.map((x) => x.tokens_per_s));
const contTok = median(c.map((x) => x.tokens_per_s));
const httpContTok = median(d.map((x) => x.tokens_per_s));
process.stdout.write(
  JSON.stringify(
    {
      bench: 'serve',
      command: ['node dist/bench/serve.js', ...process.argv.slice(2)].join(' '),
      ...bundleInfo(values.bundle!, bundle),
      threads,
      concurrency: C,
      requests: R,
      n,
      new_tokens: newTokens,
      reps,
      in_process_tokens_per_s: Math.round(inTok),
      http_tokens_per_s: Math.round(httpTok),
      ratio: Number((httpTok / inTok).toFixed(3)),
      target: 0.8,
      pass: httpTok / inTok >= 0.8,
      latency_ms_p50_in_process: Math.round(median(a.map((x) => x.latency_ms_p50))),
      latency_ms_p50_http: Math.round(median(b.map((x) => x.latency_ms_p50))),
      continuous_in_process_tokens_per_s: Math.round(contTok),
      latency_ms_p50_continuous: Math.round(median(c.map((x) => x.latency_ms_p50))),
      continuous_vs_default_tokens_ratio: Number((contTok / inTok).toFixed(3)),
      http_continuous_tokens_per_s: Math.round(httpContTok),
      latency_ms_p50_http_continuous: Math.round(median(d.map((x) => x.latency_ms_p50))),
      ratio_http_continuous_vs_in_process: Number((httpContTok / inTok).toFixed(3)),
      http_retries: client.transport.stats.retries,
    },
    null,
    2,
  ) + '\n',
);
