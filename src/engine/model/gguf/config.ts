/**
 * GGUF metadata → a config.json-shaped object in the Hugging Face dialect of the family, which
 * the registry's adapter normalises like any config.json (`{arch}.embedding_length` →
 * `hidden_size`, …). Only architectures whose GGUF layout SinkLens maps are accepted.
 */
import { basename } from 'node:path';
import { SinkLensError } from '../../../shared/errors';
import type { RawConfig } from '../../arch/adapter';
import { familyConfig, type TensorReader } from './familyConfig';
import { metaNum, metaStr, type GgufFile, type GgufValue } from './reader';

/** GGUF `general.architecture` → HF `model_type`, for the layouts names.ts maps. */
const ARCH_TO_MODEL_TYPE: Readonly<Record<string, string>> = {
  llama: 'llama',
  qwen2: 'qwen2',
  qwen3: 'qwen3',
  gemma: 'gemma',
  gemma2: 'gemma2',
  gemma3: 'gemma3_text',
  phi3: 'phi3',
};

export function ggufArchitectures(): string[] {
  return Object.keys(ARCH_TO_MODEL_TYPE);
}

export function ggufArch(f: GgufFile): { arch: string; modelType: string } {
  const arch = metaStr(f.metadata, 'general.architecture');
  const modelType = arch === undefined ? undefined : ARCH_TO_MODEL_TYPE[arch];
  if (arch === undefined || modelType === undefined) {
    throw new SinkLensError(
      'unsupportedArch',
      `${basename(f.path)}: SinkLens does not read GGUF architecture ${JSON.stringify(arch ?? null)}. Supported GGUF architectures: ${ggufArchitectures().join(', ')}.`,
      'Other families can be analysed from their Hugging Face safetensors folder where SinkLens supports them.',
    );
  }
  return { arch, modelType };
}

function required(f: GgufFile, key: string): number {
  const v = metaNum(f.metadata, key);
  if (v === undefined) {
    const got = f.metadata.get(key);
    throw new SinkLensError('badConfig', `${basename(f.path)}: GGUF metadata ${key} is ${got === undefined ? 'missing' : 'not a single number'}.`, `File: ${f.path}.`);
  }
  return v;
}

/**
 * The llama3 rope_scaling whose per-dimension factors llama.cpp stored as `rope_freqs` (it keeps no
 * metadata for them): factor = the largest divisor, low/high frequency factors 1 and 4 (every
 * released llama3 config), the original context from metadata, else solved from an interpolated
 * dimension, else 8192. Checked against every stored factor; anything else is refused.
 */
export function llama3RopeScaling(freqs: Float32Array, headDim: number, theta: number, originalMax: number | undefined): RawConfig {
  const factor = Math.max(...freqs);
  const orig = originalMax ?? solveOriginal(freqs, headDim, theta, factor) ?? 8192;
  const candidate = { rope_type: 'llama3', factor, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: orig };
  const ok = [...freqs].every((got, i) => Math.abs(got - llama3Divisor(i, headDim, theta, candidate)) <= 1e-3 * got);
  if (!ok) {
    throw new SinkLensError('unsupportedArch', 'The GGUF file stores RoPE frequency factors (rope_freqs) that are not the standard llama3 scaling; SinkLens cannot reproduce them.');
  }
  return candidate;
}

/** From a dimension strictly between "kept" and "divided": 1/div = (1 − s)/factor + s, s = (orig/wavelen − 1)/3. */
function solveOriginal(freqs: Float32Array, headDim: number, theta: number, factor: number): number | undefined {
  const i = freqs.findIndex((f) => f > 1 + 1e-4 && f < factor - 1e-4);
  if (i < 0 || factor <= 1) return undefined;
  const smooth = (1 / (freqs[i] as number) - 1 / factor) / (1 - 1 / factor);
  const wavelen = 2 * Math.PI * theta ** ((2 * i) / headDim);
  return Math.round(wavelen * (3 * smooth + 1));
}

