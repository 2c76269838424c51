import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { REPO_ROOT } from '../helpers/paths.js';
import { OpenAIPolicy, completionResponseSchema, modelIds } from '../../src/models/http/openai-policy.js';
import { HttpRewardModel, rstarSteps, aggregate } from '../../src/models/http/reward.js';
import { errorMessage } from '../../src/models/http/errors.js';
import { RstarServer } from '../../src/serve/server.js';
import type { Completion, GenerateRequest, Policy, RewardModel } from '../../src/models/types.js';
import { formatPrompt } from '../../src/steps/protocol.js';

const fx = (f: string) => JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'vllm', f), 'utf8'));
const req: GenerateRequest = { prompt: 'p', n: 4, maxTokens: 64, temperature: 0.7, topP: 0.95, stop: ['<end_of_step>', '<end_of_code>'], seed: 11 };

test('the request body uses only fields of vLLM CompletionRequest, with the documented types', () => {
  const fields = fx('completion-request-fields.json');
  const known = new Set([...fields.openai, ...fields.vllm_extra]);
  const p = new OpenAIPolicy({ baseUrls: ['http://127.0.0.1:1/v1'], model: 'm', logprobs: 1 });
  const body = p.body([
    { ...req, ignoreEos: true },
    { ...req, prompt: 'q' },
  ]);
  for (const k of Object.keys(body)) assert.ok(known.has(k), `unknown field ${k}`);
  assert.deepEqual(body.prompt, ['p', 'q']);
  assert.equal(body.n, 4);
  assert.equal(body.max_tokens, 64);
  assert.equal(body.top_p, 0.95);
  assert.deepEqual(body.stop, req.stop);
  assert.equal(body.seed, 11);
  assert.equal(body.logprobs, 1);
  assert.equal(body.include_stop_str_in_output, true);
  assert.equal(body.skip_special_tokens, false);
  assert.equal(body.ignore_eos, true);
  const plain = new OpenAIPolicy({ baseUrls: ['http://127.0.0.1:1/v1'], model: 'm', vllmExtensions: false }).body([req]);
  for (const k of Object.keys(plain)) assert.ok(fields.openai.includes(k), `not an OpenAI field: ${k}`);
});

test('a vLLM completions response maps to Completions (stop string restored, tokens shared out)', () => {
  const res = completionResponseSchema.parse(fx('completion-response.json'));
  const p = new OpenAIPolicy({ baseUrls: ['http://127.0.0.1:1/v1'], model: 'm' });
  const [c] = p.toCompletions([req], res);
  assert.equal(c.length, 4);
  assert.ok(c[0].text.endsWith('<end_of_step>'));
  assert.ok(c[1].text.endsWith('\n<end_of_step>'), 'a server that drops the stop string: put back from stop_reason');
  assert.equal(c[2].finishReason, 'length');
  assert.equal(c[3].text, 'The answer is 7.', 'EOS (stop_reason null): nothing appended');
  assert.equal(
    c.reduce((a, x) => a + x.tokens, 0),
    60,
  );
  assert.deepEqual(p.usage, { promptTokens: 41, completionTokens: 60 });
  // Two prompts × n: choices are indexed prompt * n + candidate.
  const two = completionResponseSchema.parse({ ...fx('completion-response.json') });
  const out = p.toCompletions(
    [
      { ...req, n: 2 },
      { ...req, n: 2 },
    ],
    two,
  );
  assert.equal(out[1][0].finishReason, 'length');
});

test('logprobs give exact per-choice token counts', () => {
  const res = completionResponseSchema.parse(fx('completion-logprobs-response.json'));
  const [c] = new OpenAIPolicy({ baseUrls: ['http://127.0.0.1:1/v1'], model: 'm' }).toCompletions([{ ...req, n: 1 }], res);
  assert.deepEqual(c, [{ text: ' 7<end_of_step>', tokens: 3, finishReason: 'stop' }]);
});

test('error bodies in both vLLM shapes and /v1/models listings are understood', () => {
  assert.equal(errorMessage(fx('error-404-legacy.json'), ''), 'The model `qwen-math` does not exist.');
  assert.match(errorMessage(fx('error-400.json'), ''), /maximum context length is 4096/);
  assert.equal(errorMessage(undefined, '<html>502 Bad Gateway</html>'), '<html>502 Bad Gateway</html>');
  assert.deepEqual(modelIds(fx('models.json')), ['Qwen/Qwen2.5-Math-7B-Instruct']);
});

class EchoPolicy implements Policy {
  readonly name = 'echo';
  async generate(rs: GenerateRequest[]): Promise<Completion[][]> {
    return rs.map((r) =>
      Array.from({ length: r.n }, (_, i) => ({
        text: `${i}:${r.seed}${r.stop[0] ?? ''}`,
        tokens: 2,
        finishReason: r.stop.length ? ('stop' as const) : ('length' as const),
      })),
    );
  }
  async close() {}
}

