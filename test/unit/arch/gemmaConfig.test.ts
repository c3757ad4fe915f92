/** Gemma 1/2/3 and Starcoder2 config dialects against real config.json files, with their refusals. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SinkLensError } from '../../../src/shared/errors';
import { getAdapter } from '../../../src/engine/arch/registry';
import { toBfloat16, toFloat16 } from '../../../src/engine/arch/gemmaConfig';
import { checkCanonicalConfig } from '../../../src/engine/arch/checkConfig';
import type { CanonicalConfig } from '../../../src/engine/arch/types';
import { GEMMA2_2B, GEMMA3_1B, GEMMA3_4B_MULTIMODAL, GEMMA_2B, STARCODER2_3B } from './configs';

const norm = (raw: Record<string, unknown>): CanonicalConfig => checkCanonicalConfig(getAdapter(raw['model_type']).normalizeConfig(raw, 'm'), 'config.json');
const isErr = (code: 'badConfig' | 'unsupportedArch', what: string) => (e: unknown) => SinkLensError.is(e, code) && e.message.includes(what);

describe('Gemma config dialects', () => {
  it('bf16 / fp16 rounding of sqrt(d) matches hand-computed values', () => {
    assert.equal(toBfloat16(Math.sqrt(2048)), 45.25); // 45.2548 -> 8 significant bits, step 0.25
    assert.equal(toBfloat16(Math.sqrt(1152)), 34); // 33.941 -> 34.0
    assert.equal(toBfloat16(Math.sqrt(48)), 6.9375); // 6.9282 -> step 1/32
    assert.equal(toFloat16(Math.sqrt(48)), 6.9296875); // 6.9282 -> step 1/256
    assert.equal(toBfloat16(48), 48);
  });

  it('Gemma 2B: (1+w) RMSNorm family, tanh GeGLU from hidden_activation, head_dim 256, MQA, tied, sqrt(2048) in bf16', () => {
    const c = norm(GEMMA_2B);
    assert.deepEqual([c.arch, c.hiddenSize, c.numLayers, c.numHeads, c.numKvHeads, c.headDim, c.intermediateSize, c.vocabSize], ['gemma', 2048, 18, 8, 1, 256, 16384, 256000]);
    assert.deepEqual([c.norm, c.normEps, c.act, c.gatedMlp, c.tieWordEmbeddings, c.bosTokenId, c.eosTokenId], ['rms', 1e-6, 'gelu_new', true, true, 2, 1]);
    assert.equal(c.attnScale, 1 / 16);
    assert.equal(c.embedScale, 45.25);
    assert.equal(c.layerWindows, undefined);
    assert.equal(c.attnSoftcap, null);
    assert.equal(c.finalSoftcap, null);
    // hidden_activation (the corrected key) wins over the shipped hidden_act "gelu"; without it hidden_act counts.
    const legacy: Record<string, unknown> = { ...GEMMA_2B };
    delete legacy['hidden_activation'];
    assert.equal(norm(legacy).act, 'gelu');
    assert.equal(norm({ ...legacy, hidden_act: 'gelu_pytorch_tanh' }).act, 'gelu_new');
  });

  it('Gemma 2 2B: soft-caps 50 / 30, query_pre_attn_scalar, even layers windowed at 4096, float32 scale exact', () => {
    const c = norm(GEMMA2_2B);
    assert.deepEqual([c.arch, c.hiddenSize, c.numLayers, c.numHeads, c.numKvHeads, c.headDim], ['gemma2', 2304, 26, 8, 4, 256]);
    assert.equal(c.attnSoftcap, 50);
    assert.equal(c.finalSoftcap, 30);
    assert.equal(c.attnScale, 1 / 16);
    assert.equal(c.embedScale, 48);
    assert.deepEqual(c.layerWindows, Array.from({ length: 26 }, (_, i) => (i % 2 === 0 ? 4096 : null)));
    assert.equal(norm({ ...GEMMA2_2B, attn_logit_softcapping: null }).attnSoftcap, null);
    const absent: Record<string, unknown> = { ...GEMMA2_2B };
    delete absent['final_logit_softcapping'];
    assert.equal(norm(absent).finalSoftcap, 30, "Gemma2Config's default");
    assert.equal(norm({ ...GEMMA2_2B, query_pre_attn_scalar: 144 }).attnScale, 1 / 12);
    // transformers v5 writes rope_parameters instead of rope_theta.
    const v5: Record<string, unknown> = { ...GEMMA2_2B, rope_parameters: { rope_type: 'default', rope_theta: 20000 } };
    delete v5['rope_theta'];
    assert.deepEqual(norm(v5).rope, { theta: 20000, rotaryDim: 256, scaling: null });
  });

  it('Gemma 3 1B: 5 local : 1 global, window 512, local RoPE 1e4 vs global 1e6, q/k norm, sqrt(1152) -> 34 in bf16', () => {
    const c = norm(GEMMA3_1B);
    assert.deepEqual([c.arch, c.modelType, c.hiddenSize, c.numLayers, c.numHeads, c.numKvHeads, c.headDim, c.vocabSize], ['gemma3', 'gemma3_text', 1152, 26, 4, 1, 256, 262144]);
    assert.equal(c.qkNorm, true);
    assert.deepEqual(c.layerWindows, Array.from({ length: 26 }, (_, i) => ((i + 1) % 6 === 0 ? null : 512)));
    assert.deepEqual(c.rope, { theta: 1e6, rotaryDim: 256, scaling: null });
    assert.deepEqual(c.ropeLocal, { theta: 1e4, rotaryDim: 256, scaling: null });
    assert.equal(c.embedScale, 34);
    assert.equal(c.attnSoftcap, null);
    assert.equal(c.eosTokenId, 1);
  });

  it('Gemma 3 in the v5 dialect: rope_parameters keyed by layer type', () => {
    const raw: Record<string, unknown> = {
      ...GEMMA3_1B,
      rope_parameters: { full_attention: { rope_type: 'linear', factor: 8, rope_theta: 1e6 }, sliding_attention: { rope_type: 'default', rope_theta: 1e4 } },
    };
    for (const k of ['rope_theta', 'rope_local_base_freq', 'rope_scaling']) delete raw[k];
    const c = norm(raw);
    assert.deepEqual(c.rope, { theta: 1e6, rotaryDim: 256, scaling: { type: 'linear', factor: 8 } });
    assert.deepEqual(c.ropeLocal, { theta: 1e4, rotaryDim: 256, scaling: null });
  });

  it('Gemma 3: a layer_types list replaces sliding_window_pattern', () => {
    const types = Array.from({ length: 26 }, (_, i) => (i < 2 ? 'full_attention' : 'sliding_attention'));
    const c = norm({ ...GEMMA3_1B, layer_types: types });
    assert.deepEqual(c.layerWindows, types.map((t) => (t === 'full_attention' ? null : 512)));
  });

  it('Gemma 3 4B (image-text config): the text_config with Gemma3TextConfig defaults; linear scaling on global layers only', () => {
    const c = norm(GEMMA3_4B_MULTIMODAL);
    assert.deepEqual([c.arch, c.modelType, c.hiddenSize, c.numLayers, c.numHeads, c.numKvHeads, c.headDim, c.intermediateSize, c.vocabSize], ['gemma3', 'gemma3', 2560, 34, 8, 4, 256, 10240, 262208]);
    assert.deepEqual(c.rope, { theta: 1e6, rotaryDim: 256, scaling: { type: 'linear', factor: 8 } });
    assert.deepEqual(c.ropeLocal, { theta: 1e4, rotaryDim: 256, scaling: null });
    assert.equal(c.layerWindows?.[0], 1024);
    assert.equal(c.layerWindows?.[5], null);
    assert.equal(c.embedScale, toBfloat16(Math.sqrt(2560)));
    assert.throws(() => norm({ ...GEMMA3_4B_MULTIMODAL, text_config: undefined }), isErr('unsupportedArch', 'text_config'));
  });

  it('refusals: attention biases, unknown activations and layer types, a window on a layer with none set', () => {
    assert.throws(() => norm({ ...GEMMA_2B, attention_bias: true }), isErr('unsupportedArch', 'attention_bias'));
    assert.throws(() => norm({ ...GEMMA2_2B, hidden_activation: 'geglu_weird' }), isErr('unsupportedArch', 'geglu_weird'));
    assert.throws(() => norm({ ...GEMMA3_1B, layer_types: Array.from({ length: 26 }, () => 'chunked_attention') }), isErr('unsupportedArch', 'chunked_attention'));
    assert.throws(() => norm({ ...GEMMA3_1B, sliding_window: null, layer_types: Array.from({ length: 26 }, () => 'sliding_attention') }), isErr('badConfig', 'sliding_window'));
    assert.throws(() => norm({ ...GEMMA2_2B, attn_logit_softcapping: -1 }), isErr('badConfig', 'attn_logit_softcapping'));
  });
});

describe('Starcoder2 config dialect', () => {
  it('Starcoder2 3B: LayerNorm with bias, tanh GELU plain MLP, GQA 24/2, window 4096 on every layer', () => {
    const c = norm(STARCODER2_3B);
    assert.deepEqual([c.arch, c.hiddenSize, c.numLayers, c.numHeads, c.numKvHeads, c.headDim, c.intermediateSize, c.vocabSize, c.maxPositions], ['starcoder2', 3072, 30, 24, 2, 128, 12288, 49152, 16384]);
    assert.deepEqual([c.norm, c.normEps, c.act, c.gatedMlp, c.parallelResidual], ['layer', 1e-5, 'gelu_new', false, false]);
    assert.deepEqual(c.rope, { theta: 999999.4420358813, rotaryDim: 128, scaling: null });
    assert.deepEqual(c.layerWindows, Array.from({ length: 30 }, () => 4096));
    assert.equal(norm({ ...STARCODER2_3B, sliding_window: null }).layerWindows, undefined);
    assert.throws(() => norm({ ...STARCODER2_3B, use_bias: false }), isErr('unsupportedArch', 'use_bias'));
  });
});
