/**
 * Raw tensor names of Phi-3, OLMo, OLMo2, Granite and OPT -> the reference's float64 weights, from
 * modeling_phi3.py, modeling_olmo.py, modeling_olmo2.py, modeling_granite.py and modeling_opt.py.
 */
import type { RefConfig } from './config';
import type { RefLinear, RefNorm } from './ops';
import { range, rows, Source, type RefLayer, type RefWeights, type Tensors } from './weights';

/** OlmoLayerNorm has no parameters: the same as weight 1, bias 0. */
function ones(n: number): RefNorm {
  return { w: new Float64Array(n).fill(1), b: null };
}

/** Rows [start, start + n) of a fused Linear (Phi-3 qkv_proj: q | k | v; gate_up_proj: gate | up), no bias. */
function part(lin: RefLinear, start: number, n: number): RefLinear {
  return { w: rows(lin.w, lin.in, range(start, n)), b: null, out: n, in: lin.in };
}

function llamaStyleLayer(src: Source, c: RefConfig, i: number): RefLayer {
  const { d, hd, H, KV, ff } = c;
  const p = `model.layers.${i}.`;
  const f = c.family;
  const ab = c.attnBias ? 'yes' : 'no';
  const mb = c.mlpBias ? 'yes' : 'no';
  let q: RefLinear, k: RefLinear, v: RefLinear, gate: RefLinear, up: RefLinear;
  if (f === 'phi3') {
    const qkv = src.lin(`${p}self_attn.qkv_proj`, (H + 2 * KV) * hd, d, 'no');
    [q, k, v] = [part(qkv, 0, H * hd), part(qkv, H * hd, KV * hd), part(qkv, (H + KV) * hd, KV * hd)];
    const gu = src.lin(`${p}mlp.gate_up_proj`, 2 * ff, d, 'no');
    [gate, up] = [part(gu, 0, ff), part(gu, ff, ff)];
  } else {
    [q, k, v] = [src.lin(`${p}self_attn.q_proj`, H * hd, d, ab), src.lin(`${p}self_attn.k_proj`, KV * hd, d, ab), src.lin(`${p}self_attn.v_proj`, KV * hd, d, ab)];
    [gate, up] = [src.lin(`${p}mlp.gate_proj`, ff, d, mb), src.lin(`${p}mlp.up_proj`, ff, d, mb)];
  }
  const layer: RefLayer = {
    ln1: f === 'olmo' ? ones(d) : f === 'olmo2' ? null : src.norm(`${p}input_layernorm`, d, false),
    ln2: f === 'olmo' ? ones(d) : f === 'olmo2' ? null : src.norm(`${p}post_attention_layernorm`, d, false),
    q,
    k,
    v,
    o: src.lin(`${p}self_attn.o_proj`, d, H * hd, ab),
    qNorm: f === 'olmo2' ? src.norm(`${p}self_attn.q_norm`, H * hd, false) : null,
    kNorm: f === 'olmo2' ? src.norm(`${p}self_attn.k_norm`, KV * hd, false) : null,
    gate,
    up,
    down: src.lin(`${p}mlp.down_proj`, d, ff, mb),
  };
  if (f === 'olmo2') {
    layer.postAttn = src.norm(`${p}post_attention_layernorm`, d, false);
    layer.postMlp = src.norm(`${p}post_feedforward_layernorm`, d, false);
  }
  return layer;
}

function llamaStyle(src: Source, c: RefConfig): RefWeights {
  const embed = src.get('model.embed_tokens.weight', [c.vocab, c.d]);
  const head = c.tied ? embed : src.get('lm_head.weight', [c.vocab, c.d]);
  return {
    embed,
    positions: null,
    layers: range(0, c.L).map((i) => llamaStyleLayer(src, c, i)),
    finalNorm: c.family === 'olmo' ? ones(c.d) : src.norm('model.norm', c.d, false),
    lmHead: { w: head, b: null, out: c.vocab, in: c.d },
  };
}

/** OPT: model.decoder.*; embed_tokens is [vocab, word_embed_proj_dim], projected in and out when that differs from d. */
function opt(src: Source, c: RefConfig): RefWeights {
  const { d, ff } = c;
  const p0 = 'model.decoder.';
  const embed = src.get(`${p0}embed_tokens.weight`);
  const e = embed.length / c.vocab;
  const layers = range(0, c.L).map((i): RefLayer => {
    const p = `${p0}layers.${i}.`;
    return {
      ln1: src.norm(`${p}self_attn_layer_norm`, d, true),
      ln2: src.norm(`${p}final_layer_norm`, d, true),
      q: src.lin(`${p}self_attn.q_proj`, d, d, 'yes'),
      k: src.lin(`${p}self_attn.k_proj`, d, d, 'yes'),
      v: src.lin(`${p}self_attn.v_proj`, d, d, 'yes'),
      o: src.lin(`${p}self_attn.out_proj`, d, d, 'yes'),
      qNorm: null,
      kNorm: null,
      gate: null,
      up: src.lin(`${p}fc1`, ff, d, 'yes'),
      down: src.lin(`${p}fc2`, d, ff, 'yes'),
    };
  });
  const head = c.tied ? embed : src.get('lm_head.weight', [c.vocab, e]);
  const w: RefWeights = {
    embed,
    positions: src.get(`${p0}embed_positions.weight`),
    layers,
    // OPTDecoder: final_layer_norm only when do_layer_norm_before (and not _remove_final_layer_norm).
    finalNorm: c.more?.postLn ? null : src.norm(`${p0}final_layer_norm`, d, true),
    lmHead: { w: head, b: null, out: c.vocab, in: e },
  };
  if (e !== d) {
    w.projIn = src.lin(`${p0}project_in`, d, e, 'no');
    w.projOut = src.lin(`${p0}project_out`, e, d, 'no');
  }
  return w;
}

export function loadMoreWeights(tensors: Tensors, c: RefConfig): RefWeights {
  const src = new Source(tensors);
  return c.family === 'opt' ? opt(src, c) : llamaStyle(src, c);
}
