/**
 * config.json and tensor plans of Phi-3, OLMo, OLMo2, Granite and OPT in their own dialects (the keys
 * and tensor names transformers' save_pretrained writes), with each family's quirks switched on by the
 * spec: fused projections, longrope, missing or moved norms, multipliers, learned positions with offset 2,
 * post-LN.
 */
import { headDimOf, hfDims, type ModelSpec, type MoreFamily } from './spec';

type Emit = (name: string, dims: number[], std: number, mean?: number) => void;

const ARCH: Record<MoreFamily, string> = {
  phi3: 'Phi3ForCausalLM',
  olmo: 'OlmoForCausalLM',
  olmo2: 'Olmo2ForCausalLM',
  granite: 'GraniteForCausalLM',
  opt: 'OPTForCausalLM',
};

function llamaStyle(spec: ModelSpec & { family: MoreFamily }): Record<string, unknown> {
  const c: Record<string, unknown> = {
    architectures: [ARCH[spec.family]],
    model_type: spec.family,
    ...hfDims(spec),
    max_position_embeddings: spec.maxPositions ?? 128,
    rope_theta: spec.ropeTheta ?? 10000,
    rope_scaling: spec.ropeScaling ?? null,
    hidden_act: 'silu',
    tie_word_embeddings: spec.tie ?? false,
    attention_bias: false,
    attention_dropout: 0,
  };
  if (spec.family !== 'olmo') c.rms_norm_eps = spec.family === 'granite' ? 1e-6 : 1e-5;
  if (spec.family === 'phi3') {
    Object.assign(c, { partial_rotary_factor: spec.partialRotary ?? 1, original_max_position_embeddings: spec.originalMaxPositions ?? 4096 });
    Object.assign(c, { sliding_window: spec.slidingWindow ?? null, resid_pdrop: 0, embd_pdrop: 0 });
  }
  if (spec.family === 'olmo') c.clip_qkv = spec.clipQkv ?? null;
  if (spec.family === 'granite' && spec.granite) {
    const m = spec.granite;
    Object.assign(c, { embedding_multiplier: m.embedding, residual_multiplier: m.residual, attention_multiplier: m.attention, logits_scaling: m.logits, mlp_bias: false });
  }
  return c;
}

function opt(spec: ModelSpec): Record<string, unknown> {
  return {
    architectures: [ARCH.opt],
    model_type: 'opt',
    hidden_size: spec.hidden,
    ffn_dim: spec.intermediate,
    num_hidden_layers: spec.layers,
    num_attention_heads: spec.heads,
    max_position_embeddings: spec.maxPositions ?? 128,
    word_embed_proj_dim: spec.wordEmbedProjDim ?? spec.hidden,
    do_layer_norm_before: spec.preLn ?? true,
    _remove_final_layer_norm: false,
    activation_function: 'relu',
    enable_bias: true,
    layer_norm_elementwise_affine: true,
    tie_word_embeddings: spec.tie ?? true,
    dropout: 0.1,
    attention_dropout: 0,
    pad_token_id: 1,
  };
}

export function moreConfigJson(spec: ModelSpec & { family: MoreFamily }, common: Record<string, unknown>): Record<string, unknown> {
  return { ...(spec.family === 'opt' ? opt(spec) : llamaStyle(spec)), ...common };
}

function linear(emit: Emit, name: string, out: number, inn: number, bias: boolean, gain = 1): void {
  emit(`${name}.weight`, [out, inn], gain / Math.sqrt(inn)); // [out, in]
  if (bias) emit(`${name}.bias`, [out], 0.05); // [out]
}

function norm(emit: Emit, name: string, n: number, bias: boolean): void {
  emit(`${name}.weight`, [n], 0.1, 1); // [n]
  if (bias) emit(`${name}.bias`, [n], 0.05); // [n]
}

