/**
 * KV blocks in "plane-major" layout: one plane per (layer, key|value, kv head), each holding the
 * block's `n` tokens × headDim floats contiguously, so copying a span of tokens is one `set` per
 * plane (the engine's batch buffers hold the same planes per row).
 */
export interface KvLayout {
  /** nLayers × 2 × nKvHeads. */
  planes: number;
  headDim: number;
}

/** Floats of `n` tokens in plane-major layout. */
export const kvFloats = (layout: KvLayout, n: number): number => layout.planes * n * layout.headDim;

/** Copies tokens [from, from + count) of a plane-major block of `srcN` tokens into column `at` of one of `dstN`. */
export function copyPlanes(layout: KvLayout, src: Float32Array, srcN: number, from: number, count: number, dst: Float32Array, dstN: number, at: number): void {
  const hd = layout.headDim;
  for (let p = 0; p < layout.planes; p++) {
    const s = (p * srcN + from) * hd;
    dst.set(src.subarray(s, s + count * hd), (p * dstN + at) * hd);
  }
}

interface Node {
  /** The edge's tokens (from the parent to this node). */
  tokens: number[];
  /** Their KV, plane-major, tokens.length columns. */
  kv: Float32Array;
  children: Map<number, Node>;
  parent: Node | null;
  lastUsed: number;
}

export interface PrefixCacheStats {
  /** Prompts looked up, their tokens, and the tokens found cached (served without prefill). */
  lookups: number;
  lookupTokens: number;
  hitTokens: number;
  insertedTokens: number;
  /** Nodes evicted (least recently used leaves first) and the tokens they held. */
  evictions: number;
  evictedTokens: number;
  /** Bytes of KV held now, and the cap. */
  bytes: number;
  capBytes: number;
}

/** One cached span along a matched path: `count` tokens from column `from` of a node's block. */
export interface KvSpan {
  kv: Float32Array;
  n: number;
  from: number;
  count: number;
}

/**
 * A radix tree over token ids whose edges carry the KV of their tokens (SGLang's RadixAttention,
 * vLLM's automatic prefix caching): a prompt that starts with cached tokens prefills only the rest.
 * Memory is capped; least recently used leaves are evicted first. Blocks are copied out on match, so
 * eviction never invalidates a batch that is decoding.
 */
export class PrefixCache {
  private readonly root: Node = { tokens: [], kv: new Float32Array(0), children: new Map(), parent: null, lastUsed: 0 };
  private clock = 0;
  readonly stats: PrefixCacheStats;

  constructor(
    private readonly layout: KvLayout,
    capBytes: number,
  ) {
    this.stats = { lookups: 0, lookupTokens: 0, hitTokens: 0, insertedTokens: 0, evictions: 0, evictedTokens: 0, bytes: 0, capBytes };
  }

  /** The longest cached prefix of `tokens` (at most `limit` tokens) as spans of node blocks. */
  match(tokens: number[], limit = tokens.length): { length: number; spans: KvSpan[] } {
    this.stats.lookups++;
    this.stats.lookupTokens += tokens.length;
    const now = ++this.clock;
    const spans: KvSpan[] = [];
    let node = this.root;
    let length = 0;
    while (length < limit) {
      const child = node.children.get(tokens[length]);
      if (!child) break;
      let k = 0;
      while (k < child.tokens.length && length + k < limit && child.tokens[k] === tokens[length + k]) k++;
      spans.push({ kv: child.kv, n: child.tokens.length, from: 0, count: k });
      child.lastUsed = now;
      length += k;
      if (k < child.tokens.length) break;
      node = child;
    }
    this.stats.hitTokens += length;
    return { length, spans };
  }

  /**
   * Caches `tokens`, whose KV `kvOf(from, to)` returns plane-major for tokens [from, to) (asked only
   * for the part not cached yet), then evicts down to the cap.
   */
  insert(tokens: number[], kvOf: (from: number, to: number) => Float32Array): void {
    if (this.stats.capBytes <= 0 || tokens.length === 0) return;
    const now = ++this.clock;
    let node = this.root;
    let at = 0;
    while (at < tokens.length) {
      const child = node.children.get(tokens[at]);
      if (!child) {
        const kv = kvOf(at, tokens.length);
        const leaf: Node = { tokens: tokens.slice(at), kv, children: new Map(), parent: node, lastUsed: now };
        node.children.set(tokens[at], leaf);
        this.stats.bytes += kv.byteLength;
        this.stats.insertedTokens += leaf.tokens.length;
        break;
      }
      let k = 0;
      while (k < child.tokens.length && at + k < tokens.length && child.tokens[k] === tokens[at + k]) k++;
      if (k < child.tokens.length) this.split(child, k);
      child.lastUsed = now;
      at += k;
      node = child;
    }
    this.evict();
  }

  /** Splits a node's edge after `k` tokens: the node keeps the head, a new child takes the tail. */
  private split(node: Node, k: number): void {
    const n = node.tokens.length;
    const head = new Float32Array(kvFloats(this.layout, k));
    const tail = new Float32Array(kvFloats(this.layout, n - k));
    copyPlanes(this.layout, node.kv, n, 0, k, head, k, 0);
    copyPlanes(this.layout, node.kv, n, k, n - k, tail, n - k, 0);
    const rest: Node = { tokens: node.tokens.slice(k), kv: tail, children: node.children, parent: node, lastUsed: node.lastUsed };
    for (const c of rest.children.values()) c.parent = rest;
    node.tokens = node.tokens.slice(0, k);
    node.kv = head;
    node.children = new Map([[rest.tokens[0], rest]]);
  }

  private evict(): void {
    if (this.stats.bytes <= this.stats.capBytes) return;
    const leaves: Node[] = [];
    const walk = (n: Node) => {
      for (const c of n.children.values()) c.children.size === 0 ? leaves.push(c) : walk(c);
    };
    walk(this.root);
    leaves.sort((a, b) => a.lastUsed - b.lastUsed);
    // A parent left childless becomes a leaf; it is older than or as old as its children, so it goes next.
    for (let i = 0; i < leaves.length && this.stats.bytes > this.stats.capBytes; i++) {
      const leaf = leaves[i];
      const parent = leaf.parent!;
      parent.children.delete(leaf.tokens[0]);
      this.stats.bytes -= leaf.kv.byteLength;
      this.stats.evictions++;
      this.stats.evictedTokens += leaf.tokens.length;
      if (parent !== this.root && parent.children.size === 0) {
        let j = i + 1;
        while (j < leaves.length && leaves[j].lastUsed < parent.lastUsed) j++;
        leaves.splice(j, 0, parent);
      }
    }
  }
}
