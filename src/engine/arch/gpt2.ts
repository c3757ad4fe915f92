/**
 * GPT-2. Differences from the canonical layout, all handled here:
 * - Conv1D weights are stored [in, out] (y = x W + b): transposed to torch Linear [out, in].
 * - Attention is one fused `c_attn` [d, 3d]: output columns [0, d) are q, [d, 2d) k, [2d, 3d) v
 *   (bias [3d] likewise), split into separate q/k/v.
 * - Learned positions `wpe` [n_positions, d], LayerNorm (ln_1, ln_2, ln_f), gelu_new MLP,
 *   lm head tied to `wte`. Names appear with or without the `transformer.` prefix.
 */
import { SinkLensError } from '../../shared/errors';
import type { CanonicalConfig } from './types';
import type { LayerWeights, LinearWeights, ModelWeights, WeightStore } from '../weights/types';
import type { ArchAdapter, RawConfig } from './adapter';
import { activation, impliedHeadDim, optBool, optNum, posInt, tokenId } from './configFields';
import { derived, direct, layerNorm, missing, transposed } from './weightRefs';

function gpt2Config(raw: RawConfig, name: string): CanonicalConfig {
  const d = posInt(raw, name, 'n_embd', 'hidden_size');
  const heads = posInt(raw, name, 'n_head', 'num_attention_heads');
  const headDim = impliedHeadDim(name, d, 'n_embd', heads, 'n_head');
  if (optBool(raw, 'scale_attn_by_inverse_layer_idx', false)) {
    throw new SinkLensError('unsupportedArch', `${name} sets scale_attn_by_inverse_layer_idx, which SinkLens does not implement.`);
  }
  const scaled = optBool(raw, 'scale_attn_weights', true);
  return {
    arch: 'gpt2',
    modelType: String(raw['model_type']),
    hiddenSize: d,
    numLayers: posInt(raw, name, 'n_layer', 'num_hidden_layers'),
    numHeads: heads,
    numKvHeads: heads,
    headDim,
    intermediateSize: optNum(raw, name, 'n_inner') ?? 4 * d, // n_inner: null means 4 d
    vocabSize: posInt(raw, name, 'vocab_size'),
    maxPositions: posInt(raw, name, 'n_positions', 'max_position_embeddings'),
    norm: 'layer',
    normEps: optNum(raw, name, 'layer_norm_epsilon') ?? 1e-5,
    act: activation(raw, name, 'activation_function', 'gelu_new'),
    gatedMlp: false,
    position: 'learned',
    rope: null,
    attnScale: scaled ? 1 / Math.sqrt(headDim) : 1,
    parallelResidual: false,
    qkNorm: false,
    tieWordEmbeddings: true, // GPT2LMHeadModel always ties lm_head to wte
    bosTokenId: tokenId(raw['bos_token_id']),
    eosTokenId: tokenId(raw['eos_token_id']),
    name,
  };
}

function prefixOf(store: WeightStore): string {
  if (store.has('transformer.wte.weight')) return 'transformer.';
  if (store.has('wte.weight')) return '';
  throw missing(store, 'transformer.wte.weight', 'nor "wte.weight"');
}

/** A Conv1D [in, out] + bias [out] as a canonical Linear. */
function conv1d(store: WeightStore, prefix: string, inDim: number, outDim: number): LinearWeights {
  return { weight: transposed(store, `${prefix}.weight`, [inDim, outDim]), bias: direct(store, `${prefix}.bias`, [outDim]) };
}

/** Column block j (0 = q, 1 = k, 2 = v) of c_attn [d, 3d], as a Linear weight [d, d]. */
export function splitCAttnWeight(src: Float32Array, d: number, j: number): Float32Array {
  const out = new Float32Array(d * d); // [out = d, in = d]
  for (let i = 0; i < d; i++) {
    const row = i * 3 * d + j * d;
    for (let o = 0; o < d; o++) out[o * d + i] = src[row + o] as number;
  }
  return out;
}

function cAttn(store: WeightStore, prefix: string, d: number, j: number, part: string): LinearWeights {
  return {
    weight: derived(store, `${prefix}.weight`, [d, 3 * d], part, [d, d], (w) => splitCAttnWeight(w, d, j)),
    bias: derived(store, `${prefix}.bias`, [3 * d], part, [d], (b) => b.slice(j * d, (j + 1) * d)),
  };
}

function layer(store: WeightStore, cfg: CanonicalConfig, p: string): LayerWeights {
  const d = cfg.hiddenSize;
  const ff = cfg.intermediateSize;
  return {
    attnNorm: layerNorm(store, `${p}.ln_1`, d),
    q: cAttn(store, `${p}.attn.c_attn`, d, 0, 'q'), // [d, d]
    k: cAttn(store, `${p}.attn.c_attn`, d, 1, 'k'), // [d, d]
    v: cAttn(store, `${p}.attn.c_attn`, d, 2, 'v'), // [d, d]
    o: conv1d(store, `${p}.attn.c_proj`, d, d), // [d, d]
    qNorm: null,
    kNorm: null,
    mlpNorm: layerNorm(store, `${p}.ln_2`, d),
    gate: null,
    up: conv1d(store, `${p}.mlp.c_fc`, d, ff), // [ff, d]
    down: conv1d(store, `${p}.mlp.c_proj`, ff, d), // [d, ff]
  };
}

function gpt2Weights(store: WeightStore, cfg: CanonicalConfig): ModelWeights {
  const pre = prefixOf(store);
  const embed = direct(store, `${pre}wte.weight`, [cfg.vocabSize, cfg.hiddenSize]); // [vocab, d]
  const layers: LayerWeights[] = [];
  for (let i = 0; i < cfg.numLayers; i++) layers.push(layer(store, cfg, `${pre}h.${i}`));
  return {
    embed,
    positions: direct(store, `${pre}wpe.weight`, [cfg.maxPositions, cfg.hiddenSize]), // [maxPos, d]
    layers,
    finalNorm: layerNorm(store, `${pre}ln_f`, cfg.hiddenSize),
    lmHead: embed,
    lmHeadBias: null,
  };
}

export const gpt2Adapter: ArchAdapter = {
  id: 'gpt2',
  modelTypes: ['gpt2'],
  normalizeConfig: gpt2Config,
  mapWeights: gpt2Weights,
};