/** Phi-3 / OLMo / OLMo2 / Granite: the Llama names, with each family's norms and fusions. */
function llamaStyleTensors(spec: ModelSpec & { family: MoreFamily }, emit: Emit): void {
  const d = spec.hidden;
  const hd = headDimOf(spec);
  const kv = spec.kvHeads ?? spec.heads;
  const ff = spec.intermediate;
  const outGain = 1 / Math.sqrt(2 * spec.layers);
  const f = spec.family;
  emit('model.embed_tokens.weight', [spec.vocab, d], spec.tie ? 0.3 : 1); // [vocab, d]
  for (let i = 0; i < spec.layers; i++) {
    const p = `model.layers.${i}.`;
    if (f === 'phi3' || f === 'granite') norm(emit, `${p}input_layernorm`, d, false);
    if (f === 'phi3') {
      linear(emit, `${p}self_attn.qkv_proj`, (spec.heads + 2 * kv) * hd, d, false, 2); // rows q | k | v
    } else {
      linear(emit, `${p}self_attn.q_proj`, spec.heads * hd, d, false, 2);
      linear(emit, `${p}self_attn.k_proj`, kv * hd, d, false, 2);
      linear(emit, `${p}self_attn.v_proj`, kv * hd, d, false);
    }
    linear(emit, `${p}self_attn.o_proj`, d, spec.heads * hd, false, outGain);
    if (f === 'olmo2') {
      norm(emit, `${p}self_attn.q_norm`, spec.heads * hd, false); // over the whole projection
      norm(emit, `${p}self_attn.k_norm`, kv * hd, false);
    }
    if (f === 'phi3' || f === 'granite' || f === 'olmo2') norm(emit, `${p}post_attention_layernorm`, d, false);
    if (f === 'phi3') {
      linear(emit, `${p}mlp.gate_up_proj`, 2 * ff, d, false); // rows gate | up
    } else {
      linear(emit, `${p}mlp.gate_proj`, ff, d, false);
      linear(emit, `${p}mlp.up_proj`, ff, d, false);
    }
    linear(emit, `${p}mlp.down_proj`, d, ff, false, outGain);
    if (f === 'olmo2') norm(emit, `${p}post_feedforward_layernorm`, d, false);
  }
  if (f !== 'olmo') norm(emit, 'model.norm', d, false);
  if (!(spec.tie ?? false)) linear(emit, 'lm_head', spec.vocab, d, false);
}

/** OPT: model.decoder.*, positions [max + 2, d], project_in/out when word_embed_proj_dim != hidden. */
function optTensors(spec: ModelSpec, emit: Emit): void {
  const d = spec.hidden;
  const e = spec.wordEmbedProjDim ?? d;
  const outGain = 1 / Math.sqrt(2 * spec.layers);
  const p0 = 'model.decoder.';
  emit(`${p0}embed_tokens.weight`, [spec.vocab, e], 0.3); // [vocab, e], tied head: keeps logits O(few)
  emit(`${p0}embed_positions.weight`, [(spec.maxPositions ?? 128) + 2, d], 0.3); // [maxPos + 2, d]
  if (e !== d) {
    linear(emit, `${p0}project_out`, e, d, false); // [e, d]
    linear(emit, `${p0}project_in`, d, e, false); // [d, e]
  }
  for (let i = 0; i < spec.layers; i++) {
    const p = `${p0}layers.${i}.`;
    linear(emit, `${p}self_attn.k_proj`, d, d, true, 2);
    linear(emit, `${p}self_attn.v_proj`, d, d, true);
    linear(emit, `${p}self_attn.q_proj`, d, d, true, 2);
    linear(emit, `${p}self_attn.out_proj`, d, d, true, outGain);
    norm(emit, `${p}self_attn_layer_norm`, d, true);
    linear(emit, `${p}fc1`, spec.intermediate, d, true);
    linear(emit, `${p}fc2`, d, spec.intermediate, true, outGain);
    norm(emit, `${p}final_layer_norm`, d, true);
  }
  if (spec.preLn ?? true) norm(emit, `${p0}final_layer_norm`, d, true);
  if (!(spec.tie ?? true)) linear(emit, 'lm_head', spec.vocab, e, false);
}

export function moreTensors(spec: ModelSpec & { family: MoreFamily }, emit: Emit): void {
  if (spec.family === 'opt') optTensors(spec, emit);
  else llamaStyleTensors(spec, emit);
}

