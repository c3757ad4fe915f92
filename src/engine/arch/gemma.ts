/**
 * Gemma, Gemma 2 and Gemma 3 (text). The Llama names with GeGLU (tanh GELU) and these differences:
 * - Every RMSNorm scales by (1 + w), computed in float32 (GemmaRMSNorm): the refs below add 1 at load.
 * - Gemma 2/3 norm each sublayer's output before the residual add: `post_attention_layernorm` is the
 *   attention's post-norm there (not the MLP's input norm, which is `pre_feedforward_layernorm`), and
 *   `post_feedforward_layernorm` the MLP's.
 * - Gemma 3 has per-head q_norm / k_norm ((1 + w) too). A multimodal `gemma3` checkpoint keeps the text
 *   model under `language_model.model.` (transformers < 4.52) or `model.language_model.`.
 * The config dialects are read by gemmaConfig.ts.
 */
import type { ArchAdapter } from './adapter';
import type { CanonicalConfig } from './types';
import type { LayerWeights, ModelWeights, NormWeights, WeightStore } from '../weights/types';
import { gemmaConfig, type GemmaVersion } from './gemmaConfig';
import { direct, expectStored, linear, missing } from './weightRefs';

/** A Gemma RMSNorm weight w as the canonical scale 1 + w (float32 sum, as `1.0 + weight.float()`). */
export function gemmaNorm(store: WeightStore, prefix: string, n: number): NormWeights {
  const name = `${prefix}.weight`;
  expectStored(store, name, [n]);
  return { weight: { key: `${name}#plus1`, dims: [n], load: () => store.read(name).map((w) => 1 + w) }, bias: null };
}

const PREFIXES = ['model.', 'model.language_model.', 'language_model.model.'];

function prefixOf(store: WeightStore): string {
  const p = PREFIXES.find((x) => store.has(`${x}embed_tokens.weight`));
  if (p === undefined) throw missing(store, 'model.embed_tokens.weight', 'nor a multimodal language_model prefix');
  return p;
}

function layer(store: WeightStore, cfg: CanonicalConfig, p: string, v: GemmaVersion): LayerWeights {
  const d = cfg.hiddenSize;
  const hd = cfg.headDim;
  const ff = cfg.intermediateSize;
  const lin = (name: string, out: number, inp: number) => linear(store, `${p}${name}`, out, inp, false);
  const post = v !== 1;
  return {
    attnNorm: gemmaNorm(store, `${p}input_layernorm`, d),
    q: lin('self_attn.q_proj', cfg.numHeads * hd, d), // [H*hd, d]
    k: lin('self_attn.k_proj', cfg.numKvHeads * hd, d), // [KV*hd, d]
    v: lin('self_attn.v_proj', cfg.numKvHeads * hd, d), // [KV*hd, d]
    o: lin('self_attn.o_proj', d, cfg.numHeads * hd), // [d, H*hd]
    qNorm: v === 3 ? gemmaNorm(store, `${p}self_attn.q_norm`, hd) : null,
    kNorm: v === 3 ? gemmaNorm(store, `${p}self_attn.k_norm`, hd) : null,
    mlpNorm: gemmaNorm(store, `${p}${post ? 'pre_feedforward_layernorm' : 'post_attention_layernorm'}`, d),
    gate: lin('mlp.gate_proj', ff, d), // [ff, d]
    up: lin('mlp.up_proj', ff, d), // [ff, d]
    down: lin('mlp.down_proj', d, ff), // [d, ff]
    attnPostNorm: post ? gemmaNorm(store, `${p}post_attention_layernorm`, d) : null,
    mlpPostNorm: post ? gemmaNorm(store, `${p}post_feedforward_layernorm`, d) : null,
  };
}

function gemmaWeights(store: WeightStore, cfg: CanonicalConfig, v: GemmaVersion): ModelWeights {
  const pre = prefixOf(store);
  const embed = direct(store, `${pre}embed_tokens.weight`, [cfg.vocabSize, cfg.hiddenSize]); // [vocab, d]
  const layers: LayerWeights[] = [];
  for (let i = 0; i < cfg.numLayers; i++) layers.push(layer(store, cfg, `${pre}layers.${i}.`, v));
  let lmHead = embed;
  if (!cfg.tieWordEmbeddings) {
    if (!store.has('lm_head.weight')) throw missing(store, 'lm_head.weight', 'tie_word_embeddings is false');
    lmHead = direct(store, 'lm_head.weight', [cfg.vocabSize, cfg.hiddenSize]);
  }
  return { embed, positions: null, layers, finalNorm: gemmaNorm(store, `${pre}norm`, cfg.hiddenSize), lmHead, lmHeadBias: null };
}

export const gemmaAdapter: ArchAdapter = {
  id: 'gemma',
  modelTypes: ['gemma'],
  normalizeConfig: (raw, name) => gemmaConfig(raw, name, 1),
  mapWeights: (store, cfg) => gemmaWeights(store, cfg, 1),
};

export const gemma2Adapter: ArchAdapter = {
  id: 'gemma2',
  modelTypes: ['gemma2'],
  normalizeConfig: (raw, name) => gemmaConfig(raw, name, 2),
  mapWeights: (store, cfg) => gemmaWeights(store, cfg, 2),
};

export const gemma3Adapter: ArchAdapter = {
  id: 'gemma3',
  modelTypes: ['gemma3_text', 'gemma3'],
  normalizeConfig: (raw, name) => gemmaConfig(raw, name, 3),
  mapWeights: (store, cfg) => gemmaWeights(store, cfg, 3),
};
