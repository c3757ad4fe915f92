/**
 * The reference's reading of the Gemma family (GemmaConfig, Gemma2Config, Gemma3TextConfig and their
 * modeling files) and of Starcoder2, kept apart from the older families. Written from transformers:
 * - GemmaRMSNorm: x / sqrt(mean(x^2) + eps) * (1 + w); the weights are widened and 1 added here.
 * - The embedding is multiplied by sqrt(hidden_size) cast to the model dtype (torch_dtype).
 * - Gemma 2: scaling = query_pre_attn_scalar^-0.5, soft-capping (attention 50, final 30 by default),
 *   sliding window on layers with (i + 1) % 2 != 0; post-norms on both sublayer outputs.
 * - Gemma 3: q_norm / k_norm, sliding layers (i + 1) % sliding_window_pattern != 0, whose RoPE uses
 *   rope_local_base_freq and the default rope type; global layers use rope_theta and rope_scaling.
 */
import type { RefConfig } from './config';
import { ropeInvFreq } from './config';
import type { RefAct } from './ops';

type Json = Record<string, unknown>;

function numOr(c: Json, key: string, dflt: number): number {
  const v = c[key];
  return typeof v === 'number' ? v : dflt;
}

/** A field that may be explicitly null (off) or absent (the default). */
function nullable(c: Json, key: string, dflt: number | null): number | null {
  if (!(key in c)) return dflt;
  const v = c[key];
  return typeof v === 'number' ? v : null;
}

/** float64 -> float32 -> bfloat16 by round-to-nearest-even on the bit pattern. */
function bf16(x: number): number {
  const buf = new DataView(new ArrayBuffer(4));
  buf.setFloat32(0, x);
  const bits = buf.getUint32(0);
  const lsb = (bits >>> 16) & 1;
  buf.setUint32(0, (((bits + 0x7fff + lsb) >>> 16) << 16) >>> 0);
  return buf.getFloat32(0);
}

/** float64 -> IEEE half by rounding the significand to 10 bits (ties to even), for normal values. */
function fp16(x: number): number {
  const e = Math.floor(Math.log2(x));
  const step = 2 ** (e - 10);
  const q = x / step;
  const fl = Math.floor(q);
  const r = q - fl > 0.5 || (q - fl === 0.5 && fl % 2 === 1) ? fl + 1 : fl;
  return r * step;
}

/** GemmaModel's normaliser: torch.tensor(hidden_size ** 0.5, dtype=model dtype). */
export function gemmaEmbedScale(c: Json, d: number): number {
  const dtype = c.torch_dtype ?? c.dtype;
  const s = Math.sqrt(d);
  if (dtype === 'bfloat16') return bf16(s);
  if (dtype === 'float16') return fp16(s);
  return Math.fround(s);
}

/** hidden_activation (Gemma 2/3, and Gemma 1's corrected key); Gemma 1 without it: hidden_act. */
function act(c: Json, version: number): RefAct {
  const a = c.hidden_activation ?? (version === 1 ? c.hidden_act : undefined) ?? 'gelu_pytorch_tanh';
  if (a === 'gelu_pytorch_tanh' || a === 'gelu_new') return 'gelu_new';
  if (a === 'gelu') return 'gelu';
  throw new Error(`reference: gemma activation ${String(a)} not implemented`);
}

function windowsOf(c: Json, L: number, version: number): (number | null)[] | undefined {
  if (version === 1) return undefined;
  const w = nullable(c, 'sliding_window', 4096);
  if (Array.isArray(c.layer_types)) return (c.layer_types as string[]).map((t) => (t === 'sliding_attention' ? w : null));
  if (w === null) return undefined;
  const pattern = version === 2 ? 2 : numOr(c, 'sliding_window_pattern', 6);
  return Array.from({ length: L }, (_, i) => ((i + 1) % pattern ? w : null));
}

export function parseGemmaConfig(c: Json, version: 1 | 2 | 3): RefConfig {
  const d = numOr(c, 'hidden_size', 2304);
  const H = numOr(c, 'num_attention_heads', 8);
  const hd = numOr(c, 'head_dim', 256);
  const L = numOr(c, 'num_hidden_layers', 26);
  const scalar = version === 1 ? hd : numOr(c, 'query_pre_attn_scalar', 256);
  const globalTheta = numOr(c, 'rope_theta', version === 3 ? 1e6 : 1e4);
  const windows = windowsOf(c, L, version);
  const attnCap = version === 1 ? null : nullable(c, 'attn_logit_softcapping', version === 2 ? 50 : null);
  const finalCap = version === 1 ? null : nullable(c, 'final_logit_softcapping', version === 2 ? 30 : null);
  return {
    family: 'gemma',
    d,
    L,
    H,
    KV: numOr(c, 'num_key_value_heads', version === 3 ? 4 : H),
    hd,
    ff: numOr(c, 'intermediate_size', 9216),
    vocab: numOr(c, 'vocab_size', 262208),
    norm: 'rms',
    eps: numOr(c, 'rms_norm_eps', 1e-6),
    act: act(c, version),
    gated: true,
    learnedPositions: false,
    invFreq: ropeInvFreq(globalTheta, hd, (c.rope_scaling ?? null) as Json | null),
    attnScale: () => scalar ** -0.5,
    parallelResidual: false,
    qkNorm: version === 3,
    tied: typeof c.tie_word_embeddings === 'boolean' ? c.tie_word_embeddings : true,
    attnBias: false,
    mlpBias: false,
    ...(windows ? { windows } : {}),
    ...(version === 3 ? { localInvFreq: ropeInvFreq(numOr(c, 'rope_local_base_freq', 1e4), hd, null) } : {}),
    ...(attnCap !== null ? { attnSoftcap: attnCap } : {}),
    ...(finalCap !== null ? { finalSoftcap: finalCap } : {}),
    embedScale: gemmaEmbedScale(c, d),
    postNorms: version !== 1,
    gemmaVersion: version,
  };
}
