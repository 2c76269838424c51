import * as ort from 'onnxruntime-node';
import type { KvLayout } from './prefix-cache.js';

export interface KvShape {
  nLayers: number;
  nKv: number;
  headDim: number;
}

export const kvLayout = (s: KvShape): KvLayout => ({ planes: s.nLayers * 2 * s.nKv, headDim: s.headDim });

/** The graph's past inputs, in the order of the planes: layer-major, key before value. */
export const pastNames = (nLayers: number): string[] =>
  Array.from({ length: nLayers }, (_, l) => [`past_key_values.${l}.key`, `past_key_values.${l}.value`]).flat();

/**
 * The KV cache of rows decoding together, in buffers the engine owns and passes to the graph as
 * its past inputs ([rows, nKv, cap, headDim] per layer and key/value; onnxruntime-node reads CPU
 * input buffers in place). A row's tokens sit left-aligned in columns [0, cached); the columns
 * after them are masked out, so a decode step writes one column per row and moves nothing else.
 */
export class BatchKv {
  /** One buffer per (layer, key|value), in pastNames order. */
  readonly buffers: Float32Array[];

  constructor(
    readonly shape: KvShape,
    readonly rows: number,
    readonly cap: number,
  ) {
    const n = rows * shape.nKv * cap * shape.headDim;
    this.buffers = Array.from({ length: shape.nLayers * 2 }, () => new Float32Array(n));
  }

  feeds(): Record<string, ort.Tensor> {
    const dims = [this.rows, this.shape.nKv, this.cap, this.shape.headDim];
    const names = pastNames(this.shape.nLayers);
    return Object.fromEntries(this.buffers.map((b, t) => [names[t], new ort.Tensor('float32', b, dims)]));
  }

  private at(row: number, h: number, col: number): number {
    return ((row * this.shape.nKv + h) * this.cap + col) * this.shape.headDim;
  }

  /** Copies tokens [from, from + count) of a plane-major block of `srcN` tokens into `row`'s columns from `col`. */
  fromPlanes(row: number, src: Float32Array, srcN: number, from: number, count: number, col = 0): void {
    const { nKv, headDim: hd } = this.shape;
    for (let t = 0; t < this.buffers.length; t++) {
      for (let h = 0; h < nKv; h++) {
        const s = ((t * nKv + h) * srcN + from) * hd;
        this.buffers[t].set(src.subarray(s, s + count * hd), this.at(row, h, col));
      }
    }
  }

  /** Copies the first `count` columns of `srcRow` of another batch into `row`. */
  fromBatch(row: number, src: BatchKv, srcRow: number, count: number): void {
    const hd = this.shape.headDim;
    for (let t = 0; t < this.buffers.length; t++) {
      for (let h = 0; h < this.shape.nKv; h++) {
        const s = src.at(srcRow, h, 0);
        this.buffers[t].set(src.buffers[t].subarray(s, s + count * hd), this.at(row, h, 0));
      }
    }
  }

  /** Columns [from, to) of `row` as a plane-major block. */
  toPlanes(row: number, from: number, to: number): Float32Array {
    const { nKv, headDim: hd } = this.shape;
    const n = to - from;
    const out = new Float32Array(this.buffers.length * nKv * n * hd);
    for (let t = 0; t < this.buffers.length; t++) {
      for (let h = 0; h < nKv; h++) {
        const s = this.at(row, h, from);
        out.set(this.buffers[t].subarray(s, s + n * hd), (t * nKv + h) * n * hd);
      }
    }
    return out;
  }

  /** Writes output row `o`'s positions [pos, pos + count) of the graph's new keys/values ([*, nKv, S, hd]) into `row` from column `col`. */
  writeNew(outputs: Float32Array[], S: number, o: number, pos: number, count: number, row: number, col: number): void {
    const { nKv, headDim: hd } = this.shape;
    for (let t = 0; t < this.buffers.length; t++) {
      for (let h = 0; h < nKv; h++) {
        const s = ((o * nKv + h) * S + pos) * hd;
        this.buffers[t].set(outputs[t].subarray(s, s + count * hd), this.at(row, h, col));
      }
    }
  }
}

/** Writes output row `o`'s positions [pos, pos + count) of the new keys/values into a plane-major block of `n` tokens at column `col`. */
export function newToPlanes(
  shape: KvShape,
  outputs: Float32Array[],
  S: number,
  o: number,
  pos: number,
  count: number,
  dst: Float32Array,
  n: number,
  col: number,
): void {
  const { nKv, headDim: hd } = shape;
  for (let t = 0; t < outputs.length; t++) {
    for (let h = 0; h < nKv; h++) {
      const s = ((o * nKv + h) * S + pos) * hd;
      dst.set(outputs[t].subarray(s, s + count * hd), ((t * nKv + h) * n + col) * hd);
    }
  }
}
