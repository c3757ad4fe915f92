/** What a generated model looks like; every field but the shape has a per-family default. */
import type { StorageDtype } from './safetensors';

export type GenFamily = 'llama' | 'mistral' | 'qwen2' | 'qwen3' | 'gpt2' | 'gpt_neox' | 'gpt_oss';

export interface ModelSpec {
  name: string;
  family: GenFamily;
  hidden: number;
  layers: number;
  heads: number;
  /** Defaults to heads (no GQA). Llama-like families only. */
  kvHeads?: number;
  /** Written as config.head_dim when set (Qwen3 always sets it); otherwise hidden / heads. */
  headDim?: number;
  intermediate: number;
  vocab: number;
  maxPositions?: number;
  /** tie_word_embeddings; GPT-2 is always tied. When tied, no lm_head tensor is written (as save_pretrained does). */
  tie?: boolean;
  dtype?: StorageDtype;
  /** > 1 writes model-0000k-of-0000N.safetensors plus model.safetensors.index.json. */
  shards?: number;
  seed?: number;
  ropeTheta?: number;
  /** HF rope_scaling dialect, e.g. { rope_type: 'llama3', factor, low_freq_factor, high_freq_factor, original_max_position_embeddings }. */
  ropeScaling?: Record<string, unknown> | null;
  /** Llama attention_bias (q, k, v and o). Qwen2 always has q/k/v biases. */
  attentionBias?: boolean;
  /** Llama mlp_bias (gate, up, down). */
  mlpBias?: boolean;
  /** GPT-NeoX rotary_pct. */
  rotaryPct?: number;
  /** GPT-NeoX use_parallel_residual. */
  parallelResidual?: boolean;
  /** Whether the tokenizer's post-processor adds BOS; default true for llama-like families, false for gpt2/gpt_neox. */
  addBos?: boolean;
  /** GPT-2 only: write tensor names without the `transformer.` prefix (the original openai-community/gpt2 layout). */
  gpt2NoPrefix?: boolean;
  // gpt-oss: experts, windows, sinks
  /** gpt_oss: num_local_experts and num_experts_per_tok. */
  experts?: number;
  topK?: number;
  /** gpt_oss: sliding_window (layer_types alternate sliding / full, starting with sliding). */
  slidingWindow?: number;
  /** gpt_oss: store the experts as MXFP4 `*_blocks` / `*_scales` (U8) with quantization_config mxfp4. */
  mxfp4?: boolean;
  /** gpt_oss: mean of the random sink logits (default 2; std 1). */
  sinkMean?: number;
}

export function addsBos(spec: ModelSpec): boolean {
  return spec.addBos ?? !(spec.family === 'gpt2' || spec.family === 'gpt_neox');
}

export function headDimOf(spec: ModelSpec): number {
  return spec.headDim ?? spec.hidden / spec.heads;
}
