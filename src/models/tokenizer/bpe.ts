import { readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { BYTE_TO_CHAR, byteCharsToBytes, textToByteChars } from './byte-level.js';

/**
 * Byte-level BPE tokenizer owned by the TS side (the trainer only sees ids). Digits are split one per
 * token (as Llama and Qwen do) so arithmetic stays learnable; the protocol tags are special tokens.
 * Stored in Hugging Face `tokenizer.json` form.
 */
export const PRETOKENIZE_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

const addedTokenSchema = z.object({ id: z.number().int().nonnegative(), content: z.string(), special: z.boolean().optional() });
const tokenizerJsonSchema = z.object({
  added_tokens: z.array(addedTokenSchema),
  pre_tokenizer: z.unknown().optional(),
  model: z.object({
    type: z.literal('BPE'),
    vocab: z.record(z.string(), z.number().int().nonnegative()),
    merges: z.array(z.union([z.string(), z.tuple([z.string(), z.string()])])),
  }),
});

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class BpeTokenizer {
  readonly vocabSize: number;
  private readonly idToToken: string[];
  private readonly tokenToId: Map<string, number>;
  private readonly mergeRanks: Map<string, number>;
  private readonly specialToId: Map<string, number>;
  private readonly specialSplit: RegExp | null;
  private readonly pretokenize: RegExp;
  private readonly wordCache = new Map<string, number[]>();
  /** Each token's bytes, for decoding and byte-exact stop-string matching. */
  readonly tokenBytes: Uint8Array[];

  constructor(
    vocab: Record<string, number>,
    merges: Array<[string, string]>,
    readonly specialTokens: Record<string, number>,
    pattern = PRETOKENIZE_PATTERN,
  ) {
    this.tokenToId = new Map(Object.entries(vocab));
    for (const [t, id] of Object.entries(specialTokens)) this.tokenToId.set(t, id);
    let maxId = 0;
    for (const id of this.tokenToId.values()) maxId = Math.max(maxId, id);
    this.vocabSize = maxId + 1;
    this.idToToken = new Array(this.vocabSize).fill('');
    for (const [t, id] of this.tokenToId) this.idToToken[id] = t;
    this.mergeRanks = new Map(merges.map(([a, b], i) => [`${a} ${b}`, i]));
    this.specialToId = new Map(Object.entries(specialTokens));
    const specials = Object.keys(specialTokens).sort((a, b) => b.length - a.length);
    this.specialSplit = specials.length ? new RegExp(`(${specials.map(escapeRegex).join('|')})`) : null;
    this.pretokenize = new RegExp(pattern, 'gu');
    const enc = new TextEncoder();
    this.tokenBytes = this.idToToken.map((tok) => {
      if (this.specialToId.has(tok)) return enc.encode(tok);
      try {
        return Uint8Array.from(byteCharsToBytes(tok));
      } catch {
        return enc.encode(tok);
      }
    });
  }

  specialId(token: string): number {
    const id = this.specialToId.get(token);
    if (id === undefined) throw new Error(`tokenizer has no special token ${token}`);
    return id;
  }

  hasSpecial(token: string): boolean {
    return this.specialToId.has(token);
  }

  encode(text: string): number[] {
    const ids: number[] = [];
    const parts = this.specialSplit ? text.split(this.specialSplit) : [text];
    for (const part of parts) {
      if (part === '') continue;
      const sid = this.specialToId.get(part);
      if (sid !== undefined) {
        ids.push(sid);
        continue;
      }
      for (const m of part.matchAll(this.pretokenize)) ids.push(...this.encodeWord(m[0]));
    }
    return ids;
  }

  private encodeWord(word: string): number[] {
    const hit = this.wordCache.get(word);
    if (hit) return hit;
    let symbols = Array.from(textToByteChars(word));
    while (symbols.length > 1) {
      let bestRank = Infinity;
      let bestIdx = -1;
      for (let i = 0; i < symbols.length - 1; i++) {
        const r = this.mergeRanks.get(`${symbols[i]} ${symbols[i + 1]}`);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          bestIdx = i;
        }
      }
      if (bestIdx < 0) break;
      const a = symbols[bestIdx];
      const b = symbols[bestIdx + 1];
      const merged: string[] = [];
      for (let i = 0; i < symbols.length; i++) {
        if (i < symbols.length - 1 && symbols[i] === a && symbols[i + 1] === b) {
          merged.push(a + b);
          i++;
        } else merged.push(symbols[i]);
      }
      symbols = merged;
    }
    const ids = symbols.map((s) => {
      const id = this.tokenToId.get(s);
      if (id === undefined) throw new Error(`tokenizer vocabulary lacks ${JSON.stringify(s)}`);
      return id;
    });
    if (this.wordCache.size < 200_000) this.wordCache.set(word, ids);
    return ids;
  }

  decode(ids: ArrayLike<number>): string {
    const chunks: Uint8Array[] = [];
    let len = 0;
    for (let i = 0; i < ids.length; i++) {
      const b = this.tokenBytes[ids[i]];
      if (!b) throw new Error(`token id ${ids[i]} is outside the vocabulary (size ${this.vocabSize})`);
      chunks.push(b);
      len += b.length;
    }
    const all = new Uint8Array(len);
    let o = 0;
    for (const c of chunks) {
      all.set(c, o);
      o += c.length;
    }
    return new TextDecoder().decode(all);
  }

  toJSON(): object {
    const vocab: Record<string, number> = {};
    for (const [t, id] of this.tokenToId) if (!this.specialToId.has(t)) vocab[t] = id;
    const merges = [...this.mergeRanks.entries()].sort((a, b) => a[1] - b[1]).map(([k]) => k);
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: [...this.specialToId.entries()].map(([content, id]) => ({
        id,
        content,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      })),
      normalizer: null,
      pre_tokenizer: {
        type: 'Sequence',
        pretokenizers: [
          { type: 'Split', pattern: { Regex: PRETOKENIZE_PATTERN }, behavior: 'Isolated', invert: false },
          { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
        ],
      },
      post_processor: null,
      decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: null,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: false,
        vocab,
        merges,
      },
    };
  }

  save(path: string): void {
    writeFileSync(path, JSON.stringify(this.toJSON()));
  }

  static fromJSON(json: unknown, source = 'tokenizer.json'): BpeTokenizer {
    const parsed = tokenizerJsonSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`${source}: field "${issue.path.join('.')}": ${issue.message}`);
    }
    const t = parsed.data;
    const merges = t.model.merges.map((m) => {
      if (Array.isArray(m)) return m as [string, string];
      const i = m.indexOf(' ');
      return [m.slice(0, i), m.slice(i + 1)] as [string, string];
    });
    const specials: Record<string, number> = {};
    for (const a of t.added_tokens) specials[a.content] = a.id;
    return new BpeTokenizer(t.model.vocab, merges, specials);
  }

  static load(path: string): BpeTokenizer {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new Error(`${path}: cannot read tokenizer: ${(e as Error).message}`);
    }
    return BpeTokenizer.fromJSON(json, path);
  }
}

