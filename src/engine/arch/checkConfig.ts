/**
 * Range checks on a canonical config, whatever dialect it came from: a config.json is untrusted input, and
 * values out of range (negative epsilon, zero theta, absurd sizes) would otherwise surface deep in the graph
 * or the metrics as NaNs, "Invalid typed array length" or a solver that does not converge. One line names the
 * file and the field.
 */
import { SinkLensError } from '../../shared/errors';
import type { CanonicalConfig } from './types';

/** Upper bounds far beyond any real model, low enough that products stay exact and allocations sane. */
const LIMITS = {
  hiddenSize: 1 << 16,
  numLayers: 1024,
  numHeads: 1024,
  numKvHeads: 1024,
  headDim: 1 << 12,
  intermediateSize: 1 << 20,
  vocabSize: 1 << 22,
  maxPositions: 1 << 24,
} as const;

/** The Hugging Face names a field is usually read from, for the message. */
const HF_NAMES: Record<string, string> = {
  hiddenSize: 'hidden_size / n_embd',
  numLayers: 'num_hidden_layers / n_layer',
  numHeads: 'num_attention_heads / n_head',
  numKvHeads: 'num_key_value_heads',
  headDim: 'head_dim',
  intermediateSize: 'intermediate_size / n_inner',
  vocabSize: 'vocab_size',
  maxPositions: 'max_position_embeddings / n_positions',
  normEps: 'rms_norm_eps / layer_norm_eps',
  theta: 'rope_theta',
  rotaryDim: 'rotary_pct / partial_rotary_factor',
  attnScale: 'the attention scale',
  factor: 'rope_scaling.factor',
  layerWindows: 'layer_types / sliding_window',
  attnSoftcap: 'attn_logit_softcapping',
  finalSoftcap: 'final_logit_softcapping',
  embedScale: 'hidden_size (embedding scale)',
  localTheta: 'rope_local_base_freq',
  moe: 'num_local_experts / num_experts_per_tok',
  yarn: 'rope_scaling (yarn)',
};

export function checkCanonicalConfig(cfg: CanonicalConfig, file: string): CanonicalConfig {
  const bad = (field: string, what: string): never => {
    throw new SinkLensError('badConfig', `${file}: "${HF_NAMES[field] ?? field}" ${what}.`, 'The config.json is damaged or not a Hugging Face model config.');
  };
  for (const [k, max] of Object.entries(LIMITS)) {
    const v = cfg[k as keyof typeof LIMITS];
    if (!Number.isSafeInteger(v) || v < 1 || v > max) bad(k, `must be an integer in 1..${max} (got ${v})`);
  }
  if (cfg.numHeads % cfg.numKvHeads !== 0) bad('numKvHeads', `must divide the number of attention heads (${cfg.numHeads}; got ${cfg.numKvHeads})`);
  if (!(Number.isFinite(cfg.normEps) && cfg.normEps > 0 && cfg.normEps < 1)) bad('normEps', `must be in (0, 1) (got ${cfg.normEps})`);
  if (!(Number.isFinite(cfg.attnScale) && cfg.attnScale > 0)) bad('attnScale', `must be a positive number (got ${cfg.attnScale})`);
  // The largest weight matrices must stay addressable (2^31 elements = 8 GB in float32 each).
  if (cfg.vocabSize * cfg.hiddenSize > 2 ** 31) bad('vocabSize', `x hidden size is ${cfg.vocabSize * cfg.hiddenSize} elements, more than any embedding SinkLens can hold`);
  if (cfg.intermediateSize * cfg.hiddenSize > 2 ** 31) bad('intermediateSize', `x hidden size is more than any MLP matrix SinkLens can hold`);
  if (cfg.rope) {
    const r = cfg.rope;
    if (!(Number.isFinite(r.theta) && r.theta > 0)) bad('theta', `must be a positive number (got ${r.theta})`);
    if (!Number.isInteger(r.rotaryDim) || r.rotaryDim < 2 || r.rotaryDim % 2 !== 0 || r.rotaryDim > cfg.headDim) {
      bad('rotaryDim', `gives ${r.rotaryDim} rotary dims; it must be even and in 2..head_dim (${cfg.headDim})`);
    }
    if (r.scaling && !(Number.isFinite(r.scaling.factor) && r.scaling.factor > 0)) bad('factor', `must be a positive number (got ${r.scaling.factor})`);
    if (r.scaling?.type === 'llama3' && !(r.scaling.originalMaxPositions > 0 && r.scaling.lowFreqFactor > 0 && r.scaling.highFreqFactor > r.scaling.lowFreqFactor)) {
      bad('factor', 'llama3 scaling needs original_max_position_embeddings > 0 and high_freq_factor > low_freq_factor > 0');
    }
    if (r.scaling?.type === 'longrope' && !(r.scaling.originalMaxPositions > 0 && Number.isFinite(r.scaling.attentionFactor) && r.scaling.attentionFactor > 0)) {
      bad('factor', 'longrope scaling needs original_max_position_embeddings > 0 and a positive attention_factor');
    }
  }
  checkWindowFields(cfg, bad);
  checkGptOssFields(cfg, bad);
  for (const [k, id] of [['bos_token_id', cfg.bosTokenId], ['eos_token_id', cfg.eosTokenId]] as const) {
    if (id !== null && (!Number.isSafeInteger(id) || id < 0 || id >= cfg.vocabSize)) bad(k, `is ${id}, outside the vocabulary (0..${cfg.vocabSize - 1})`);
  }
  return cfg;
}

