/** Config normalisation of Phi-3, OLMo, OLMo2, Granite and OPT: real config.json files and their refusals. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SinkLensError } from '../../../src/shared/errors';
import { checkCanonicalConfig } from '../../../src/engine/arch/checkConfig';
import { getAdapter } from '../../../src/engine/arch/registry';
import type { CanonicalConfig } from '../../../src/engine/arch/types';
import { GPT2, GRANITE_3_2B, OLMO2_7B, OLMO_7B_0424, OPT_125M, OPT_350M, PHI3_MINI_4K, PHI3_VISION_128K, PHI4_MINI, PYTHIA_160M, TINYLLAMA } from './configs';

const norm = (raw: Record<string, unknown>, name = 'm'): CanonicalConfig => getAdapter(raw['model_type']).normalizeConfig(raw, name);
const refuses = (raw: Record<string, unknown>, code: 'unsupportedArch' | 'badConfig', mention: string): void =>
  assert.throws(() => norm(raw), (e: unknown) => SinkLensError.is(e, code) && e.message.includes(mention));

describe('config normalisation: Phi-3', () => {
  it('Phi-3-mini-4k: full rotary, no scaling, untied', () => {
    const c = norm(PHI3_MINI_4K);
    assert.deepEqual([c.arch, c.hiddenSize, c.numLayers, c.numHeads, c.numKvHeads, c.headDim, c.intermediateSize, c.vocabSize, c.maxPositions], ['phi3', 3072, 32, 32, 32, 96, 8192, 32064, 4096]);
    assert.deepEqual(c.rope, { theta: 10000, rotaryDim: 96, scaling: null });
    assert.deepEqual([c.norm, c.normEps, c.act, c.gatedMlp, c.tieWordEmbeddings, c.bosTokenId, c.eosTokenId], ['rms', 1e-5, 'silu', true, false, 1, 32000]);
    // sliding_window 2047 on every layer (Phi3Model's sliding-window causal mask); null switches it off.
    assert.deepEqual(c.layerWindows, Array.from({ length: 32 }, () => 2047));
    assert.equal(norm({ ...PHI3_MINI_4K, sliding_window: null }).layerWindows, undefined);
  });

  it('Phi-3-vision-128k ("su"): longrope with factor 131072 / 4096 and attention factor sqrt(1 + ln 32 / ln 4096)', () => {
    const s = norm(PHI3_VISION_128K).rope?.scaling;
    assert.ok(s?.type === 'longrope');
    assert.equal(s.factor, 32);
    assert.equal(s.originalMaxPositions, 4096);
    assert.ok(Math.abs(s.attentionFactor - Math.sqrt(1 + Math.log(32) / Math.log(4096))) < 1e-12);
    assert.equal(s.attentionFactor.toFixed(4), '1.1902');
    assert.deepEqual(s.shortFactor, PHI3_VISION_128K.rope_scaling.short_factor);
    assert.deepEqual(s.longFactor, PHI3_VISION_128K.rope_scaling.long_factor);
  });

  it('Phi-4-mini: partial rotary 0.75 of head_dim 128 = 96 dims, GQA, tied; an explicit attention_factor wins', () => {
    const c = norm(PHI4_MINI);
    assert.deepEqual([c.headDim, c.numKvHeads, c.rope?.rotaryDim, c.tieWordEmbeddings], [128, 8, 96, true]);
    const s = norm({ ...PHI4_MINI, rope_scaling: { ...PHI4_MINI.rope_scaling, attention_factor: 1.5 } }).rope?.scaling;
    assert.equal(s?.type === 'longrope' && s.attentionFactor, 1.5);
    // "su" is longrope's older name.
    assert.equal(norm({ ...PHI4_MINI, rope_scaling: { ...PHI4_MINI.rope_scaling, type: 'su' } }).rope?.scaling?.type, 'longrope');
  });

  it('refuses factor lists of the wrong length, other scalings, and longrope outside Phi-3', () => {
    refuses({ ...PHI4_MINI, rope_scaling: { ...PHI4_MINI.rope_scaling, short_factor: [1, 2] } }, 'badConfig', 'short_factor must be 48');
    refuses({ ...PHI3_MINI_4K, rope_scaling: { type: 'dynamic', factor: 4 } }, 'unsupportedArch', 'dynamic');
    refuses({ ...TINYLLAMA, rope_scaling: { ...PHI3_VISION_128K.rope_scaling, type: 'longrope' } }, 'unsupportedArch', 'longrope');
    refuses({ ...PHI3_MINI_4K, partial_rotary_factor: 0.01 }, 'badConfig', 'partial_rotary_factor');
  });

  it('range checks: a zero attention factor or original context is refused naming the file', () => {
    const rs = PHI3_VISION_128K.rope_scaling;
    for (const raw of [{ ...PHI3_VISION_128K, rope_scaling: { ...rs, attention_factor: 0 } }, { ...PHI3_VISION_128K, original_max_position_embeddings: 0 }]) {
      assert.throws(() => checkCanonicalConfig(norm(raw), '/m/config.json'), (e: unknown) => SinkLensError.is(e, 'badConfig') && e.message.startsWith('/m/config.json'));
    }
    const real: Record<string, Record<string, unknown>> = { PHI3_MINI_4K, PHI3_VISION_128K, PHI4_MINI, OLMO_7B_0424, OLMO2_7B, GRANITE_3_2B, OPT_125M, OPT_350M };
    for (const [what, raw] of Object.entries(real)) assert.doesNotThrow(() => checkCanonicalConfig(norm(raw), '/m/config.json'), what);
  });
});

describe('config normalisation: OLMo, OLMo2', () => {
  it('OLMo-7B-0424: non-parametric LayerNorm (eps 1e-5), clip_qkv 8, no BOS in config.json', () => {
    const c = norm(OLMO_7B_0424);
    assert.deepEqual([c.arch, c.norm, c.normEps, c.clipQkv, c.bosTokenId, c.eosTokenId, c.tieWordEmbeddings, c.headDim], ['olmo', 'layer', 1e-5, 8, null, 50279, false, 128]);
    assert.equal(norm({ ...OLMO_7B_0424, clip_qkv: null }).clipQkv, null);
    refuses({ ...OLMO_7B_0424, clip_qkv: -1 }, 'badConfig', 'clip_qkv');
  });

  it('OLMo-2-1124-7B: post norms, q/k norm over the whole projection, theta 5e5, eps 1e-6', () => {
    const c = norm(OLMO2_7B);
    assert.deepEqual([c.arch, c.norm, c.normEps, c.postNorms, c.qkNorm, c.qkNormScope, c.rope?.theta, c.vocabSize], ['olmo2', 'rms', 1e-6, true, true, 'full', 500000, 100352]);
  });
});

describe('config normalisation: Granite', () => {
  it('granite-3.0-2b: the four multipliers; attention_multiplier is the softmax scale', () => {
    const c = norm(GRANITE_3_2B);
    assert.deepEqual([c.arch, c.numKvHeads, c.headDim, c.tieWordEmbeddings, c.normEps], ['granite', 8, 64, true, 1e-6]);
    assert.deepEqual([c.attnScale, c.embeddingMultiplier, c.residualMultiplier, c.logitsScaling], [0.015625, 12, 0.22, 8]);
  });

  it('absent multipliers are 1 (GraniteConfig defaults)', () => {
    const raw: Record<string, unknown> = { ...GRANITE_3_2B };
    for (const k of ['attention_multiplier', 'embedding_multiplier', 'residual_multiplier', 'logits_scaling']) delete raw[k];
    const c = norm(raw);
    assert.deepEqual([c.attnScale, c.embeddingMultiplier, c.residualMultiplier, c.logitsScaling], [1, 1, 1, 1]);
  });
});

describe('config normalisation: a head size implied by the hidden size', () => {
  it('GPT-2, GPT-NeoX and OPT refuse a hidden size the heads do not divide, naming both keys as the config spells them', () => {
    refuses({ ...GPT2, n_embd: 770 }, 'badConfig', 'n_embd 770 is not divisible by n_head 12');
    refuses({ ...PYTHIA_160M, hidden_size: 770 }, 'badConfig', 'hidden_size 770 is not divisible by num_attention_heads 12');
    refuses({ ...OPT_125M, hidden_size: 770 }, 'badConfig', 'hidden_size 770 is not divisible by num_attention_heads 12');
    assert.equal(norm(GPT2).headDim, 64);
    assert.equal(norm(PYTHIA_160M).headDim, 64);
  });
});

describe('config normalisation: OPT', () => {
  it('opt-125m: pre-LN, learned positions offset 2, ReLU, LayerNorm, tied', () => {
    const c = norm(OPT_125M);
    assert.deepEqual([c.arch, c.hiddenSize, c.numLayers, c.numHeads, c.headDim, c.intermediateSize, c.vocabSize, c.maxPositions], ['opt', 768, 12, 12, 64, 3072, 50272, 2048]);
    assert.deepEqual([c.norm, c.normEps, c.act, c.gatedMlp, c.position, c.rope, c.positionOffset, c.postLn, c.tieWordEmbeddings], ['layer', 1e-5, 'relu', false, 'learned', null, 2, false, true]);
    assert.deepEqual([c.bosTokenId, c.eosTokenId], [2, 2]);
  });

  it('opt-350m: post-LN', () => {
    const c = norm(OPT_350M);
    assert.deepEqual([c.hiddenSize, c.numHeads, c.postLn], [1024, 16, true]);
  });

  it('refuses linear layers without biases, LayerNorms without parameters and a removed final norm', () => {
    refuses({ ...OPT_125M, enable_bias: false }, 'unsupportedArch', 'enable_bias');
    refuses({ ...OPT_125M, layer_norm_elementwise_affine: false }, 'unsupportedArch', 'layer_norm_elementwise_affine');
    refuses({ ...OPT_125M, _remove_final_layer_norm: true }, 'unsupportedArch', '_remove_final_layer_norm');
  });
});
