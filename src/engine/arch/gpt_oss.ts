/**
 * gpt-oss (transformers' GptOssConfig / modeling_gpt_oss.py): the Llama layout with q/k/v/o biases,
 * a learned sink logit per query head (`self_attn.sinks` [H]), YaRN RoPE, alternating sliding-window
 * and full layers (`layer_types`, `sliding_window`), and a mixture-of-experts MLP: a router with bias,
 * softmax over the top-k logits, experts whose fused `gate_up_proj` interleaves gate (even) and up
 * (odd) outputs, stored [E, in, out] (bf16 checkpoints) or as MXFP4 `*_blocks` / `*_scales` [E, out, ...].
 * Every expert is mapped onto the dense gated-MLP layout (torch Linear [out, in] with biases).
 */
import { SinkLensError } from '../../shared/errors';
import type { ArchAdapter, RawConfig } from './adapter';
import type { CanonicalConfig } from './types';
import type { ExpertWeights, LayerWeights, LinearWeights, ModelWeights, WeightRef, WeightStore } from '../weights/types';
import { optBool, optNum, posInt, ropeScaling, ropeTheta, tokenId } from './configFields';
import { dequantMxfp4, MXFP4_GROUP } from './mxfp4';
import { direct, expectStored, linear, missing, rmsNorm } from './weightRefs';
import { layerTypesWindows, windowSize } from './windows';

/** GptOssConfig's rope default when config.json names none. */
const DEFAULT_YARN = { rope_type: 'yarn', factor: 32, beta_fast: 32, beta_slow: 1, truncate: false, original_max_position_embeddings: 4096 };

/** `layer_types` (default: sliding on even layers, full on odd ones) with `sliding_window` (default 128), read by windows.ts. */
function gptOssWindows(raw: RawConfig, name: string, layers: number): (number | null)[] {
  const types = raw['layer_types'] ?? Array.from({ length: layers }, (_, i) => ((i + 1) % 2 ? 'sliding_attention' : 'full_attention'));
  return layerTypesWindows({ ...raw, layer_types: types }, name, layers, windowSize(raw, name, 128)) ?? [];
}

function gptOssConfig(raw: RawConfig, name: string): CanonicalConfig {
  const hiddenSize = posInt(raw, name, 'hidden_size');
  const numHeads = posInt(raw, name, 'num_attention_heads');
  const numKvHeads = optNum(raw, name, 'num_key_value_heads') ?? numHeads;
  const headDim = optNum(raw, name, 'head_dim') ?? Math.floor(hiddenSize / numHeads);
  const numLayers = posInt(raw, name, 'num_hidden_layers');
  const numExperts = posInt(raw, name, 'num_local_experts', 'num_experts');
  const topK = posInt(raw, name, 'num_experts_per_tok', 'experts_per_token');
  if (topK > numExperts) throw new SinkLensError('badConfig', `config.json of ${name}: num_experts_per_tok ${topK} exceeds num_local_experts ${numExperts}.`);
  const withDefaultRope = raw['rope_scaling'] || raw['rope_parameters'] ? raw : { ...raw, rope_scaling: DEFAULT_YARN };
  return {
    arch: 'gpt_oss',
    modelType: String(raw['model_type']),
    hiddenSize,
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    intermediateSize: posInt(raw, name, 'intermediate_size'),
    vocabSize: posInt(raw, name, 'vocab_size'),
    maxPositions: optNum(raw, name, 'max_position_embeddings') ?? 131072,
    norm: 'rms',
    normEps: optNum(raw, name, 'rms_norm_eps') ?? 1e-5,
    act: 'silu',
    gatedMlp: true,
    position: 'rope',
    rope: { theta: ropeTheta(raw, name, 150000), rotaryDim: headDim, scaling: ropeScaling(withDefaultRope, name) },
    attnScale: 1 / Math.sqrt(headDim),
    parallelResidual: false,
    qkNorm: false,
    tieWordEmbeddings: optBool(raw, 'tie_word_embeddings', false),
    bosTokenId: tokenId(raw['bos_token_id']),
    eosTokenId: tokenId(raw['eos_token_id']),
    name,
    layerWindows: gptOssWindows(raw, name, numLayers),
    attnSinks: true,
    moe: { numExperts, topK, swigluAlpha: optNum(raw, name, 'swiglu_alpha') ?? 1.702, swigluLimit: optNum(raw, name, 'swiglu_limit') ?? 7 },
  };
}

