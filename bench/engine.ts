/**
 * Embedded engine decode throughput, side by side in one run, on the same weights, prompts and batch
 * sizes: this engine, optionally the engine of another checkout (--base DIR: a built checkout, its
 * dist/ and its models/default, e.g. the commit before the decode-step change), and a PyTorch eager
 * generation loop (with KV cache). Engines alternate per rep (A, B, torch, A, B, torch, ...) so load
 * on a shared machine hits them alike. Also prints achieved GFLOP/s beside a measured fp32 matmul peak
 * (PyTorch, same threads). Prints JSON.
 *   node dist/bench/engine.js [--bundle DIR] [--base DIR] [--threads N] [--reps 3] [--new-tokens 64]
 *                             [--batch-sizes 1,16,64] [--kv-cache-mb 0]
 */
import { writeFileSync, mkdtempSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';
import { loadBundle } from '../src/models/bundle.js';
import { OnnxPolicy } from '../src/models/onnx/engine.js';
import { formatPrompt } from '../src/steps/protocol.js';
import { generateProblems } from '../src/data/curriculum/index.js';
import { runBenchGenerate } from '../src/train/trainer-process.js';
import { findPython } from '../src/util/python.js';
import { sha256File } from '../src/util/files.js';
import type { Completion, GenerateRequest } from '../src/models/types.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const { values } = parseArgs({
  options: {
    bundle: { type: 'string', default: join(root, 'models', 'default') },
    base: { type: 'string' },
    threads: { type: 'string', default: String(cpus().length) },
    reps: { type: 'string', default: '3' },
    'new-tokens': { type: 'string', default: '64' },
    'batch-sizes': { type: 'string', default: '1,16,64' },
    // The prefix cache is off by default: reps repeat the same prompts, and this bench measures decode.
    'kv-cache-mb': { type: 'string', default: '0' },
  },
});
const threads = Number(values.threads);
const reps = Number(values.reps);
const newTokens = Number(values['new-tokens']);
const sizes = values['batch-sizes']!.split(',').map(Number);
const kvCacheMb = Number(values['kv-cache-mb']);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

const bundle = loadBundle(values.bundle!);
const ckpt = join(values.bundle!, 'checkpoint.pt');
if (!existsSync(ckpt)) throw new Error(`${ckpt}: the PyTorch baseline needs the bundle's checkpoint`);
const questions = [1, 2, 3, 4, 5].flatMap((level) => generateProblems({ level: level as 1, count: 13, seed: 31337, split: 'test' }).map((p) => p.question));
const prompts = questions.slice(0, Math.max(...sizes)).map((q) => formatPrompt(q));
const promptIds = prompts.map((p) => bundle.tokenizer.encode(p));
const promptFile = join(mkdtempSync(join(tmpdir(), 'rstar-bench-')), 'prompts.json');
writeFileSync(promptFile, JSON.stringify({ prompts: promptIds }));

interface Engine {
  generate(r: GenerateRequest[]): Promise<Completion[][]>;
  stats: { prefillMs: number };
  close(): Promise<void>;
}
const engines: Array<{ name: string; engine: Engine; policySha256: string }> = [
  { name: 'this', engine: await OnnxPolicy.load(bundle, { threads, maxBatch: Math.max(...sizes), kvCacheMb }), policySha256: sha256File(bundle.policyPath!) },
];
if (values.base) {
  const base = resolve(values.base);
  const mod = await import(pathToFileURL(join(base, 'dist', 'src', 'models', 'onnx', 'engine.js')).href);
  const bmod = await import(pathToFileURL(join(base, 'dist', 'src', 'models', 'bundle.js')).href);
  const baseBundle = bmod.loadBundle(join(base, 'models', 'default'));
  engines.push({
    name: 'base',
    engine: await mod.OnnxPolicy.load(baseBundle, { threads, maxBatch: Math.max(...sizes) }),
    policySha256: sha256File(baseBundle.policyPath),
  });
}
const req = (p: string) => ({ prompt: p, n: 1, maxTokens: newTokens, temperature: 0, topP: 1, stop: [], ignoreEos: true });
for (const e of engines) await e.engine.generate([req(prompts[0])]); // warm-up

