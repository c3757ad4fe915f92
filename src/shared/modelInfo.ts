/**
 * The loaded model as a result describes it (`AnalysisResult.model`, the panel header, `sinklens models`): its
 * shape, weight files and the precision and execution provider it runs with. Part of the result schema
 * (result.ts re-exports it).
 */

/** How the linear layers' weights are held in the session (embeddings, norms and probes stay float32). */
export type WeightPrecision = 'fp32' | 'fp16' | 'int8' | 'int4';
/** The `weights` load option: a precision, or 'auto' (chosen from the model size and free memory). */
export type WeightsMode = 'auto' | WeightPrecision;

/** The precision and execution provider a model was loaded with, and why (docs/PERFORMANCE.md). */
export interface PrecisionInfo {
  weights: WeightPrecision;
  /** What was asked for ('auto' resolves to one of the precisions). */
  requested: WeightsMode;
  /** The onnxruntime execution provider the session runs on (`cpu`, `cuda`, ...). */
  executionProvider: string;
  /** What 'auto' picked and why (null when a precision was asked for). */
  reason: string | null;
  /** Why the session is not on the provider asked for (null when it is). */
  providerNote: string | null;
  /**
   * Where the linears' weights came from when the file stores them block-quantised (GGUF), e.g.
   * `14 Q4_0 as stored (4-bit), 2 Q6_K re-quantised to 4-bit`; absent or null otherwise.
   */
  sources?: string | null;
}

export interface WeightFileInfo {
  name: string;
  bytes: number;
  sha256: string;
}

export interface ModelInfo {
  name: string;
  dir: string;
  /** Registry key of the architecture family (`llama`, `gpt2`, ...). */
  arch: string;
  /** Raw `model_type` from config.json. */
  modelType: string;
  layers: number;
  heads: number;
  kvHeads: number;
  hiddenSize: number;
  headDim: number;
  vocabSize: number;
  maxPositions: number;
  /** Storage dtype(s) of the weights, e.g. `F32`, `BF16`, `F16+F32`. Compute is always float32. */
  dtype: string;
  params: number;
  bosTokenId: number | null;
  files: WeightFileInfo[];
  /** Absent in results saved before precisions existed: those ran fp32 on the CPU. */
  precision?: PrecisionInfo;
}
