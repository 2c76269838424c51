import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startServe as startServeProcess } from '../helpers/serve.js';
import { DEFAULT_BUNDLE } from '../helpers/cli.js';
import { loadBundle } from '../../src/models/bundle.js';
import { OnnxPolicy } from '../../src/models/onnx/engine.js';
import { OpenAIPolicy } from '../../src/models/http/openai-policy.js';
import type { GenerateRequest } from '../../src/models/types.js';
import { formatPrompt } from '../../src/steps/protocol.js';
import { generateProblems } from '../../src/data/curriculum/index.js';

const MODEL = 'rstar-test';

const startServe = (args: string[] = []) => startServeProcess(MODEL, args);

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

const exited = (p: ChildProcess) =>
  new Promise<number | null>((r) => (p.exitCode !== null || p.signalCode !== null ? r(p.exitCode) : p.once('exit', (c) => r(c))));

let serve: Awaited<ReturnType<typeof startServe>>;
let embedded: OnnxPolicy;
before(async () => {
  serve = await startServe();
  embedded = await OnnxPolicy.load(loadBundle(DEFAULT_BUNDLE), { threads: 1 });
});
after(async () => {
  serve.proc.kill('SIGTERM');
  await exited(serve.proc);
  await embedded.close();
});

function requests(): GenerateRequest[] {
  const qs = [1, 2, 3].flatMap((level) => generateProblems({ level: level as 1, count: 2, seed: 777, split: 'test' }).map((p) => p.question));
  const stop = ['<end_of_step>', '<end_of_code>'];
  const reqs: GenerateRequest[] = qs.map((q, i) => ({ prompt: formatPrompt(q), n: 4, maxTokens: 48, temperature: 0.9, topP: 0.95, stop, seed: 1000 + i }));
  // A mid-trajectory prompt (MCTS expansion of a node), greedy, and a length-capped one.
  reqs.push({ prompt: formatPrompt(qs[0]) + '<code>\n# Step 1: ', n: 3, maxTokens: 40, temperature: 0.7, topP: 1, stop, seed: 42 });
  reqs.push({ prompt: formatPrompt(qs[1]), n: 1, maxTokens: 200, temperature: 0, topP: 1, stop: ['<end_of_code>'], seed: 7 });
  reqs.push({ prompt: formatPrompt(qs[2]), n: 2, maxTokens: 5, temperature: 1, topP: 1, stop: [], seed: 9 });
  return reqs;
}

test('HTTP policy against rstar serve gives the same completions as the embedded engine under the same seeds', async () => {
  const reqs = requests();
  // One request in flight at a time, so every engine call on the server holds exactly what the
  // embedded calls below hold (the engine's results depend on what shares its batch; see the next test).
  const http = new OpenAIPolicy({ baseUrls: [serve.url], model: MODEL, concurrency: 1, batchPrompts: false });
  await http.check();
  const viaHttp = await http.generate(reqs);
  const local = [];
  for (const r of reqs) local.push((await embedded.generate([r]))[0]);
  assert.deepEqual(viaHttp, local);
  // Token usage comes back too.
  const total = local.flat().reduce((a, c) => a + c.tokens, 0);
  assert.equal(http.usage.completionTokens, total);
  assert.ok(http.usage.promptTokens > 0);
  assert.ok(
    local.flat().some((c) => c.finishReason === 'stop' && c.text.endsWith('<end_of_step>')),
    'stop strings are kept in the text',
  );
  assert.ok(local.flat().some((c) => c.finishReason === 'length'));
});

test('concurrent HTTP requests (merged into engine batches by rstar serve) match one embedded batch', { timeout: 120_000 }, async () => {
  const reqs = requests();
  const http = new OpenAIPolicy({ baseUrls: [serve.url], model: MODEL });
  assert.deepEqual(await http.generate(reqs), await embedded.generate(reqs));
});

test('prompt batching (prompt: string[], one seed) matches one embedded call with the same requests', async () => {
  const base = requests()[0];
  const reqs = [0, 1, 2].map((i) => ({ ...base, prompt: base.prompt + (i ? ` ${'x'.repeat(i)}` : '') }));
  const batched = new OpenAIPolicy({ baseUrls: [serve.url], model: MODEL });
  const a = await batched.generate(reqs);
  assert.equal(batched.transport.stats.requests, 1, 'one HTTP request for the three prompts');
  assert.deepEqual(a, await embedded.generate(reqs));
});

