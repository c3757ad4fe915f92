/**
 * The reference's own reading of config.json, per family, from the Hugging Face configuration
 * classes (LlamaConfig, MistralConfig, Qwen2Config, Qwen3Config, GPT2Config, GPTNeoXConfig) and
 * modeling_rope_utils.py. Deliberately independent of the engine's normaliser.
 */
import type { RefAct } from './ops';
import { parseMoreConfig } from './configMore';
import { parseGemmaConfig } from './gemma';
import { parseStarcoder2Config } from './starcoder2';

export type RefFamily = 'llama' | 'mistral' | 'qwen2' | 'qwen3' | 'gpt2' | 'gpt_neox' | 'gemma' | 'starcoder2' | 'phi3' | 'olmo' | 'olmo2' | 'granite' | 'opt';

export interface RefConfig {
  family: RefFamily;
  d: number;
  L: number;
  H: number;
  KV: number;
  hd: number;
  ff: number;
  vocab: number;
  norm: 'rms' | 'layer';
  eps: number;
  act: RefAct;
  gated: boolean;
  learnedPositions: boolean;
  /** RoPE inverse frequencies over the first 2 * invFreq.length head dims; null without RoPE. */
  invFreq: Float64Array | null;
  /** Softmax scale per block (GPT-2's scale_attn_by_inverse_layer_idx makes it depend on the block). */
  attnScale: (block: number) => number;
  parallelResidual: boolean;
  qkNorm: boolean;
  tied: boolean;
  /** attention_bias / mlp_bias (llama family): biases are then required, not just tolerated. */
  attnBias: boolean;
  mlpBias: boolean;
  // Gemma / sliding window (absent: off)
  /** Per block: the sliding window W (query i sees keys j with i - W < j <= i) or null. */
  windows?: (number | null)[];
  /** Inverse frequencies of the windowed blocks when they differ (Gemma 3's rope_local_base_freq). */
  localInvFreq?: Float64Array;
  /** Gemma 2 attention logit soft-capping c: s -> c tanh(s / c) before the mask. */
  attnSoftcap?: number;
  /** Gemma 2 final logit soft-capping. */
  finalSoftcap?: number;
  /** The embedding multiplier (Gemma: sqrt(hidden) cast to the model dtype). */
  embedScale?: number;
  /** Gemma 2/3: post_attention_layernorm / post_feedforward_layernorm on each sublayer output. */
  postNorms?: boolean;
  /** Gemma 1/2/3: which layout of norms and names (reference/gemma.ts). */
  gemmaVersion?: 1 | 2 | 3;
  /** Phi-3, OLMo, OLMo2, Granite and OPT (configMore.ts); absent for the families above. */
  more?: RefMore;
}

/** What the later families add to the block (read by forward.ts; see configMore.ts for each family). */
export interface RefMore {
  /** OPT do_layer_norm_before = false: each norm is applied after its residual add; no final norm. */
  postLn: boolean;
  /** OLMo2: the sublayer outputs are RMSNormed before the residual add (no pre-norms). */
  postNorms: boolean;
  /** OLMo2: q_norm / k_norm over the whole projection. */
  qkNormFull: boolean;
  /** OLMo clip_qkv. */
  clipQkv: number | null;
  /** Granite. */
  embeddingMultiplier: number;
  residualMultiplier: number;
  logitsScaling: number;
  /** OPT: learned position p is row p + offset. */
  positionOffset: number;
  /** Phi-3 longrope: `invFreq` holds the short table; beyond `original` tokens `long` is used; cos/sin times mscale. */
  longrope: { original: number; long: Float64Array; mscale: number } | null;
}

export type Json = Record<string, unknown>;

export function num(c: Json, key: string, fallback?: number): number {
  const v = c[key];
  if (typeof v === 'number') return v;
  if (fallback !== undefined) return fallback;
  throw new Error(`config.json: missing number ${key}`);
}

