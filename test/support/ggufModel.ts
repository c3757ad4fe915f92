/**
 * Turns a Hugging Face model folder (the fixtures, generated llama/mistral/qwen2/qwen3/gemma/phi3 models)
 * into a GGUF file the way llama.cpp's converter lays it out: `{arch}.*` metadata from
 * config.json, `blk.N.*` tensor names, llama's q/k rows permuted for its interleaved rope, llama3
 * rope scaling as a `rope_freqs` tensor, and the tokenizer as `tokenizer.ggml.*` (SentencePiece
 * style with scores for byte-fallback BPE tokenizers, gpt2 style with merges for byte-level ones).
 * Gemma and Phi-3 differences are in ggufFamilies.ts. Matrices are stored as `quant` (norms and biases F32), with llama.cpp's fallback to Q8_0 / F16
 * where a row is not a whole number of blocks.
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { meta, QUANT_LAYOUT, writeGguf, type GgufMeta, type GgufTensorOut, type GgufTensorType } from '../../tools/modelgen';
import { convertTensor, dropsTensor, FAMILY_ARCH, FAMILY_BLOCK_NAMES, familyExtraTensors, familyMetadata } from './ggufFamilies';
import { readSafetensorsDir } from './reference/safetensors';

type Json = Record<string, unknown>;

const HF_TO_GGUF_BLOCK: Readonly<Record<string, string>> = {
  input_layernorm: 'attn_norm', 'self_attn.q_proj': 'attn_q', 'self_attn.k_proj': 'attn_k', 'self_attn.v_proj': 'attn_v',
  'self_attn.o_proj': 'attn_output', 'self_attn.q_norm': 'attn_q_norm', 'self_attn.k_norm': 'attn_k_norm',
  post_attention_layernorm: 'ffn_norm', 'mlp.gate_proj': 'ffn_gate', 'mlp.up_proj': 'ffn_up', 'mlp.down_proj': 'ffn_down',
};
const HF_TO_GGUF_GLOBAL: Readonly<Record<string, string>> = { 'model.embed_tokens.weight': 'token_embd.weight', 'model.norm.weight': 'output_norm.weight', 'lm_head.weight': 'output.weight' };

function ggufName(hf: string, arch: string): string {
  const g = HF_TO_GGUF_GLOBAL[hf];
  if (g) return g;
  const m = /^model\.layers\.(\d+)\.(.+)\.(weight|bias)$/.exec(hf);
  const part = m ? (FAMILY_BLOCK_NAMES[arch]?.[m[2] as string] ?? HF_TO_GGUF_BLOCK[m[2] as string]) : undefined;
  if (!m || !part) throw new Error(`no GGUF name for ${hf}`);
  return `blk.${m[1]}.${part}.${m[3]}`;
}

/** llama.cpp's `permute`: reshape(heads, 2, hd/2, cols).swapaxes(1, 2). */
function permute(x: Float32Array, heads: number, cols: number): Float32Array {
  const hd = x.length / cols / heads;
  const out = new Float32Array(x.length);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < hd / 2; i++) {
      for (let s = 0; s < 2; s++) {
        const from = (h * hd + s * (hd / 2) + i) * cols;
        out.set(x.subarray(from, from + cols), (h * hd + 2 * i + s) * cols);
      }
    }
  }
  return out;
}

/** llama.cpp's llama3 `rope_freqs`: the divisor of each rotary frequency. */
function llama3RopeFreqs(c: Json, dim: number): Float32Array {
  const rs = c['rope_scaling'] as Json;
  const theta = Number(c['rope_theta'] ?? 10000);
  const factor = Number(rs['factor']);
  const low = Number(rs['low_freq_factor']);
  const high = Number(rs['high_freq_factor']);
  const old = Number(rs['original_max_position_embeddings']);
  return Float32Array.from({ length: dim / 2 }, (_, k) => {
    const wavelen = (2 * Math.PI) / (1 / theta ** ((2 * k) / dim));
    if (wavelen < old / high) return 1;
    if (wavelen > old / low) return factor;
    const smooth = (old / wavelen - low) / (high - low);
    return 1 / ((1 - smooth) / factor + smooth);
  });
}

export interface GgufOptions {
  /** Storage of the matrices; default F32. */
  quant?: GgufTensorType;
  /** Write this tokenizer.json (and config) instead of the folder's. */
  tokenizer?: { json: Json; config: Json };
  /** Or these `tokenizer.ggml.*` pairs as they are. */
  tokenizerMeta?: Record<string, GgufMeta>;
}

export interface WrittenGguf {
  path: string;
  bytes: number;
  /** The type each tensor was stored in (fallbacks included), by GGUF name. */
  types: Record<string, string>;
}

