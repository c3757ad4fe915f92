/**
 * The engine's public API: what the extension (through the child-process RPC), the CLI and tests
 * call. Implemented by `src/engine/api.ts`; served over IPC by `src/engine/main.ts`.
 */
import type { AnalysisResult, AttentionMap, ChatTemplateMode, EntropyOptions, ModelInfo, PrependBos } from './result';

export type { ChatTemplateMode } from './result';

export interface LoadOptions {
  /** Intra-op threads for onnxruntime; 0 = onnxruntime's default. */
  threads?: number;
}

export interface AnalyzeOptions {
  prependBos?: PrependBos; // default 'auto'
  /**
   * Analyse the model's chat template applied to the prompt: 'user' = one user message plus the
   * generation prompt, 'system' = one system message; default 'none' (the bare prompt).
   */
  chatTemplate?: ChatTemplateMode;
  /** Truncate the prompt to this many tokens (BOS included); default 512. */
  maxTokens?: number;
  /** Sink-rate threshold tau; default 0.3. */
  tau?: number;
  includeFirstQuery?: boolean; // default false
  entropy?: Partial<EntropyOptions>; // defaults alpha 1, all flags false
  /** Ablation: 'auto' = the spike blocks; a list = those block indices; null/undefined = none. */
  ablate?: 'auto' | number[] | null;
  /** default 'auto': the component that writes most of the BOS change in the ablated blocks (MLP on a tie). */
  ablateTarget?: 'mlp' | 'attn' | 'auto';
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

export const DEFAULT_ANALYZE_OPTIONS = {
  prependBos: 'auto',
  chatTemplate: 'none',
  maxTokens: 512,
  tau: 0.3,
  includeFirstQuery: false,
  entropy: { alpha: 1, excludeBos: false, center: false, rowNormalize: false },
  ablateTarget: 'auto',
  massiveTopK: 5,
  logitLensTopK: 1,
  lastTopK: 10,
} as const;
