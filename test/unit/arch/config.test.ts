import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SinkLensError } from '../../../src/shared/errors';
import { getAdapter, supportedModelTypes } from '../../../src/engine/arch/registry';
import { checkCanonicalConfig } from '../../../src/engine/arch/checkConfig';
import type { CanonicalConfig } from '../../../src/engine/arch/types';
import { GPT2, GPT_OSS_20B, LLAMA32_1B, MISTRAL_7B, PYTHIA_160M, QWEN25_05B, QWEN3_06B, SMOLLM_135M, TINYLLAMA } from './configs';

const norm = (raw: Record<string, unknown>, name = 'm'): CanonicalConfig => getAdapter(raw['model_type']).normalizeConfig(raw, name);

function pick(c: CanonicalConfig, keys: (keyof CanonicalConfig)[]): Partial<CanonicalConfig> {
  return Object.fromEntries(keys.map((k) => [k, c[k]]));
}

const SHAPE: (keyof CanonicalConfig)[] = ['arch', 'modelType', 'hiddenSize', 'numLayers', 'numHeads', 'numKvHeads', 'headDim', 'intermediateSize', 'vocabSize', 'maxPositions'];
const BLOCK: (keyof CanonicalConfig)[] = ['norm', 'normEps', 'act', 'gatedMlp', 'position', 'parallelResidual', 'qkNorm', 'tieWordEmbeddings', 'bosTokenId', 'eosTokenId'];