function storageType(want: GgufTensorType, rowLength: number): GgufTensorType {
  if (want === 'F32' || want === 'F16' || want === 'BF16') return want;
  if (rowLength % QUANT_LAYOUT[want].block === 0) return want;
  return rowLength % 32 === 0 ? 'Q8_0' : 'F16';
}

function modelMetadata(c: Json, arch: string, name: string): Record<string, GgufMeta> {
  const hidden = Number(c['hidden_size']);
  const heads = Number(c['num_attention_heads']);
  const headDim = Number(c['head_dim'] ?? hidden / heads);
  const m: Record<string, GgufMeta> = {
    'general.architecture': meta.str(arch),
    'general.name': meta.str(name),
    [`${arch}.context_length`]: meta.u32(Number(c['max_position_embeddings'] ?? 2048)),
    [`${arch}.embedding_length`]: meta.u32(hidden),
    [`${arch}.block_count`]: meta.u32(Number(c['num_hidden_layers'])),
    [`${arch}.feed_forward_length`]: meta.u32(Number(c['intermediate_size'])),
    [`${arch}.attention.head_count`]: meta.u32(heads),
    [`${arch}.attention.head_count_kv`]: meta.u32(Number(c['num_key_value_heads'] ?? heads)),
    [`${arch}.attention.layer_norm_rms_epsilon`]: meta.f32(Number(c['rms_norm_eps'] ?? 1e-6)),
    [`${arch}.rope.freq_base`]: meta.f32(Number(c['rope_theta'] ?? 10000)),
    [`${arch}.rope.dimension_count`]: meta.u32(headDim),
    [`${arch}.attention.key_length`]: meta.u32(headDim),
    [`${arch}.attention.value_length`]: meta.u32(headDim),
    [`${arch}.vocab_size`]: meta.u32(Number(c['vocab_size'])),
  };
  const rs = c['rope_scaling'] as Json | null | undefined;
  const type = rs?.['rope_type'] ?? rs?.['type'];
  if (rs && type === 'linear') {
    m[`${arch}.rope.scaling.type`] = meta.str('linear');
    m[`${arch}.rope.scaling.factor`] = meta.f32(Number(rs['factor']));
  }
  return m;
}

export function writeGgufModel(dir: string, out: string, opts: GgufOptions = {}): WrittenGguf {
  const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Json;
  const modelType = String(c['model_type']);
  const arch = modelType === 'mistral' ? 'llama' : (FAMILY_ARCH[modelType] ?? modelType);
  if (!['llama', 'qwen2', 'qwen3', 'gemma', 'gemma2', 'gemma3', 'phi3'].includes(arch)) throw new Error(`writeGgufModel: ${modelType} has no GGUF layout here`);
  const tok = opts.tokenizer ?? (opts.tokenizerMeta ? null : {
    json: JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as Json,
    config: JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')) as Json,
  });
  const heads = Number(c['num_attention_heads']);
  const kvHeads = Number(c['num_key_value_heads'] ?? heads);
  const headDim = Number(c['head_dim'] ?? Number(c['hidden_size']) / heads);
  const tied = c['tie_word_embeddings'] === true || (c['tie_word_embeddings'] === undefined && (arch === 'qwen2' || arch.startsWith('gemma')));
  const tensors: GgufTensorOut[] = [];
  const types: Record<string, string> = {};
  for (const [hf, t] of readSafetensorsDir(dir)) {
    if ((tied && hf === 'lm_head.weight') || dropsTensor(arch, hf)) continue;
    const name = ggufName(hf, arch);
    let data = convertTensor(arch, hf, t.data, c);
    const cols = t.dims.length === 2 ? (t.dims[1] as number) : 1;
    const qk = /self_attn\.([qk])_proj/.exec(hf);
    if (arch === 'llama' && qk) data = permute(data, qk[1] === 'q' ? heads : kvHeads, cols);
    const type = t.dims.length === 2 ? storageType(opts.quant ?? 'F32', cols) : 'F32';
    types[name] = type;
    tensors.push({ name, shape: t.dims, type, data });
  }
  const rs = c['rope_scaling'] as Json | null | undefined;
  if (rs && (rs['rope_type'] ?? rs['type']) === 'llama3') tensors.push({ name: 'rope_freqs.weight', shape: [headDim / 2], type: 'F32', data: llama3RopeFreqs(c, headDim) });
  tensors.push(...familyExtraTensors(arch, c));
  const vocab = tok ? tokenizerMetadata(tok.json, tok.config, c) : opts.tokenizerMeta;
  const metadata = familyMetadata(arch, c, { ...modelMetadata(c, arch, String(c['_name_or_path'] ?? basename(dir))), ...vocab });
  return { path: out, bytes: writeGguf(out, metadata, tensors), types };
}