test('a wrong model name or an unreachable server fails with a clear message', async () => {
  const wrong = new OpenAIPolicy({ baseUrls: [serve.url], model: 'no-such-model' });
  await assert.rejects(wrong.check(), /does not serve the model "no-such-model"; it serves: rstar-test/);
  await assert.rejects(
    wrong.generate([requests()[0]]),
    /model "no-such-model": HTTP 404: The model `no-such-model` does not exist\.; the server serves: rstar-test/,
  );
  const port = await freePort();
  const dead = new OpenAIPolicy({ baseUrls: [`http://127.0.0.1:${port}/v1`], model: MODEL, retries: 1, backoffMs: 1 });
  await assert.rejects(dead.check(), /cannot reach the policy server at http:\/\/127\.0\.0\.1:\d+\/v1: connection refused/);
  await assert.rejects(dead.generate([requests()[0]]), /the policy server failed after 2 attempts .*connection refused/);
});

// ── fault tests against scripted servers ─────────────────────────────────────────────────────────

type Handler = (
  body: Record<string, unknown>,
  path: string,
  n: number,
) => { status?: number; body?: string; delayMs?: number; headers?: Record<string, string> } | 'destroy';

async function fake(handler: Handler): Promise<{ url: string; server: Server; hits: () => number }> {
  let hits = 0;
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      const r = handler(raw ? JSON.parse(raw) : {}, req.url ?? '', hits++);
      if (r === 'destroy') return req.socket.destroy();
      const go = () => {
        res.writeHead(r.status ?? 200, { 'content-type': 'application/json', ...r.headers });
        res.end(r.body ?? '');
      };
      if (r.delayMs) setTimeout(go, r.delayMs).unref();
      else go();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, server, hits: () => hits };
}

const ok = (n: number, text = 'x<end_of_step>') =>
  JSON.stringify({
    id: 'cmpl-1',
    object: 'text_completion',
    created: 1,
    model: 'm',
    choices: Array.from({ length: n }, (_, i) => ({ index: i, text, logprobs: null, finish_reason: 'stop', stop_reason: '<end_of_step>' })),
    usage: { prompt_tokens: 3, completion_tokens: 2 * n, total_tokens: 3 + 2 * n },
  });
const req1: GenerateRequest = { prompt: 'p', n: 2, maxTokens: 8, temperature: 1, topP: 1, stop: ['<end_of_step>'], seed: 1 };
const closeAll = (...s: Server[]) => Promise.all(s.map((x) => new Promise((r) => (x.close(r), x.closeAllConnections()))));

test('retries 429 and 5xx with backoff, then succeeds', async () => {
  const f = await fake((_b, _p, n) =>
    n === 0
      ? { status: 429, body: '{"error":{"message":"slow down"}}', headers: { 'retry-after': '0' } }
      : n === 1
        ? { status: 503, body: 'busy' }
        : { body: ok(2) },
  );
  const p = new OpenAIPolicy({ baseUrls: [f.url], model: 'm', backoffMs: 1 });
  const out = await p.generate([req1]);
  assert.equal(out[0].length, 2);
  assert.equal(out[0][0].tokens, 2, 'usage.completion_tokens shared out over the choices');
  assert.equal(p.transport.stats.retries, 2);
  await closeAll(f.server);
});

test('gives up after the retries with the last error in the message', async () => {
  const f = await fake(() => ({ status: 500, body: '{"object":"error","message":"CUDA out of memory","type":"InternalServerError","param":null,"code":500}' }));
  const p = new OpenAIPolicy({ baseUrls: [f.url], model: 'm', retries: 2, backoffMs: 1 });
  await assert.rejects(p.generate([req1]), /failed after 3 attempts.*HTTP 500: CUDA out of memory/);
  assert.equal(f.hits(), 3);
  await closeAll(f.server);
});

