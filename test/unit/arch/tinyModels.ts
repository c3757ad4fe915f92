/**
 * Tiny synthetic checkpoints in each family's HF tensor naming and layout (written from the
 * transformers modeling files, independently of the adapters), with values that identify their
 * tensor and element: tensor t, flat index i -> t * 10000 + i (exact in float32).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { f32Tensors, writeRawSafetensors } from '../../../tools/modelgen/safetensors';

export type Shapes = Record<string, number[]>;

export interface TinyModel {
  config: Record<string, unknown>;
  shapes: Shapes;
}

export function valuesOf(shapes: Shapes, name: string): Float32Array {
  const t = Object.keys(shapes).indexOf(name);
  const n = (shapes[name] as number[]).reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: n }, (_, i) => t * 10000 + i);
}

export function writeModel(m: TinyModel, drop: string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'sinklens-arch-'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(m.config));
  const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [name, shape] of Object.entries(m.shapes)) if (!drop.includes(name)) tensors[name] = { shape, data: valuesOf(m.shapes, name) };
  writeRawSafetensors(join(dir, 'model.safetensors'), f32Tensors(tensors));
  return dir;
}

export interface LlamaOpts {
  modelType?: 'llama' | 'mistral' | 'qwen2' | 'qwen3';
  tie?: boolean;
  storeLmHead?: boolean;
  qkvBias?: boolean;
  oBias?: boolean;
  mlpBias?: boolean;
  qkNorm?: boolean;
  headDim?: number;
}

/** d 4, 2 heads, 1 kv head, head_dim 2 (or opts.headDim), ff 6, vocab 7, 2 layers. */
export function tinyLlama(o: LlamaOpts = {}): TinyModel {
  const d = 4, H = 2, KV = 1, ff = 6, V = 7, L = 2;
  const hd = o.headDim ?? d / H;
  const config: Record<string, unknown> = {
    model_type: o.modelType ?? 'llama', hidden_size: d, num_attention_heads: H, num_key_value_heads: KV, intermediate_size: ff,
    vocab_size: V, num_hidden_layers: L, max_position_embeddings: 16, rms_norm_eps: 1e-6, rope_theta: 10000, hidden_act: 'silu',
    tie_word_embeddings: o.tie ?? false, attention_bias: o.qkvBias ?? false, bos_token_id: 1, eos_token_id: 2,
  };
  if (o.headDim !== undefined) config['head_dim'] = o.headDim;
  const s: Shapes = { 'model.embed_tokens.weight': [V, d] };
  for (let i = 0; i < L; i++) {
    const p = `model.layers.${i}`;
    s[`${p}.input_layernorm.weight`] = [d];
    s[`${p}.self_attn.q_proj.weight`] = [H * hd, d];
    s[`${p}.self_attn.k_proj.weight`] = [KV * hd, d];
    s[`${p}.self_attn.v_proj.weight`] = [KV * hd, d];
    s[`${p}.self_attn.o_proj.weight`] = [d, H * hd];
    if (o.qkvBias) {
      s[`${p}.self_attn.q_proj.bias`] = [H * hd];
      s[`${p}.self_attn.k_proj.bias`] = [KV * hd];
      s[`${p}.self_attn.v_proj.bias`] = [KV * hd];
    }
    if (o.oBias) s[`${p}.self_attn.o_proj.bias`] = [d];
    if (o.qkNorm) {
      s[`${p}.self_attn.q_norm.weight`] = [hd];
      s[`${p}.self_attn.k_norm.weight`] = [hd];
    }
    s[`${p}.post_attention_layernorm.weight`] = [d];
    for (const [n, shape] of [['gate_proj', [ff, d]], ['up_proj', [ff, d]], ['down_proj', [d, ff]]] as const) {
      s[`${p}.mlp.${n}.weight`] = [...shape];
      if (o.mlpBias) s[`${p}.mlp.${n}.bias`] = [shape[0]];
    }
  }
  s['model.norm.weight'] = [d];
  if (!(o.tie ?? false) || o.storeLmHead) s['lm_head.weight'] = [V, d];
  return { config, shapes: s };
}

