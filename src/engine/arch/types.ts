/**
 * The canonical config: the one shape every family's config.json dialect is normalised into by its
 * adapter (arch/<family>.ts). Everything downstream of `arch/` (graph, engine, results) reads these
 * fields, never Hugging Face names.
 */

/**
 * An architecture family's id (`llama`, `gpt2`, ...): whatever id an adapter registers with
 * `registerArchitecture` (registry.ts). Not a closed union, so adding a family edits no type here;
 * the registry refuses an id or a model_type registered twice.
 */
export type ArchId = string;

export type RopeScaling =
  | { type: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositions: number }
  | { type: 'linear'; factor: number }
  /**
   * Phi-3 `longrope` (`su`): per-frequency divisors, `short` while the prompt fits in
   * `originalMaxPositions` tokens, `long` beyond it (chosen per forward from T, as transformers does),
   * and cos/sin scaled by `attentionFactor`. `factor` is max_position_embeddings / original.
   */
  | { type: 'longrope'; factor: number; shortFactor: number[]; longFactor: number[]; originalMaxPositions: number; attentionFactor: number }
  // gpt-oss / YaRN
  /**
   * YaRN (modeling_rope_utils `_compute_yarn_parameters`): frequencies blended between extrapolation
   * and interpolation (inv_freq / factor) by a linear ramp over the dims whose rotation counts at
   * `originalMaxPositions` lie between betaSlow and betaFast (the ramp ends floored/ceiled when
   * `truncate`); cos and sin are multiplied by `attentionFactor` (0.1 ln(factor) + 1 unless given).
   */
  | { type: 'yarn'; factor: number; betaFast: number; betaSlow: number; originalMaxPositions: number; attentionFactor: number; truncate: boolean };

/** One canonical config, whatever dialect config.json speaks (normalised by arch/<family>.ts). */
export interface CanonicalConfig {
  arch: ArchId;
  modelType: string;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  intermediateSize: number;
  vocabSize: number;
  maxPositions: number;
  norm: 'rms' | 'layer';
  normEps: number;
  /** MLP activation. gelu_new = tanh approximation; gelu = erf. */
  act: 'silu' | 'gelu_new' | 'gelu' | 'relu';
  /** SwiGLU-style gate: down(act(gate(x)) * up(x)). */
  gatedMlp: boolean;
  position: 'rope' | 'learned';
  /** RoPE: base and the number of leading head dims rotated (partial rotary: rotary_pct * headDim). HF rotate_half convention. */
  rope: { theta: number; rotaryDim: number; scaling: RopeScaling | null } | null;
  /** Attention softmax scale; 1/sqrt(headDim) unless the config says otherwise. */
  attnScale: number;
  /** GPT-NeoX parallel residual: x + attn(ln1(x)) + mlp(ln2(x)). */
  parallelResidual: boolean;
  /** Per-head RMSNorm on q and k before RoPE (Qwen3). */
  qkNorm: boolean;
  tieWordEmbeddings: boolean;
  bosTokenId: number | null;
  eosTokenId: number | null;
  /** Model name for display (folder name or `_name_or_path`). */
  name: string;
  // Gemma / sliding window (gpt-oss reads its layer_types into layerWindows too)
  /**
   * Per layer: the sliding window W, or null for full causal attention. Query i sees keys j with
   * i - W < j <= i (transformers' sliding_window_overlay), so BOS leaves the view of queries i >= W.
   * Absent: every layer is fully causal.
   */
  layerWindows?: readonly (number | null)[];
  /** RoPE of the windowed (local) layers when it differs from `rope` (Gemma 3's rope_local_base_freq); absent = `rope`. */
  ropeLocal?: { theta: number; rotaryDim: number; scaling: RopeScaling | null } | null;
  /** h[0] = embed[ids] * embedScale (Gemma: sqrt(hidden) rounded to the checkpoint dtype); absent = 1. */
  embedScale?: number;
  /** Attention logit soft-capping c: scores -> c * tanh(scores / c) before the mask (Gemma 2); absent/null = none. */
  attnSoftcap?: number | null;
  /** Final logit soft-capping c: logits -> c * tanh(logits / c) (Gemma 2); absent/null = none. */
  finalSoftcap?: number | null;

  // --- Block variants of Phi-3, OLMo, OLMo2, Granite and OPT (optional: absent = the plain pre-norm block) ---
  /** Sublayer outputs are normed (LayerWeights.attnPostNorm / mlpPostNorm) before the residual add (OLMo2). */
  postNorms?: boolean;
  /** Post-LN blocks (OPT do_layer_norm_before = false): attn/mlp norms follow the residual adds. */
  postLn?: boolean;
  /** Scope of the q/k norms: 'head' (Qwen3, weights [hd]) or 'full' (OLMo2, weights [H*hd] / [KV*hd]). Default 'head'. */
  qkNormScope?: 'head' | 'full';
  /** OLMo clip_qkv: q, k and v are clamped to [-c, c] after their projections. */
  clipQkv?: number | null;
  /** Granite: h[0] = embed * m. */
  embeddingMultiplier?: number;
  /** Granite: each sublayer output is multiplied by m before it joins the residual. */
  residualMultiplier?: number;
  /** Granite logits_scaling: logits (and the logit lens) are divided by s. */
  logitsScaling?: number;
  /** Learned positions read row position + offset of the table (OPT: 2). */
  positionOffset?: number;
  /**
   * Learned attention sinks (gpt-oss `self_attn.sinks`, one logit per query head): an extra softmax
   * column with no value, dropped after the softmax, so each row's attention to real keys sums to
   * 1 - p(sink). Absent/false: none.
   */
  attnSinks?: boolean;
  /** Mixture-of-experts MLP (gpt-oss); absent/null: a dense MLP. `intermediateSize` is one expert's. */
  moe?: MoeConfig | null;
}

/**
 * gpt-oss MoE: router logits = x W_r^T + b_r, the top-k experts' logits softmaxed into their weights,
 * each expert's clamped SwiGLU: gate = min(g, limit), up = clip(u, -limit, limit),
 * out = down((up + 1) * gate * sigmoid(alpha * gate)).
 */
export interface MoeConfig {
  numExperts: number;
  topK: number;
  swigluAlpha: number;
  swigluLimit: number;
}
