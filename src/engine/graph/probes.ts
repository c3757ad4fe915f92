/**
 * Stable names of the forward graph's inputs and outputs (the runner feeds and reads only these).
 * L = layers, H = query heads, T = tokens, d = hidden size, V = vocab.
 */
export const INPUTS = {
  /** int64 [1, T]: token ids. */
  ids: 'input_ids',
  /**
   * float [L, 2]: per block, (keep, mean) of the MLP write at position intervene_mlp_pos[l]: that row becomes
   * keep * write[p] + mean * (mean of the write over the other positions); (1, 0) leaves it as is ('full' only).
   */
  interveneMlp: 'intervene_mlp',
  /** float [L, 2]: the same for the attention write (after o_proj) ('full' only). */
  interveneAttn: 'intervene_attn',
  /** int64 [L]: the position whose MLP write intervene_mlp edits in block l ('full' only). */
  interveneMlpPos: 'intervene_mlp_pos',
  /** int64 [L]: the same for the attention write ('full' only). */
  interveneAttnPos: 'intervene_attn_pos',
  /** float [L, H]: 1 keeps query head h's output of block l (before o_proj), 0 zeroes it at every position ('full' only). */
  headMask: 'head_mask',
  /** int64 [1]: 1 computes the next-token loss over the prompt (token_loss), 0 skips it ('full' only). */
  lossOn: 'loss_on',
  /** int64 scalar: block whose attention map to return, -1 for none ('full' only). */
  attnMapBlock: 'attn_map_block',
  /** int64 scalar: query head of that map ('full' only). */
  attnMapHead: 'attn_map_head',
  /** int64 [n]: h indices (0..L) for the logit lens; any one index when the lens is off ('full' only). */
  lensLayers: 'lens_layers',
  /**
   * int64 [m]: the query positions (>= 1) whose attention rows the mixing probe reduces; the runner
   * feeds 1..T-1, or MIX_MAX_QUERIES evenly spaced ones for longer prompts ('full' only).
   */
  mixQueries: 'mix_queries',
  /** int64 [1]: top-k of the lens; 0 turns the lens off (its If branch is skipped). */
  lensK: 'lens_k',
  /** int64 [T, 1]: next-token id per position (any valid id at the last position); the lens and the loss read it. */
  lensTargets: 'lens_targets',
} as const;

/** At most this many queries per head enter the mixing probe (all of them when T - 1 <= it). */
export const MIX_MAX_QUERIES = 128;

export const OUTPUTS = {
  /** float [V]: logits of the last position only (never [T, V]). */
  logits: 'logits',
  /** float [L+1, T, d]: h[0] = embeddings (+ learned positions), h[l] = residual after block l, before the final norm. */
  hidden: 'hidden_states',
  /**
   * float [L, H, T]: post-softmax attention of each query to key 0, read from an indicator column
   * appended to every value head (exact; the op's [H, T, T] output is never asked for here).
   */
  attnToBos: 'attn_to_bos',
  /** float [L, H]: mean over the sampled queries of the attention-row entropy normalised by log(i+1). */
  mixRowEntropy: 'mix_row_entropy',
  /** float [L, H]: mean over the sampled queries of the attention mass on keys other than BOS and the query. */
  mixOtherMass: 'mix_other_mass',
  /** float [L, 3]: per block, ||attention write at BOS||, ||MLP write at BOS||, the attention's share of the BOS change. */
  bosWrites: 'bos_writes',
  /**
   * float [L, H], models with learned sinks only: per block and query head, the mean over queries
   * i >= 1 (query 0 when T = 1) of the attention the learned sink logit absorbs (blocks/sinks.ts).
   */
  attnSinkShare: 'attn_sink_share',
  /** float [1, T, T] for the requested (block, head); [1, 1, 1] zeros when attn_map_block is -1. */
  attnMap: 'attn_map',
  /** float / int64 [n, T, k]: top-k logits / ids of final norm + unembedding on h[lens_layers]; [1,1,1] when off. */
  lensValues: 'lens_values',
  lensIds: 'lens_ids',
  /** float [n, T]: -log p(lens_targets[t]) per layer and position; [1,1] when off. */
  lensNll: 'lens_nll',
  /**
   * float [T-1]: next-token cross-entropy of the final layer, logsumexp(logits[t]) - logits[t][ids[t+1]] for
   * t = 0..T-2 (the [T, V] logits are transient); [1] zeros when loss_on is 0.
   */
  tokenLoss: 'token_loss',
} as const;

/** The Gram side session (built only when asked; no weights). */
export const GRAM = {
  /** float [L+1, T, d] in, float [L+1, d, d] out: h[l]^T h[l]. */
  hidden: 'gram_hidden',
  gram: 'gram',
  /** float [L+1, T, T] out: h[l] h[l]^T (the smaller side when T <= d). */
  rows: 'gram_rows',
} as const;