describe('config normalisation', () => {
  it('Llama 3.2 1B: GQA, explicit head_dim, llama3 rope scaling, tied', () => {
    const c = norm(LLAMA32_1B, 'meta-llama/Llama-3.2-1B');
    assert.deepEqual(pick(c, SHAPE), { arch: 'llama', modelType: 'llama', hiddenSize: 2048, numLayers: 16, numHeads: 32, numKvHeads: 8, headDim: 64, intermediateSize: 8192, vocabSize: 128256, maxPositions: 131072 });
    assert.deepEqual(pick(c, BLOCK), { norm: 'rms', normEps: 1e-5, act: 'silu', gatedMlp: true, position: 'rope', parallelResidual: false, qkNorm: false, tieWordEmbeddings: true, bosTokenId: 128000, eosTokenId: 128001 });
    assert.deepEqual(c.rope, { theta: 500000, rotaryDim: 64, scaling: { type: 'llama3', factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 } });
    assert.equal(c.attnScale, 1 / 8);
    assert.equal(c.name, 'meta-llama/Llama-3.2-1B');
  });

  it('TinyLlama: head_dim from hidden / heads, untied, no scaling', () => {
    const c = norm(TINYLLAMA);
    assert.deepEqual(pick(c, SHAPE), { arch: 'llama', modelType: 'llama', hiddenSize: 2048, numLayers: 22, numHeads: 32, numKvHeads: 4, headDim: 64, intermediateSize: 5632, vocabSize: 32000, maxPositions: 2048 });
    assert.deepEqual(c.rope, { theta: 10000, rotaryDim: 64, scaling: null });
    assert.equal(c.tieWordEmbeddings, false);
  });

  it('SmolLM 135M: 9 heads of 64, 3 kv heads, tied, bos 0', () => {
    const c = norm(SMOLLM_135M);
    assert.equal(c.headDim, 64);
    assert.equal(c.numKvHeads, 3);
    assert.equal(c.tieWordEmbeddings, true);
    assert.equal(c.bosTokenId, 0);
  });

  it('Llama 2 style linear rope scaling (legacy "type" key)', () => {
    const c = norm({ ...TINYLLAMA, rope_scaling: { type: 'linear', factor: 2.0 } });
    assert.deepEqual(c.rope?.scaling, { type: 'linear', factor: 2 });
  });

  it('transformers v5 rope_parameters', () => {
    const raw: Record<string, unknown> = { ...TINYLLAMA, rope_parameters: { rope_type: 'default', rope_theta: 123456 } };
    delete raw['rope_theta'];
    delete raw['rope_scaling'];
    assert.deepEqual(norm(raw).rope, { theta: 123456, rotaryDim: 64, scaling: null });
  });

  it('rejects an unsupported rope scaling type, naming it', () => {
    assert.throws(() => norm({ ...TINYLLAMA, rope_scaling: { type: 'longrope', factor: 4 } }), (e: unknown) => SinkLensError.is(e, 'unsupportedArch') && e.message.includes('longrope'));
  });

  it('gpt-oss-20b: sinks, 32 experts top-4, YaRN without truncation, alternating 128-token windows, untied', () => {
    const c = norm(GPT_OSS_20B, 'openai/gpt-oss-20b');
    assert.deepEqual(pick(c, SHAPE), { arch: 'gpt_oss', modelType: 'gpt_oss', hiddenSize: 2880, numLayers: 24, numHeads: 64, numKvHeads: 8, headDim: 64, intermediateSize: 2880, vocabSize: 201088, maxPositions: 131072 });
    assert.deepEqual(pick(c, BLOCK), { norm: 'rms', normEps: 1e-5, act: 'silu', gatedMlp: true, position: 'rope', parallelResidual: false, qkNorm: false, tieWordEmbeddings: false, bosTokenId: null, eosTokenId: 200002 });
    assert.deepEqual(c.rope, {
      theta: 150000,
      rotaryDim: 64,
      scaling: { type: 'yarn', factor: 32, betaFast: 32, betaSlow: 1, originalMaxPositions: 4096, attentionFactor: 0.1 * Math.log(32) + 1, truncate: false },
    });
    assert.equal(c.attnScale, 1 / 8);
    assert.equal(c.attnSinks, true);
    assert.deepEqual(c.moe, { numExperts: 32, topK: 4, swigluAlpha: 1.702, swigluLimit: 7 });
    assert.equal(c.layerWindows?.length, 24);
    assert.deepEqual(c.layerWindows?.slice(0, 4), [128, null, 128, null]);
  });

  it('gpt-oss defaults as GptOssConfig fills them: layer_types, sliding_window 128, theta 150000, YaRN factor 32', () => {
    const raw: Record<string, unknown> = { ...GPT_OSS_20B, num_hidden_layers: 3 };
    for (const k of ['layer_types', 'sliding_window', 'rope_theta', 'rope_scaling', 'swiglu_limit']) delete raw[k];
    const c = norm(raw);
    assert.deepEqual(c.layerWindows, [128, null, 128]);
    assert.equal(c.rope?.theta, 150000);
    assert.deepEqual(c.rope?.scaling, { type: 'yarn', factor: 32, betaFast: 32, betaSlow: 1, originalMaxPositions: 4096, attentionFactor: 0.1 * Math.log(32) + 1, truncate: false });
    assert.equal(c.moe?.swigluLimit, 7);
  });

  it('gpt-oss: an unknown layer type, a sliding layer without a window and top-k above the experts are refused', () => {
    const types = (t: string) => Array.from({ length: 24 }, (_, i) => (i === 3 ? t : 'full_attention'));
    assert.throws(() => norm({ ...GPT_OSS_20B, layer_types: types('chunked_attention') }), (e: unknown) => SinkLensError.is(e, 'unsupportedArch') && e.message.includes('chunked_attention'));
    assert.throws(() => norm({ ...GPT_OSS_20B, sliding_window: null }), (e: unknown) => SinkLensError.is(e, 'badConfig') && e.message.includes('sliding_window'));
    assert.throws(() => norm({ ...GPT_OSS_20B, num_experts_per_tok: 33 }), (e: unknown) => SinkLensError.is(e, 'badConfig') && e.message.includes('num_experts_per_tok'));
  });

  it('YaRN on a Llama-like config: attention factor from mscale / mscale_all_dim, truncate by default', () => {
    const c = norm({ ...TINYLLAMA, rope_scaling: { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 2048, mscale: 1, mscale_all_dim: 0.5 } });
    const m = (s: number, k: number) => 0.1 * k * Math.log(s) + 1;
    assert.deepEqual(c.rope?.scaling, { type: 'yarn', factor: 4, betaFast: 32, betaSlow: 1, originalMaxPositions: 2048, attentionFactor: m(4, 1) / m(4, 0.5), truncate: true });
  });

  it('Mistral 7B', () => {
    const c = norm(MISTRAL_7B);
    assert.deepEqual(pick(c, SHAPE), { arch: 'mistral', modelType: 'mistral', hiddenSize: 4096, numLayers: 32, numHeads: 32, numKvHeads: 8, headDim: 128, intermediateSize: 14336, vocabSize: 32000, maxPositions: 32768 });
    assert.equal(c.rope?.theta, 10000);
    assert.equal(c.tieWordEmbeddings, false);
  });

  it('Qwen2.5 0.5B: theta 1e6, eps 1e-6, tied', () => {
    const c = norm(QWEN25_05B);
    assert.deepEqual(pick(c, SHAPE), { arch: 'qwen2', modelType: 'qwen2', hiddenSize: 896, numLayers: 24, numHeads: 14, numKvHeads: 2, headDim: 64, intermediateSize: 4864, vocabSize: 151936, maxPositions: 32768 });
    assert.equal(c.rope?.theta, 1e6);
    assert.equal(c.normEps, 1e-6);
    assert.equal(c.tieWordEmbeddings, true);
    assert.equal(c.qkNorm, false);
  });

  it('Qwen3 0.6B: head_dim 128 != hidden / heads, q/k norm', () => {
    const c = norm(QWEN3_06B);
    assert.deepEqual(pick(c, SHAPE), { arch: 'qwen3', modelType: 'qwen3', hiddenSize: 1024, numLayers: 28, numHeads: 16, numKvHeads: 8, headDim: 128, intermediateSize: 3072, vocabSize: 151936, maxPositions: 40960 });
    assert.equal(c.qkNorm, true);
    assert.equal(c.rope?.rotaryDim, 128);
    assert.equal(c.attnScale, 1 / Math.sqrt(128));
    assert.equal(c.eosTokenId, 151645);
  });

  it('GPT-2: n_* names, n_inner null -> 4d, LayerNorm, learned positions, gelu_new, tied', () => {
    const c = norm(GPT2);
    assert.deepEqual(pick(c, SHAPE), { arch: 'gpt2', modelType: 'gpt2', hiddenSize: 768, numLayers: 12, numHeads: 12, numKvHeads: 12, headDim: 64, intermediateSize: 3072, vocabSize: 50257, maxPositions: 1024 });
    assert.deepEqual(pick(c, BLOCK), { norm: 'layer', normEps: 1e-5, act: 'gelu_new', gatedMlp: false, position: 'learned', parallelResidual: false, qkNorm: false, tieWordEmbeddings: true, bosTokenId: 50256, eosTokenId: 50256 });
    assert.equal(c.rope, null);
    assert.equal(norm({ ...GPT2, n_inner: 1000 }).intermediateSize, 1000);
  });

  it('Pythia 160M: partial rotary, parallel residual, erf gelu, untied', () => {
    const c = norm(PYTHIA_160M);
    assert.deepEqual(pick(c, SHAPE), { arch: 'gpt_neox', modelType: 'gpt_neox', hiddenSize: 768, numLayers: 12, numHeads: 12, numKvHeads: 12, headDim: 64, intermediateSize: 3072, vocabSize: 50304, maxPositions: 2048 });
    assert.deepEqual(pick(c, BLOCK), { norm: 'layer', normEps: 1e-5, act: 'gelu', gatedMlp: false, position: 'rope', parallelResidual: true, qkNorm: false, tieWordEmbeddings: false, bosTokenId: 0, eosTokenId: 0 });
    assert.deepEqual(c.rope, { theta: 10000, rotaryDim: 16, scaling: null });
    assert.equal(norm({ ...PYTHIA_160M, rotary_pct: 0.3 }).rope?.rotaryDim, 19); // floor(64 * 0.3)
    assert.equal(norm({ ...PYTHIA_160M, use_parallel_residual: false }).parallelResidual, false);
  });

  it('unknown model_type lists the supported ones', () => {
    assert.throws(
      () => getAdapter('bert'),
      (e: unknown) => SinkLensError.is(e, 'unsupportedArch') && e.message.includes('"bert"') && supportedModelTypes().every((t) => e.message.includes(t)),
    );
    assert.deepEqual(supportedModelTypes().sort(), ['gemma', 'gemma2', 'gemma3', 'gemma3_text', 'gpt2', 'gpt_neox', 'gpt_oss', 'granite', 'llama', 'mistral', 'olmo', 'olmo2', 'opt', 'phi3', 'qwen2', 'qwen3', 'starcoder2']);
  });

  it('missing or invalid fields are badConfig naming the field', () => {
    const raw: Record<string, unknown> = { ...TINYLLAMA };
    delete raw['hidden_size'];
    assert.throws(() => norm(raw), (e: unknown) => SinkLensError.is(e, 'badConfig') && e.message.includes('hidden_size'));
    assert.throws(() => norm({ ...GPT2, n_head: 'twelve' }), (e: unknown) => SinkLensError.is(e, 'badConfig') && e.message.includes('n_head'));
    assert.throws(() => norm({ ...TINYLLAMA, num_key_value_heads: 5 }), (e: unknown) => SinkLensError.is(e, 'badConfig'));
    assert.throws(() => norm({ ...TINYLLAMA, hidden_act: 'swiglu_weird' }), (e: unknown) => SinkLensError.is(e, 'unsupportedArch') && e.message.includes('swiglu_weird'));
  });
});

