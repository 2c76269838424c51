import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { request, type ClientRequest } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { readRun } from '../../src/synth/synth-run.js';
import { startServe as startServeProcess } from '../helpers/serve.js';
import { rstar } from '../helpers/cli.js';
import { RstarServer } from '../../src/serve/server.js';
import type { Completion, GenerateRequest, Policy } from '../../src/models/types.js';
import { OpenAIPolicy, servedModel } from '../../src/models/http/openai-policy.js';
import {
  CHAT_TEMPLATES,
  ChatTemplate,
  loadJinja,
  promptTemplate,
  renderBuiltin,
  splitRstarPrompt,
  rstarFewShotPrompt,
  type BuiltinChat,
} from '../../src/models/http/templates.js';
import { formatPrompt } from '../../src/steps/protocol.js';
import { generateProblems } from '../../src/data/curriculum/index.js';

const startServe = (args: string[] = []) => startServeProcess('m', args);
const exited = (p: ChildProcess) =>
  new Promise<number | null>((r) => (p.exitCode !== null || p.signalCode !== null ? r(p.exitCode) : p.once('exit', (c) => r(c))));

/** A policy that takes `ms` per call and records its batch sizes. */
class SlowPolicy implements Policy {
  readonly name = 'slow';
  readonly batches: number[] = [];
  constructor(private readonly ms = 50) {}
  async generate(rs: GenerateRequest[]): Promise<Completion[][]> {
    this.batches.push(rs.length);
    await new Promise((r) => setTimeout(r, this.ms));
    return rs.map((r) => Array.from({ length: r.n }, (_, i) => ({ text: `${r.prompt}/${i}/${r.seed}`, tokens: 1, finishReason: 'length' as const })));
  }
  async close() {}
}

const post = (url: string, body: unknown) => fetch(url + '/completions', { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });

test('request validation: bad bodies get 400 with the field named, unknown routes 404', async () => {
  const s = new RstarServer({ policy: new SlowPolicy(1), modelName: 'm', maxN: 8, countTokens: (t) => t.length, maxContext: 100 });
  const url = await s.listen(0);
  const cases: Array<[unknown, number, RegExp]> = [
    ['{not json', 400, /not valid JSON/],
    [{ prompt: 'a' }, 400, /field "model"/],
    [{ model: 'm' }, 400, /field "prompt"/],
    [{ model: 'm', prompt: 'a', n: 0 }, 400, /field "n"/],
    [{ model: 'm', prompt: 'a', n: 9 }, 400, /n must be at most 8/],
    [{ model: 'm', prompt: 'a', n: 1.5 }, 400, /field "n"/],
    [{ model: 'm', prompt: 'a', temperature: -1 }, 400, /field "temperature"/],
    [{ model: 'm', prompt: 'a', top_p: 0 }, 400, /field "top_p"/],
    [{ model: 'm', prompt: 'a', max_tokens: 0 }, 400, /field "max_tokens"/],
    [{ model: 'm', prompt: 'a', stop: [1] }, 400, /field "stop/],
    [{ model: 'm', prompt: 'a', stop: [''] }, 400, /stop strings must not be empty/],
    [{ model: 'm', prompt: 'a', stream: true }, 400, /stream is not supported/],
    [{ model: 'm', prompt: 'x'.repeat(100) }, 400, /maximum context length is 100/],
    [{ model: 'm', prompt: [] }, 400, /field "prompt"/],
    [{ model: 'other', prompt: 'a' }, 404, /The model `other` does not exist/],
  ];
  for (const [body, status, msg] of cases) {
    const r = await post(url, body);
    assert.equal(r.status, status, JSON.stringify(body));
    const e = await r.json();
    assert.match(e.error.message, msg);
    assert.equal(e.error.code, status);
  }
  assert.equal((await fetch(url.replace('/v1', '/nope'))).status, 404);
  assert.equal((await fetch(url + '/completions')).status, 405);
  assert.deepEqual(await (await fetch(url.replace('/v1', '/health'))).json(), { status: 'ok' });
  const okr = await post(url, { model: 'm', prompt: 'a', n: 2, seed: 3 });
  assert.equal(okr.status, 200);
  assert.deepEqual(
    (await okr.json()).choices.map((c: { text: string }) => c.text),
    ['a/0/3', 'a/1/3'],
  );
  await s.close();
});

/**
 * Sends raw bytes on a fresh connection and collects what the server sends back until it closes
 * the connection (a reset after the answer was read counts as closed; before it, it is an error).
 */
function rawExchange(url: string, bytes: Buffer[], opts: { end?: boolean } = {}): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(u.port), u.hostname);
    let got = '';
    sock.on('data', (d) => (got += d));
    sock.on('error', (e) => (got.startsWith('HTTP/1.1 ') ? resolve(got) : reject(e)));
    sock.on('close', () => resolve(got));
    for (const b of bytes) sock.write(b);
    if (opts.end) sock.end();
  });
}

