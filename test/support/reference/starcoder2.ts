/**
 * The reference's Starcoder2 (Starcoder2Config, modeling_starcoder2.py): nn.LayerNorm(norm_epsilon) with
 * bias, q/k/v/o with bias (use_bias), MLP c_proj(act(c_fc(x))) with biases, RoPE over the whole head,
 * sliding_window (default None) on every layer.
 */
import type { RefConfig } from './config';
import { ropeInvFreq } from './config';
import type { ReadTensor } from './safetensors';
import type { RefLinear, RefNorm } from './ops';
import type { RefLayer, RefWeights } from './weights';

type Json = Record<string, unknown>;

function n(c: Json, key: string, dflt?: number): number {
  const v = c[key];
  if (typeof v === 'number') return v;
  if (dflt === undefined) throw new Error(`config.json: missing number ${key}`);
  return dflt;
}

export function parseStarcoder2Config(c: Json): RefConfig {
  const d = n(c, 'hidden_size');
  const H = n(c, 'num_attention_heads');
  const hd = d / H;
  const L = n(c, 'num_hidden_layers');
  const w = typeof c.sliding_window === 'number' ? c.sliding_window : null;
  const a = c.hidden_act ?? 'gelu_pytorch_tanh';
  if (a !== 'gelu_pytorch_tanh') throw new Error(`reference: starcoder2 activation ${String(a)} not implemented`);
  return {
    family: 'starcoder2',
    d,
    L,
    H,
    KV: n(c, 'num_key_value_heads', H),
    hd,
    ff: n(c, 'intermediate_size'),
    vocab: n(c, 'vocab_size'),
    norm: 'layer',
    eps: n(c, 'norm_epsilon', 1e-5),
    act: 'gelu_new',
    gated: false,
    learnedPositions: false,
    invFreq: ropeInvFreq(n(c, 'rope_theta', 10000), hd, (c.rope_scaling ?? null) as Json | null),
    attnScale: () => 1 / Math.sqrt(hd),
    parallelResidual: false,
    qkNorm: false,
    tied: typeof c.tie_word_embeddings === 'boolean' ? c.tie_word_embeddings : true,
    attnBias: true,
    mlpBias: true,
    ...(w !== null ? { windows: Array.from({ length: L }, () => w) } : {}),
  };
}

export function loadStarcoder2Weights(tensors: Map<string, ReadTensor>, c: RefConfig): RefWeights {
  const get = (name: string, dims: number[]): Float64Array => {
    const t = tensors.get(name);
    if (!t) throw new Error(`reference: missing tensor ${name}`);
    if (t.dims.join(',') !== dims.join(',')) throw new Error(`reference: ${name} has dims [${t.dims}], expected [${dims}]`);
    return Float64Array.from(t.data);
  };
  const lin = (name: string, out: number, inn: number): RefLinear => ({ w: get(`${name}.weight`, [out, inn]), b: get(`${name}.bias`, [out]), out, in: inn });
  const ln = (name: string, size: number): RefNorm => ({ w: get(`${name}.weight`, [size]), b: get(`${name}.bias`, [size]) });
  const { d, hd, H, KV, ff } = c;
  const layers = Array.from({ length: c.L }, (_, i): RefLayer => {
    const p = `model.layers.${i}.`;
    return {
      ln1: ln(`${p}input_layernorm`, d),
      ln2: ln(`${p}post_attention_layernorm`, d),
      q: lin(`${p}self_attn.q_proj`, H * hd, d),
      k: lin(`${p}self_attn.k_proj`, KV * hd, d),
      v: lin(`${p}self_attn.v_proj`, KV * hd, d),
      o: lin(`${p}self_attn.o_proj`, d, H * hd),
      qNorm: null,
      kNorm: null,
      gate: null,
      up: lin(`${p}mlp.c_fc`, ff, d),
      down: lin(`${p}mlp.c_proj`, d, ff),
    };
  });
  const embed = get('model.embed_tokens.weight', [c.vocab, d]);
  const head = c.tied ? embed : get('lm_head.weight', [c.vocab, d]);
  return { embed, positions: null, layers, finalNorm: ln('model.norm', d), lmHead: { w: head, b: null, out: c.vocab, in: d } };
}
