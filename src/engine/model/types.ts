/**
 * Internal engine types shared by model loading, the architecture adapters, the graph builder and
 * the tests. Everything downstream of `arch/` sees only these canonical shapes, never HF names.
 */

/** A float32 tensor, row-major. Shapes are documented where tensors are made. */
export interface Tensor {
  data: Float32Array;
  dims: readonly number[];
}

export type ArchId = 'llama' | 'mistral' | 'qwen2' | 'qwen3' | 'gpt2' | 'gpt_neox';

export type RopeScaling =
  | { type: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositions: number }
  | { type: 'linear'; factor: number };

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
}

/**
 * A weight that is loaded when asked for, so a builder can stream tensors one at a time and never
 * hold two full copies of the model. `key` identifies the storage (two refs with the same key are
 * the same tensor, e.g. tied embeddings) and `dims` are the canonical dims after any transform.
 */
export interface WeightRef {
  key: string;
  dims: readonly number[];
  load(): Float32Array;
}

export interface NormWeights {
  weight: WeightRef; // [n]
  bias: WeightRef | null; // [n], LayerNorm only
}

/** Torch Linear layout: weight [out, in], y = x W^T + b. */
export interface LinearWeights {
  weight: WeightRef; // [out, in]
  bias: WeightRef | null; // [out]
}

export interface LayerWeights {
  attnNorm: NormWeights; // [d]
  q: LinearWeights; // [H*hd, d]
  k: LinearWeights; // [KV*hd, d]
  v: LinearWeights; // [KV*hd, d]
  o: LinearWeights; // [d, H*hd]
  qNorm: NormWeights | null; // [hd], Qwen3
  kNorm: NormWeights | null; // [hd], Qwen3
  mlpNorm: NormWeights; // [d]
  gate: LinearWeights | null; // [ff, d], gated MLPs only
  up: LinearWeights; // [ff, d]
  down: LinearWeights; // [d, ff]
}

export interface ModelWeights {
  embed: WeightRef; // [vocab, d]
  positions: WeightRef | null; // [maxPos, d], learned positions
  layers: LayerWeights[];
  finalNorm: NormWeights; // [d]
  /** [vocab, d]; the same ref (same key) as `embed` when tied. */
  lmHead: WeightRef;
  lmHeadBias: WeightRef | null; // [vocab]
}