test('slow responses time out (and are retried)', async () => {
  const f = await fake((_b, _p, n) => (n === 0 ? { body: ok(2), delayMs: 2000 } : { body: ok(2) }));
  const p = new OpenAIPolicy({ baseUrls: [f.url], model: 'm', timeoutMs: 200, backoffMs: 1 });
  assert.equal((await p.generate([req1]))[0].length, 2);
  const g = await fake(() => ({ body: ok(2), delayMs: 2000 }));
  const q = new OpenAIPolicy({ baseUrls: [g.url], model: 'm', timeoutMs: 150, retries: 1, backoffMs: 1 });
  await assert.rejects(q.generate([req1]), /no answer within 150 ms/);
  g.server.closeAllConnections();
  f.server.closeAllConnections();
  await closeAll(f.server, g.server);
});

test('malformed JSON and a dropped connection are retried; a wrong shape is a clear error', async () => {
  const f = await fake((_b, _p, n) => (n === 0 ? { body: '{"choices": [' } : n === 1 ? 'destroy' : { body: ok(2) }));
  const p = new OpenAIPolicy({ baseUrls: [f.url], model: 'm', backoffMs: 1 });
  assert.equal((await p.generate([req1]))[0].length, 2);
  const g = await fake(() => ({ body: '{"choices": [' }));
  await assert.rejects(new OpenAIPolicy({ baseUrls: [g.url], model: 'm', retries: 1, backoffMs: 1 }).generate([req1]), /malformed JSON/);
  const h = await fake(() => ({ body: JSON.stringify({ choices: [{ index: 0 }] }) }));
  await assert.rejects(new OpenAIPolicy({ baseUrls: [h.url], model: 'm' }).generate([req1]), /malformed: field "choices.0.text"/);
  const k = await fake(() => ({ body: ok(1) }));
  await assert.rejects(new OpenAIPolicy({ baseUrls: [k.url], model: 'm' }).generate([req1]), /returned 1 choices, expected 2/);
  await closeAll(f.server, g.server, h.server, k.server);
});

test('round-robin over replicas; a dead replica is skipped by the retry', async () => {
  const a = await fake(() => ({ body: ok(2) }));
  const b = await fake(() => ({ body: ok(2) }));
  const p = new OpenAIPolicy({ baseUrls: [a.url, b.url, `http://127.0.0.1:${await freePort()}/v1`], model: 'm', backoffMs: 1, concurrency: 2 });
  const reqs = Array.from({ length: 9 }, (_, i) => ({ ...req1, seed: i }));
  const out = await p.generate(reqs);
  assert.equal(out.length, 9);
  assert.ok(a.hits() >= 3 && b.hits() >= 3, `${a.hits()} ${b.hits()}`);
  await closeAll(a.server, b.server);
});

test('the concurrency limit bounds requests in flight; the API key is sent', async () => {
  let inflight = 0;
  let peak = 0;
  let auth = '';
  const server = createServer((req, res) => {
    inflight++;
    peak = Math.max(peak, inflight);
    auth = String(req.headers.authorization);
    req.resume();
    setTimeout(() => {
      inflight--;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(ok(2));
    }, 30);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const p = new OpenAIPolicy({ baseUrls: [`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`], model: 'm', concurrency: 3, apiKey: 'sk-test' });
  await p.generate(Array.from({ length: 12 }, (_, i) => ({ ...req1, seed: i })));
  assert.equal(peak, 3);
  assert.equal(auth, 'Bearer sk-test');
  await closeAll(server);
});

test('server killed mid-run: the client retries, then fails with a clear message', async () => {
  const s = await startServe();
  const p = new OpenAIPolicy({ baseUrls: [s.url], model: MODEL, retries: 2, backoffMs: 50 });
  const long: GenerateRequest = { prompt: formatPrompt('What is 2 + 3?'), n: 8, maxTokens: 400, temperature: 1, topP: 1, stop: [], seed: 3, ignoreEos: true };
  const run = p.generate([long]);
  // Kill it once it is decoding the request (the server's own counter, not a delay).
  while (((await (await fetch(s.url + '/stats')).json()) as { engine: { decodeSteps: number } }).engine.decodeSteps === 0)
    await new Promise((r) => setTimeout(r, 10));
  s.proc.kill('SIGKILL');
  await assert.rejects(run, /the policy server failed after 3 attempts .*last error: .*(connection refused|connection reset|fetch failed|other side closed)/);
  await exited(s.proc);
});
