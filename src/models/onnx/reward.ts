import * as ort from 'onnxruntime-node';
import type { RewardModel } from '../types.js';
import type { Bundle } from '../bundle.js';

/**
 * The bundle's PPM (ppm.onnx: input_ids, attention_mask, position_ids → scores [batch, seq], tanh)
 * scored in-process; a trajectory's score is the score at its last token.
 */
export class OnnxReward implements RewardModel {
  readonly name: string;
  private tail: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly bundle: Bundle,
    private readonly maxBatch: number,
  ) {
    this.name = `onnx-ppm:${bundle.manifest.name}`;
  }

  static async load(bundle: Bundle, opts: { threads?: number; maxBatch?: number } = {}): Promise<OnnxReward> {
    if (!bundle.ppmPath) throw new Error(`${bundle.dir}: the bundle has no PPM (manifest.ppm is missing)`);
    const session = await ort.InferenceSession.create(bundle.ppmPath, { intraOpNumThreads: opts.threads ?? 1, interOpNumThreads: 1 });
    if (!session.outputNames.includes('scores')) throw new Error(`${bundle.ppmPath}: the model has no output "scores"`);
    return new OnnxReward(session, bundle, opts.maxBatch ?? 32);
  }

  score(texts: string[]): Promise<number[]> {
    const run = this.tail.then(() => this.scoreLocked(texts));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async scoreLocked(texts: string[]): Promise<number[]> {
    const max = this.bundle.manifest.architecture.max_seq_len;
    const pad = this.bundle.manifest.architecture.pad_id;
    const ids = texts.map((t) => {
      const e = this.bundle.tokenizer.encode(t);
      return e.length > max ? e.slice(e.length - max) : e.length === 0 ? [pad] : e;
    });
    const out: number[] = [];
    for (let s = 0; s < ids.length; s += this.maxBatch) {
      const chunk = ids.slice(s, s + this.maxBatch);
      const L = Math.max(...chunk.map((c) => c.length));
      const B = chunk.length;
      const inp = new BigInt64Array(B * L).fill(BigInt(pad));
      const mask = new BigInt64Array(B * L);
      const pos = new BigInt64Array(B * L);
      chunk.forEach((c, b) => c.forEach((t, j) => ((inp[b * L + j] = BigInt(t)), (mask[b * L + j] = 1n), (pos[b * L + j] = BigInt(j)))));
      const r = await this.session.run({
        input_ids: new ort.Tensor('int64', inp, [B, L]),
        attention_mask: new ort.Tensor('int64', mask, [B, L]),
        position_ids: new ort.Tensor('int64', pos, [B, L]),
      });
      const sc = r.scores.data as Float32Array;
      chunk.forEach((c, b) => out.push(sc[b * L + c.length - 1]));
    }
    return out;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