/**
 * Whole fused tensors while their experts are sliced out: every expert's refs read the same tensor
 * (gate_up, down, their biases, or MXFP4 blocks and scales), so each is read from disk once and
 * dropped after its expected number of reads (`uses`: one per expert ref that slices it). A later
 * read (a serializer's second pass) reads it again; nothing stays held once the weights are written.
 */
const held = new WeakMap<WeightStore, { slots: Map<string, { v: Float32Array | Uint8Array; left: number }>; done: Set<string> }>();

function cached<T extends Float32Array | Uint8Array>(store: WeightStore, key: string, uses: number, read: () => T): T {
  let h = held.get(store);
  if (!h) held.set(store, (h = { slots: new Map(), done: new Set() }));
  if (h.done.has(key)) return read(); // a read after all expected ones: not held again
  let slot = h.slots.get(key);
  if (!slot) h.slots.set(key, (slot = { v: read(), left: uses }));
  if (--slot.left <= 0) {
    h.slots.delete(key);
    h.done.add(key);
  }
  return slot.v as T;
}

function readU8(store: WeightStore, name: string, uses: number): Uint8Array {
  if (!store.readBytes) throw new SinkLensError('unsupportedArch', `MXFP4 tensor "${name}" cannot be read from this weight format.`, 'Use the safetensors checkpoint of the model.');
  return cached(store, name, uses, () => (store.readBytes as (n: string) => Uint8Array)(name));
}

/** One expert's rows of a fused expert tensor, as a [rows, K] torch Linear weight. */
type ExpertMatrix = (e: number) => Float32Array; // [rows, K]

/** bf16/f32 layout: `name` [E, K, rows] (in, out) → expert e's [rows, K]; `uses` reads per layer. */
function denseExperts(store: WeightStore, name: string, E: number, K: number, rows: number, uses: number): ExpertMatrix {
  expectStored(store, name, [E, K, rows]);
  return (e) => {
    const all = cached(store, name, uses, () => store.read(name));
    const out = new Float32Array(rows * K); // [rows, K]
    const base = e * K * rows;
    for (let k = 0; k < K; k++) for (let r = 0; r < rows; r++) out[r * K + k] = all[base + k * rows + r] as number;
    return out;
  };
}

/** MXFP4 layout: `name_blocks` [E, rows, K/32, 16], `name_scales` [E, rows, K/32] → expert e's [rows, K]. */
function mxfp4Experts(store: WeightStore, name: string, E: number, K: number, rows: number, uses: number): ExpertMatrix {
  if (K % MXFP4_GROUP !== 0) throw new SinkLensError('corruptWeights', `MXFP4 tensor "${name}_blocks" packs ${K} inputs, not a multiple of ${MXFP4_GROUP}.`);
  expectStored(store, `${name}_blocks`, [E, rows, K / MXFP4_GROUP, MXFP4_GROUP / 2]);
  expectStored(store, `${name}_scales`, [E, rows, K / MXFP4_GROUP]);
  return (e) => dequantMxfp4(readU8(store, `${name}_blocks`, uses), readU8(store, `${name}_scales`, uses), e, rows, K);
}

/** Rows `start, start + step, ...` (count of them) of a [rows, K] matrix. */
function everyOther(m: Float32Array, K: number, start: number, count: number): Float32Array {
  const out = new Float32Array(count * K);
  for (let r = 0; r < count; r++) out.set(m.subarray((start + 2 * r) * K, (start + 2 * r + 1) * K), r * K);
  return out;
}

function expertBias(store: WeightStore, name: string, E: number, n: number, e: number, part: string, pick: (b: Float32Array) => Float32Array): WeightRef {
  expectStored(store, name, [E, n]);
  const uses = part === '' ? E : 2 * E; // gate and up slice the same fused bias
  return { key: `${name}#e${e}${part}`, dims: [part === '' ? n : n / 2], load: () => pick(cached(store, name, uses, () => store.read(name)).subarray(e * n, (e + 1) * n)) };
}

