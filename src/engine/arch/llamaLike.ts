/**
 * The decoder layout shared by Llama, Mistral, Qwen2, Qwen3, Phi-3, OLMo, OLMo2 and Granite: RoPE
 * (rotate_half), GQA, SwiGLU MLP, HF names `model.layers.{i}.self_attn.{q,k,v,o}_proj`,
 * `mlp.{gate,up,down}_proj`. The families differ only in flags (biases, q/k norms, where the norms
 * are, fused projections, defaults), passed as `LlamaLikeFlags` / `LlamaLikeBiases`.
 */
import { SinkLensError } from '../../shared/errors';
import type { ArchId, CanonicalConfig } from './types';
import type { LayerWeights, ModelWeights, WeightRef, WeightStore } from '../weights/types';
import type { RawConfig } from './adapter';
import { activation, optBool, optNum, posInt, ropeScaling, ropeTheta, tokenId } from './configFields';
import { direct, linear, missing, rmsNorm, rowBlock, unitNorm } from './weightRefs';

export interface LlamaLikeFlags {
  arch: ArchId;
  /** Defaults when config.json omits the field (they differ per family in transformers). */
  defaultTheta: number;
  defaultEps: number;
  defaultTie: boolean;
  /** How config.json states sliding windows (arch/windows.ts); absent = none (Llama). */
  windows?: (raw: RawConfig, name: string, layers: number) => readonly (number | null)[] | undefined;
  /** Phi-3: rotate only floor(head_dim * partial_rotary_factor) dims, and accept `longrope` scaling. */
  phiRope?: boolean;
}

/** The rotary dims: head_dim, or Phi-3's floor(head_dim * partial_rotary_factor) (must be even). */
function rotaryDimOf(raw: RawConfig, name: string, headDim: number, flags: LlamaLikeFlags): number {
  if (!flags.phiRope) return headDim;
  const params = (raw['rope_parameters'] ?? {}) as RawConfig;
  const fraction = optNum(raw, name, 'partial_rotary_factor') ?? optNum(params, name, 'partial_rotary_factor') ?? 1;
  const dim = Math.floor(headDim * fraction);
  if (!(fraction > 0 && fraction <= 1) || dim < 2 || dim % 2 !== 0) {
    throw new SinkLensError('badConfig', `config.json of ${name}: partial_rotary_factor ${fraction} gives ${dim} rotary dims of ${headDim}; it must give an even number in 2..head_dim.`);
  }
  return dim;
}

/** true = required, false = absent, 'detect' = used when stored (Llama's attention_bias / mlp_bias). */
export type BiasRule = boolean | 'detect';

export interface LlamaLikeBiases {
  qkv: BiasRule;
  o: BiasRule;
  mlp: BiasRule;
  /** q_norm / k_norm: none, per head (Qwen3, [hd]) or over the whole projection (OLMo2, [H*hd] / [KV*hd]). */
  qkNorm: boolean | 'full';
  /**
   * Where the block's norms are: 'pre' (input_layernorm, post_attention_layernorm before each sublayer),
   * 'post' (OLMo2: post_attention_layernorm / post_feedforward_layernorm on the sublayer outputs, no
   * pre-norms), 'unit' (OLMo: LayerNorms without parameters, final norm included). Default 'pre'.
   */
  norms?: 'pre' | 'post' | 'unit';
  /** Phi-3: fused `self_attn.qkv_proj` [(H + 2 KV) hd, d] and `mlp.gate_up_proj` [2 ff, d], row blocks in that order. */
  fused?: boolean;
}

function blockNorms(store: WeightStore, p: string, d: number, b: LlamaLikeBiases): Pick<LayerWeights, 'attnNorm' | 'mlpNorm' | 'attnPostNorm' | 'mlpPostNorm'> {
  if (b.norms === 'unit') return { attnNorm: unitNorm(d), mlpNorm: unitNorm(d) };
  if (b.norms === 'post') {
    return { attnNorm: null, mlpNorm: null, attnPostNorm: rmsNorm(store, `${p}.post_attention_layernorm`, d), mlpPostNorm: rmsNorm(store, `${p}.post_feedforward_layernorm`, d) };
  }
  return { attnNorm: rmsNorm(store, `${p}.input_layernorm`, d), mlpNorm: rmsNorm(store, `${p}.post_attention_layernorm`, d) };
}

/** Phi-3's fused projections split into the canonical q/k/v and gate/up slots (row blocks, no biases). */
function fusedProjections(store: WeightStore, cfg: CanonicalConfig, p: string): Pick<LayerWeights, 'q' | 'k' | 'v' | 'gate' | 'up'> {
  const d = cfg.hiddenSize;
  const qDim = cfg.numHeads * cfg.headDim;
  const kvDim = cfg.numKvHeads * cfg.headDim;
  const ff = cfg.intermediateSize;
  const qkv = `${p}.self_attn.qkv_proj.weight`;
  const qkvDims = [qDim + 2 * kvDim, d]; // rows: q | k | v
  const gu = `${p}.mlp.gate_up_proj.weight`;
  const guDims = [2 * ff, d]; // rows: gate | up
  const lin = (weight: WeightRef) => ({ weight, bias: null });
  return {
    q: lin(rowBlock(store, qkv, qkvDims, 'q', 0, qDim)), // [H*hd, d]
    k: lin(rowBlock(store, qkv, qkvDims, 'k', qDim, kvDim)), // [KV*hd, d]
    v: lin(rowBlock(store, qkv, qkvDims, 'v', qDim + kvDim, kvDim)), // [KV*hd, d]
    gate: lin(rowBlock(store, gu, guDims, 'gate', 0, ff)), // [ff, d]
    up: lin(rowBlock(store, gu, guDims, 'up', ff, ff)), // [ff, d]
  };
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
  const rotaryDim = rotaryDimOf(raw, name, headDim, flags);
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
    rope: { theta: ropeTheta(raw, name, flags.defaultTheta), rotaryDim, scaling: ropeScaling(raw, name, flags.phiRope ? rotaryDim : undefined) },
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
  const qkNormDims = (n: number) => (b.qkNorm === 'full' ? n * cfg.headDim : cfg.headDim);
  const split = b.fused
    ? fusedProjections(store, cfg, p)
    : {
        q: lin('self_attn.q_proj', qDim, d, b.qkv), // [H*hd, d]
        k: lin('self_attn.k_proj', kvDim, d, b.qkv), // [KV*hd, d]
        v: lin('self_attn.v_proj', kvDim, d, b.qkv), // [KV*hd, d]
        gate: lin('mlp.gate_proj', ff, d, b.mlp), // [ff, d]
        up: lin('mlp.up_proj', ff, d, b.mlp), // [ff, d]
      };
  return {
    ...blockNorms(store, p, d, b),
    ...split,
    o: lin('self_attn.o_proj', d, qDim, b.o), // [d, H*hd]
    qNorm: b.qkNorm ? rmsNorm(store, `${p}.self_attn.q_norm`, qkNormDims(cfg.numHeads)) : null,
    kNorm: b.qkNorm ? rmsNorm(store, `${p}.self_attn.k_norm`, qkNormDims(cfg.numKvHeads)) : null,
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
    finalNorm: b.norms === 'unit' ? unitNorm(cfg.hiddenSize) : rmsNorm(store, 'model.norm', cfg.hiddenSize),
    lmHead: lmHead(store, cfg, embed),
    lmHeadBias: null,
  };
}
