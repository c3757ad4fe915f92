/**
 * The Gemma config dialects (GemmaConfig, Gemma2Config, Gemma3TextConfig in transformers) -> CanonicalConfig.
 * - h[0] = embed * sqrt(hidden), the normaliser cast to the model dtype first (bf16 checkpoints: sqrt(d)
 *   rounded to bfloat16), as GemmaModel / Gemma3TextScaledWordEmbedding do.
 * - Gemma 2: attention scale query_pre_attn_scalar^-0.5, attention and final logit soft-capping
 *   (defaults 50 and 30), sliding window on layers 0, 2, 4, ... (`layer_types` when given).
 * - Gemma 3: q/k norms, 5 local : 1 global (`sliding_window_pattern` 6, or `layer_types`), local RoPE base
 *   `rope_local_base_freq` (no scaling) on windowed layers, `rope_theta` + `rope_scaling` on global ones.
 *   A `gemma3` (multimodal) config is read through its `text_config`.
 */
import { SinkLensError } from '../../shared/errors';
import type { CanonicalConfig } from './types';
import type { RawConfig } from './adapter';
import { activation, optBool, optNum, posInt, ropeScaling, ropeTheta, tokenId } from './configFields';
import { layerTypesWindows } from './windows';

export type GemmaVersion = 1 | 2 | 3;

/** Rounds a float64 to float32 and then to bfloat16 (round to nearest even), as torch's .to(bfloat16) does. */
export function toBfloat16(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer);
  const bits = u[0] as number;
  u[0] = ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) << 16;
  return f[0] as number;
}

/** Rounds to IEEE half precision (round to nearest even; normal range only, which sqrt(d) always is). */
export function toFloat16(x: number): number {
  const e = Math.floor(Math.log2(Math.abs(x)));
  const ulp = 2 ** (e - 10);
  const q = x / ulp;
  const r = Math.round(q);
  const even = Math.abs(q - Math.trunc(q)) === 0.5 && r % 2 !== 0 ? r - Math.sign(q) : r;
  return even * ulp;
}

/** sqrt(hidden) in the dtype the checkpoint runs in (config.json `torch_dtype`, or v5's `dtype`). */
export function embedScale(raw: RawConfig, hidden: number): number {
  const dtype = raw['torch_dtype'] ?? raw['dtype'];
  const s = Math.sqrt(hidden);
  if (dtype === 'bfloat16') return toBfloat16(s);
  if (dtype === 'float16') return toFloat16(s);
  return Math.fround(s);
}

/** A `gemma3` (image-text) config's text model, with the top-level dtype and special ids it inherits. */
export function gemma3TextConfig(raw: RawConfig, name: string): RawConfig {
  const text = raw['text_config'];
  if (!text || typeof text !== 'object') {
    throw new SinkLensError('unsupportedArch', `${name} is a gemma3 config without a text_config, so SinkLens cannot find its language model.`, 'Use the text-only checkpoint (model_type gemma3_text) or a gemma3 config.json with text_config.');
  }
  const t = text as RawConfig;
  return { torch_dtype: raw['torch_dtype'] ?? raw['dtype'], bos_token_id: raw['bos_token_id'], eos_token_id: raw['eos_token_id'], ...t, model_type: 'gemma3' };
}

/** Gemma 2: even layers slide; Gemma 3: every `sliding_window_pattern`-th layer (1-based) is global. */
function gemmaWindows(raw: RawConfig, name: string, v: GemmaVersion, layers: number): (number | null)[] | undefined {
  if (v === 1) return undefined;
  const w = 'sliding_window' in raw ? optNum(raw, name, 'sliding_window') : 4096;
  const explicit = layerTypesWindows(raw, name, layers, w);
  if (explicit) return explicit;
  if (w === null) return undefined;
  const pattern = v === 2 ? 2 : (optNum(raw, name, 'sliding_window_pattern', '_sliding_window_pattern') ?? 6);
  return Array.from({ length: layers }, (_, i) => ((i + 1) % pattern !== 0 ? w : null));
}

/**
 * Gemma 2/3 read `hidden_activation`. Gemma 1's MLP reads `hidden_act` in current transformers, but its
 * checkpoints shipped `hidden_act: "gelu"` beside the corrected `hidden_activation: "gelu_pytorch_tanh"`
 * (the model was trained with tanh GELU): the explicit `hidden_activation` wins when present.
 */
function actKey(raw: RawConfig, v: GemmaVersion): string {
  return v === 1 && (raw['hidden_activation'] === undefined || raw['hidden_activation'] === null) ? 'hidden_act' : 'hidden_activation';
}