/** HF's llama3 frequency adjustment, as the divisor llama.cpp stores: inv_freq / new_inv_freq. */
function llama3Divisor(i: number, headDim: number, theta: number, s: { factor: number; low_freq_factor: number; high_freq_factor: number; original_max_position_embeddings: number }): number {
  const invFreq = 1 / theta ** ((2 * i) / headDim);
  const wavelen = (2 * Math.PI) / invFreq;
  const lowWave = s.original_max_position_embeddings / s.low_freq_factor;
  const highWave = s.original_max_position_embeddings / s.high_freq_factor;
  if (wavelen < highWave) return 1;
  if (wavelen > lowWave) return s.factor;
  const smooth = (s.original_max_position_embeddings / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
  return 1 / ((1 - smooth) / s.factor + smooth);
}

function ropeScaling(f: GgufFile, a: string, headDim: number, theta: number, ropeFreqs: Float32Array | null): RawConfig | undefined {
  if (ropeFreqs) return llama3RopeScaling(ropeFreqs, headDim, theta, metaNum(f.metadata, `${a}.rope.scaling.original_context_length`));
  const type = metaStr(f.metadata, `${a}.rope.scaling.type`);
  if (type === undefined || type === 'none') return undefined;
  // Passed on as is: the adapter accepts linear and refuses the types it does not implement (yarn).
  return { rope_type: type, factor: metaNum(f.metadata, `${a}.rope.scaling.factor`) ?? 1 };
}

/** The embedding's rows (ggml dims [d, vocab]), else `{arch}.vocab_size`, else the token count. */
function vocabSize(f: GgufFile, a: string): number | undefined {
  const embd = f.tensors.find((t) => t.name === 'token_embd.weight');
  if (embd?.dims.length === 2) return embd.dims[1];
  const t = f.metadata.get('tokenizer.ggml.tokens') as GgufValue[] | undefined;
  return metaNum(f.metadata, `${a}.vocab_size`) ?? (Array.isArray(t) ? t.length : undefined);
}

/**
 * The config.json equivalent of a GGUF file. `tensor` reads the small tensors that hold config
 * (llama3's `rope_freqs`, phi3's `rope_factors_*`), null when absent.
 */
export function ggufRawConfig(f: GgufFile, tensor: TensorReader): RawConfig {
  const { arch: a, modelType } = ggufArch(f);
  const m = f.metadata;
  const hidden = required(f, `${a}.embedding_length`);
  const heads = required(f, `${a}.attention.head_count`);
  const headDim = metaNum(m, `${a}.attention.key_length`) ?? hidden / heads;
  const theta = metaNum(m, `${a}.rope.freq_base`) ?? 10000;
  const rope = ropeScaling(f, a, headDim, theta, tensor('rope_freqs.weight'));
  const raw: RawConfig = {
    model_type: modelType,
    hidden_size: hidden,
    num_hidden_layers: required(f, `${a}.block_count`),
    num_attention_heads: heads,
    num_key_value_heads: metaNum(m, `${a}.attention.head_count_kv`) ?? heads,
    head_dim: headDim,
    intermediate_size: required(f, `${a}.feed_forward_length`),
    vocab_size: vocabSize(f, a),
    max_position_embeddings: metaNum(m, `${a}.context_length`) ?? 2048,
    rms_norm_eps: metaNum(m, `${a}.attention.layer_norm_rms_epsilon`) ?? 1e-6,
    rope_theta: theta,
    tie_word_embeddings: !f.tensors.some((t) => t.name === 'output.weight'),
    bos_token_id: metaNum(m, 'tokenizer.ggml.bos_token_id') ?? null,
    eos_token_id: metaNum(m, 'tokenizer.ggml.eos_token_id') ?? null,
  };
  if (rope) raw['rope_scaling'] = rope;
  const rotary = metaNum(m, `${a}.rope.dimension_count`);
  const family = familyConfig(f, a, raw, rotary, tensor);
  if (family) return { ...raw, ...family };
  if (rotary !== undefined && rotary !== headDim) {
    throw new SinkLensError('unsupportedArch', `${basename(f.path)}: partial rotary embeddings (${rotary} of ${headDim} dims) are not supported for GGUF ${a}.`);
  }
  return raw;
}

/** `general.name`, else the file name without `.gguf`. */
export function ggufDisplayName(f: GgufFile, fallback: string): string {
  return metaStr(f.metadata, 'general.name') ?? fallback;
}
