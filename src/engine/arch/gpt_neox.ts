/**
 * GPT-NeoX (Pythia). Differences from the canonical layout, all handled here:
 * - One fused `query_key_value` [3 d, d] laid out PER HEAD: rows reshape to [H, 3, hd] (q, k, v
 *   blocks of head_dim for head 0, then head 1, ...); bias [3 d] likewise. Split into q/k/v.
 * - Partial rotary: only the first floor(hd * rotary_pct) dims of each head are rotated.
 * - LayerNorm everywhere, erf gelu, parallel residual when `use_parallel_residual`, untied
 *   `embed_out`; names under `gpt_neox.`.
 */
import type { CanonicalConfig } from './types';
import type { LayerWeights, LinearWeights, ModelWeights, WeightStore } from '../weights/types';
import type { ArchAdapter, RawConfig } from './adapter';
import { activation, impliedHeadDim, optBool, optNum, posInt, ropeScaling, ropeTheta, tokenId } from './configFields';
import { derived, direct, layerNorm, linear } from './weightRefs';

function neoxConfig(raw: RawConfig, name: string): CanonicalConfig {
  const d = posInt(raw, name, 'hidden_size');
  const heads = posInt(raw, name, 'num_attention_heads');
  const headDim = impliedHeadDim(name, d, 'hidden_size', heads, 'num_attention_heads');
  const params = (raw['rope_parameters'] ?? {}) as RawConfig;
  const pct = optNum(raw, name, 'rotary_pct', 'partial_rotary_factor') ?? optNum(params, name, 'partial_rotary_factor') ?? 0.25;
  return {
    arch: 'gpt_neox',
    modelType: String(raw['model_type']),
    hiddenSize: d,
    numLayers: posInt(raw, name, 'num_hidden_layers'),
    numHeads: heads,
    numKvHeads: heads,
    headDim,
    intermediateSize: optNum(raw, name, 'intermediate_size') ?? 4 * d,
    vocabSize: posInt(raw, name, 'vocab_size'),
    maxPositions: optNum(raw, name, 'max_position_embeddings') ?? 2048,
    norm: 'layer',
    normEps: optNum(raw, name, 'layer_norm_eps') ?? 1e-5,
    act: activation(raw, name, 'hidden_act', 'gelu'),
    gatedMlp: false,
    position: 'rope',
    rope: { theta: ropeTheta(raw, name, 10000, 'rotary_emb_base'), rotaryDim: Math.floor(headDim * pct), scaling: ropeScaling(raw, name) },
    attnScale: 1 / Math.sqrt(headDim),
    parallelResidual: optBool(raw, 'use_parallel_residual', true),
    qkNorm: false,
    tieWordEmbeddings: optBool(raw, 'tie_word_embeddings', false),
    bosTokenId: tokenId(raw['bos_token_id']),
    eosTokenId: tokenId(raw['eos_token_id']),
    name,
  };
}

/**
 * Rows of part j (0 = q, 1 = k, 2 = v) of a per-head fused tensor [H * 3 * hd, cols] (cols = 1
 * for the bias): canonical row h*hd + r is fused row h*3*hd + j*hd + r.
 */
export function splitNeoxQkv(src: Float32Array, heads: number, headDim: number, cols: number, j: number): Float32Array {
  const out = new Float32Array(heads * headDim * cols); // [H*hd, cols]
  for (let h = 0; h < heads; h++) {
    const from = (h * 3 * headDim + j * headDim) * cols;
    out.set(src.subarray(from, from + headDim * cols), h * headDim * cols);
  }
  return out;
}

function qkvPart(store: WeightStore, cfg: CanonicalConfig, prefix: string, j: number, part: string): LinearWeights {
  const d = cfg.hiddenSize;
  const { numHeads: H, headDim: hd } = cfg;
  const bias = store.has(`${prefix}.bias`)
    ? derived(store, `${prefix}.bias`, [3 * d], part, [d], (b) => splitNeoxQkv(b, H, hd, 1, j))
    : null;
  return { weight: derived(store, `${prefix}.weight`, [3 * d, d], part, [d, d], (w) => splitNeoxQkv(w, H, hd, d, j)), bias };
}

function layer(store: WeightStore, cfg: CanonicalConfig, p: string): LayerWeights {
  const d = cfg.hiddenSize;
  const ff = cfg.intermediateSize;
  const bias = store.has(`${p}.attention.dense.bias`); // attention_bias (true in every Pythia)
  return {
    attnNorm: layerNorm(store, `${p}.input_layernorm`, d),
    q: qkvPart(store, cfg, `${p}.attention.query_key_value`, 0, 'q'), // [d, d]
    k: qkvPart(store, cfg, `${p}.attention.query_key_value`, 1, 'k'), // [d, d]
    v: qkvPart(store, cfg, `${p}.attention.query_key_value`, 2, 'v'), // [d, d]
    o: linear(store, `${p}.attention.dense`, d, d, bias), // [d, d]
    qNorm: null,
    kNorm: null,
    mlpNorm: layerNorm(store, `${p}.post_attention_layernorm`, d),
    gate: null,
    up: linear(store, `${p}.mlp.dense_h_to_4h`, ff, d, true), // [ff, d]
    down: linear(store, `${p}.mlp.dense_4h_to_h`, d, ff, true), // [d, ff]
  };
}

function neoxWeights(store: WeightStore, cfg: CanonicalConfig): ModelWeights {
  const embed = direct(store, 'gpt_neox.embed_in.weight', [cfg.vocabSize, cfg.hiddenSize]); // [vocab, d]
  const layers: LayerWeights[] = [];
  for (let i = 0; i < cfg.numLayers; i++) layers.push(layer(store, cfg, `gpt_neox.layers.${i}`));
  return {
    embed,
    positions: null,
    layers,
    finalNorm: layerNorm(store, 'gpt_neox.final_layer_norm', cfg.hiddenSize),
    lmHead: cfg.tieWordEmbeddings ? embed : direct(store, 'embed_out.weight', [cfg.vocabSize, cfg.hiddenSize]),
    lmHeadBias: null,
  };
}

export const gptNeoxAdapter: ArchAdapter = {
  id: 'gpt_neox',
  modelTypes: ['gpt_neox'],
  normalizeConfig: neoxConfig,
  mapWeights: neoxWeights,
};
