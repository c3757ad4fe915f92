/**
 * Starcoder2 (transformers' modeling_starcoder2.py): the Llama names for attention, but LayerNorm with
 * bias (`norm_epsilon`), q/k/v/o biases when `use_bias` (true in every released checkpoint), a plain
 * (ungated) MLP `mlp.c_fc` -> gelu_pytorch_tanh -> `mlp.c_proj`, both biased, full-head RoPE, and
 * `sliding_window` (null = none) on every layer.
 */
import { SinkLensError } from '../../shared/errors';
import type { ArchAdapter, RawConfig } from './adapter';
import type { CanonicalConfig } from './types';
import type { LayerWeights, ModelWeights, WeightStore } from '../weights/types';
import { activation, optBool, optNum, posInt, ropeScaling, ropeTheta, tokenId } from './configFields';
import { direct, layerNorm, linear, missing } from './weightRefs';
import { uniformWindows } from './windows';

function starcoder2Config(raw: RawConfig, name: string): CanonicalConfig {
  const hiddenSize = posInt(raw, name, 'hidden_size');
  const numHeads = posInt(raw, name, 'num_attention_heads');
  const numKvHeads = optNum(raw, name, 'num_key_value_heads') ?? numHeads;
  const headDim = hiddenSize / numHeads;
  if (!Number.isInteger(headDim) || numHeads % numKvHeads !== 0) {
    throw new SinkLensError('badConfig', `config.json of ${name}: hidden ${hiddenSize} / heads ${numHeads} / kv heads ${numKvHeads} are inconsistent.`);
  }
  if (!optBool(raw, 'use_bias', true)) throw new SinkLensError('unsupportedArch', `${name} sets use_bias false, a Starcoder2 layout no released checkpoint uses and SinkLens does not map.`);
  const numLayers = posInt(raw, name, 'num_hidden_layers');
  const layerWindows = uniformWindows(raw, name, numLayers, null);
  return {
    arch: 'starcoder2',
    modelType: String(raw['model_type']),
    hiddenSize,
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    intermediateSize: posInt(raw, name, 'intermediate_size'),
    vocabSize: posInt(raw, name, 'vocab_size'),
    maxPositions: optNum(raw, name, 'max_position_embeddings') ?? 4096,
    norm: 'layer',
    normEps: optNum(raw, name, 'norm_epsilon') ?? 1e-5,
    act: activation(raw, name, 'hidden_act', 'gelu_pytorch_tanh'),
    gatedMlp: false,
    position: 'rope',
    rope: { theta: ropeTheta(raw, name, 10000), rotaryDim: headDim, scaling: ropeScaling(raw, name) },
    attnScale: 1 / Math.sqrt(headDim),
    parallelResidual: false,
    qkNorm: false,
    tieWordEmbeddings: optBool(raw, 'tie_word_embeddings', true),
    bosTokenId: tokenId(raw['bos_token_id']),
    eosTokenId: tokenId(raw['eos_token_id']),
    name,
    ...(layerWindows ? { layerWindows } : {}),
  };
}

function layer(store: WeightStore, cfg: CanonicalConfig, p: string): LayerWeights {
  const d = cfg.hiddenSize;
  const hd = cfg.headDim;
  const ff = cfg.intermediateSize;
  const lin = (name: string, out: number, inp: number) => linear(store, `${p}${name}`, out, inp, true);
  return {
    attnNorm: layerNorm(store, `${p}input_layernorm`, d),
    q: lin('self_attn.q_proj', cfg.numHeads * hd, d), // [H*hd, d]
    k: lin('self_attn.k_proj', cfg.numKvHeads * hd, d), // [KV*hd, d]
    v: lin('self_attn.v_proj', cfg.numKvHeads * hd, d), // [KV*hd, d]
    o: lin('self_attn.o_proj', d, cfg.numHeads * hd), // [d, H*hd]
    qNorm: null,
    kNorm: null,
    mlpNorm: layerNorm(store, `${p}post_attention_layernorm`, d),
    gate: null,
    up: lin('mlp.c_fc', ff, d), // [ff, d]
    down: lin('mlp.c_proj', d, ff), // [d, ff]
  };
}

function starcoder2Weights(store: WeightStore, cfg: CanonicalConfig): ModelWeights {
  const embed = direct(store, 'model.embed_tokens.weight', [cfg.vocabSize, cfg.hiddenSize]); // [vocab, d]
  const layers: LayerWeights[] = [];
  for (let i = 0; i < cfg.numLayers; i++) layers.push(layer(store, cfg, `model.layers.${i}.`));
  let lmHead = embed;
  if (!cfg.tieWordEmbeddings) {
    if (!store.has('lm_head.weight')) throw missing(store, 'lm_head.weight', 'tie_word_embeddings is false');
    lmHead = direct(store, 'lm_head.weight', [cfg.vocabSize, cfg.hiddenSize]);
  }
  return { embed, positions: null, layers, finalNorm: layerNorm(store, 'model.norm', cfg.hiddenSize), lmHead, lmHeadBias: null };
}

export const starcoder2Adapter: ArchAdapter = {
  id: 'starcoder2',
  modelTypes: ['starcoder2'],
  normalizeConfig: starcoder2Config,
  mapWeights: starcoder2Weights,
};
