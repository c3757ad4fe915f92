/**
 * Raw Hugging Face tensor names -> the reference's float64 weights, one small function per family,
 * written from the modeling files (modeling_llama.py & co, modeling_gpt2.py, modeling_gpt_neox.py).
 * Everything is widened to float64 and put in torch Linear layout [out, in].
 */
import type { ReadTensor } from './safetensors';
import type { RefConfig } from './config';
import type { RefLinear, RefNorm } from './ops';
import { loadStarcoder2Weights } from './starcoder2';
import { loadMoreWeights } from './weightsMore';

export interface RefLayer {
  /** Null where the block has no such norm (OLMo2's pre-norms). */
  ln1: RefNorm | null;
  ln2: RefNorm | null;
  /** Gemma 2/3, OLMo2: norms of the attention and MLP outputs before the residual add. */
  postAttn?: RefNorm;
  postMlp?: RefNorm;
  q: RefLinear; // [H*hd, d]
  k: RefLinear; // [KV*hd, d]
  v: RefLinear; // [KV*hd, d]
  o: RefLinear; // [d, H*hd]
  qNorm: RefNorm | null; // [hd]
  kNorm: RefNorm | null; // [hd]
  gate: RefLinear | null; // [ff, d]
  up: RefLinear; // [ff, d]
  down: RefLinear; // [d, ff]
}

export interface RefWeights {
  embed: Float64Array; // [vocab, d]
  positions: Float64Array | null; // [maxPos, d]
  layers: RefLayer[];
  /** Null without a final norm (OPT post-LN). */
  finalNorm: RefNorm | null;
  lmHead: RefLinear; // [vocab, d] (OPT: [vocab, word_embed_proj_dim])
  /** OPT project_in [d, e] / project_out [e, d]. */
  projIn?: RefLinear;
  projOut?: RefLinear;
}

export type Tensors = Map<string, ReadTensor>;

export class Source {
  constructor(
    private readonly tensors: Tensors,
    private readonly prefix = '',
  ) {}
  has(name: string): boolean {
    return this.tensors.has(this.prefix + name);
  }
  get(name: string, dims?: number[]): Float64Array {
    const t = this.tensors.get(this.prefix + name);
    if (!t) throw new Error(`reference: missing tensor ${this.prefix + name}`);
    if (dims && t.dims.join(',') !== dims.join(',')) throw new Error(`reference: ${name} has dims [${t.dims}], expected [${dims}]`);
    return Float64Array.from(t.data);
  }
  opt(name: string, dims?: number[]): Float64Array | null {
    return this.has(name) ? this.get(name, dims) : null;
  }
  lin(name: string, out: number, inn: number, bias: 'yes' | 'no' | 'maybe'): RefLinear {
    const b = bias === 'yes' ? this.get(`${name}.bias`, [out]) : bias === 'maybe' ? this.opt(`${name}.bias`, [out]) : null;
    return { w: this.get(`${name}.weight`, [out, inn]), b, out, in: inn };
  }
  norm(name: string, n: number, withBias: boolean): RefNorm {
    return { w: this.get(`${name}.weight`, [n]), b: withBias ? this.get(`${name}.bias`, [n]) : null };
  }
}

/** The listed rows of a [rows, cols] matrix, in the order given. */
export function rows(m: Float64Array, cols: number, pick: number[]): Float64Array {
  const out = new Float64Array(pick.length * cols);
  pick.forEach((r, i) => out.set(m.subarray(r * cols, (r + 1) * cols), i * cols));
  return out;
}

function transpose(m: Float64Array, r: number, c: number): Float64Array {
  const out = new Float64Array(r * c); // [c, r]
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = m[i * c + j] as number;
  return out;
}

export function range(start: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => start + i);
}