/** A soft-cap field: absent = the family default, null = off. */
function softcap(raw: RawConfig, name: string, key: string, dflt: number | null): number | null {
  return key in raw ? optNum(raw, name, key) : dflt;
}

/** Gemma 3 RoPE: v4 keys, or v5 `rope_parameters` keyed by layer type. */
function gemma3Rope(raw: RawConfig, name: string, hd: number): Pick<CanonicalConfig, 'rope' | 'ropeLocal'> {
  const params = raw['rope_parameters'] as RawConfig | null | undefined;
  if (params && typeof params === 'object' && ('full_attention' in params || 'sliding_attention' in params)) {
    const full = (params['full_attention'] ?? {}) as RawConfig;
    const local = (params['sliding_attention'] ?? {}) as RawConfig;
    return {
      rope: { theta: optNum(full, name, 'rope_theta') ?? 1e6, rotaryDim: hd, scaling: ropeScaling({ rope_scaling: full }, name) },
      ropeLocal: { theta: optNum(local, name, 'rope_theta') ?? 1e4, rotaryDim: hd, scaling: ropeScaling({ rope_scaling: local }, name) },
    };
  }
  return {
    rope: { theta: optNum(raw, name, 'rope_theta') ?? 1e6, rotaryDim: hd, scaling: ropeScaling(raw, name) },
    ropeLocal: { theta: optNum(raw, name, 'rope_local_base_freq') ?? 1e4, rotaryDim: hd, scaling: null },
  };
}

export function gemmaConfig(input: RawConfig, name: string, v: GemmaVersion): CanonicalConfig {
  const raw = v === 3 && input['model_type'] === 'gemma3' ? gemma3TextConfig(input, name) : input;
  const g3 = v === 3;
  // Gemma3TextConfig's defaults stand in for keys a multimodal text_config omits.
  const int = (key: string, dflt: number): number => ((key in raw) ? posInt(raw, name, key) : dflt);
  const hiddenSize = g3 ? int('hidden_size', 2304) : posInt(raw, name, 'hidden_size');
  const numLayers = g3 ? int('num_hidden_layers', 26) : posInt(raw, name, 'num_hidden_layers');
  const numHeads = g3 ? int('num_attention_heads', 8) : posInt(raw, name, 'num_attention_heads');
  const numKvHeads = optNum(raw, name, 'num_key_value_heads') ?? (g3 ? 4 : numHeads);
  const headDim = optNum(raw, name, 'head_dim') ?? 256;
  if (optBool(raw, 'attention_bias', false)) throw new SinkLensError('unsupportedArch', `${name} sets attention_bias, which no Gemma checkpoint uses and SinkLens does not map.`);
  const windows = gemmaWindows(raw, name, v, numLayers);
  const rope = g3 ? gemma3Rope(raw, name, headDim) : { rope: { theta: ropeTheta(raw, name, 10000), rotaryDim: headDim, scaling: ropeScaling(raw, name) } };
  const qpas = v === 1 ? headDim : (optNum(raw, name, 'query_pre_attn_scalar') ?? 256);
  return {
    arch: `gemma${v === 1 ? '' : v}`,
    modelType: String(input['model_type']),
    hiddenSize,
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    intermediateSize: g3 ? int('intermediate_size', 9216) : posInt(raw, name, 'intermediate_size'),
    vocabSize: g3 ? int('vocab_size', 262208) : posInt(raw, name, 'vocab_size'),
    maxPositions: optNum(raw, name, 'max_position_embeddings') ?? (g3 ? 131072 : 8192),
    norm: 'rms',
    normEps: optNum(raw, name, 'rms_norm_eps') ?? 1e-6,
    act: activation(raw, name, actKey(raw, v), 'gelu_pytorch_tanh'),
    gatedMlp: true,
    position: 'rope',
    rope: rope.rope,
    attnScale: 1 / Math.sqrt(qpas),
    parallelResidual: false,
    qkNorm: g3,
    tieWordEmbeddings: optBool(raw, 'tie_word_embeddings', true),
    bosTokenId: tokenId(raw['bos_token_id']),
    eosTokenId: tokenId(raw['eos_token_id']),
    name,
    ...(windows ? { layerWindows: windows } : {}),
    ...(g3 && windows ? { ropeLocal: rope.ropeLocal } : {}),
    embedScale: embedScale(raw, hiddenSize),
    attnSoftcap: v === 1 ? null : softcap(raw, name, 'attn_logit_softcapping', v === 2 ? 50 : null),
    finalSoftcap: v === 1 ? null : softcap(raw, name, 'final_logit_softcapping', v === 2 ? 30 : null),
  };
}