describe('sliding windows (query i sees keys j with i - W < j <= i)', () => {
  const isBad = (code: 'badConfig' | 'unsupportedArch', what: string) => (e: unknown) => SinkLensError.is(e, code) && e.message.includes(what);

  it('Mistral 7B v0.1: sliding_window 4096 on every layer; null (v0.2+) is none; absent is MistralConfig\'s 4096', () => {
    assert.deepEqual(norm(MISTRAL_7B).layerWindows, Array.from({ length: 32 }, () => 4096));
    assert.equal(norm({ ...MISTRAL_7B, sliding_window: null }).layerWindows, undefined);
    const raw: Record<string, unknown> = { ...MISTRAL_7B };
    delete raw['sliding_window'];
    assert.deepEqual(norm(raw).layerWindows?.[31], 4096);
    assert.throws(() => norm({ ...MISTRAL_7B, sliding_window: 0 }), isBad('badConfig', 'sliding_window'));
  });

  it('Qwen2.5: off unless use_sliding_window; then layers i >= max_window_layers are windowed', () => {
    assert.equal(norm(QWEN25_05B).layerWindows, undefined);
    const c = norm({ ...QWEN25_05B, use_sliding_window: true, max_window_layers: 21, sliding_window: 4096 });
    assert.deepEqual(c.layerWindows, Array.from({ length: 24 }, (_, i) => (i >= 21 ? 4096 : null)));
    // max_window_layers = num_hidden_layers (the shipped value) leaves every layer full.
    assert.equal(norm({ ...QWEN25_05B, use_sliding_window: true }).layerWindows, undefined);
  });

  it('Qwen3: an explicit layer_types list wins; unknown types are refused', () => {
    const types = Array.from({ length: 28 }, (_, i) => (i % 2 ? 'full_attention' : 'sliding_attention'));
    const c = norm({ ...QWEN3_06B, use_sliding_window: true, sliding_window: 512, layer_types: types });
    assert.deepEqual(c.layerWindows, types.map((t) => (t === 'sliding_attention' ? 512 : null)));
    assert.throws(() => norm({ ...QWEN3_06B, use_sliding_window: true, sliding_window: 512, layer_types: types.map(() => 'chunked_attention') }), isBad('unsupportedArch', 'chunked_attention'));
    assert.throws(() => norm({ ...QWEN3_06B, use_sliding_window: true, sliding_window: 512, layer_types: ['full_attention'] }), isBad('badConfig', 'layer_types'));
  });
});

