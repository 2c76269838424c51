import type { Rng } from '../../util/rng.js';

/**
 * Picks the next token from one row of logits: argmax at temperature 0, otherwise nucleus (top-p)
 * sampling at the given temperature.
 */
export function sampleToken(logits: Float32Array, offset: number, vocab: number, temperature: number, topP: number, rng: Rng): number {
  if (temperature <= 0) {
    let best = 0;
    let bestV = -Infinity;
    for (let i = 0; i < vocab; i++) {
      const v = logits[offset + i];
      if (v > bestV) {
        bestV = v;
        best = i;
      }
    }
    return best;
  }
  let max = -Infinity;
  for (let i = 0; i < vocab; i++) max = Math.max(max, logits[offset + i]);
  const probs = new Float64Array(vocab);
  let sum = 0;
  for (let i = 0; i < vocab; i++) {
    const p = Math.exp((logits[offset + i] - max) / temperature);
    probs[i] = p;
    sum += p;
  }
  if (topP < 1) {
    // Keep the smallest set of most likely tokens whose mass reaches topP. Candidates below
    // 1e-4 of the max probability can never be inside the nucleus unless topP is ~1, so skip them.
    const floor = 1e-4 * sum;
    const idx: number[] = [];
    for (let i = 0; i < vocab; i++) if (probs[i] >= floor || topP >= 0.9999) idx.push(i);
    idx.sort((a, b) => probs[b] - probs[a]);
    let acc = 0;
    let kept = 0;
    const target = topP * sum;
    for (const i of idx) {
      acc += probs[i];
      kept++;
      if (acc >= target) break;
    }
    let r = rng.next() * acc;
    for (let k = 0; k < kept; k++) {
      r -= probs[idx[k]];
      if (r <= 0) return idx[k];
    }
    return idx[kept - 1];
  }
  let r = rng.next() * sum;
  for (let i = 0; i < vocab; i++) {
    r -= probs[i];
    if (r <= 0) return i;
  }
  return vocab - 1;
}
