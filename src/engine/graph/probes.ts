/**
 * Stable names of the forward graph's inputs and outputs (the runner feeds and reads only these).
 * L = layers, H = query heads, T = tokens, d = hidden size, V = vocab.
 */
export const INPUTS = {
  /** int64 [1, T]: token ids. */
  ids: 'input_ids',
  /** float [L]: 1 zeroes block l's MLP output at position 0 before the residual add ('full' only). */
  ablateMlp: 'ablate_mlp',
  /** float [L]: same for the attention output ('full' only). */
  ablateAttn: 'ablate_attn',
  /** int64 scalar: block whose attention map to return, -1 for none ('full' only). */
  attnMapBlock: 'attn_map_block',
  /** int64 scalar: query head of that map ('full' only). */
  attnMapHead: 'attn_map_head',
} as const;

export const OUTPUTS = {
  /** float [V]: logits of the last position only (never [T, V]). */
  logits: 'logits',
  /** float [L+1, T, d]: h[0] = embeddings (+ learned positions), h[l] = residual after block l, before the final norm. */
  hidden: 'hidden_states',
  /** float [L, H, T]: post-softmax attention of each query to key 0. */
  attnToBos: 'attn_to_bos',
  /** float [1, T, T] for the requested (block, head); [1, 1, 1] zeros when attn_map_block is -1. */
  attnMap: 'attn_map',
} as const;

/** The logit-lens session (built only when a lens is first asked). */
export const LENS = {
  /** float [n, C, d]: chosen hidden states for a chunk of C positions. */
  hidden: 'lens_hidden',
  /** int64 [n*C, 1]: next-token ids for those positions (any valid id for the last position). */
  targets: 'lens_targets',
  /** int64 [1]: k of top-k. */
  k: 'lens_k',
  /** float / int64 [n*C, k]: top-k logits and ids after final norm + unembedding. */
  values: 'lens_values',
  ids: 'lens_ids',
  /** float [n*C]: -log p(target). */
  nll: 'lens_nll',
} as const;

/** The Gram session (built only when asked). */
export const GRAM = {
  /** float [L+1, T, d] in, float [L+1, d, d] out: h[l]^T h[l]. */
  hidden: 'gram_hidden',
  gram: 'gram',
} as const;