describe('range checks on the gpt-oss fields', () => {
  const cfg = getAdapter('gpt_oss').normalizeConfig(GPT_OSS_20B, 'openai/gpt-oss-20b');
  const refused = (c: CanonicalConfig, field: string) =>
    assert.throws(() => checkCanonicalConfig(c, '/m/config.json'), (e: unknown) => SinkLensError.is(e, 'badConfig') && e.message.startsWith('/m/config.json') && e.message.includes(field));
  it('the published config passes', () => assert.equal(checkCanonicalConfig(cfg, '/m/config.json'), cfg));
  it('windows per layer, experts and YaRN fields out of range are refused, naming the field', () => {
    refused({ ...cfg, layerWindows: [128] }, 'layer_types');
    refused({ ...cfg, layerWindows: cfg.layerWindows?.map((w, i) => (i === 2 ? 0 : w)) }, 'sliding_window');
    refused({ ...cfg, moe: { ...cfg.moe!, topK: 40 } }, 'num_experts_per_tok');
    refused({ ...cfg, moe: { ...cfg.moe!, swigluLimit: -1 } }, 'num_local_experts');
    const rope = cfg.rope!;
    refused({ ...cfg, rope: { ...rope, scaling: { ...(rope.scaling as Extract<NonNullable<typeof rope.scaling>, { type: 'yarn' }>), originalMaxPositions: 0 } } }, 'yarn');
  });
});