/** `tokenizer.ggml.*` from a tokenizer.json (+ tokenizer_config.json), as llama.cpp's converter writes them. */
export function tokenizerMetadata(tj: Json, tc: Json, c: Json): Record<string, GgufMeta> {
  const model = tj['model'] as Json;
  const vocab = model['vocab'] as Record<string, number>;
  const tokens: string[] = [];
  for (const [t, id] of Object.entries(vocab)) tokens[id] = t;
  const added = (tj['added_tokens'] as { id: number; content: string; special: boolean }[] | undefined) ?? [];
  for (const a of added) tokens[a.id] = a.content;
  const specials = new Map(added.map((a) => [a.id, a.special]));
  const unk = typeof model['unk_token'] === 'string' ? vocab[model['unk_token']] : undefined;
  const byteLevel = JSON.stringify(tj['pre_tokenizer'] ?? null).includes('ByteLevel');
  const types = tokens.map((t, id) => (id === unk ? 2 : specials.get(id) === true ? 3 : specials.get(id) === false ? 4 : /^<0x[0-9A-F]{2}>$/.test(t) && !byteLevel ? 6 : 1));
  const merges = (model['merges'] as (string | [string, string])[] | undefined ?? []).map((m) => (typeof m === 'string' ? m : `${m[0]} ${m[1]}`));
  const m: Record<string, GgufMeta> = {
    'tokenizer.ggml.tokens': meta.arr('string', tokens),
    'tokenizer.ggml.token_type': meta.arr('i32', types),
  };
  const num = (k: string) => (typeof c[k] === 'number' ? (c[k] as number) : undefined);
  if (num('bos_token_id') !== undefined) m['tokenizer.ggml.bos_token_id'] = meta.u32(num('bos_token_id') as number);
  if (num('eos_token_id') !== undefined) m['tokenizer.ggml.eos_token_id'] = meta.u32(num('eos_token_id') as number);
  if (unk !== undefined) m['tokenizer.ggml.unknown_token_id'] = meta.u32(unk);
  if (typeof tc['add_bos_token'] === 'boolean') m['tokenizer.ggml.add_bos_token'] = meta.bool(tc['add_bos_token']);
  if (typeof tc['chat_template'] === 'string') m['tokenizer.chat_template'] = meta.str(tc['chat_template']);
  if (byteLevel) {
    m['tokenizer.ggml.model'] = meta.str('gpt2');
    m['tokenizer.ggml.merges'] = meta.arr('string', merges);
    const pre = JSON.stringify(tj['pre_tokenizer']);
    m['tokenizer.ggml.pre'] = meta.str(pre.includes('\\\\p{Lu}') ? 'gpt-4o' : pre.includes('\\\\p{N}{1,3}') ? 'llama-bpe' : pre.includes('Split') ? 'qwen2' : 'gpt2');
  } else {
    // SentencePiece style: a merged piece scores by how early a merge produces it (merge rank r → −r).
    const rank = new Map<string, number>();
    merges.forEach((s, r) => {
      const piece = s.replace(' ', '');
      if (!rank.has(piece)) rank.set(piece, r);
    });
    m['tokenizer.ggml.model'] = meta.str('llama');
    m['tokenizer.ggml.scores'] = meta.arr('f32', tokens.map((t) => -(rank.get(t) ?? (t.length > 1 ? 1e6 : 0))));
    m['tokenizer.ggml.add_space_prefix'] = meta.bool(JSON.stringify(tj['normalizer'] ?? null).includes('Prepend'));
  }
  return m;
}

/**
 * A SentencePiece-style GGUF vocabulary for a generated model (whose own tokenizer is WordPiece,
 * which GGUF cannot hold): the same tokens and ids, word pieces with a leading `▁`.
 */
export function spmVocabMeta(tokens: readonly string[], specials: { unk: number; bos: number; eos: number }): Record<string, GgufMeta> {
  return {
    'tokenizer.ggml.model': meta.str('llama'),
    'tokenizer.ggml.tokens': meta.arr('string', tokens.map((t, i) => (i === specials.unk || i === specials.bos || i === specials.eos ? t : `\u2581${t}`))),
    'tokenizer.ggml.scores': meta.arr('f32', tokens.map(() => 0)),
    'tokenizer.ggml.token_type': meta.arr('i32', tokens.map((_, i) => (i === specials.unk ? 2 : i === specials.bos || i === specials.eos ? 3 : 1))),
    'tokenizer.ggml.bos_token_id': meta.u32(specials.bos),
    'tokenizer.ggml.eos_token_id': meta.u32(specials.eos),
    'tokenizer.ggml.unknown_token_id': meta.u32(specials.unk),
  };
}