function llamaLike(src: Source, c: RefConfig): RefWeights {
  const { d, hd, H, KV, ff } = c;
  const ab = c.attnBias ? 'yes' : c.family === 'qwen2' ? 'yes' : 'no';
  const mb = c.mlpBias ? 'yes' : 'no';
  const layers = range(0, c.L).map((i): RefLayer => {
    const p = `model.layers.${i}.`;
    return {
      ln1: src.norm(`${p}input_layernorm`, d, false),
      ln2: src.norm(`${p}post_attention_layernorm`, d, false),
      q: src.lin(`${p}self_attn.q_proj`, H * hd, d, ab),
      k: src.lin(`${p}self_attn.k_proj`, KV * hd, d, ab),
      v: src.lin(`${p}self_attn.v_proj`, KV * hd, d, ab),
      // Qwen2 has biases on q/k/v only; llama's attention_bias covers o_proj too.
      o: src.lin(`${p}self_attn.o_proj`, d, H * hd, c.attnBias ? 'yes' : 'no'),
      qNorm: c.qkNorm ? src.norm(`${p}self_attn.q_norm`, hd, false) : null,
      kNorm: c.qkNorm ? src.norm(`${p}self_attn.k_norm`, hd, false) : null,
      gate: src.lin(`${p}mlp.gate_proj`, ff, d, mb),
      up: src.lin(`${p}mlp.up_proj`, ff, d, mb),
      down: src.lin(`${p}mlp.down_proj`, d, ff, mb),
    };
  });
  const embed = src.get('model.embed_tokens.weight', [c.vocab, d]);
  const head = c.tied ? embed : src.get('lm_head.weight', [c.vocab, d]);
  return { embed, positions: null, layers, finalNorm: src.norm('model.norm', d, false), lmHead: { w: head, b: null, out: c.vocab, in: d } };
}

/** GPT-2 Conv1D stores [in, out] and computes x W + b: transpose into [out, in]. */
function conv1d(src: Source, name: string, inn: number, out: number): RefLinear {
  return { w: transpose(src.get(`${name}.weight`, [inn, out]), inn, out), b: src.get(`${name}.bias`, [out]), out, in: inn };
}

function gpt2(tensors: Tensors, c: RefConfig): RefWeights {
  // GPT2LMHeadModel saves `transformer.`; the original openai-community/gpt2 checkpoint has no prefix.
  const src = new Source(tensors, tensors.has('transformer.wte.weight') ? 'transformer.' : '');
  const { d, ff } = c;
  const layers = range(0, c.L).map((i): RefLayer => {
    const p = `h.${i}.`;
    const qkv = conv1d(src, `${p}attn.c_attn`, d, 3 * d); // rows: q (d), k (d), v (d)
    const part = (j: number): RefLinear => ({ w: rows(qkv.w, d, range(j * d, d)), b: qkv.b!.slice(j * d, (j + 1) * d), out: d, in: d });
    return {
      ln1: src.norm(`${p}ln_1`, d, true),
      ln2: src.norm(`${p}ln_2`, d, true),
      q: part(0),
      k: part(1),
      v: part(2),
      o: conv1d(src, `${p}attn.c_proj`, d, d),
      qNorm: null,
      kNorm: null,
      gate: null,
      up: conv1d(src, `${p}mlp.c_fc`, d, ff),
      down: conv1d(src, `${p}mlp.c_proj`, ff, d),
    };
  });
  const embed = src.get('wte.weight', [c.vocab, d]);
  const positions = src.get('wpe.weight');
  return { embed, positions, layers, finalNorm: src.norm('ln_f', d, true), lmHead: { w: embed, b: null, out: c.vocab, in: d } };
}

