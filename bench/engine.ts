/**
 * Embedded engine decode throughput vs a PyTorch eager generation loop (with KV cache) on the same
 * weights, prompts and batch sizes, measured side by side in one run. Prints JSON.
 *   node dist/bench/engine.js [--bundle DIR] [--threads N] [--reps 3] [--new-tokens 64]
 */
import { writeFileSync, mkdtempSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { loadBundle } from '../src/models/bundle.js';
import { OnnxPolicy } from '../src/models/onnx/engine.js';
import { formatPrompt } from '../src/steps/protocol.js';
import { generateProblems } from '../src/data/curriculum/index.js';
import { runBenchGenerate } from '../src/train/trainer-process.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const { values } = parseArgs({
  options: {
    bundle: { type: 'string', default: join(root, 'models', 'default') },
    threads: { type: 'string', default: String(cpus().length) },
    reps: { type: 'string', default: '3' },
    'new-tokens': { type: 'string', default: '64' },
    'batch-sizes': { type: 'string', default: '1,16,64' },
  },
});
const threads = Number(values.threads);
const reps = Number(values.reps);
const newTokens = Number(values['new-tokens']);
const sizes = values['batch-sizes']!.split(',').map(Number);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const bundle = loadBundle(values.bundle!);
const ckpt = join(values.bundle!, 'checkpoint.pt');
if (!existsSync(ckpt)) throw new Error(`${ckpt}: the PyTorch baseline needs the bundle's checkpoint`);
const questions = [1, 2, 3, 4, 5].flatMap((level) => generateProblems({ level: level as 1, count: 13, seed: 31337, split: 'test' }).map((p) => p.question));
const prompts = questions.slice(0, Math.max(...sizes)).map((q) => formatPrompt(q));
const promptIds = prompts.map((p) => bundle.tokenizer.encode(p));
const promptFile = join(mkdtempSync(join(tmpdir(), 'rstar-bench-')), 'prompts.json');
writeFileSync(promptFile, JSON.stringify({ prompts: promptIds }));

const engine = await OnnxPolicy.load(bundle, { threads, maxBatch: Math.max(...sizes) });
const req = (p: string) => ({ prompt: p, n: 1, maxTokens: newTokens, temperature: 0, topP: 1, stop: [], ignoreEos: true });
await engine.generate([req(prompts[0])]); // warm-up

const ts: Record<number, { tokens_per_s: number[]; decode_tokens_per_s: number[] }> = {};
const torch: Record<number, { tokens_per_s: number[]; decode_tokens_per_s: number[] }> = {};
for (const b of sizes) {
  ts[b] = { tokens_per_s: [], decode_tokens_per_s: [] };
  torch[b] = { tokens_per_s: [], decode_tokens_per_s: [] };
}
for (let r = 0; r < reps; r++) {
  for (const b of sizes) {
    const batch = Array.from({ length: b }, (_, i) => req(prompts[i % prompts.length]));
    const before = { ...engine.stats };
    const t0 = performance.now();
    const out = await engine.generate(batch);
    const ms = performance.now() - t0;
    const prefill = engine.stats.prefillMs - before.prefillMs;
    const gen = out.reduce((a, c) => a + c[0].tokens, 0);
    if (gen !== b * newTokens) throw new Error(`expected ${b * newTokens} tokens, got ${gen}`);
    ts[b].tokens_per_s.push((gen / ms) * 1000);
    ts[b].decode_tokens_per_s.push(((b * (newTokens - 1)) / (ms - prefill)) * 1000);
  }
  const done = await runBenchGenerate({ ckpt, prompts: promptFile, batchSizes: sizes, newTokens, threads }, { onStderr: () => {} });
  for (const res of done.results) {
    torch[res.batch].tokens_per_s.push(res.tokens_per_s);
    if (res.decode_tokens_per_s) torch[res.batch].decode_tokens_per_s.push(res.decode_tokens_per_s);
  }
}
await engine.close();

const results = sizes.map((b) => {
  const tsTok = median(ts[b].tokens_per_s);
  const ptTok = median(torch[b].tokens_per_s);
  const tsDec = median(ts[b].decode_tokens_per_s);
  const ptDec = median(torch[b].decode_tokens_per_s);
  return {
    batch: b,
    onnx_tokens_per_s: Math.round(tsTok),
    torch_tokens_per_s: Math.round(ptTok),
    ratio: Number((tsTok / ptTok).toFixed(3)),
    onnx_decode_tokens_per_s: Math.round(tsDec),
    torch_decode_tokens_per_s: Math.round(ptDec),
    decode_ratio: Number((tsDec / ptDec).toFixed(3)),
  };
});
const b16 = results.find((r) => r.batch === 16);
console.log(
  JSON.stringify(
    {
      bench: 'engine',
      bundle: bundle.manifest.name,
      params_note: `${bundle.manifest.architecture.n_layers} layers, d_model ${bundle.manifest.architecture.d_model}`,
      threads,
      reps,
      new_tokens: newTokens,
      statistic: 'median',
      results,
      target: 'onnx decode tokens/s >= torch eager at batch 16',
      target_met: b16 ? b16.decode_ratio >= 1 : null,
    },
    null,
    2,
  ),
);