test("rstar serve's responses have vLLM's shapes (completions, models, errors)", async () => {
  const s = new RstarServer({ policy: new EchoPolicy(), modelName: 'm', countTokens: (t) => t.length });
  const url = await s.listen(0);
  const post = (b: unknown) => fetch(url + '/completions', { method: 'POST', body: JSON.stringify(b) });
  const r = await post({ model: 'm', prompt: ['ab', 'c'], n: 2, stop: '<end_of_step>', seed: 5, max_tokens: 8 });
  assert.equal(r.status, 200);
  const body = await r.json();
  const ref = fx('completion-response.json');
  for (const k of ['id', 'object', 'created', 'model', 'choices', 'usage']) assert.ok(k in body, k);
  assert.equal(body.object, ref.object);
  for (const k of ['index', 'text', 'logprobs', 'finish_reason', 'stop_reason']) assert.ok(k in body.choices[0], k);
  assert.deepEqual(
    body.choices.map((c: { index: number }) => c.index),
    [0, 1, 2, 3],
  );
  assert.equal(body.choices[0].text, '0:5', 'stop string dropped by default, as vLLM does');
  assert.equal(body.choices[0].stop_reason, '<end_of_step>');
  assert.deepEqual(body.usage, { prompt_tokens: 3, completion_tokens: 8, total_tokens: 11 });
  completionResponseSchema.parse(body);
  const models = await (await fetch(url + '/models')).json();
  assert.deepEqual(Object.keys(models), Object.keys(fx('models.json')));
  assert.deepEqual(modelIds(models), ['m']);
  const bad = await post({ model: 'x', prompt: 'a' });
  assert.equal(bad.status, 404);
  const err = await bad.json();
  assert.deepEqual(Object.keys(err.error).sort(), Object.keys(fx('error-400.json').error).sort());
  assert.equal(err.error.type, fx('error-404-legacy.json').type);
  await s.close();
});

test('vLLM PRM reward client: Qwen2.5-Math-PRM input (chat template, <extra_0> after each step) and per-step scores', async () => {
  let got: { url?: string; body?: { model: string; input: string[] } } = {};
  const server = createServer((rq, rs) => {
    let raw = '';
    rq.on('data', (d) => (raw += d));
    rq.on('end', () => {
      got = { url: rq.url, body: JSON.parse(raw) };
      rs.writeHead(200, { 'content-type': 'application/json' });
      rs.end(JSON.stringify(fx('pooling-prm-response.json')));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  const prm = new HttpRewardModel({ baseUrls: [base], model: 'Qwen/Qwen2.5-Math-PRM-7B', kind: 'vllm-prm' });
  const traj = formatPrompt('What is 3 + 4?') + '<code>\n# Step 1\na = 3\n<end_of_step>\n# Step 2\nprint(a + 4)\n<end_of_step>';
  const scores = await prm.score([traj, formatPrompt('What is 1 + 1?') + '<code>\n# one step\n<end_of_step>']);
  assert.equal(got.url, '/pooling', 'vLLM serves /pooling at the root');
  assert.equal(got.body!.model, 'Qwen/Qwen2.5-Math-PRM-7B');
  const ref = fx('pooling-request.json').input[0] as string;
  assert.equal(got.body!.input[0], ref.replace('Step 1<extra_0>Step 2<extra_0>', '# Step 1\na = 3<extra_0># Step 2\nprint(a + 4)<extra_0>'));
  assert.ok(Math.abs(scores[0] - (2 * 0.25 - 1)) < 1e-9, 'the last step');
  assert.ok(Math.abs(scores[1] - 0.9) < 1e-9);
  const steps = await prm.scoreSteps([traj, traj]);
  assert.equal(steps[0].length, 3);
  assert.ok(Math.abs(aggregate(steps[0], 'min') + 0.5) < 1e-9);
  assert.deepEqual(rstarSteps('<code>\n# a\nx=1\n<end_of_step>\n# b\nprint(x)\n<end_of_code>\n<output>1<end_of_output>'), [
    '# a\nx=1',
    '# b\nprint(x)\n<end_of_code>\n<output>1<end_of_output>',
  ]);
  await new Promise((r) => (server.close(r), server.closeAllConnections()));
});

test("rstar's reward endpoint and client round-trip", async () => {
  const reward: RewardModel = { name: 'len', score: async (ts) => ts.map((t) => Math.tanh(t.length / 10)), close: async () => {} };
  const s = new RstarServer({ reward, modelName: 'ppm' });
  const url = await s.listen(0);
  const client = new HttpRewardModel({ baseUrls: [url], model: 'ppm' });
  assert.deepEqual(await client.score(['a', 'abcdefghij']), [Math.tanh(0.1), Math.tanh(1)]);
  assert.deepEqual(await client.score([]), []);
  await assert.rejects(new HttpRewardModel({ baseUrls: [url], model: 'nope', retries: 0 }).score(['a']), /HTTP 404: The model `nope` does not exist/);
  const r = await fetch(url + '/completions', { method: 'POST', body: '{"model":"ppm","prompt":"a"}' });
  assert.equal(r.status, 404);
  assert.match((await r.json()).error.message, /no policy model/);
  await s.close();
});