const statusOf = (raw: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1]);
const bodyOf = (raw: string) => raw.slice(raw.indexOf('\r\n\r\n') + 4);

test('oversized bodies are rejected with 413 (declared or streamed)', async () => {
  const s = new RstarServer({ policy: new SlowPolicy(1), modelName: 'm', maxBodyBytes: 4096 });
  const url = await s.listen(0);
  const big = Buffer.from(JSON.stringify({ model: 'm', prompt: 'x'.repeat(10_000) }));
  // Declared too large: answered from the headers, before any body byte is sent.
  const declared = await rawExchange(url, [
    Buffer.from(`POST /v1/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${big.length}\r\n\r\n`),
  ]);
  assert.equal(statusOf(declared), 413);
  assert.match(JSON.parse(bodyOf(declared)).error.message, /exceeds the limit of 4096 bytes/);
  // Streamed (chunked): answered once the body read passes the limit.
  const chunk = (b: Buffer) => Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n')]);
  const chunked = await rawExchange(url, [
    Buffer.from('POST /v1/completions HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n'),
    chunk(big.subarray(0, 3000)),
    chunk(big.subarray(3000)),
  ]);
  assert.equal(statusOf(chunked), 413);
  // The server still serves after rejecting.
  assert.equal((await post(url, { model: 'm', prompt: 'a' })).status, 200);
  await s.close();
});

test('request batching: concurrent requests share engine calls, each gets its own answers', async () => {
  const policy = new SlowPolicy(40);
  const s = new RstarServer({ policy, modelName: 'm' });
  const url = await s.listen(0);
  const res = await Promise.all(Array.from({ length: 12 }, (_, i) => post(url, { model: 'm', prompt: `p${i}`, n: 2, seed: i }).then((r) => r.json())));
  res.forEach((r, i) =>
    assert.deepEqual(
      r.choices.map((c: { text: string }) => c.text),
      [`p${i}/0/${i}`, `p${i}/1/${i}`],
    ),
  );
  assert.ok(policy.batches.length < 12, `batches: ${policy.batches}`);
  assert.ok(Math.max(...policy.batches) > 1);
  assert.equal(s.batcher!.stats.requests, 12);
  await s.close();
});

test('with continuous batching, the policy gets each request as it arrives, not after the running call', async () => {
  class ContinuousPolicy extends SlowPolicy {
    readonly continuousBatching = true;
    inFlight = 0;
    maxInFlight = 0;
    private entered!: () => void;
    readonly firstCall = new Promise<void>((r) => (this.entered = r));
    override async generate(rs: GenerateRequest[]): Promise<Completion[][]> {
      this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
      this.entered();
      try {
        return await super.generate(rs);
      } finally {
        this.inFlight--;
      }
    }
  }
  const policy = new ContinuousPolicy(300);
  const s = new RstarServer({ policy, modelName: 'm', continuousBatching: true });
  const url = await s.listen(0);
  const first = post(url, { model: 'm', prompt: 'a', n: 2, seed: 1 }).then((r) => r.json());
  await policy.firstCall; // the first request is in the policy
  const second = await post(url, { model: 'm', prompt: 'b', n: 1, seed: 2 }).then((r) => r.json());
  assert.equal(second.choices[0].text, 'b/0/2');
  // Both calls were in the policy at once: the second was not queued behind the first.
  assert.equal(policy.maxInFlight, 2);
  assert.deepEqual(
    (await first).choices.map((c: { text: string }) => c.text),
    ['a/0/1', 'a/1/1'],
  );
  await s.close();
});

