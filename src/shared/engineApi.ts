/**
 * The engine's public API: what the extension (through the child-process RPC), the CLI and tests
 * call. Implemented by `src/engine/api.ts`; served over IPC by `src/engine/main.ts`. The defaults of
 * the options are `DEFAULT_ANALYZE_OPTIONS` in `defaults.ts`.
 */
import type { AnalysisResult, AttentionMap, ChatTemplateMode, EntropyOptions, Intervention, ModelInfo, PartialResult, PrependBos, SpectralLayerMetrics, WeightsMode } from './result';

export type { ChatTemplateMode, HeadIntervention, Intervention, InterventionOp, WeightPrecision, WeightsMode, WriteIntervention } from './result';

/** onnxruntime execution providers SinkLens can ask for; 'auto' = the best one that opens, else cpu. */
export type ExecutionProviderChoice = 'auto' | 'cpu' | 'cuda' | 'tensorrt' | 'webgpu' | 'dml' | 'coreml';
export const EXECUTION_PROVIDERS: readonly ExecutionProviderChoice[] = ['auto', 'cpu', 'cuda', 'tensorrt', 'webgpu', 'dml', 'coreml'];
export const WEIGHTS_MODES: readonly WeightsMode[] = ['auto', 'fp32', 'fp16', 'int8', 'int4'];

export interface LoadOptions {
  /** Intra-op threads for onnxruntime; 0 = the physical cores the engine may use (onnxruntime's default where the OS does not say). */
  threads?: number;
  /** Precision of the linear layers' weights; default 'fp32' (docs/PERFORMANCE.md has the accuracy table). */
  weights?: WeightsMode;
  /** Default 'cpu'. A provider that cannot start falls back to the CPU with a note, unless `strictProvider`. */
  executionProvider?: ExecutionProviderChoice;
  /** Fail the load instead of falling back to the CPU when the asked provider cannot start. */
  strictProvider?: boolean;
  /** Where built graphs are cached and how big the cache may grow (not part of the cache key). */
  cache?: CacheOptions;
}

/** The on-disk cache of built graphs (settings `sinklens.cache.dir`, `sinklens.cache.maxGB`). */
export interface CacheOptions {
  /** Cache root; default: the OS cache folder + `sinklens` (or $SINKLENS_CACHE_DIR). */
  dir?: string;
  /** Size limit in GB, least recently used entries evicted first; 0 = no cache. Default 20. */
  maxGB?: number;
}

/**
 * LoadOptions keys that do not change the built graph. Every other key (present and future, e.g.
 * the weight precision) is part of the graph cache key.
 */
export const NON_GRAPH_LOAD_KEYS: readonly string[] = ['threads', 'cache', 'executionProvider', 'strictProvider'];

export interface CacheEntryInfo {
  key: string;
  /** Model display name and folder the entry was built from. */
  model: string;
  modelDir: string;
  /** The graph-affecting load options, as canonical JSON. */
  options: string;
  bytes: number;
  createdAt: string;
  lastUsedAt: string;
}

export interface CacheListing {
  dir: string;
  maxBytes: number;
  entries: CacheEntryInfo[];
}

export interface AnalyzeOptions {
  prependBos?: PrependBos; // default 'auto'
  /**
   * Analyse the model's chat template applied to the prompt: 'user' = one user message plus the
   * generation prompt, 'system' = one system message; default 'none' (the bare prompt).
   */
  chatTemplate?: ChatTemplateMode;
  /**
   * Truncate the prompt to this many tokens (BOS included); default 'auto' = the model's positions,
   * the memory plan and AUTO_MAX_TOKENS_CAP (4096), whichever is smallest.
   */
  maxTokens?: number | 'auto';
  /** Sink-rate threshold tau; default 0.3. */
  tau?: number;
  includeFirstQuery?: boolean; // default false
  entropy?: Partial<EntropyOptions>; // defaults alpha 1, all flags false
  /** Ablation: 'auto' = the spike blocks; a list = those block indices; null/undefined = none. */
  ablate?: 'auto' | number[] | null;
  /** default 'auto': the component that writes most of the BOS change in the ablated blocks (MLP on a tie). */
  ablateTarget?: 'mlp' | 'attn' | 'auto';
  /**
   * Interventions applied together in one compared run (with `ablate`, which is zero at BOS): a write's
   * zero / mean over the other positions / scale at a position of chosen blocks, or one head off.
   */
  interventions?: Intervention[] | null;
  /**
   * Compute the next-token loss over the prompt (an LM head over every position, a [T, V] transient per run);
   * default 'auto': only when the analysis has an ablation or interventions (see `lossWanted`).
   */
  tokenLoss?: boolean | 'auto';
  massiveTopK?: number; // default 5
  /** Logit lens over these layers (h indices); 'all', or none (default). */
  logitLens?: 'all' | number[] | null;
  logitLensTopK?: number; // default 1
  lastTopK?: number; // default 10
}

export type AnalysisStage = 'load' | 'tokenize' | 'run' | 'ablate' | 'metrics' | 'done';

export interface Progress {
  stage: AnalysisStage;
  /** 0..1 within the whole analysis, when known. */
  fraction?: number;
  message?: string;
  /**
   * Sent once per analysis (stage 'metrics'), right after the baseline forward pass: the metrics
   * that need no spectrum (tokens, norms, BOS ratio, sink rates, spike blocks). A UI paints these
   * first; the final AnalysisResult repeats them unchanged.
   */
  partial?: PartialResult;
  /** Stage 'metrics' of the baseline run: one layer's entropy figures, as soon as that layer is done (any order). */
  layer?: SpectralLayerMetrics;
}

export interface ModelHandle {
  id: string;
  info: ModelInfo;
}

export interface AttentionRequest {
  text: string;
  options: AnalyzeOptions;
  block: number;
  head: number;
}

/** The part of AbortSignal the engine reads (shared code has no DOM or Node typings). */
export interface CancelSignal {
  readonly aborted: boolean;
}

export interface EngineApi {
  load(modelDir: string, opts?: LoadOptions): Promise<ModelHandle>;
  analyze(
    handle: ModelHandle,
    text: string,
    opts?: AnalyzeOptions,
    onProgress?: (p: Progress) => void,
    signal?: CancelSignal,
  ): Promise<AnalysisResult>;
  attention(handle: ModelHandle, req: AttentionRequest, signal?: CancelSignal): Promise<AttentionMap>;
  dispose(): Promise<void>;
}
