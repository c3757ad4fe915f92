/** config.json in each family's real dialect (the keys transformers' save_pretrained writes). */
import type { ModelSpec } from './spec';
import { headDimOf } from './spec';
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
    hidden_size: spec.hidden,
    intermediate_size: spec.intermediate,
    num_hidden_layers: spec.layers,
    num_attention_heads: spec.heads,
    num_key_value_heads: spec.kvHeads ?? spec.heads,
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
  if (spec.family === 'mistral') c.sliding_window = null;
  if (qwen) Object.assign(c, { use_sliding_window: false, sliding_window: null, max_window_layers: spec.layers });
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

/** GptOssConfig as save_pretrained writes it (gpt-oss-20b's keys), YaRN unless ropeScaling says otherwise. */
function gptOss(spec: ModelSpec, v: VocabLayout): Record<string, unknown> {
  const layerTypes = Array.from({ length: spec.layers }, (_, i) => (i % 2 === 0 ? 'sliding_attention' : 'full_attention'));
  return {
    architectures: ['GptOssForCausalLM'],
    model_type: 'gpt_oss',
    hidden_size: spec.hidden,
    intermediate_size: spec.intermediate,
    num_hidden_layers: spec.layers,
    num_attention_heads: spec.heads,
    num_key_value_heads: spec.kvHeads ?? spec.heads,
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
  if (spec.family === 'gpt_oss') return gptOss(spec, v);
  if (spec.family === 'gpt2') return gpt2(spec, v);
  if (spec.family === 'gpt_neox') return gptNeox(spec, v);
  return llamaLike(spec, v);
}
