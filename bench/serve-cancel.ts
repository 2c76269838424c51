/**
 * How fast `rstar serve` answers a small request after a client abandoned a large one: a real server
 * on loopback gets `n=128, max_tokens=300` (ignore_eos), the client disconnects once it decodes,
 * and a 2-token request is sent at once; its latency is timed (target: under 2 s). The server's own
 * counters (GET /v1/stats) say how many rows were cancelled and how many decode steps ran. Also the
 * 2-token request's latency on an idle server, for scale. Prints JSON; latencies are medians.
 *   node dist/bench/serve-cancel.js [--bundle DIR] [--threads N] [--reps 3]
 */
import { join } from 'node:path';
import { cpus } from 'node:os';
import { request } from 'node:http';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { spawnServe } from '../src/serve/spawn.js';
import { formatPrompt } from '../src/steps/protocol.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const { values } = parseArgs({
  options: {
    bundle: { type: 'string', default: join(root, 'models', 'default') },
    threads: { type: 'string', default: String(cpus().length) },
    reps: { type: 'string', default: '3' },
  },
});
const reps = Number(values.reps);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const served = await spawnServe(['--bundle', values.bundle!, '--model-name', 'bench', '--threads', values.threads!]);
const url = served.url;
const prompt = formatPrompt('What is 2 + 3?');
const tiny = { model: 'bench', prompt, n: 1, max_tokens: 2, temperature: 0, ignore_eos: true, seed: 1 };
const big = { model: 'bench', prompt, n: 128, max_tokens: 300, temperature: 1, ignore_eos: true, seed: 2 };

interface EngineStats {
  decodeSteps: number;
  cancelledRows: number;
}
const stats = async () => (await (await fetch(url + '/stats')).json()) as { server: { cancelled: number }; engine: EngineStats };

async function timedTiny(): Promise<number> {
  const t0 = performance.now();
  const r = await fetch(url + '/completions', { method: 'POST', body: JSON.stringify(tiny) });
  const body = (await r.json()) as { choices: Array<{ completion_tokens: number }> };
  if (r.status !== 200 || body.choices[0].completion_tokens !== 2) throw new Error(`unexpected answer ${r.status}: ${JSON.stringify(body)}`);
  return performance.now() - t0;
}

const idle: number[] = [];
const afterAbandon: number[] = [];
const cancelledRows: number[] = [];
const decodeSteps: number[] = [];
for (let i = 0; i < reps; i++) {
  idle.push(await timedTiny());
  const s0 = await stats();
  const u = new URL(url + '/completions');
  const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json' } });
  const gone = new Promise<void>((resolve) => req.on('error', () => resolve()));
  req.end(JSON.stringify(big));
  while ((await stats()).engine.decodeSteps === s0.engine.decodeSteps) await new Promise((r) => setTimeout(r, 5));
  req.destroy();
  await gone;
  afterAbandon.push(await timedTiny());
  let s1 = await stats();
  while (s1.server.cancelled === s0.server.cancelled) s1 = await stats();
  cancelledRows.push(s1.engine.cancelledRows - s0.engine.cancelledRows);
  decodeSteps.push(s1.engine.decodeSteps - s0.engine.decodeSteps);
}
served.proc.kill('SIGTERM');
await new Promise((r) => served.proc.once('exit', r));

const after = median(afterAbandon);
process.stdout.write(
  JSON.stringify(
    {
      bench: 'serve-cancel',
      threads: Number(values.threads),
      reps,
      abandoned: { n: big.n, max_tokens: big.max_tokens },
      tiny_latency_ms_idle: Math.round(median(idle)),
      tiny_latency_ms_after_abandon: Math.round(after),
      tiny_latency_ms_after_abandon_all: afterAbandon.map(Math.round),
      target_ms: 2000,
      pass: after < 2000,
      cancelled_rows_per_abandon: cancelledRows,
      decode_steps_per_abandon: decodeSteps,
    },
    null,
    2,
  ) + '\n',
);
