/**
 * Weights as the architecture adapters hand them to the graph builder, and the store they are read
 * from. Neutral ground: `model/` implements `WeightStore` (safetensors files), `arch/` maps stored
 * tensors onto `ModelWeights`, `graph/` consumes them; none of these types names a file format.
 */

export interface TensorEntry {
  name: string;
  dtype: string;
  shape: number[];
  file: string;
  /** Absolute byte range [start, end) in the file. */
  byteRange: [number, number];
}

export interface WeightFile {
  name: string;
  path: string;
  bytes: number;
}

/** Stored tensors by their checkpoint names, read lazily. */
export interface WeightStore {
  readonly dir: string;
  names(): string[];
  has(name: string): boolean;
  info(name: string): TensorEntry;
  /** Reads one tensor and converts it to float32 (row-major, the stored shape). */
  read(name: string): Float32Array;
  files(): WeightFile[];
  /** Storage dtypes, sorted and joined with '+', e.g. `F32`, `BF16`, `F16+F32`. */
  dtypeSummary(): string;
  /** Total number of elements over all tensors. */
  numElements(): number;
  close(): void;
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
  /** [d]; null when the block has no pre-norm (OLMo2 norms the sublayer outputs instead). */
  attnNorm: NormWeights | null;
  q: LinearWeights; // [H*hd, d]
  k: LinearWeights; // [KV*hd, d]
  v: LinearWeights; // [KV*hd, d]
  o: LinearWeights; // [d, H*hd]
  qNorm: NormWeights | null; // [hd] (Qwen3) or [H*hd] (OLMo2, qkNormScope 'full')
  kNorm: NormWeights | null; // [hd] (Qwen3) or [KV*hd] (OLMo2)
  mlpNorm: NormWeights | null; // [d]; null like attnNorm
  gate: LinearWeights | null; // [ff, d], gated MLPs only
  up: LinearWeights; // [ff, d]
  down: LinearWeights; // [d, ff]
  /** [d] each: norms of the attention / MLP outputs before the residual add (cfg.postNorms, OLMo2). */
  attnPostNorm?: NormWeights | null;
  mlpPostNorm?: NormWeights | null;
}

export interface ModelWeights {
  embed: WeightRef; // [vocab, d]
  positions: WeightRef | null; // [maxPos, d], learned positions
  layers: LayerWeights[];
  /** [d]; null when the model has none (OPT post-LN). */
  finalNorm: NormWeights | null;
  /** [vocab, d]; the same ref (same key) as `embed` when tied. */
  lmHead: WeightRef;
  lmHeadBias: WeightRef | null; // [vocab]
  /** OPT word_embed_proj_dim != hidden: project_in [d, e] after the embedding, project_out [e, d] before the head. */
  embedProjIn?: LinearWeights | null;
  embedProjOut?: LinearWeights | null;
}