/**
 * Trains byte-level BPE merges on a corpus. Special tokens come first (ids 0..k-1), then the 256 byte
 * symbols, then one token per merge until `vocabSize` or until no pair occurs `minFrequency` times.
 */
export function trainBpe(texts: Iterable<string>, opts: { vocabSize: number; specialTokens: readonly string[]; minFrequency?: number }): BpeTokenizer {
  const minFreq = opts.minFrequency ?? 2;
  const specialTokens: Record<string, number> = {};
  opts.specialTokens.forEach((t, i) => (specialTokens[t] = i));
  const vocab: Record<string, number> = {};
  let next = opts.specialTokens.length;
  for (let b = 0; b < 256; b++) vocab[BYTE_TO_CHAR[b]] = next++;

  const splitter = new RegExp(
    `(${[...opts.specialTokens]
      .sort((a, b) => b.length - a.length)
      .map(escapeRegex)
      .join('|')})`,
  );
  const pre = new RegExp(PRETOKENIZE_PATTERN, 'gu');
  const wordFreq = new Map<string, number>();
  for (const text of texts) {
    for (const part of text.split(splitter)) {
      if (part === '' || part in specialTokens) continue;
      for (const m of part.matchAll(pre)) {
        const w = textToByteChars(m[0]);
        wordFreq.set(w, (wordFreq.get(w) ?? 0) + 1);
      }
    }
  }
  const words = [...wordFreq.entries()].map(([w, f]) => ({ syms: Array.from(w), f }));
  const merges: Array<[string, string]> = [];
  // Pair counts with incremental updates: only words containing the merged pair are touched.
  const pairCount = new Map<string, number>();
  const pairWords = new Map<string, Set<number>>();
  const addPairs = (wi: number, sign: number) => {
    const { syms, f } = words[wi];
    for (let i = 0; i < syms.length - 1; i++) {
      const k = `${syms[i]} ${syms[i + 1]}`;
      pairCount.set(k, (pairCount.get(k) ?? 0) + sign * f);
      if (sign > 0) {
        let s = pairWords.get(k);
        if (!s) pairWords.set(k, (s = new Set()));
        s.add(wi);
      }
    }
  };
  words.forEach((_, wi) => addPairs(wi, 1));
  while (next < opts.vocabSize) {
    let best = '';
    let bestCount = 0;
    for (const [k, c] of pairCount) {
      if (c > bestCount || (c === bestCount && c > 0 && k < best)) {
        best = k;
        bestCount = c;
      }
    }
    if (bestCount < minFreq) break;
    const sp = best.indexOf(' ');
    const a = best.slice(0, sp);
    const b = best.slice(sp + 1);
    merges.push([a, b]);
    vocab[a + b] = next++;
    for (const wi of pairWords.get(best) ?? []) {
      const w = words[wi];
      addPairs(wi, -1);
      const merged: string[] = [];
      for (let i = 0; i < w.syms.length; i++) {
        if (i < w.syms.length - 1 && w.syms[i] === a && w.syms[i + 1] === b) {
          merged.push(a + b);
          i++;
        } else merged.push(w.syms[i]);
      }
      w.syms = merged;
      addPairs(wi, 1);
    }
    pairCount.delete(best);
    pairWords.delete(best);
  }
  return new BpeTokenizer(vocab, merges, specialTokens);
}