test('graceful shutdown: SIGTERM lets the request in flight finish, then the process exits 0', async () => {
  const s = await startServe();
  const p = new OpenAIPolicy({ baseUrls: [s.url], model: 'm', retries: 0 });
  const long: GenerateRequest = { prompt: formatPrompt('What is 2 + 3?'), n: 4, maxTokens: 120, temperature: 1, topP: 1, stop: [], seed: 1, ignoreEos: true };
  const run = p.generate([long]);
  await until(s.url, (st) => st.engine.decodeSteps > 0); // the request is decoding
  s.proc.kill('SIGTERM');
  const out = await run;
  assert.equal(out[0].length, 4);
  assert.ok(out[0].every((c) => c.tokens === 120));
  assert.equal(await exited(s.proc), 0);
  assert.match(s.stderr(), /SIGTERM: draining 1 request/);
  await assert.rejects(p.generate([long]), /connection refused/);
});

test('rstar serve: the bundle flag is validated', () => {
  const r = rstar(['serve', '--bundle', '/nonexistent/bundle', '--port', '0']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /model bundle not found: \/nonexistent\/bundle/);
});

test('prompt templates: rStar SFT, few-shot, built-in chat templates (equal to their Jinja source rendered by @huggingface/jinja)', async () => {
  const q = 'What is 3 + 4?';
  const partial = '<code>\n# Step 1: add\na = 3 + 4\n<end_of_step>';
  assert.deepEqual(splitRstarPrompt(formatPrompt(q) + partial), { question: q, partial });
  assert.equal(await promptTemplate('rstar-sft').render(formatPrompt(q)), formatPrompt(q));
  const few = await promptTemplate('rstar-fewshot').render(formatPrompt(q) + partial);
  assert.ok(few.startsWith('You are a powerful agent'));
  assert.ok(few.endsWith(formatPrompt(q) + partial));
  assert.equal(few, rstarFewShotPrompt(q) + partial);
  const chat = await promptTemplate('chatml').render(formatPrompt(q) + partial);
  // biome-ignore lint/correctness/noEmptyCharacterClassInRegex: [^] is any character, newlines included
  assert.match(chat, /^<\|im_start\|>system\n[^]*<\|im_start\|>user\n[^]*Question: What is 3 \+ 4\?<\|im_end\|>\n<\|im_start\|>assistant\n<code>\n# Step 1/);
  const msgs = [
    { role: 'system' as const, content: 'sys' },
    { role: 'user' as const, content: 'hi ' },
    { role: 'assistant' as const, content: 'yo' },
  ];
  assert.equal(
    renderBuiltin('llama3', msgs, true),
    '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nsys<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nyo<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n',
  );
  const jinja = await loadJinja();
  assert.ok(jinja, '@huggingface/jinja is a dependency and must load');
  for (const name of Object.keys(CHAT_TEMPLATES) as BuiltinChat[]) {
    for (const gen of [true, false]) {
      for (const m of [msgs, msgs.slice(1)]) assert.equal(await ChatTemplate.builtin(name).render(m, gen), renderBuiltin(name, m, gen), `${name} gen=${gen}`);
    }
  }
});

test('rstar solve --policy URL (served by rstar serve) gives the embedded answer under the same seed', async () => {
  const [p] = generateProblems({ level: 1, count: 1, seed: 4242, split: 'test' });
  const s = await startServe();
  try {
    const args = ['solve', '--mode', 'self-consistency', '-n', '4', '--seed', '3', '--json', p.question];
    const local = rstar(args);
    assert.equal(local.code, 0, local.stderr);
    const served = rstar([...args, '--policy', s.url, '--policy-model', 'm', '--policy-concurrency', '1']);
    assert.equal(served.code, 0, served.stderr);
    const a = JSON.parse(local.stdout);
    const b = JSON.parse(served.stdout);
    assert.equal(b.answer, a.answer);
    assert.equal(b.answer, p.answer);
    // Without --policy-model: the server's only model.
    const implicit = rstar([...args, '--policy', s.url, '--policy-concurrency', '1']);
    assert.equal(implicit.code, 0, implicit.stderr);
    assert.equal(JSON.parse(implicit.stdout).answer, a.answer);
    const wrong = rstar([...args, '--policy', s.url, '--policy-model', 'nope']);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /does not serve the model "nope"; it serves: m/);
  } finally {
    s.proc.kill('SIGTERM');
    await exited(s.proc);
  }
});

