import * as ort from 'onnxruntime-node';
import type { RewardModel } from '../types.js';
import type { Bundle } from '../bundle.js';

/** Limits on one ONNX run (a batch of right-padded rows of the batch's longest length L). */
export interface ScoreBatchLimits {
  /** Rows per run. */
  maxBatch: number;
  /** Padded tokens per run: rows × L. */
  maxTokens: number;
  /** Attention size per run: rows × L² (the graph materialises [rows, heads, L, L] scores). */
  maxAttention: number;
}

export const DEFAULT_SCORE_LIMITS: ScoreBatchLimits = { maxBatch: 32, maxTokens: 8192, maxAttention: 1 << 22 };

/**
 * The token ids the PPM scores for `text` — shared by training (src/train/ppm-bundle.ts) and
 * inference so both see the same inputs: the text's tokens, no special tokens added, truncated from
 * the left to `maxLen` (the end of a partial trajectory is the step being judged); an empty text is
 * one pad token.
 */
export function rewardTokenIds(tokenizer: { encode(text: string): number[] }, text: string, maxLen: number, padId: number): number[] {
  const e = tokenizer.encode(text);
  if (e.length === 0) return [padId];
  return e.length > maxLen ? e.slice(e.length - maxLen) : e;
}

/**
 * Groups sequences into runs: sorted by length (longest first) so rows of similar length share a
 * run and little padding is computed, then cut greedily under `limits` (a run always takes at
 * least one row). Returns indices into `lengths`.
 */
export function planScoreBatches(lengths: readonly number[], limits: ScoreBatchLimits = DEFAULT_SCORE_LIMITS): number[][] {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[b] - lengths[a] || a - b);
  const out: number[][] = [];
  let cur: number[] = [];
  let L = 0;
  for (const i of order) {
    if (cur.length > 0) {
      const rows = cur.length + 1;
      if (rows > limits.maxBatch || rows * L > limits.maxTokens || rows * L * L > limits.maxAttention) {
        out.push(cur);
        cur = [];
      }
    }
    if (cur.length === 0) L = Math.max(1, lengths[i]);
    cur.push(i);
  }
  if (cur.length) out.push(cur);
  return out;
}

/**
 * The bundle's PPM (ppm.onnx: input_ids, attention_mask, position_ids → scores [batch, seq], tanh)
 * scored in-process; a trajectory's score is the score at its last token. Texts are tokenized by
 * `rewardTokenIds` (left truncation to max_seq_len), sorted by length and run in right-padded
 * batches under `ScoreBatchLimits`; with right padding and a causal model, a row's last real
 * token never sees padding, so a score does not depend on what it was batched with.
 */
export class OnnxReward implements RewardModel {
  readonly name: string;
  private tail: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly bundle: Bundle,
    private readonly limits: ScoreBatchLimits,
  ) {
    this.name = `onnx-ppm:${bundle.manifest.name}`;
  }

  static async load(bundle: Bundle, opts: { threads?: number; maxBatch?: number; maxBatchTokens?: number; maxAttention?: number } = {}): Promise<OnnxReward> {
    if (!bundle.ppmPath) throw new Error(`${bundle.dir}: the bundle has no PPM (manifest.ppm is missing)`);
    const session = await ort.InferenceSession.create(bundle.ppmPath, { intraOpNumThreads: opts.threads ?? 1, interOpNumThreads: 1 });
    for (const name of ['input_ids', 'attention_mask', 'position_ids']) {
      if (!session.inputNames.includes(name)) throw new Error(`${bundle.ppmPath}: the model has no input "${name}"`);
    }
    if (!session.outputNames.includes('scores')) throw new Error(`${bundle.ppmPath}: the model has no output "scores"`);
    const limits: ScoreBatchLimits = {
      maxBatch: Math.max(1, opts.maxBatch ?? DEFAULT_SCORE_LIMITS.maxBatch),
      maxTokens: Math.max(1, opts.maxBatchTokens ?? DEFAULT_SCORE_LIMITS.maxTokens),
      maxAttention: Math.max(1, opts.maxAttention ?? DEFAULT_SCORE_LIMITS.maxAttention),
    };
    return new OnnxReward(session, bundle, limits);
  }

  score(texts: string[]): Promise<number[]> {
    const run = this.tail.then(() => this.scoreLocked(texts));
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Token ids per text, as scored (exposed for tests and tools). */
  tokenIds(text: string): number[] {
    const a = this.bundle.manifest.architecture;
    return rewardTokenIds(this.bundle.tokenizer, text, a.max_seq_len, a.pad_id);
  }

  private async scoreLocked(texts: string[]): Promise<number[]> {
    const pad = BigInt(this.bundle.manifest.architecture.pad_id);
    const ids = texts.map((t) => this.tokenIds(t));
    const out = new Array<number>(texts.length);
    for (const batch of planScoreBatches(
      ids.map((x) => x.length),
      this.limits,
    )) {
      const B = batch.length;
      const L = Math.max(...batch.map((i) => ids[i].length));
      const inp = new BigInt64Array(B * L).fill(pad);
      const mask = new BigInt64Array(B * L);
      const pos = new BigInt64Array(B * L);
      batch.forEach((i, b) => {
        const row = ids[i];
        const base = b * L;
        for (let j = 0; j < row.length; j++) {
          inp[base + j] = BigInt(row[j]);
          mask[base + j] = 1n;
          pos[base + j] = BigInt(j);
        }
      });
      const r = await this.session.run({
        input_ids: new ort.Tensor('int64', inp, [B, L]),
        attention_mask: new ort.Tensor('int64', mask, [B, L]),
        position_ids: new ort.Tensor('int64', pos, [B, L]),
      });
      const sc = r.scores.data as Float32Array;
      batch.forEach((i, b) => {
        const s = sc[b * L + ids[i].length - 1];
        if (!Number.isFinite(s)) throw new Error(`${this.bundle.ppmPath}: the PPM returned a non-finite score (${s})`);
        out[i] = s;
      });
    }
    return out;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
