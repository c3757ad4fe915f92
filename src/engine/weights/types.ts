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
  /** The tensor's block-quantised form when it maps exactly onto MatMulNBits (GGUF Q4_0, Q8_0, K-quants). */
  stored?(name: string): StoredNBits | undefined;
  /** Where a float tensor's row-major values lie in its file, when they can be read there row by row (safetensors). */
  rowsOf?(name: string): StoredRows | undefined;
  close(): void;
}

/**
 * A float tensor's values as they lie in a file: row-major from `offset`, `byteLength` bytes in all. A
 * quantising load reads such a weight a few rows at a time on two threads (model/rowReader.ts), never as a
 * whole float32 copy.
 */
export interface StoredRows {
  path: string;
  offset: number;
  byteLength: number;
  dtype: 'F32' | 'F16' | 'BF16';
  /** Names the tensor in errors, e.g. `"model.layers.0.mlp.up_proj.weight" in model.safetensors`. */
  what: string;
}

/**
 * A weight [N, K] stored block-quantised in a form that MatMulNBits reproduces exactly:
 *   W[n, k] = (code[n, k] − zero[n, b]) · scale[n, b] + offset[n, b],   b = k / block
 * (zero = 2^(bits−1) when there are no zero points, offset = 0 when there are none). The graph
 * uses it instead of quantising the float32 weight when `bits` fits the precision asked for.
 */
export interface StoredNBits {
  /** The stored format, e.g. `Q4_0` (named in reports and in initializer names). */
  format: string;
  bits: 4 | 8;
  /** Elements per block along K (a power of two >= 16). */
  block: number;
  /** Whether `read()` gives uint8 zero points (in MatMulNBits' packing). */
  zeroPoints: boolean;
  /** Whether `read()` gives per-block offsets (K-quants' mins), added as x's block sums times them. */
  offsets: boolean;
  /** The blocks in MatMulNBits' layout, read from the file; no float32 copy of the weight is made. */
  read(): NBitsBlocks;
}

export interface NBitsBlocks {
  /** [N, kBlocks, block · bits / 8] */
  packed: Uint8Array;
  /** [N · kBlocks] */
  scales: Float32Array;
  /** [N · zpRowBytes] (4-bit: two per byte, block 2j low nibble) or null. */
  zeros: Uint8Array | null;
  /** [N, kBlocks] or null. */
  offsets: Float32Array | null;
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
  /** Set when the values are the stored tensor's, untransformed, in a file that can be read row by row. */
  rows?: StoredRows;
  /** Set when the stored tensor is block-quantised in a form MatMulNBits reads as is (graph/blocks/linear.ts). */
  stored?: StoredNBits;
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
  /** [d] each: norms of the attention / MLP outputs before the residual add (Gemma 2/3; cfg.postNorms, OLMo2). */
  attnPostNorm?: NormWeights | null;
  mlpPostNorm?: NormWeights | null;
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
  /** [d]; null when the model has none (OPT post-LN). */
  finalNorm: NormWeights | null;
  /** [vocab, d]; the same ref (same key) as `embed` when tied. */
  lmHead: WeightRef;
  lmHeadBias: WeightRef | null; // [vocab]
  /** OPT word_embed_proj_dim != hidden: project_in [d, e] after the embedding, project_out [e, d] before the head. */
  embedProjIn?: LinearWeights | null;
  embedProjOut?: LinearWeights | null;
}
