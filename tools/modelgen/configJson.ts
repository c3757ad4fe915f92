/** config.json in each family's real dialect (the keys transformers' save_pretrained writes). */
import type { ModelSpec } from './spec';
import { headDimOf, hfDims, isMoreFamily } from './spec';
import { moreConfigJson } from './moreFamilies';
import type { VocabLayout } from './tokenizerFiles';

const TORCH_DTYPE = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' } as const;

function common(spec: ModelSpec, v: VocabLayout): Record<string, unknown> {
  return {
    vocab_size: spec.vocab,
    bos_token_id: v.bosId,
    eos_token_id: v.eosId,
    torch_dtype: TORCH_DTYPE[spec.dtype ?? 'F32'],
    initializer_range: 0.02,
    use_cache: true,
    transformers_version: '4.46.0',
  };
}

function llamaLike(spec: ModelSpec, v: VocabLayout): Record<string, unknown> {
  const arch = { llama: 'LlamaForCausalLM', mistral: 'MistralForCausalLM', qwen2: 'Qwen2ForCausalLM', qwen3: 'Qwen3ForCausalLM' }[
    spec.family as 'llama' | 'mistral' | 'qwen2' | 'qwen3'
  ];
  const qwen = spec.family === 'qwen2' || spec.family === 'qwen3';
  const c: Record<string, unknown> = {
    architectures: [arch],
    model_type: spec.family,
    ...hfDims(spec),
    max_position_embeddings: spec.maxPositions ?? 128,
    rms_norm_eps: qwen ? 1e-6 : 1e-5,
    rope_theta: spec.ropeTheta ?? (qwen ? 1000000 : 10000),
    rope_scaling: spec.ropeScaling ?? null,
    hidden_act: 'silu',
    tie_word_embeddings: spec.tie ?? false,
    attention_dropout: 0,
  };
  if (spec.headDim !== undefined || spec.family === 'qwen3') c.head_dim = headDimOf(spec);
  if (spec.family === 'llama') Object.assign(c, { attention_bias: spec.attentionBias ?? false, mlp_bias: spec.mlpBias ?? false, pretraining_tp: 1 });
  if (spec.family === 'qwen3') c.attention_bias = false;
  if (spec.family === 'mistral') c.sliding_window = spec.slidingWindow ?? null;
  if (qwen) {
    const on = spec.slidingWindow !== undefined;
    Object.assign(c, { use_sliding_window: on, sliding_window: spec.slidingWindow ?? null, max_window_layers: spec.maxWindowLayers ?? (on ? 0 : spec.layers) });
  }
  return { ...c, ...common(spec, v) };
}

function gpt2(spec: ModelSpec, v: VocabLayout): Record<string, unknown> {
  return {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    n_embd: spec.hidden,
    n_layer: spec.layers,
    n_head: spec.heads,
    n_positions: spec.maxPositions ?? 128,
    n_ctx: spec.maxPositions ?? 128,
    n_inner: spec.intermediate === 4 * spec.hidden ? null : spec.intermediate,
    activation_function: 'gelu_new',
    layer_norm_epsilon: 1e-5,
    resid_pdrop: 0.1,
    embd_pdrop: 0.1,
    attn_pdrop: 0.1,
    scale_attn_weights: true,
    scale_attn_by_inverse_layer_idx: false,
    reorder_and_upcast_attn: false,
    summary_type: 'cls_index',
    ...common(spec, v),
  };
}

function gptNeox(spec: ModelSpec, v: VocabLayout): Record<string, unknown> {
  return {
    architectures: ['GPTNeoXForCausalLM'],
    model_type: 'gpt_neox',
    hidden_size: spec.hidden,
    intermediate_size: spec.intermediate,
    num_hidden_layers: spec.layers,
    num_attention_heads: spec.heads,
    max_position_embeddings: spec.maxPositions ?? 128,
    rotary_pct: spec.rotaryPct ?? 0.25,
    rotary_emb_base: spec.ropeTheta ?? 10000,
    layer_norm_eps: 1e-5,
    use_parallel_residual: spec.parallelResidual ?? true,
    hidden_act: 'gelu',
    attention_bias: true,
    attention_dropout: 0,
    hidden_dropout: 0,
    tie_word_embeddings: spec.tie ?? false,
    ...common(spec, v),
  };
}

/** Gemma 2/3 sliding layers: the per-layer list the pattern implies, when the spec asks for layer_types. */
function gemmaLayerTypes(spec: ModelSpec, pattern: number): string[] {
  return Array.from({ length: spec.layers }, (_, i) => ((i + 1) % pattern ? 'sliding_attention' : 'full_attention'));
}

