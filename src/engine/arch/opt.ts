/**
 * OPT (Meta). Differences from the canonical layout, all handled here:
 * - Learned positions with offset 2: row p + 2 of `embed_positions` ([max_position_embeddings + 2, d]).
 * - `word_embed_proj_dim` != hidden (opt-350m): `project_in` [d, e] after the token embedding and
 *   `project_out` [e, d] before the (tied) head, whose table is [vocab, e].
 * - ReLU MLP `fc1` / `fc2` with biases, biased q/k/v/out projections, LayerNorms with bias.
 * - `do_layer_norm_before` true: pre-LN blocks and `decoder.final_layer_norm`; false (opt-350m):
 *   post-LN blocks (each norm follows its residual add) and no final norm. h[l] is then the
 *   stream after block l's last LayerNorm (docs/METRICS.md).
 */
import { SinkLensError } from '../../shared/errors';
import type { CanonicalConfig } from './types';
import type { LayerWeights, ModelWeights, WeightStore } from '../weights/types';
import type { ArchAdapter, RawConfig } from './adapter';
import { activation, impliedHeadDim, optBool, optNum, posInt, tokenId } from './configFields';
import { direct, layerNorm, linear, missing } from './weightRefs';

function refuse(name: string, what: string): SinkLensError {
  return new SinkLensError('unsupportedArch', `${name} ${what}, which SinkLens does not implement.`, 'Pick an OPT checkpoint with the standard layout (facebook/opt-125m ... opt-30b, opt-350m).');
}

function optConfig(raw: RawConfig, name: string): CanonicalConfig {
  const d = posInt(raw, name, 'hidden_size');
  const heads = posInt(raw, name, 'num_attention_heads');
  const headDim = impliedHeadDim(name, d, 'hidden_size', heads, 'num_attention_heads');
  if (!optBool(raw, 'enable_bias', true)) throw refuse(name, 'sets enable_bias false (linear layers without biases)');
  if (!optBool(raw, 'layer_norm_elementwise_affine', true)) throw refuse(name, 'sets layer_norm_elementwise_affine false (LayerNorms without parameters)');
  if (optBool(raw, '_remove_final_layer_norm', false)) throw refuse(name, 'sets _remove_final_layer_norm (a pre-LN model without its final norm)');
  const preLn = optBool(raw, 'do_layer_norm_before', true);
  return {
    arch: 'opt',
    modelType: String(raw['model_type']),
    hiddenSize: d,
    numLayers: posInt(raw, name, 'num_hidden_layers'),
    numHeads: heads,
    numKvHeads: heads,
    headDim,
    intermediateSize: posInt(raw, name, 'ffn_dim'),
    vocabSize: posInt(raw, name, 'vocab_size'),
    maxPositions: optNum(raw, name, 'max_position_embeddings') ?? 2048,
    norm: 'layer',
    normEps: 1e-5, // nn.LayerNorm's default; OPTConfig has no eps field
    act: activation(raw, name, 'activation_function', 'relu'),
    gatedMlp: false,
    position: 'learned',
    rope: null,
    attnScale: 1 / Math.sqrt(headDim),
    parallelResidual: false,
    qkNorm: false,
    tieWordEmbeddings: optBool(raw, 'tie_word_embeddings', true),
    bosTokenId: tokenId(raw['bos_token_id']),
    eosTokenId: tokenId(raw['eos_token_id']),
    name,
    postLn: !preLn,
    positionOffset: 2,
  };
}

/** word_embed_proj_dim (the embedding table's width), from the stored table: the canonical config has no field for it. */
function embedDim(store: WeightStore, cfg: CanonicalConfig): number {
  const name = 'model.decoder.embed_tokens.weight';
  if (!store.has(name)) throw missing(store, name);
  return store.info(name).shape[1] ?? cfg.hiddenSize;
}

function layer(store: WeightStore, cfg: CanonicalConfig, i: number): LayerWeights {
  const p = `model.decoder.layers.${i}`;
  const d = cfg.hiddenSize;
  const ff = cfg.intermediateSize;
  return {
    attnNorm: layerNorm(store, `${p}.self_attn_layer_norm`, d),
    q: linear(store, `${p}.self_attn.q_proj`, d, d, true), // [d, d]
    k: linear(store, `${p}.self_attn.k_proj`, d, d, true), // [d, d]
    v: linear(store, `${p}.self_attn.v_proj`, d, d, true), // [d, d]
    o: linear(store, `${p}.self_attn.out_proj`, d, d, true), // [d, d]
    qNorm: null,
    kNorm: null,
    mlpNorm: layerNorm(store, `${p}.final_layer_norm`, d),
    gate: null,
    up: linear(store, `${p}.fc1`, ff, d, true), // [ff, d]
    down: linear(store, `${p}.fc2`, d, ff, true), // [d, ff]
  };
}

function optWeights(store: WeightStore, cfg: CanonicalConfig): ModelWeights {
  const d = cfg.hiddenSize;
  const e = embedDim(store, cfg);
  const embed = direct(store, 'model.decoder.embed_tokens.weight', [cfg.vocabSize, e]); // [vocab, e]
  const layers: LayerWeights[] = [];
  for (let i = 0; i < cfg.numLayers; i++) layers.push(layer(store, cfg, i));
  // OPTDecoder builds final_layer_norm only with do_layer_norm_before (and not _remove_final_layer_norm).
  const hasFinal = !cfg.postLn && store.has('model.decoder.final_layer_norm.weight');
  if (!cfg.postLn && !hasFinal) throw missing(store, 'model.decoder.final_layer_norm.weight', 'do_layer_norm_before is true');
  let lmHead = embed;
  if (!cfg.tieWordEmbeddings) {
    if (!store.has('lm_head.weight')) throw missing(store, 'lm_head.weight', 'tie_word_embeddings is false');
    lmHead = direct(store, 'lm_head.weight', [cfg.vocabSize, e]);
  }
  return {
    embed,
    positions: direct(store, 'model.decoder.embed_positions.weight', [cfg.maxPositions + 2, d]), // [maxPos + 2, d]
    layers,
    finalNorm: hasFinal ? layerNorm(store, 'model.decoder.final_layer_norm', d) : null,
    lmHead, // [vocab, e]
    lmHeadBias: null,
    embedProjIn: e === d ? null : linear(store, 'model.decoder.project_in', d, e, false), // [d, e]
    embedProjOut: e === d ? null : linear(store, 'model.decoder.project_out', e, d, false), // [e, d]
  };
}

export const optAdapter: ArchAdapter = {
  id: 'opt',
  modelTypes: ['opt'],
  normalizeConfig: optConfig,
  mapWeights: optWeights,
};
