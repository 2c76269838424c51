import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { readRun } from '../src/synth/synth-run.js';
import { startServe as startServeProcess } from './helpers/serve.js';
import { rstar } from './helpers/cli.js';
import { RstarServer } from '../src/serve/server.js';
import type { Completion, GenerateRequest, Policy } from '../src/models/types.js';
import { OpenAIPolicy } from '../src/models/http/openai-policy.js';
import { CHAT_TEMPLATES, ChatTemplate, loadJinja, promptTemplate, renderBuiltin, splitRstarPrompt, rstarFewShotPrompt, type BuiltinChat } from '../src/models/http/templates.js';
import { formatPrompt } from '../src/steps/protocol.js';
import { generateProblems } from '../src/data/curriculum/index.js';

const startServe = (args: string[] = []) => startServeProcess('m', args);
const exited = (p: ChildProcess) => new Promise<number | null>((r) => (p.exitCode !== null || p.signalCode !== null ? r(p.exitCode) : p.once('exit', (c) => r(c))));

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
  assert.deepEqual((await okr.json()).choices.map((c: { text: string }) => c.text), ['a/0/3', 'a/1/3']);
  await s.close();
});

function rawPost(url: string, headers: Record<string, string | number>, chunks: Buffer[]): Promise<{ status: number; body: string }> {
  const u = new URL(url + '/completions');
  return new Promise((resolve, reject) => {
    const r = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers }, (res) => {
      let b = '';
      res.on('data', (d) => (b += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: b }));
    });
    r.on('error', reject);
    for (const c of chunks) r.write(c);
    r.end();
  });
}

test('oversized bodies are rejected with 413 (declared or streamed)', async () => {
  const s = new RstarServer({ policy: new SlowPolicy(1), modelName: 'm', maxBodyBytes: 4096 });
  const url = await s.listen(0);
  const big = Buffer.from(JSON.stringify({ model: 'm', prompt: 'x'.repeat(10_000) }));
  const declared = await rawPost(url, { 'content-length': big.length, 'content-type': 'application/json' }, [big]).catch(() => null);
  if (declared) {
    assert.equal(declared.status, 413);
    assert.match(JSON.parse(declared.body).error.message, /exceeds the limit of 4096 bytes/);
  }
  const chunked = await rawPost(url, { 'transfer-encoding': 'chunked' }, [big.subarray(0, 3000), big.subarray(3000)]).catch(() => null);
  if (chunked) assert.equal(chunked.status, 413);
  assert.ok(declared || chunked, 'at least one 413 answer was read before the server closed the connection');
  // The server still serves after rejecting.
  assert.equal((await post(url, { model: 'm', prompt: 'a' })).status, 200);
  await s.close();
});

test('request batching: concurrent requests share engine calls, each gets its own answers', async () => {
  const policy = new SlowPolicy(40);
  const s = new RstarServer({ policy, modelName: 'm' });
  const url = await s.listen(0);
  const res = await Promise.all(Array.from({ length: 12 }, (_, i) => post(url, { model: 'm', prompt: `p${i}`, n: 2, seed: i }).then((r) => r.json())));
  res.forEach((r, i) => assert.deepEqual(r.choices.map((c: { text: string }) => c.text), [`p${i}/0/${i}`, `p${i}/1/${i}`]));
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
    override async generate(rs: GenerateRequest[]): Promise<Completion[][]> {
      this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
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
  await new Promise((r) => setTimeout(r, 100));
  const second = await post(url, { model: 'm', prompt: 'b', n: 1, seed: 2 }).then((r) => r.json());
  assert.equal(second.choices[0].text, 'b/0/2');
  // Both calls were in the policy at once: the second was not queued behind the first.
  assert.equal(policy.maxInFlight, 2);
  assert.deepEqual((await first).choices.map((c: { text: string }) => c.text), ['a/0/1', 'a/1/1']);
  await s.close();
});

test('graceful shutdown: SIGTERM lets the request in flight finish, then the process exits 0', async () => {
  const s = await startServe();
  const p = new OpenAIPolicy({ baseUrls: [s.url], model: 'm', retries: 0 });
  const long: GenerateRequest = { prompt: formatPrompt('What is 2 + 3?'), n: 4, maxTokens: 120, temperature: 1, topP: 1, stop: [], seed: 1, ignoreEos: true };
  const run = p.generate([long]);
  await new Promise((r) => setTimeout(r, 200));
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
  assert.match(chat, /^<\|im_start\|>system\n[^]*<\|im_start\|>user\n[^]*Question: What is 3 \+ 4\?<\|im_end\|>\n<\|im_start\|>assistant\n<code>\n# Step 1/);
  const msgs = [
    { role: 'system' as const, content: 'sys' },
    { role: 'user' as const, content: 'hi ' },
    { role: 'assistant' as const, content: 'yo' },
  ];
  assert.equal(renderBuiltin('llama3', msgs, true), '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nsys<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nyo<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n');
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
  const problems = [...generateProblems({ level: 1, count: 2, seed: 4343, split: 'test' }), ...generateProblems({ level: 3, count: 1, seed: 4343, split: 'test' })];
  writeFileSync(data, problems.map((p) => JSON.stringify({ id: p.id, question: p.question, answer: p.answer, level: p.level })).join('\n') + '\n');
  const args = (out: string) => ['synth', '--data', data, '--out', out, '--rollouts', '2', '--candidates', '2', '--max-depth', '6', '--concurrency', '1', '--seed', '5', '--json'];
  const s = await startServe();
  try {
    const local = rstar(args(join(dir, 'local')), { timeoutMs: 200_000 });
    assert.equal(local.code, 0, local.stderr);
    const served = rstar([...args(join(dir, 'served')), '--policy', s.url, '--policy-model', 'm', '--policy-concurrency', '1'], { timeoutMs: 200_000 });
    assert.equal(served.code, 0, served.stderr);
    const a = readRun(join(dir, 'local'));
    const b = readRun(join(dir, 'served'));
    assert.equal(b.length, problems.length);
    assert.deepEqual(b.map((r) => [r.id, r.answer, r.correct, r.correctTerminals]), a.map((r) => [r.id, r.answer, r.correct, r.correctTerminals]));
    assert.deepEqual(b.map((r) => r.tree.nodes.map((n) => n.text)), a.map((r) => r.tree.nodes.map((n) => n.text)));
    assert.ok(a.some((r) => r.correct), 'the level-1 problems are solved');
    const manifest = JSON.parse(readFileSync(join(dir, 'served', 'manifest.json'), 'utf8'));
    assert.equal(manifest.config.policy, `${s.url} (m)`);
    assert.equal(manifest.config.policySha256, null);
  } finally {
    s.proc.kill('SIGTERM');
    await exited(s.proc);
    rmSync(dir, { recursive: true, force: true });
  }
});
