import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { BpeTokenizer } from './tokenizer/bpe.js';
import { readJsonFile } from '../util/jsonl.js';

/** A model bundle directory: manifest.json, tokenizer.json, policy.onnx and/or ppm.onnx. */
export const architectureSchema = z.object({
  type: z.literal('llama'),
  vocab_size: z.number().int().positive(),
  d_model: z.number().int().positive(),
  n_layers: z.number().int().positive(),
  n_heads: z.number().int().positive(),
  n_kv_heads: z.number().int().positive(),
  d_ff: z.number().int().positive(),
  max_seq_len: z.number().int().positive(),
  rope_theta: z.number().positive(),
  tie_embeddings: z.boolean(),
  pad_id: z.number().int().nonnegative(),
});

const modelFileSchema = z.object({
  file: z.string(),
  sha256: z.string().optional(),
  training: z.record(z.string(), z.unknown()).optional(),
  metrics: z.record(z.string(), z.unknown()).optional(),
});

export const manifestSchema = z.object({
  format: z.literal('rstar-bundle/1'),
  name: z.string(),
  created: z.string(),
  architecture: architectureSchema,
  tokenizer: z.object({
    file: z.string(),
    eos: z.string(),
    pad: z.string(),
    special_tokens: z.array(z.string()),
  }),
  prompt_template: z.literal('rstar-sft'),
  policy: modelFileSchema.optional(),
  ppm: modelFileSchema.optional(),
  provenance: z.record(z.string(), z.unknown()),
  metrics: z.record(z.string(), z.unknown()).optional(),
});

export type Manifest = z.infer<typeof manifestSchema>;

/** A reward model's held-out pair accuracy and the number of pairs it was measured on (null: not recorded). */
export function ppmHeldOut(m: Manifest): { accuracy: number | null; pairs: number | null } {
  const acc = m.ppm?.metrics?.pair_accuracy;
  const val = m.ppm?.metrics?.val_pairs as { pairs?: unknown } | null | undefined;
  const pairs = val?.pairs ?? m.ppm?.training?.held_out_pairs;
  return { accuracy: typeof acc === 'number' ? acc : null, pairs: typeof pairs === 'number' ? pairs : null };
}
export type Architecture = z.infer<typeof architectureSchema>;

export interface Bundle {
  dir: string;
  manifest: Manifest;
  tokenizer: BpeTokenizer;
  policyPath: string | null;
  ppmPath: string | null;
}

export function readManifest(dir: string): Manifest {
  const path = join(dir, 'manifest.json');
  if (!existsSync(path)) throw new Error(`${path}: no such file (is ${dir} a model bundle?)`);
  return readJsonFile(path, manifestSchema, { invalid: 'not valid JSON' });
}

export function loadBundle(dir: string): Bundle {
  const manifest = readManifest(dir);
  const tokenizer = BpeTokenizer.load(join(dir, manifest.tokenizer.file));
  const filePath = (f: { file: string } | undefined, what: string): string | null => {
    if (!f) return null;
    const p = join(dir, f.file);
    if (!existsSync(p)) throw new Error(`${join(dir, 'manifest.json')}: ${what} file ${f.file} is missing from the bundle`);
    return p;
  };
  if (tokenizer.vocabSize > manifest.architecture.vocab_size) {
    throw new Error(`${dir}: tokenizer has ${tokenizer.vocabSize} tokens but the model's vocab_size is ${manifest.architecture.vocab_size}`);
  }
  return { dir, manifest, tokenizer, policyPath: filePath(manifest.policy, 'policy'), ppmPath: filePath(manifest.ppm, 'ppm') };
}
