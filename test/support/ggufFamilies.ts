/**
 * What llama.cpp's converter (`convert_hf_to_gguf.py`: GemmaModel, Gemma2Model, Gemma3Model,
 * Phi3MiniModel) does differently for the Gemma and Phi-3 families, for the test GGUF writer:
 * tensor names, Gemma's `norm.weight + 1` (done in the checkpoint's dtype after BF16 is widened to
 * float32, so an F16 checkpoint's norms are rounded to F16), the dropped Gemma 1/2 `lm_head`, the
 * metadata each class writes, and Phi-3's longrope factors as `rope_factors_{long,short}` tensors.
 */
import { meta, type GgufMeta, type GgufTensorOut } from '../../tools/modelgen';
import { f16BitsToF32, f32ToF16Bits } from '../../tools/modelgen/float16';

type Json = Record<string, unknown>;

export const FAMILY_ARCH: Readonly<Record<string, string>> = { gemma: 'gemma', gemma2: 'gemma2', gemma3_text: 'gemma3', phi3: 'phi3' };

/** Block names that differ from the llama layout, by GGUF architecture. */
export const FAMILY_BLOCK_NAMES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  gemma2: { post_attention_layernorm: 'post_attention_norm', pre_feedforward_layernorm: 'ffn_norm', post_feedforward_layernorm: 'post_ffw_norm' },
  gemma3: { post_attention_layernorm: 'post_attention_norm', pre_feedforward_layernorm: 'ffn_norm', post_feedforward_layernorm: 'post_ffw_norm' },
  phi3: { 'self_attn.qkv_proj': 'attn_qkv', 'mlp.gate_up_proj': 'ffn_up' },
};

const isGemma = (arch: string) => arch === 'gemma' || arch === 'gemma2' || arch === 'gemma3';

/** Gemma 1/2: the converter skips `lm_head.weight` (the head is always the embedding). */
export function dropsTensor(arch: string, hf: string): boolean {
  return (arch === 'gemma' || arch === 'gemma2') && hf === 'lm_head.weight';
}

/** Gemma's `data_torch + 1` on every `*norm.weight`, in the checkpoint's dtype (F16 stays F16, BF16 became F32). */
export function convertTensor(arch: string, hf: string, data: Float32Array, c: Json): Float32Array {
  if (!isGemma(arch) || !hf.endsWith('norm.weight')) return data;
  const f16 = c['torch_dtype'] === 'float16';
  return data.map((w) => (f16 ? f16BitsToF32(f32ToF16Bits(w + 1)) : w + 1));
}

/** The metadata keys each converter class writes beyond (or instead of) the llama ones. */
export function familyMetadata(arch: string, c: Json, m: Record<string, GgufMeta>): Record<string, GgufMeta> {
  const out = { ...m };
  const num = (k: string) => (typeof c[k] === 'number' ? (c[k] as number) : undefined);
  if (arch === 'gemma' || arch === 'gemma2') {
    // GemmaModel / Gemma2Model write no rope keys (llama.cpp: base 10000, every dim rotated).
    delete out[`${arch}.rope.freq_base`];
    delete out[`${arch}.rope.dimension_count`];
  }
  if (arch === 'gemma2') {
    if (num('attn_logit_softcapping') !== undefined) out['gemma2.attn_logit_softcapping'] = meta.f32(num('attn_logit_softcapping') as number);
    if (num('final_logit_softcapping') !== undefined) out['gemma2.final_logit_softcapping'] = meta.f32(num('final_logit_softcapping') as number);
    out['gemma2.attention.sliding_window'] = meta.u32(num('sliding_window') ?? 4096);
  }
  if (arch === 'gemma3') {
    if (num('final_logit_softcapping')) out['gemma3.final_logit_softcapping'] = meta.f32(num('final_logit_softcapping') as number);
    if (num('sliding_window_pattern') !== 1 && num('sliding_window') !== undefined) out['gemma3.attention.sliding_window'] = meta.u32(num('sliding_window') as number);
  }
  if (isGemma(arch)) out['tokenizer.ggml.add_space_prefix'] = meta.bool(false);
  if (arch === 'phi3') {
    const hidden = num('hidden_size') as number;
    const heads = num('num_attention_heads') as number;
    delete out['phi3.attention.key_length'];
    delete out['phi3.attention.value_length'];
    out['phi3.rope.dimension_count'] = meta.u32(Math.floor(Math.trunc((num('partial_rotary_factor') ?? 1) * hidden) / heads));
    out['phi3.rope.scaling.original_context_length'] = meta.u32(num('original_max_position_embeddings') as number);
    out['phi3.attention.sliding_window'] = meta.u32(num('sliding_window') ?? 0);
    const rs = c['rope_scaling'] as Json | null | undefined;
    if (rs?.['long_factor']) {
      const scale = (num('max_position_embeddings') as number) / (num('original_max_position_embeddings') as number);
      out['phi3.rope.scaling.attn_factor'] = meta.f32(scale > 1 ? Math.sqrt(1 + Math.log(scale) / Math.log(num('original_max_position_embeddings') as number)) : 1);
    }
  }
  return out;
}

/** Phi3MiniModel's generated tensors: the longrope factors, F32, when the config has long factors. */
export function familyExtraTensors(arch: string, c: Json): GgufTensorOut[] {
  const rs = c['rope_scaling'] as Json | null | undefined;
  if (arch !== 'phi3' || !rs?.['long_factor']) return [];
  const long = Float32Array.from(rs['long_factor'] as number[]);
  const short = Float32Array.from(rs['short_factor'] as number[]);
  return [
    { name: 'rope_factors_long.weight', shape: [long.length], type: 'F32', data: long },
    { name: 'rope_factors_short.weight', shape: [short.length], type: 'F32', data: short },
  ];
}