export function bool(c: Json, key: string, fallback: boolean): boolean {
  const v = c[key];
  return typeof v === 'boolean' ? v : fallback;
}

/** modeling_rope_utils: default inv_freq, then the linear or llama3 rescaling. */
export function ropeInvFreq(theta: number, dim: number, scaling: Json | null): Float64Array {
  const inv = new Float64Array(dim / 2);
  for (let i = 0; i < dim / 2; i++) inv[i] = 1 / theta ** ((2 * i) / dim);
  const type = scaling ? (scaling.rope_type ?? scaling.type) : 'default';
  if (!scaling || type === 'default') return inv;
  if (type === 'linear') return inv.map((f) => f / num(scaling, 'factor'));
  if (type !== 'llama3') throw new Error(`reference: rope scaling ${String(type)} not implemented`);
  const factor = num(scaling, 'factor');
  const low = num(scaling, 'low_freq_factor');
  const high = num(scaling, 'high_freq_factor');
  const oldCtx = num(scaling, 'original_max_position_embeddings');
  const lowWavelen = oldCtx / low;
  const highWavelen = oldCtx / high;
  return inv.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    if (wavelen < highWavelen) return f;
    if (wavelen > lowWavelen) return f / factor;
    const smooth = (oldCtx / wavelen - low) / (high - low);
    return (1 - smooth) * (f / factor) + smooth * f;
  });
}

/** rope_theta / rope_scaling, or the newer single `rope_parameters` object. */
function ropeOf(c: Json, hd: number, rotaryFraction: number, thetaKey = 'rope_theta'): Float64Array {
  const params = (c.rope_parameters ?? null) as Json | null;
  const theta = params && typeof params.rope_theta === 'number' ? params.rope_theta : num(c, thetaKey, num(c, 'rope_theta', 10000));
  const scaling = params ?? ((c.rope_scaling ?? null) as Json | null);
  const dim = Math.floor(hd * rotaryFraction);
  return ropeInvFreq(theta, dim, scaling);
}

export function actOf(name: unknown): RefAct {
  if (name === 'silu' || name === 'swish') return 'silu';
  if (name === 'gelu_new' || name === 'gelu_pytorch_tanh' || name === 'gelu_fast') return 'gelu_new';
  if (name === 'gelu') return 'gelu';
  if (name === 'relu') return 'relu';
  throw new Error(`reference: activation ${String(name)} not implemented`);
}

function llamaLike(c: Json, family: RefFamily): RefConfig {
  const d = num(c, 'hidden_size');
  const H = num(c, 'num_attention_heads');
  const hd = typeof c.head_dim === 'number' ? c.head_dim : d / H;
  return {
    family,
    d,
    L: num(c, 'num_hidden_layers'),
    H,
    KV: num(c, 'num_key_value_heads', H),
    hd,
    ff: num(c, 'intermediate_size'),
    vocab: num(c, 'vocab_size'),
    norm: 'rms',
    eps: num(c, 'rms_norm_eps', 1e-6),
    act: actOf(c.hidden_act ?? 'silu'),
    gated: true,
    learnedPositions: false,
    invFreq: ropeOf(c, hd, num(c, 'partial_rotary_factor', 1)),
    attnScale: () => 1 / Math.sqrt(hd),
    parallelResidual: false,
    qkNorm: family === 'qwen3',
    tied: bool(c, 'tie_word_embeddings', false),
    attnBias: bool(c, 'attention_bias', false),
    mlpBias: bool(c, 'mlp_bias', false),
  };
}