/** The sliding-window / Gemma fields (all optional). */
function checkWindowFields(cfg: CanonicalConfig, bad: (field: string, what: string) => never): void {
  const w = cfg.layerWindows;
  if (w && w.length !== cfg.numLayers) bad('layerWindows', `gives ${w.length} layer types for ${cfg.numLayers} layers`);
  for (const v of w ?? []) if (v !== null && !(Number.isSafeInteger(v) && v >= 1)) bad('layerWindows', `must be a positive integer (got ${v})`);
  for (const k of ['attnSoftcap', 'finalSoftcap'] as const) {
    const v = cfg[k];
    if (v !== undefined && v !== null && !(Number.isFinite(v) && v > 0)) bad(k, `must be a positive number (got ${v})`);
  }
  if (cfg.embedScale !== undefined && !(Number.isFinite(cfg.embedScale) && cfg.embedScale > 0)) bad('embedScale', `gives a scale of ${cfg.embedScale}`);
  const t = cfg.ropeLocal?.theta;
  if (t !== undefined && !(Number.isFinite(t) && t > 0)) bad('localTheta', `must be a positive number (got ${t})`);
}

/** gpt-oss: experts, YaRN (all optional fields; windows are checkWindowFields'). */
function checkGptOssFields(cfg: CanonicalConfig, bad: (field: string, what: string) => never): void {
  const m = cfg.moe;
  if (m && !(Number.isSafeInteger(m.numExperts) && m.numExperts >= 1 && m.numExperts <= 1024 && Number.isSafeInteger(m.topK) && m.topK >= 1 && m.topK <= m.numExperts)) {
    bad('moe', `must give 1..1024 experts and a top-k in 1..experts (got ${m.numExperts} experts, top-${m.topK})`);
  }
  if (m && !(Number.isFinite(m.swigluAlpha) && Number.isFinite(m.swigluLimit) && m.swigluLimit > 0)) bad('moe', `needs a finite swiglu_alpha and a positive swiglu_limit`);
  const y = cfg.rope?.scaling;
  if (y?.type === 'yarn' && !(y.originalMaxPositions > 0 && Number.isFinite(y.betaFast) && Number.isFinite(y.betaSlow) && Number.isFinite(y.attentionFactor) && y.attentionFactor > 0)) {
    bad('yarn', 'needs original_max_position_embeddings > 0, finite beta_fast / beta_slow and a positive attention factor');
  }
}
