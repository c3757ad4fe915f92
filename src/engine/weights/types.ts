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
  /** The raw bytes of a U8 tensor (MXFP4 blocks and scales); absent where the format has none. */
  readBytes?(name: string): Uint8Array;
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
  // gpt-oss: learned sinks and experts
  /** [H] learned sink logit per query head; absent/null without learned sinks. */
  sinks?: WeightRef | null;
  /**
   * The experts of a mixture-of-experts MLP; when present the block reads only these, and
   * gate/up/down above are expert 0's (the shapes a dense MLP of one expert would have).
   */
  moe?: MoeWeights | null;
}

/** One expert: the dense gated-MLP layout (torch Linear [out, in], biases). */
export interface ExpertWeights {
  gate: LinearWeights; // [ff, d]
  up: LinearWeights; // [ff, d]
  down: LinearWeights; // [d, ff]
}

export interface MoeWeights {
  router: LinearWeights; // [E, d]
  experts: ExpertWeights[]; // E
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
