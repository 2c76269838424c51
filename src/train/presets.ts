/** Model sizes for the embedded policy. `tiny` is for tests; `small` is the shipped bundle's. */
export interface ModelShape {
  d_model: number;
  n_layers: number;
  n_heads: number;
  n_kv_heads: number;
  d_ff: number;
  max_seq_len: number;
}

export const PRESETS: Record<string, ModelShape> = {
  tiny: { d_model: 64, n_layers: 2, n_heads: 4, n_kv_heads: 4, d_ff: 176, max_seq_len: 768 },
  small: { d_model: 192, n_layers: 6, n_heads: 6, n_kv_heads: 6, d_ff: 512, max_seq_len: 1024 },
  base: { d_model: 256, n_layers: 8, n_heads: 8, n_kv_heads: 8, d_ff: 688, max_seq_len: 1024 },
};