type Series = { tokens_per_s: number[]; decode_tokens_per_s: number[] };
const series = (): Record<number, Series> => Object.fromEntries(sizes.map((b) => [b, { tokens_per_s: [], decode_tokens_per_s: [] }]));
const measured: Record<string, Record<number, Series>> = Object.fromEntries([...engines.map((e) => e.name), 'torch'].map((n) => [n, series()]));
const greedyTexts: Record<string, string[]> = {};
for (let r = 0; r < reps; r++) {
  for (const b of sizes) {
    const batch = Array.from({ length: b }, (_, i) => req(prompts[i % prompts.length]));
    for (const { name, engine } of engines) {
      const prefill0 = engine.stats.prefillMs;
      const t0 = performance.now();
      const out = await engine.generate(batch);
      const ms = performance.now() - t0;
      const prefill = engine.stats.prefillMs - prefill0;
      const gen = out.reduce((a, c) => a + c[0].tokens, 0);
      if (gen !== b * newTokens) throw new Error(`${name}: expected ${b * newTokens} tokens, got ${gen}`);
      measured[name][b].tokens_per_s.push((gen / ms) * 1000);
      measured[name][b].decode_tokens_per_s.push(((b * (newTokens - 1)) / (ms - prefill)) * 1000);
      if (r === 0 && b === Math.max(...sizes)) greedyTexts[name] = out.map((c) => c[0].text);
    }
  }
  const done = await runBenchGenerate({ ckpt, prompts: promptFile, batchSizes: sizes, newTokens, threads }, { onStderr: () => {} });
  for (const res of done.results) {
    measured.torch[res.batch].tokens_per_s.push(res.tokens_per_s);
    if (res.decode_tokens_per_s) measured.torch[res.batch].decode_tokens_per_s.push(res.decode_tokens_per_s);
  }
}
for (const e of engines) await e.engine.close();

// Useful FLOPs of one decode token: 2 × (weight matmuls + tied LM head) + attention (QK and PV over the context).
const a = bundle.manifest.architecture;
const kvDim = (a.d_model / a.n_heads) * a.n_kv_heads;
const matmulParams = a.n_layers * (a.d_model * a.d_model * 2 + a.d_model * kvDim * 2 + 3 * a.d_model * a.d_ff) + a.d_model * a.vocab_size;
const meanPrompt = promptIds.reduce((s, p) => s + p.length, 0) / promptIds.length;
const meanContext = meanPrompt + newTokens / 2;
const flopsPerToken = 2 * matmulParams + 4 * a.n_layers * a.d_model * meanContext;

/** fp32 matmul GFLOP/s of PyTorch on this machine with the same threads (median of 5, 1024² × 1024²). */
function matmulPeak(): number {
  const py = findPython(['torch']);
  const code = `import torch,time
torch.set_num_threads(${threads})
a=torch.randn(1024,1024);b=torch.randn(1024,1024)
for _ in range(3): a@b
ts=[]
for _ in range(5):
  t=time.perf_counter();[a@b for _ in range(10)];ts.append(time.perf_counter()-t)
ts.sort();print(2*1024**3*10/ts[2]/1e9)`;
  const r = spawnSync(py, ['-c', code], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`matmul peak probe failed: ${r.stderr}`);
  return Number(r.stdout.trim());
}
const peak = matmulPeak();

const med = (name: string, b: number, k: keyof Series) => median(measured[name][b][k]);
const results = sizes.map((b) => {
  const row: Record<string, number | null> = { batch: b };
  for (const name of [...engines.map((e) => e.name), 'torch']) {
    row[`${name}_tokens_per_s`] = Math.round(med(name, b, 'tokens_per_s'));
    row[`${name}_decode_tokens_per_s`] = Math.round(med(name, b, 'decode_tokens_per_s'));
  }
  row.decode_vs_torch = round(med('this', b, 'decode_tokens_per_s') / med('torch', b, 'decode_tokens_per_s'));
  if (values.base) row.decode_vs_base = round(med('this', b, 'decode_tokens_per_s') / med('base', b, 'decode_tokens_per_s'));
  row.decode_gflops = round((med('this', b, 'decode_tokens_per_s') * flopsPerToken) / 1e9, 2);
  return row;
});
const scaling = (name: string) =>
  sizes.includes(16) && sizes.includes(64) ? round(med(name, 64, 'decode_tokens_per_s') / med(name, 16, 'decode_tokens_per_s')) : null;
const b64 = results.find((r) => r.batch === 64);
const sameGreedy = values.base ? greedyTexts.this.filter((t, i) => t === greedyTexts.base[i]).length : null;
console.log(
  JSON.stringify(
    {
      bench: 'engine',
      bundle: bundle.manifest.name,
      policy_sha256: Object.fromEntries(engines.map((e) => [e.name, e.policySha256])),
      params_note: `${a.n_layers} layers, d_model ${a.d_model}, ${matmulParams} matmul weights`,
      threads,
      reps,
      new_tokens: newTokens,
      mean_prompt_tokens: round(meanPrompt, 1),
      kv_cache_mb: kvCacheMb,
      statistic: 'median over reps; decode tokens/s exclude prefill; engines and torch alternate within each rep',
      results,
      decode_scaling_b64_over_b16: Object.fromEntries([...engines.map((e) => e.name), 'torch'].map((n) => [n, scaling(n)])),
      flops_per_decode_token: Math.round(flopsPerToken),
      matmul_peak_gflops: round(peak, 1),
      greedy_identical_to_base_at_max_batch: sameGreedy === null ? null : `${sameGreedy}/${greedyTexts.this.length}`,
      targets: {
        'batch 64 decode >= 2x batch 16': scaling('this') === null ? null : scaling('this')! >= 2,
        'batch 64 decode >= 2x torch eager': b64 ? (b64.decode_vs_torch as number) >= 2 : null,
      },
    },
    null,
    2,
  ),
);
