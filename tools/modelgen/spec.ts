/** What a generated model looks like; every field but the shape has a per-family default. */
import type { StorageDtype } from './safetensors';

export type GenFamily = 'llama' | 'mistral' | 'qwen2' | 'qwen3' | 'gpt2' | 'gpt_neox' | 'gemma' | 'gemma2' | 'gemma3_text' | 'starcoder2' | 'gpt_oss' | MoreFamily;

/** Phi-3, OLMo, OLMo2, Granite and OPT (written by moreFamilies.ts). */
export type MoreFamily = 'phi3' | 'olmo' | 'olmo2' | 'granite' | 'opt';

export function isMoreFamily(f: GenFamily): f is MoreFamily {
  return f === 'phi3' || f === 'olmo' || f === 'olmo2' || f === 'granite' || f === 'opt';
}

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
  // Gemma / sliding window
  /** sliding_window (Mistral, Qwen2/3 with use_sliding_window, Starcoder2, Gemma 2/3); absent = none (Gemma: 4096). */
  slidingWindow?: number;
  /** Qwen2/3 max_window_layers: layers from this index on are windowed; default all layers. */
  maxWindowLayers?: number;
  /** Gemma 2/3 query_pre_attn_scalar (default 256 there, as in transformers). */
  queryPreAttnScalar?: number;
  /** Gemma 2/3 attn_logit_softcapping / final_logit_softcapping; null writes an explicit null (off). */
  attnSoftcap?: number | null;
  finalSoftcap?: number | null;
  /** Gemma 3: sliding_window_pattern, or (layerTypes) the equivalent layer_types list. */
  slidingWindowPattern?: number;
  layerTypes?: boolean;
  /** Gemma 3 rope_local_base_freq. */
  ropeLocalTheta?: number;

  // --- Phi-3, OLMo, OLMo2, Granite, OPT ---
  /** Phi-3 partial_rotary_factor. */
  partialRotary?: number;
  /** Phi-3 top-level original_max_position_embeddings (longrope's short/long threshold). */
  originalMaxPositions?: number;
  /** OLMo clip_qkv. */
  clipQkv?: number;
  /** Granite's four scalars (1 when absent). */
  granite?: { embedding: number; residual: number; attention: number; logits: number };
  /** OPT word_embed_proj_dim (defaults to hidden: no project_in / project_out). */
  wordEmbedProjDim?: number;
  /** OPT do_layer_norm_before (default true: pre-LN with a final norm). */
  preLn?: boolean;

  // gpt-oss: experts, windows, sinks
  /** gpt_oss: num_local_experts and num_experts_per_tok. */
  experts?: number;
  topK?: number;
  // gpt_oss reads slidingWindow too (layer_types alternate sliding / full, starting with sliding).
  /** gpt_oss: store the experts as MXFP4 `*_blocks` / `*_scales` (U8) with quantization_config mxfp4. */
  mxfp4?: boolean;
  /** gpt_oss: mean of the random sink logits (default 2; std 1). */
  sinkMean?: number;
}

export function addsBos(spec: ModelSpec): boolean {
  return spec.addBos ?? !(spec.family === 'gpt2' || spec.family === 'gpt_neox' || spec.family === 'starcoder2');
}

export function headDimOf(spec: ModelSpec): number {
  return spec.headDim ?? spec.hidden / spec.heads;
}

/** The dimension keys every Llama-style config.json spells alike. */
export function hfDims(spec: ModelSpec): Record<string, number> {
  return {
    hidden_size: spec.hidden,
    intermediate_size: spec.intermediate,
    num_hidden_layers: spec.layers,
    num_attention_heads: spec.heads,
    num_key_value_heads: spec.kvHeads ?? spec.heads,
  };
}