function gpt2(c: Json): RefConfig {
  const d = num(c, 'n_embd');
  const H = num(c, 'n_head');
  const hd = d / H;
  const scaleWeights = bool(c, 'scale_attn_weights', true);
  const byLayer = bool(c, 'scale_attn_by_inverse_layer_idx', false);
  return {
    family: 'gpt2',
    d,
    L: num(c, 'n_layer'),
    H,
    KV: H,
    hd,
    ff: typeof c.n_inner === 'number' ? c.n_inner : 4 * d,
    vocab: num(c, 'vocab_size'),
    norm: 'layer',
    eps: num(c, 'layer_norm_epsilon', 1e-5),
    act: actOf(c.activation_function ?? 'gelu_new'),
    gated: false,
    learnedPositions: true,
    invFreq: null,
    attnScale: (block) => (scaleWeights ? 1 / Math.sqrt(hd) : 1) / (byLayer ? block + 1 : 1),
    parallelResidual: false,
    qkNorm: false,
    tied: true, // GPT2LMHeadModel always ties lm_head to wte.
    attnBias: true,
    mlpBias: true,
  };
}

function gptNeox(c: Json): RefConfig {
  const d = num(c, 'hidden_size');
  const H = num(c, 'num_attention_heads');
  const hd = d / H;
  return {
    family: 'gpt_neox',
    d,
    L: num(c, 'num_hidden_layers'),
    H,
    KV: H,
    hd,
    ff: num(c, 'intermediate_size'),
    vocab: num(c, 'vocab_size'),
    norm: 'layer',
    eps: num(c, 'layer_norm_eps', 1e-5),
    act: actOf(c.hidden_act ?? 'gelu'),
    gated: false,
    learnedPositions: false,
    invFreq: ropeOf(c, hd, num(c, 'rotary_pct', num(c, 'partial_rotary_factor', 1)), 'rotary_emb_base'),
    attnScale: () => 1 / Math.sqrt(hd),
    parallelResidual: bool(c, 'use_parallel_residual', true),
    qkNorm: false,
    tied: bool(c, 'tie_word_embeddings', false),
    attnBias: bool(c, 'attention_bias', true),
    mlpBias: true,
  };
}

/** Per-layer sliding windows of the llama-like families (MistralConfig, Qwen2Config / Qwen3Config). */
function llamaLikeWindows(c: Json, family: RefFamily, L: number): (number | null)[] | undefined {
  const size = (dflt: number | null): number | null => ('sliding_window' in c ? ((c.sliding_window as number | null) ?? null) : dflt);
  if (family === 'mistral') return Array.from({ length: L }, () => size(4096));
  if (family !== 'qwen2' && family !== 'qwen3') return undefined;
  const w = bool(c, 'use_sliding_window', false) ? size(4096) : null;
  if (Array.isArray(c.layer_types)) return (c.layer_types as string[]).map((t) => (t === 'sliding_attention' ? w : null));
  const first = num(c, 'max_window_layers', 28);
  return Array.from({ length: L }, (_, i) => (w !== null && i >= first ? w : null));
}

export function parseRefConfig(c: Json): RefConfig {
  const t = c.model_type;
  if (t === 'phi3') {
    // Phi3Model: the sliding-window causal mask on every layer when sliding_window is set.
    const r = parseMoreConfig(c, t);
    const w = (c.sliding_window as number | null | undefined) ?? null;
    return w === null ? r : { ...r, windows: Array.from({ length: r.L }, () => w) };
  }
  if (t === 'olmo' || t === 'olmo2' || t === 'granite' || t === 'opt') return parseMoreConfig(c, t);
  if (t === 'llama' || t === 'mistral' || t === 'qwen2' || t === 'qwen3') {
    const r = llamaLike(c, t);
    return { ...r, windows: llamaLikeWindows(c, t, r.L) };
  }
  if (t === 'starcoder2') return parseStarcoder2Config(c);
  if (t === 'gemma') return parseGemmaConfig(c, 1);
  if (t === 'gemma2') return parseGemmaConfig(c, 2);
  if (t === 'gemma3_text') return parseGemmaConfig(c, 3);
  if (t === 'gpt2') return gpt2(c);
  if (t === 'gpt_neox') return gptNeox(c);
  throw new Error(`reference: model_type ${String(t)} not implemented`);
}