test('rstar synth --policy URL (served by rstar serve) grows the same trees as the embedded policy under the same seed', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rstar-synth-served-'));
  const data = join(dir, 'problems.jsonl');
  const problems = [
    ...generateProblems({ level: 1, count: 2, seed: 4343, split: 'test' }),
    ...generateProblems({ level: 3, count: 1, seed: 4343, split: 'test' }),
  ];
  writeFileSync(data, problems.map((p) => JSON.stringify({ id: p.id, question: p.question, answer: p.answer, level: p.level })).join('\n') + '\n');
  const args = (out: string) => [
    'synth',
    '--data',
    data,
    '--out',
    out,
    '--rollouts',
    '2',
    '--candidates',
    '2',
    '--max-depth',
    '6',
    '--concurrency',
    '1',
    '--seed',
    '5',
    '--json',
  ];
  const s = await startServe();
  try {
    const local = rstar(args(join(dir, 'local')), { timeoutMs: 200_000 });
    assert.equal(local.code, 0, local.stderr);
    const served = rstar([...args(join(dir, 'served')), '--policy', s.url, '--policy-model', 'm', '--policy-concurrency', '1'], { timeoutMs: 200_000 });
    assert.equal(served.code, 0, served.stderr);
    const a = readRun(join(dir, 'local'));
    const b = readRun(join(dir, 'served'));
    assert.equal(b.length, problems.length);
    assert.deepEqual(
      b.map((r) => [r.id, r.answer, r.correct, r.correctTerminals]),
      a.map((r) => [r.id, r.answer, r.correct, r.correctTerminals]),
    );
    assert.deepEqual(
      b.map((r) => r.tree.nodes.map((n) => n.text)),
      a.map((r) => r.tree.nodes.map((n) => n.text)),
    );
    assert.ok(
      a.some((r) => r.correct),
      'the level-1 problems are solved',
    );
    const manifest = JSON.parse(readFileSync(join(dir, 'served', 'manifest.json'), 'utf8'));
    assert.equal(manifest.config.policy, `${s.url} (m)`);
    assert.equal(manifest.config.policySha256, null);
  } finally {
    s.proc.kill('SIGTERM');
    await exited(s.proc);
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------------------------
// Fault tests: what one client can do to `rstar serve`, and that the next innocent request is
// answered correctly after each. Ordering is by the server's own counters (GET /v1/stats).

interface Stats {
  server: { requests: number; errors: number; queued: number; cancelled: number; rejectedBusy: number };
  batcher: { waiting: number; abandoned: number } | null;
  engine: { decodeSteps: number; sequences: number; cancelledRequests: number; cancelledRows: number; generatedTokens: number };
  limits: Record<string, number>;
}

const stats = async (url: string): Promise<Stats> => (await fetch(url + '/stats')).json() as Promise<Stats>;

/** Polls the server's stats until `cond` holds (a wait on the server's state, not a delay). */
async function until(url: string, cond: (s: Stats) => boolean, what = 'condition'): Promise<Stats> {
  for (let i = 0; i < 6000; i++) {
    const st = await stats(url);
    if (cond(st)) return st;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`server stats never met: ${what}`);
}

/** A completions request whose connection the test can drop. */
function openCompletion(url: string, body: unknown): { req: ClientRequest; answer: Promise<{ status: number; body: string }> } {
  const u = new URL(url + '/completions');
  let req!: ClientRequest;
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let b = '';
      res.on('data', (d) => (b += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: b }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
  return { req, answer };
}

/** Drops a request's connection; its answer promise then rejects (socket hang up), as expected. */
async function abandon(c: { req: ClientRequest; answer: Promise<unknown> }): Promise<void> {
  c.req.destroy();
  await assert.rejects(c.answer, /socket hang up|ECONNRESET/);
}

const PROMPT = formatPrompt('What is 2 + 3?');
const tiny = { model: 'm', prompt: PROMPT, n: 1, max_tokens: 2, temperature: 0, ignore_eos: true, seed: 1 };

test('fault: a client that disconnects from n=128 x 300 tokens is cancelled (its rows leave the batch); a 2-token request beside it is answered', {
  timeout: 300_000,
}, async () => {
  const s = await startServe();
  try {
    const alone = await (await post(s.url, tiny)).json();
    assert.equal(alone.choices[0].completion_tokens, 2);
    const s0 = await stats(s.url);
    const big = openCompletion(s.url, { model: 'm', prompt: PROMPT, n: 128, max_tokens: 300, temperature: 1, ignore_eos: true, seed: 2 });
    await until(s.url, (st) => st.engine.decodeSteps > s0.engine.decodeSteps, 'the large request decoding');
    await abandon(big);
    const small = await post(s.url, tiny);
    assert.equal(small.status, 200);
    assert.deepEqual((await small.json()).choices, alone.choices);
    const st = await until(s.url, (x) => x.server.cancelled === 1, 'the abandoned request counted as cancelled');
    assert.equal(st.engine.cancelledRequests - s0.engine.cancelledRequests, 1);
    assert.equal(st.engine.cancelledRows - s0.engine.cancelledRows, 128, 'every row of the abandoned request was dropped unfinished');
    assert.equal(st.engine.sequences - s0.engine.sequences, 1, 'only the 2-token request finished a sequence');
    assert.ok(
      st.engine.decodeSteps - s0.engine.decodeSteps < 300,
      `the abandoned request stopped decoding early: ${st.engine.decodeSteps - s0.engine.decodeSteps} steps`,
    );
    assert.equal(st.server.errors, 0);
    assert.equal(st.server.queued, 0);
  } finally {
    s.proc.kill('SIGTERM');
    await exited(s.proc);
  }
});

test('fault: the request budget answers 400 naming the limit; a full queue answers 429 with Retry-After; a stalled upload is cut with 408', {
  timeout: 300_000,
}, async () => {
  const s = await startServe([
    '--max-n',
    '16',
    '--max-prompts',
    '2',
    '--max-tokens',
    '400',
    '--max-request-tokens',
    '5000',
    '--max-queue',
    '2',
    '--request-timeout-ms',
    '1000',
    '--headers-timeout-ms',
    '500',
  ]);
  try {
    const innocent = async () => {
      const r = await post(s.url, tiny);
      assert.equal(r.status, 200);
      assert.equal((await r.json()).choices[0].completion_tokens, 2);
    };
    await innocent();
    const budget: Array<[unknown, RegExp, string]> = [
      [{ ...tiny, n: 17 }, /n must be at most 16, got 17/, 'n'],
      [{ ...tiny, prompt: [PROMPT, PROMPT, PROMPT] }, /at most 2 prompts per request, got 3/, 'prompt'],
      [{ ...tiny, max_tokens: 401 }, /max_tokens must be at most 400, got 401/, 'max_tokens'],
      [
        { ...tiny, n: 16, prompt: [PROMPT, PROMPT], max_tokens: 200 },
        /asks for up to 6400 tokens \(n × prompts × max_tokens = 16 × 2 × 200\); the limit is 5000/,
        'n',
      ],
    ];
    for (const [body, msg, param] of budget) {
      const r = await post(s.url, body);
      assert.equal(r.status, 400);
      const e = (await r.json()).error;
      assert.match(e.message, msg);
      assert.equal(e.param, param);
      await innocent();
    }

    // Two long requests fill the queue (--max-queue 2); a third is refused with 429 + Retry-After.
    const s0 = await stats(s.url);
    const long = { model: 'm', prompt: PROMPT, n: 16, max_tokens: 300, temperature: 1, ignore_eos: true };
    const a = openCompletion(s.url, { ...long, seed: 3 });
    const b = openCompletion(s.url, { ...long, seed: 4 });
    await until(s.url, (st) => st.server.queued === 2, 'two requests queued');
    const busy = await post(s.url, tiny);
    assert.equal(busy.status, 429);
    assert.ok(Number(busy.headers.get('retry-after')) >= 1, `Retry-After: ${busy.headers.get('retry-after')}`);
    assert.match((await busy.json()).error.message, /the server is busy: 2 requests are queued \(--max-queue 2\)/);
    await abandon(a);
    await abandon(b);
    const st = await until(s.url, (x) => x.server.cancelled === 2 && x.server.queued === 0, 'both long requests cancelled');
    assert.equal(st.server.rejectedBusy, 1);
    // Each was dropped where it was: in the engine (rows decoding), or still waiting for an engine call.
    assert.equal(st.engine.cancelledRequests - s0.engine.cancelledRequests + st.batcher!.abandoned - s0.batcher!.abandoned, 2);
    assert.equal(st.batcher!.waiting, 0);
    await innocent();

    // A client that sends its headers and part of its body, then stalls: answered 408 and disconnected.
    const stalled = await rawExchange(s.url, [
      Buffer.from('POST /v1/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"model":'),
    ]);
    assert.equal(statusOf(stalled), 408);
    // One that never finishes its headers: disconnected too.
    const noHeaders = await rawExchange(s.url, [Buffer.from('POST /v1/completions HTTP/1.1\r\nhost: x\r\n')]);
    assert.equal(statusOf(noHeaders), 408);
    await innocent();
  } finally {
    s.proc.kill('SIGTERM');
    await exited(s.proc);
  }
});

test('fault: connections past --max-connections are closed at once; the request timeout does not cut a long generation', async () => {
  const s = new RstarServer({ policy: new SlowPolicy(1500), modelName: 'm', maxConnections: 2, requestTimeoutMs: 500, headersTimeoutMs: 300 });
  const url = await s.listen(0);
  const u = new URL(url);
  // Two connections held open (each answered once, kept alive).
  const held = await Promise.all(
    [0, 1].map(
      () =>
        new Promise<ReturnType<typeof connect>>((resolve, reject) => {
          const sock = connect(Number(u.port), u.hostname);
          sock.once('data', () => resolve(sock));
          sock.once('error', reject);
          sock.write('GET /health HTTP/1.1\r\nhost: x\r\n\r\n');
        }),
    ),
  );
  // A third is closed without an answer.
  const third = await rawExchange(url, [Buffer.from('GET /health HTTP/1.1\r\nhost: x\r\n\r\n')]);
  assert.equal(third, '');
  for (const sock of held) sock.destroy();
  // Once the server has counted them closed, it accepts again: a 1.5 s generation outlives the
  // 500 ms request timeout, which covers receiving the request only.
  for (;;) {
    const n = await new Promise<number>((r, j) => s.server.getConnections((e, c) => (e ? j(e) : r(c))));
    if (n === 0) break;
    await new Promise((r) => setImmediate(r));
  }
  const r = await post(url, { model: 'm', prompt: 'a', seed: 5 });
  assert.equal(r.status, 200);
  assert.equal((await r.json()).choices[0].text, 'a/0/5');
  await s.close();
});

test('rewards: an empty input and an input longer than the reward context are refused with 400 (never truncated)', async () => {
  const s = await startServe();
  try {
    const rw = (input: unknown) => fetch(s.url + '/rewards', { method: 'POST', body: JSON.stringify({ model: 'm', input }) });
    const empty = await rw('');
    assert.equal(empty.status, 400);
    assert.match((await empty.json()).error.message, /input 0 is empty/);
    const long = await rw(['ok', 'x '.repeat(3000)]);
    assert.equal(long.status, 400);
    assert.match((await long.json()).error.message, /The reward model's maximum context length is 1024 tokens\. However, input 1 has \d+ tokens/);
    const ok = await rw(PROMPT);
    assert.equal(ok.status, 200);
    const body = await ok.json();
    assert.ok(body.usage.prompt_tokens > 0 && body.usage.prompt_tokens <= 1024);
    assert.equal(typeof body.data[0].score, 'number');
  } finally {
    s.proc.kill('SIGTERM');
    await exited(s.proc);
  }
});

test("without --policy-model the client takes the server's model only when /models lists exactly one", async () => {
  const reward = { name: 'r', score: async (t: string[]) => t.map(() => 0), close: async () => {} };
  const one = new RstarServer({ policy: new SlowPolicy(1), modelName: 'm' });
  const two = new RstarServer({ policy: new SlowPolicy(1), reward, modelName: 'm', rewardModelName: 'prm' });
  const none = new RstarServer({ modelName: 'm' });
  try {
    assert.equal(await servedModel({ baseUrls: [await one.listen(0)] }), 'm');
    await assert.rejects(servedModel({ baseUrls: [await two.listen(0)] }), /serves several models: m, prm; choose one with --policy-model/);
    await assert.rejects(servedModel({ baseUrls: [await none.listen(0)] }), /serves no models; choose one with --policy-model/);
  } finally {
    await Promise.all([one.close(), two.close(), none.close()]);
  }
});