/** GPT-NeoX query_key_value rows are laid out per head as [H, 3, hd]: (q_h, k_h, v_h) for each head h. */
function gptNeox(tensors: Tensors, c: RefConfig): RefWeights {
  const src = new Source(tensors);
  const { d, hd, H, ff } = c;
  const ab = c.attnBias ? 'yes' : 'no';
  const layers = range(0, c.L).map((i): RefLayer => {
    const p = `gpt_neox.layers.${i}.`;
    const qkv = src.lin(`${p}attention.query_key_value`, 3 * d, d, ab);
    const part = (j: number): RefLinear => {
      const pick = range(0, H).flatMap((h) => range(h * 3 * hd + j * hd, hd));
      return { w: rows(qkv.w, d, pick), b: qkv.b ? Float64Array.from(pick, (r) => qkv.b![r] as number) : null, out: d, in: d };
    };
    return {
      ln1: src.norm(`${p}input_layernorm`, d, true),
      ln2: src.norm(`${p}post_attention_layernorm`, d, true),
      q: part(0),
      k: part(1),
      v: part(2),
      o: src.lin(`${p}attention.dense`, d, d, ab),
      qNorm: null,
      kNorm: null,
      gate: null,
      up: src.lin(`${p}mlp.dense_h_to_4h`, ff, d, 'yes'),
      down: src.lin(`${p}mlp.dense_4h_to_h`, d, ff, 'yes'),
    };
  });
  const embed = src.get('gpt_neox.embed_in.weight', [c.vocab, d]);
  const head = c.tied ? embed : src.get('embed_out.weight', [c.vocab, d]);
  return { embed, positions: null, layers, finalNorm: src.norm('gpt_neox.final_layer_norm', d, true), lmHead: { w: head, b: null, out: c.vocab, in: d } };
}

/** GemmaRMSNorm keeps w and scales by `1.0 + weight.float()`, a float32 sum: stored here so rmsNorm applies it. */
function gemmaNorm(src: Source, name: string, n: number): RefNorm {
  return { w: src.get(`${name}.weight`, [n]).map((v) => Math.fround(1 + v)), b: null };
}

function gemma(src: Source, c: RefConfig): RefWeights {
  const { d, hd, H, KV, ff } = c;
  const v = c.gemmaVersion ?? 1;
  const layers = range(0, c.L).map((i): RefLayer => {
    const p = `model.layers.${i}.`;
    const post = v !== 1;
    return {
      ln1: gemmaNorm(src, `${p}input_layernorm`, d),
      // Gemma 1's post_attention_layernorm is the MLP's input norm; Gemma 2/3 call that pre_feedforward_layernorm.
      ln2: gemmaNorm(src, `${p}${post ? 'pre_feedforward_layernorm' : 'post_attention_layernorm'}`, d),
      ...(post ? { postAttn: gemmaNorm(src, `${p}post_attention_layernorm`, d), postMlp: gemmaNorm(src, `${p}post_feedforward_layernorm`, d) } : {}),
      q: src.lin(`${p}self_attn.q_proj`, H * hd, d, 'no'),
      k: src.lin(`${p}self_attn.k_proj`, KV * hd, d, 'no'),
      v: src.lin(`${p}self_attn.v_proj`, KV * hd, d, 'no'),
      o: src.lin(`${p}self_attn.o_proj`, d, H * hd, 'no'),
      qNorm: v === 3 ? gemmaNorm(src, `${p}self_attn.q_norm`, hd) : null,
      kNorm: v === 3 ? gemmaNorm(src, `${p}self_attn.k_norm`, hd) : null,
      gate: src.lin(`${p}mlp.gate_proj`, ff, d, 'no'),
      up: src.lin(`${p}mlp.up_proj`, ff, d, 'no'),
      down: src.lin(`${p}mlp.down_proj`, d, ff, 'no'),
    };
  });
  const embed = src.get('model.embed_tokens.weight', [c.vocab, d]);
  const head = c.tied ? embed : src.get('lm_head.weight', [c.vocab, d]);
  return { embed, positions: null, layers, finalNorm: gemmaNorm(src, 'model.norm', d), lmHead: { w: head, b: null, out: c.vocab, in: d } };
}

export function loadRefWeights(tensors: Tensors, c: RefConfig): RefWeights {
  if (c.family === 'gemma') return gemma(new Source(tensors), c);
  if (c.family === 'starcoder2') return loadStarcoder2Weights(tensors, c);
  if (c.more) return loadMoreWeights(tensors, c);
  if (c.family === 'gpt2') return gpt2(tensors, c);
  if (c.family === 'gpt_neox') return gptNeox(tensors, c);
  return llamaLike(new Source(tensors), c);
}
