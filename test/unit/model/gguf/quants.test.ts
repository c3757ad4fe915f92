/**
 * GGUF tensor decoding: dequantise(quantise(x)) for every quantised type the engine reads stays
 * within the format's worst-case step (the writer's quantisers are written from the block layouts,
 * independently of the decoder), F16/BF16 decode exactly, and unknown or unsupported types are
 * refused with one line naming the tensor and the type.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dequantize, GGML, tensorBytes } from '../../../../src/engine/model/gguf/quants';
import { mulberry32, normals, quantize, QUANT_LAYOUT, type GgufQuant } from '../../../../tools/modelgen';
import { SinkLensError } from '../../../../src/shared/errors';

/** Weight-like data: normal values, a few outliers, a sub-block of zeros and one of constants. */
function sample(n: number, seed: number): Float32Array {
  const x = normals(mulberry32(seed), n, 0.05);
  const rng = mulberry32(seed + 1);
  for (let i = 0; i < n / 97; i++) x[Math.floor(rng.next() * n)] = (rng.next() - 0.5) * 4;
  x.fill(0, 256, 288);
  x.fill(0.3, 512, 544);
  return x;
}

/** Worst-case |error| per block of the round-to-nearest quantisers, from the value range of the block. */
function bound(type: GgufQuant, block: Float32Array): number {
  let amax = 0;
  let lo = 0;
  let hi = 0;
  for (const v of block) {
    amax = Math.max(amax, Math.abs(v));
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const slack = 1 + 2 ** -9; // f16-rounded scales
  switch (type) {
    case 'Q8_0': return (amax / 127 / 2) * slack; // step d = amax/127
    case 'Q4_0': return (amax / 8) * slack; // step amax/8; the +amax end clamps to 7 steps
    // K-quants: each sub-block's step is d·sc with sc a 6-bit multiple of d = max step / 63, so a
    // step is off by ≤ d/2, and the min by ≤ dmin/2 (both ≤ 1/126 of the super-block's largest).
    case 'Q4_K': return (((hi - lo) / 15) * (0.5 + 1 / 126 * 16) + (-lo / 63) / 2) * slack;
    case 'Q5_K': return (((hi - lo) / 31) * (0.5 + 1 / 126 * 32) + (-lo / 63) / 2) * slack;
    case 'Q6_K': return ((amax / 31) * (0.5 + 1 / 254 * 33)) * slack;
  }
}

describe('GGUF quantised types', () => {
  for (const type of ['Q8_0', 'Q4_0', 'Q4_K', 'Q5_K', 'Q6_K'] as const) {
    it(`${type}: dequantise(quantise(x)) is within the format's step, block by block`, () => {
      const { id, block } = QUANT_LAYOUT[type];
      const x = sample(4096, 40 + id);
      const bytes = quantize(x, type);
      assert.equal(bytes.byteLength, tensorBytes(id, [4096], 't'));
      const y = dequantize(bytes, id, x.length, 't');
      let rms = 0;
      for (let b = 0; b < x.length / block; b++) {
        const xs = x.subarray(b * block, (b + 1) * block);
        const lim = bound(type, xs);
        for (let i = 0; i < block; i++) {
          const e = Math.abs((y[b * block + i] as number) - (xs[i] as number));
          rms += e * e;
          assert.ok(e <= lim + 1e-9, `${type} block ${b} element ${i}: |error| ${e} > bound ${lim}`);
        }
      }
      // A constant or zero block comes back (almost) exactly: the scale fits it.
      for (let i = 256; i < 288; i++) assert.ok(Math.abs(y[i] as number) < 1e-6, `${type}: zeros stay zero`);
      assert.ok(Math.sqrt(rms / x.length) < 0.05 * 0.5, `${type}: rms error ${Math.sqrt(rms / x.length)}`);
    });
  }

  it('F16 and BF16 decode exactly', () => {
    const bytes = new Uint8Array([0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00, 0x00, 0x7c]); // 1, -2, 2^-24, +inf
    assert.deepEqual([...dequantize(bytes, GGML.F16, 4, 't')], [1, -2, 2 ** -24, Infinity]);
    const bf = new Uint8Array([0x80, 0x3f, 0x40, 0xc0]); // 1, -3
    assert.deepEqual([...dequantize(bf, GGML.BF16, 2, 't')], [1, -3]);
  });

  it('refuses an unknown or unsupported type with one line naming the tensor and the type', () => {
    for (const [type, name] of [[3, 'Q4_1'], [99, 'type 99']] as const) {
      assert.throws(
        () => dequantize(new Uint8Array(40), type, 32, 'blk.0.attn_q.weight'),
        (e: unknown) => SinkLensError.is(e, 'corruptWeights') && e.message.includes('blk.0.attn_q.weight') && e.message.includes(name) && !e.message.includes('\n'),
      );
    }
  });

  it('sizes tensors by whole blocks and rejects a row that is not', () => {
    assert.equal(tensorBytes(GGML.Q4_K, [512, 3], 't'), 2 * 3 * 144);
    assert.equal(tensorBytes(GGML.Q8_0, [64, 2], 't'), 4 * 34);
    assert.throws(() => tensorBytes(GGML.Q6_K, [128, 2], 'w'), /"w".*multiple of its block size 256/);
  });
});