function gemma(spec: ModelSpec, v: VocabLayout): Record<string, unknown> {
  const arch = { gemma: 'GemmaForCausalLM', gemma2: 'Gemma2ForCausalLM', gemma3_text: 'Gemma3ForCausalLM' }[spec.family as 'gemma' | 'gemma2' | 'gemma3_text'];
  const c: Record<string, unknown> = {
    architectures: [arch],
    model_type: spec.family,
    ...hfDims(spec),
    head_dim: headDimOf(spec),
    max_position_embeddings: spec.maxPositions ?? 128,
    rms_norm_eps: 1e-6,
    rope_theta: spec.ropeTheta ?? (spec.family === 'gemma3_text' ? 1000000 : 10000),
    hidden_act: 'gelu_pytorch_tanh',
    hidden_activation: 'gelu_pytorch_tanh',
    tie_word_embeddings: spec.tie ?? true,
    attention_bias: false,
    attention_dropout: 0,
  };
  if (spec.family !== 'gemma') {
    Object.assign(c, {
      query_pre_attn_scalar: spec.queryPreAttnScalar ?? 256,
      attn_logit_softcapping: spec.attnSoftcap === undefined ? (spec.family === 'gemma2' ? 50 : null) : spec.attnSoftcap,
      final_logit_softcapping: spec.finalSoftcap === undefined ? (spec.family === 'gemma2' ? 30 : null) : spec.finalSoftcap,
      sliding_window: spec.slidingWindow ?? 4096,
      cache_implementation: 'hybrid',
    });
  }
  if (spec.family === 'gemma3_text') {
    const pattern = spec.slidingWindowPattern ?? 6;
    Object.assign(c, { rope_local_base_freq: spec.ropeLocalTheta ?? 10000, rope_scaling: spec.ropeScaling ?? null });
    if (spec.layerTypes) c.layer_types = gemmaLayerTypes(spec, pattern);
    else c.sliding_window_pattern = pattern;
  }
  if (spec.family === 'gemma2' && spec.layerTypes) c.layer_types = gemmaLayerTypes(spec, 2);
  return { ...c, ...common(spec, v) };
}

function starcoder2(spec: ModelSpec, v: VocabLayout): Record<string, unknown> {
  return {
    architectures: ['Starcoder2ForCausalLM'],
    model_type: 'starcoder2',
    ...hfDims(spec),
    max_position_embeddings: spec.maxPositions ?? 128,
    norm_epsilon: 1e-5,
    rope_theta: spec.ropeTheta ?? 100000,
    hidden_act: 'gelu_pytorch_tanh',
    use_bias: true,
    sliding_window: spec.slidingWindow ?? null,
    residual_dropout: 0,
    embedding_dropout: 0,
    attention_dropout: 0,
    tie_word_embeddings: spec.tie ?? true,
    ...common(spec, v),
  };
}

/** GptOssConfig as save_pretrained writes it (gpt-oss-20b's keys), YaRN unless ropeScaling says otherwise. */
function gptOss(spec: ModelSpec, v: VocabLayout): Record<string, unknown> {
  const layerTypes = Array.from({ length: spec.layers }, (_, i) => (i % 2 === 0 ? 'sliding_attention' : 'full_attention'));
  return {
    architectures: ['GptOssForCausalLM'],
    model_type: 'gpt_oss',
    ...hfDims(spec),
    head_dim: headDimOf(spec),
    num_local_experts: spec.experts ?? 4,
    num_experts_per_tok: spec.topK ?? 2,
    experts_per_token: spec.topK ?? 2,
    max_position_embeddings: spec.maxPositions ?? 128,
    rms_norm_eps: 1e-5,
    rope_theta: spec.ropeTheta ?? 150000,
    rope_scaling: spec.ropeScaling ?? { rope_type: 'yarn', factor: 32, beta_fast: 32, beta_slow: 1, truncate: false, original_max_position_embeddings: 16 },
    sliding_window: spec.slidingWindow ?? 8,
    layer_types: layerTypes,
    attention_bias: true,
    hidden_act: 'silu',
    swiglu_limit: 7,
    tie_word_embeddings: spec.tie ?? false,
    attention_dropout: 0,
    router_aux_loss_coef: 0.9,
    output_router_logits: false,
    ...(spec.mxfp4 ? { quantization_config: { quant_method: 'mxfp4', modules_to_not_convert: ['model.layers.*.self_attn', 'model.layers.*.mlp.router', 'model.embed_tokens', 'lm_head'] } } : {}),
    ...common(spec, v),
  };
}

export function configJson(spec: ModelSpec, v: VocabLayout): Record<string, unknown> {
  if (spec.family === 'gemma' || spec.family === 'gemma2' || spec.family === 'gemma3_text') return gemma(spec, v);
  if (spec.family === 'starcoder2') return starcoder2(spec, v);
  if (spec.family === 'gpt_oss') return gptOss(spec, v);
  if (spec.family === 'gpt2') return gpt2(spec, v);
  if (spec.family === 'gpt_neox') return gptNeox(spec, v);
  if (isMoreFamily(spec.family)) return moreConfigJson({ ...spec, family: spec.family }, common(spec, v));
  return llamaLike(spec, v);
}