function experts(store: WeightStore, cfg: CanonicalConfig, p: string, E: number): ExpertWeights[] {
  const d = cfg.hiddenSize;
  const ff = cfg.intermediateSize;
  const packed = store.has(`${p}.gate_up_proj_blocks`);
  const src = packed ? mxfp4Experts : denseExperts;
  const gateUp = src(store, `${p}.gate_up_proj`, E, d, 2 * ff, 2 * E); // expert e: [2ff, d], rows interleaved gate, up
  const down = src(store, `${p}.down_proj`, E, ff, d, E); // expert e: [d, ff]
  const half = (b: Float32Array, start: number) => Float32Array.from({ length: b.length / 2 }, (_, i) => b[2 * i + start] as number);
  return Array.from({ length: E }, (_, e): ExpertWeights => {
    const lin = (part: string, dims: [number, number], load: () => Float32Array, bias: WeightRef): LinearWeights => ({
      weight: { key: `${p}.${part}#e${e}`, dims, load },
      bias,
    });
    return {
      gate: lin('gate', [ff, d], () => everyOther(gateUp(e), d, 0, ff), expertBias(store, `${p}.gate_up_proj_bias`, E, 2 * ff, e, '.gate', (b) => half(b, 0))),
      up: lin('up', [ff, d], () => everyOther(gateUp(e), d, 1, ff), expertBias(store, `${p}.gate_up_proj_bias`, E, 2 * ff, e, '.up', (b) => half(b, 1))),
      down: lin('down', [d, ff], () => down(e), expertBias(store, `${p}.down_proj_bias`, E, d, e, '', (b) => Float32Array.from(b))),
    };
  });
}

function layerWeights(store: WeightStore, cfg: CanonicalConfig, i: number): LayerWeights {
  const p = `model.layers.${i}`;
  const d = cfg.hiddenSize;
  const qDim = cfg.numHeads * cfg.headDim;
  const kvDim = cfg.numKvHeads * cfg.headDim;
  const E = cfg.moe?.numExperts ?? 0;
  const bias = (name: string) => store.has(`${p}.${name}.bias`);
  const ex = experts(store, cfg, `${p}.mlp.experts`, E);
  const first = ex[0] as ExpertWeights;
  return {
    attnNorm: rmsNorm(store, `${p}.input_layernorm`, d),
    q: linear(store, `${p}.self_attn.q_proj`, qDim, d, bias('self_attn.q_proj')), // [H*hd, d]
    k: linear(store, `${p}.self_attn.k_proj`, kvDim, d, bias('self_attn.k_proj')), // [KV*hd, d]
    v: linear(store, `${p}.self_attn.v_proj`, kvDim, d, bias('self_attn.v_proj')), // [KV*hd, d]
    o: linear(store, `${p}.self_attn.o_proj`, d, qDim, bias('self_attn.o_proj')), // [d, H*hd]
    qNorm: null,
    kNorm: null,
    mlpNorm: rmsNorm(store, `${p}.post_attention_layernorm`, d),
    gate: first.gate,
    up: first.up,
    down: first.down,
    sinks: direct(store, `${p}.self_attn.sinks`, [cfg.numHeads]), // [H]
    moe: { router: linear(store, `${p}.mlp.router`, E, d, true), experts: ex }, // router [E, d]
  };
}

function gptOssWeights(store: WeightStore, cfg: CanonicalConfig): ModelWeights {
  const embed = direct(store, 'model.embed_tokens.weight', [cfg.vocabSize, cfg.hiddenSize]); // [vocab, d]
  let lmHead = embed;
  if (!cfg.tieWordEmbeddings) {
    if (!store.has('lm_head.weight')) throw missing(store, 'lm_head.weight', 'tie_word_embeddings is false');
    lmHead = direct(store, 'lm_head.weight', [cfg.vocabSize, cfg.hiddenSize]); // [vocab, d]
  }
  const layers: LayerWeights[] = [];
  for (let i = 0; i < cfg.numLayers; i++) layers.push(layerWeights(store, cfg, i));
  return { embed, positions: null, layers, finalNorm: rmsNorm(store, 'model.norm', cfg.hiddenSize), lmHead, lmHeadBias: null };
}

export const gptOssAdapter: ArchAdapter = {
  id: 'gpt_oss',
  modelTypes: ['gpt_oss'],
  normalizeConfig: gptOssConfig,
  mapWeights: gptOssWeights,
};
