/**
 * GGUF metadata → config.json: llama3 RoPE scaling recovered from the `rope_freqs` factors
 * llama.cpp stores (checked against the oracle's rope frequencies for the released Llama 3.1 / 3.2
 * settings), non-standard factors refused, and the qwen3 fields (explicit head_dim) mapped.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ggufRawConfig, llama3RopeScaling } from '../../../../src/engine/model/gguf/config';
import type { GgufFile, GgufValue } from '../../../../src/engine/model/gguf/reader';
import { SinkLensError } from '../../../../src/shared/errors';
import { ropeInvFreq } from '../../../support/reference';

describe('GGUF config', () => {
  for (const [name, headDim, factor] of [['Llama 3.1', 128, 8], ['Llama 3.2', 64, 32]] as const) {
    it(`${name}: the llama3 rope_scaling is recovered from rope_freqs`, () => {
      const scaling = { rope_type: 'llama3', factor, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 };
      const base = ropeInvFreq(500000, headDim, null);
      const scaled = ropeInvFreq(500000, headDim, scaling);
      const freqs = Float32Array.from(base, (f, i) => f / (scaled[i] as number)); // what llama.cpp stores
      assert.deepEqual(llama3RopeScaling(freqs, headDim, 500000, undefined), scaling);
    });
  }

  it('non-standard rope_freqs are refused', () => {
    const freqs = Float32Array.from({ length: 32 }, (_, i) => 1 + i / 10);
    assert.throws(() => llama3RopeScaling(freqs, 64, 500000, undefined), (e: unknown) => SinkLensError.is(e, 'unsupportedArch'));
  });

  it('qwen3 metadata: explicit head_dim, kv heads, tied when there is no output.weight, vocab from the embedding', () => {
    const m = new Map<string, GgufValue>([
      ['general.architecture', 'qwen3'],
      ['qwen3.embedding_length', 1024], ['qwen3.block_count', 28], ['qwen3.feed_forward_length', 3072],
      ['qwen3.attention.head_count', 16], ['qwen3.attention.head_count_kv', 8], ['qwen3.attention.key_length', 128],
      ['qwen3.rope.freq_base', 1000000], ['qwen3.context_length', 40960], ['qwen3.attention.layer_norm_rms_epsilon', 1e-6],
      ['tokenizer.ggml.bos_token_id', 151643], ['tokenizer.ggml.eos_token_id', 151645],
    ]);
    const f: GgufFile = { path: '/x.gguf', bytes: 0, version: 3, metadata: m, tensors: [{ name: 'token_embd.weight', dims: [1024, 151936], type: 0, byteRange: [0, 0] }] };
    const raw = ggufRawConfig(f, () => null);
    assert.deepEqual(
      [raw['model_type'], raw['head_dim'], raw['num_key_value_heads'], raw['vocab_size'], raw['tie_word_embeddings'], raw['rope_theta'], raw['bos_token_id']],
      ['qwen3', 128, 8, 151936, true, 1000000, 151643],
    );
  });
});