/** GPT-2: d 4, 2 heads, ff 8 (n_inner null), vocab 5, 3 positions, 2 layers; Conv1D [in, out]. */
export function tinyGpt2(prefix = 'transformer.'): TinyModel {
  const d = 4, ff = 16, V = 5, P = 3, L = 2;
  const config = { model_type: 'gpt2', n_embd: d, n_head: 2, n_layer: L, n_positions: P, n_inner: null, vocab_size: V, layer_norm_epsilon: 1e-5, activation_function: 'gelu_new', bos_token_id: 4, eos_token_id: 4 };
  const s: Shapes = { [`${prefix}wte.weight`]: [V, d], [`${prefix}wpe.weight`]: [P, d] };
  for (let i = 0; i < L; i++) {
    const p = `${prefix}h.${i}`;
    Object.assign(s, {
      [`${p}.ln_1.weight`]: [d], [`${p}.ln_1.bias`]: [d],
      [`${p}.attn.c_attn.weight`]: [d, 3 * d], [`${p}.attn.c_attn.bias`]: [3 * d],
      [`${p}.attn.c_proj.weight`]: [d, d], [`${p}.attn.c_proj.bias`]: [d],
      [`${p}.ln_2.weight`]: [d], [`${p}.ln_2.bias`]: [d],
      [`${p}.mlp.c_fc.weight`]: [d, ff], [`${p}.mlp.c_fc.bias`]: [ff],
      [`${p}.mlp.c_proj.weight`]: [ff, d], [`${p}.mlp.c_proj.bias`]: [d],
    });
  }
  Object.assign(s, { [`${prefix}ln_f.weight`]: [d], [`${prefix}ln_f.bias`]: [d] });
  return { config, shapes: s };
}

/** GPT-NeoX: d 6, 3 heads of 2, ff 10, vocab 5, 2 layers; fused qkv [3d, d] per head. */
export function tinyNeox(): TinyModel {
  const d = 6, ff = 10, V = 5, L = 2;
  const config = { model_type: 'gpt_neox', hidden_size: d, num_attention_heads: 3, num_hidden_layers: L, intermediate_size: ff, vocab_size: V, max_position_embeddings: 16, rotary_pct: 1, rotary_emb_base: 10000, layer_norm_eps: 1e-5, use_parallel_residual: true, hidden_act: 'gelu', tie_word_embeddings: false, bos_token_id: 0, eos_token_id: 0 };
  const s: Shapes = { 'gpt_neox.embed_in.weight': [V, d] };
  for (let i = 0; i < L; i++) {
    const p = `gpt_neox.layers.${i}`;
    Object.assign(s, {
      [`${p}.input_layernorm.weight`]: [d], [`${p}.input_layernorm.bias`]: [d],
      [`${p}.post_attention_layernorm.weight`]: [d], [`${p}.post_attention_layernorm.bias`]: [d],
      [`${p}.attention.query_key_value.weight`]: [3 * d, d], [`${p}.attention.query_key_value.bias`]: [3 * d],
      [`${p}.attention.dense.weight`]: [d, d], [`${p}.attention.dense.bias`]: [d],
      [`${p}.mlp.dense_h_to_4h.weight`]: [ff, d], [`${p}.mlp.dense_h_to_4h.bias`]: [ff],
      [`${p}.mlp.dense_4h_to_h.weight`]: [d, ff], [`${p}.mlp.dense_4h_to_h.bias`]: [d],
    });
  }
  Object.assign(s, { 'gpt_neox.final_layer_norm.weight': [d], 'gpt_neox.final_layer_norm.bias': [d], 'embed_out.weight': [V, d] });
  return { config, shapes: s };
}

/**
 * Gemma 3 in the image-text layout: the text model under `prefix` (`language_model.model.` before
 * transformers 4.52, `model.language_model.` after), a vision tower beside it, tied head. d 4, 2 heads,
 * 1 kv head, head_dim 4, ff 6, vocab 7, 2 layers.
 */
export function tinyGemma3Multimodal(prefix: string): TinyModel {
  const d = 4, H = 2, KV = 1, hd = 4, ff = 6, V = 7, L = 2;
  const config: Record<string, unknown> = {
    model_type: 'gemma3', torch_dtype: 'float32', bos_token_id: 2, eos_token_id: 1,
    text_config: { model_type: 'gemma3_text', hidden_size: d, num_attention_heads: H, num_key_value_heads: KV, head_dim: hd, intermediate_size: ff, vocab_size: V, num_hidden_layers: L, sliding_window: 4 },
    vision_config: { model_type: 'siglip_vision_model' },
  };
  const s: Shapes = { [`${prefix}embed_tokens.weight`]: [V, d], 'vision_tower.vision_model.post_layernorm.weight': [8] };
  for (let i = 0; i < L; i++) {
    const p = `${prefix}layers.${i}`;
    for (const n of ['input_layernorm', 'post_attention_layernorm', 'pre_feedforward_layernorm', 'post_feedforward_layernorm']) s[`${p}.${n}.weight`] = [d];
    s[`${p}.self_attn.q_proj.weight`] = [H * hd, d];
    s[`${p}.self_attn.k_proj.weight`] = [KV * hd, d];
    s[`${p}.self_attn.v_proj.weight`] = [KV * hd, d];
    s[`${p}.self_attn.o_proj.weight`] = [d, H * hd];
    s[`${p}.self_attn.q_norm.weight`] = [hd];
    s[`${p}.self_attn.k_norm.weight`] = [hd];
    s[`${p}.mlp.gate_proj.weight`] = [ff, d];
    s[`${p}.mlp.up_proj.weight`] = [ff, d];
    s[`${p}.mlp.down_proj.weight`] = [d, ff];
  }
  s[`${prefix}norm.weight`] = [d];
  return { config, shapes: s };
}
