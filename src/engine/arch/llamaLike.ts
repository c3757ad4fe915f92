/**
 * The decoder layout shared by Llama, Mistral, Qwen2 and Qwen3: RMSNorm, RoPE (rotate_half),
 * GQA, SwiGLU MLP, HF names `model.layers.{i}.self_attn.{q,k,v,o}_proj`, `mlp.{gate,up,down}_proj`.
 * The families differ only in flags (biases, q/k norms, defaults), passed as `LlamaLikeFlags`.
 */
import { SinkLensError } from '../../shared/errors';
import type { ArchId, CanonicalConfig } from './types';
import type { LayerWeights, ModelWeights, WeightRef, WeightStore } from '../weights/types';
import type { RawConfig } from './adapter';
import { activation, optBool, optNum, posInt, ropeScaling, ropeTheta, tokenId } from './configFields';
import { direct, linear, missing, rmsNorm } from './weightRefs';

export interface LlamaLikeFlags {
  arch: ArchId;
  /** Defaults when config.json omits the field (they differ per family in transformers). */
  defaultTheta: number;
  defaultEps: number;
  defaultTie: boolean;
  /** How config.json states sliding windows (arch/windows.ts); absent = none (Llama). */
  windows?: (raw: RawConfig, name: string, layers: number) => readonly (number | null)[] | undefined;
}

/** true = required, false = absent, 'detect' = used when stored (Llama's attention_bias / mlp_bias). */
export type BiasRule = boolean | 'detect';

export interface LlamaLikeBiases {
  qkv: BiasRule;
  o: BiasRule;
  mlp: BiasRule;
  qkNorm: boolean;
}

export function llamaLikeConfig(raw: RawConfig, name: string, flags: LlamaLikeFlags): CanonicalConfig {
  const hiddenSize = posInt(raw, name, 'hidden_size');
  const numHeads = posInt(raw, name, 'num_attention_heads');
  const numKvHeads = optNum(raw, name, 'num_key_value_heads') ?? numHeads;
  // head_dim is explicit in newer configs (Qwen3, some Mistral); null/absent means hidden / heads.
  const headDim = optNum(raw, name, 'head_dim') ?? hiddenSize / numHeads;
  if (!Number.isInteger(headDim) || numHeads % numKvHeads !== 0) {
    throw new SinkLensError('badConfig', `config.json of ${name}: head_dim ${headDim} / heads ${numHeads} / kv heads ${numKvHeads} are inconsistent.`);
  }
  const numLayers = posInt(raw, name, 'num_hidden_layers');
  const layerWindows = flags.windows?.(raw, name, numLayers);
  return {
    arch: flags.arch,
    modelType: String(raw['model_type']),
    hiddenSize,
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    intermediateSize: posInt(raw, name, 'intermediate_size'),
    vocabSize: posInt(raw, name, 'vocab_size'),
    maxPositions: optNum(raw, name, 'max_position_embeddings') ?? 2048,
    norm: 'rms',
    normEps: optNum(raw, name, 'rms_norm_eps') ?? flags.defaultEps,
    act: activation(raw, name, 'hidden_act', 'silu'),
    gatedMlp: true,
    position: 'rope',
    rope: { theta: ropeTheta(raw, name, flags.defaultTheta), rotaryDim: headDim, scaling: ropeScaling(raw, name) },
    attnScale: 1 / Math.sqrt(headDim),
    parallelResidual: false,
    qkNorm: false,
    tieWordEmbeddings: optBool(raw, 'tie_word_embeddings', flags.defaultTie),
    bosTokenId: tokenId(raw['bos_token_id']),
    eosTokenId: tokenId(raw['eos_token_id']),
    name,
    ...(layerWindows ? { layerWindows } : {}),
  };
}

/**
 * Llama's `attention_bias` / `mlp_bias` are not canonical config fields, so mapWeights (which sees
 * only the canonical config) detects biases from the stored tensors: the same answer for any
 * checkpoint HF itself loads without missing keys.
 */
function hasBias(store: WeightStore, prefix: string, rule: BiasRule): boolean {
  return rule === 'detect' ? store.has(`${prefix}.bias`) : rule;
}

function layerWeights(store: WeightStore, cfg: CanonicalConfig, i: number, b: LlamaLikeBiases): LayerWeights {
  const p = `model.layers.${i}`;
  const d = cfg.hiddenSize;
  const qDim = cfg.numHeads * cfg.headDim;
  const kvDim = cfg.numKvHeads * cfg.headDim;
  const ff = cfg.intermediateSize;
  const lin = (name: string, out: number, inp: number, rule: BiasRule) => linear(store, `${p}.${name}`, out, inp, hasBias(store, `${p}.${name}`, rule));
  return {
    attnNorm: rmsNorm(store, `${p}.input_layernorm`, d),
    q: lin('self_attn.q_proj', qDim, d, b.qkv), // [H*hd, d]
    k: lin('self_attn.k_proj', kvDim, d, b.qkv), // [KV*hd, d]
    v: lin('self_attn.v_proj', kvDim, d, b.qkv), // [KV*hd, d]
    o: lin('self_attn.o_proj', d, qDim, b.o), // [d, H*hd]
    qNorm: b.qkNorm ? rmsNorm(store, `${p}.self_attn.q_norm`, cfg.headDim) : null,
    kNorm: b.qkNorm ? rmsNorm(store, `${p}.self_attn.k_norm`, cfg.headDim) : null,
    mlpNorm: rmsNorm(store, `${p}.post_attention_layernorm`, d),
    gate: lin('mlp.gate_proj', ff, d, b.mlp), // [ff, d]
    up: lin('mlp.up_proj', ff, d, b.mlp), // [ff, d]
    down: lin('mlp.down_proj', d, ff, b.mlp), // [d, ff]
  };
}

/** Tied models use the embedding ref itself (same key) even when an `lm_head.weight` copy is stored. */
function lmHead(store: WeightStore, cfg: CanonicalConfig, embed: WeightRef): WeightRef {
  if (cfg.tieWordEmbeddings) return embed;
  if (!store.has('lm_head.weight')) throw missing(store, 'lm_head.weight', 'tie_word_embeddings is false');
  return direct(store, 'lm_head.weight', [cfg.vocabSize, cfg.hiddenSize]);
}

export function llamaLikeWeights(store: WeightStore, cfg: CanonicalConfig, b: LlamaLikeBiases): ModelWeights {
  const embed = direct(store, 'model.embed_tokens.weight', [cfg.vocabSize, cfg.hiddenSize]); // [vocab, d]
  const layers: LayerWeights[] = [];
  for (let i = 0; i < cfg.numLayers; i++) layers.push(layerWeights(store, cfg, i, b));
  return {
    embed,
    positions: null,
    layers,
    finalNorm: rmsNorm(store, 'model.norm', cfg.hiddenSize),
    lmHead: lmHead(store, cfg, embed),
    lmHeadBias: null,
  };
}
