/**
 * The config.json keys of the Gemma and Phi-3 dialects that a GGUF file states, or that llama.cpp
 * derives when it states none (llama.cpp's `convert_hf_to_gguf.py` writes them, `llama-model.cpp`
 * reads them). Where llama.cpp fixes a value in code, SinkLens takes the same value, so a GGUF file
 * is analysed as llama.cpp runs it:
 * - Gemma 2 / 3 attention scale: query_pre_attn_scalar is not stored; llama.cpp uses hidden / heads for
 *   the 27B models (46 layers for Gemma 2, 62 for Gemma 3: their query_pre_attn_scalar), else head_dim.
 * - Gemma 2: soft-caps and the window from metadata (absent: 50, 30, 4096), even layers windowed.
 * - Gemma 3: no attention soft-cap; a window > 0 makes every 6th layer global and the others local with
 *   RoPE base 10000 and no scaling; no window = every layer global.
 * - Phi-3: partial rotary from `rope.dimension_count`, longrope from the `rope_factors_long/short`
 *   tensors, `rope.scaling.original_context_length` and `rope.scaling.attn_factor`, the window from
 *   `attention.sliding_window` (0 = none).
 */
import type { RawConfig } from '../../arch/adapter';
import { metaNum, type GgufFile } from './reader';

/** Reads a small float32 tensor of the file by GGUF name (null when absent). */
export type TensorReader = (name: string) => Float32Array | null;

/** llama.cpp's attention scale choice: 1/√(hidden/heads) for the 27B layer count, else 1/√head_dim. */
function queryPreAttnScalar(base: RawConfig, layers27b: number): number {
  const hidden = base['hidden_size'] as number;
  const heads = base['num_attention_heads'] as number;
  return base['num_hidden_layers'] === layers27b ? Math.floor(hidden / heads) : (base['head_dim'] as number);
}

function gemma2(f: GgufFile, base: RawConfig): RawConfig {
  const m = f.metadata;
  const out: RawConfig = { query_pre_attn_scalar: queryPreAttnScalar(base, 46) };
  const attnCap = metaNum(m, 'gemma2.attn_logit_softcapping');
  const finalCap = metaNum(m, 'gemma2.final_logit_softcapping');
  const window = metaNum(m, 'gemma2.attention.sliding_window');
  if (attnCap !== undefined) out['attn_logit_softcapping'] = attnCap;
  if (finalCap !== undefined) out['final_logit_softcapping'] = finalCap;
  if (window !== undefined) out['sliding_window'] = window;
  return out;
}

function gemma3(f: GgufFile, base: RawConfig): RawConfig {
  const m = f.metadata;
  const window = metaNum(m, 'gemma3.attention.sliding_window');
  return {
    query_pre_attn_scalar: queryPreAttnScalar(base, 62),
    attn_logit_softcapping: null,
    final_logit_softcapping: metaNum(m, 'gemma3.final_logit_softcapping') || null,
    sliding_window: window !== undefined && window > 0 ? window : null,
    sliding_window_pattern: 6,
    rope_local_base_freq: 10000,
  };
}

function phi3(f: GgufFile, base: RawConfig, rotary: number | undefined, tensor: TensorReader): RawConfig {
  const m = f.metadata;
  const headDim = base['head_dim'] as number;
  const window = metaNum(m, 'phi3.attention.sliding_window');
  const out: RawConfig = { sliding_window: window !== undefined && window > 0 ? window : null };
  // The midpoint (r + ½) / head_dim, so that HF's floor(head_dim × factor) gives back r whatever r / head_dim rounds to.
  if (rotary !== undefined && rotary !== headDim) out['partial_rotary_factor'] = (rotary + 0.5) / headDim;
  const original = metaNum(m, 'phi3.rope.scaling.original_context_length');
  if (original !== undefined) out['original_max_position_embeddings'] = original;
  const long = tensor('rope_factors_long.weight');
  const short = tensor('rope_factors_short.weight');
  if (long && short) {
    const attn = metaNum(m, 'phi3.rope.scaling.attn_factor');
    out['rope_scaling'] = { rope_type: 'longrope', long_factor: [...long], short_factor: [...short], ...(attn !== undefined ? { attention_factor: attn } : {}) };
  }
  return out;
}

/** The family's extra config.json keys, over the llama-layout ones in `base`; null when the family has none. */
export function familyConfig(f: GgufFile, arch: string, base: RawConfig, rotary: number | undefined, tensor: TensorReader): RawConfig | null {
  if (arch === 'gemma2') return gemma2(f, base);
  if (arch === 'gemma3') return gemma3(f, base);
  if (arch === 'phi3') return phi3(f, base, rotary, tensor);
  return null;
}
