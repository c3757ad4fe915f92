/** RoPE caches baked into the graph: inv_freq scaling against the oracle, and the cache layout. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inverseFrequencies, ropeCaches } from '../../../src/engine/graph/blocks/rope';
import { ropeInvFreq } from '../../support/reference';
import { assertClose } from '../../support/assertClose';

const LLAMA31 = { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 };

describe('rope caches', () => {
  it('llama3 scaling keeps, interpolates and divides frequencies like transformers', () => {
    const rope = { theta: 500000, rotaryDim: 128, scaling: { type: 'llama3' as const, ...LLAMA31 } };
    const want = ropeInvFreq(500000, 128, { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 });
    const got = inverseFrequencies(rope);
    assertClose(got, want, { rtol: 1e-6, atol: 0 }, 'inv_freq');
    // All three bands occur: kept (ratio 1), divided by the factor (1/8), and interpolated between.
    const base = ropeInvFreq(500000, 128, null);
    const ratios = Array.from(got, (f, i) => f / base[i]!);
    assert.ok(Math.abs(ratios[0]! - 1) < 1e-6, 'highest frequency kept');
    assert.ok(Math.abs(ratios[63]! - 1 / 8) < 1e-6, 'lowest frequency divided by 8');
    assert.ok(ratios.some((r) => r > 0.2 && r < 0.9), 'an interpolated band exists');
  });

  it('linear scaling divides every frequency', () => {
    const got = inverseFrequencies({ theta: 10000, rotaryDim: 16, scaling: { type: 'linear', factor: 4 } });
    assertClose(got, ropeInvFreq(10000, 16, { type: 'linear', factor: 4 }), { rtol: 1e-6, atol: 0 }, 'inv_freq');
  });

  it('cos/sin rows are cat(f, f) with the rotate_half sign folded into sin', () => {
    const rope = { theta: 10000, rotaryDim: 4, scaling: null };
    const { cos, sin } = ropeCaches(rope, 3);
    const f = [1, 1 / 100]; // theta^(-0/4), theta^(-2/4)
    const p = 2;
    assertClose(cos.slice(p * 4, p * 4 + 4), [Math.cos(p * f[0]!), Math.cos(p * f[1]!), Math.cos(p * f[0]!), Math.cos(p * f[1]!)], { rtol: 1e-6, atol: 1e-7 }, 'cos');
    assertClose(sin.slice(p * 4, p * 4 + 4), [-Math.sin(p * f[0]!), -Math.sin(p * f[1]!), Math.sin(p * f[0]!), Math.sin(p * f[1]!)], { rtol: 1e-6, atol: 1e-7 }, 'sin');
  });
});
