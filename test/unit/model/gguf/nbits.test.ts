/**
 * GGUF blocks taken into MatMulNBits as they are: the stored form, decoded bit by bit by a decoder
 * written from the operator's documentation (W = (code − zero) · scale + offset), equals quants.ts'
 * float32 dequantisation exactly for Q4_0 / Q8_0 / Q6_K, and up to the one float32 rounding of the
 * centred block offset for Q4_K / Q5_K; onnxruntime's MatMulNBits (the graph's
 * own linear, offsets included) on the stored form computes x W^T of those very weights; and a
 * stored form is used only when its bits fit the precision asked for.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DT, GraphBuilder } from '../../../../src/engine/graph/builder';
import { linearSource, makeLinear } from '../../../../src/engine/graph/blocks/linear';
import { serializeInline } from '../../../../src/engine/graph/serialize';
import { nbitsForm, toNBits, unpermuteNBits } from '../../../../src/engine/model/gguf/nbits';
import { unpermuteRows } from '../../../../src/engine/model/gguf/names';
import { dequantize } from '../../../../src/engine/model/gguf/quants';
import { createSession } from '../../../../src/engine/runtime/ort';
import type { NBitsBlocks, StoredNBits, WeightRef } from '../../../../src/engine/weights/types';
import { mulberry32, normals, quantize, QUANT_LAYOUT, type GgufQuant } from '../../../../tools/modelgen';
import { assertClose } from '../../../support/assertClose';

const TYPES: readonly GgufQuant[] = ['Q4_0', 'Q8_0', 'Q4_K', 'Q5_K', 'Q6_K'];

/** Weight-like rows: normal values, outliers, a zero block, a constant block and an all-positive block. */
function matrix(N: number, K: number, seed: number): Float32Array {
  const x = normals(mulberry32(seed), N * K, 0.05);
  const rng = mulberry32(seed + 1);
  for (let i = 0; i < (N * K) / 97; i++) x[Math.floor(rng.next() * N * K)] = (rng.next() - 0.5) * 4;
  x.fill(0, 256, 288);
  x.fill(0.3, 512, 544);
  for (let i = 768; i < 800; i++) x[i] = 0.1 + rng.next() * 0.2;
  return x;
}

/** W[n, k] from the MatMulNBits layout, read bit by bit in float64. */
function decode(b: NBitsBlocks, form: Omit<StoredNBits, 'read'>, N: number, K: number): Float64Array {
  const { bits, block } = form;
  const kBlocks = K / block;
  const blob = (block * bits) / 8;
  const w = new Float64Array(N * K);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const blk = Math.floor(k / block);
      const i = k % block;
      const byte = b.packed[(n * kBlocks + blk) * blob + (bits === 8 ? i : i >> 1)] as number;
      const c = bits === 8 ? byte : i % 2 === 0 ? byte & 0xf : byte >> 4;
      const zbyte = b.zeros ? (b.zeros[n * Math.ceil(kBlocks / 2) + (blk >> 1)] as number) : 0;
      const zero = b.zeros ? (blk % 2 === 0 ? zbyte & 0xf : zbyte >> 4) : 2 ** (bits - 1);
      const off = b.offsets ? (b.offsets[n * kBlocks + blk] as number) : 0;
      w[n * K + k] = (c - zero) * (b.scales[n * kBlocks + blk] as number) + off;
    }
  }
  return w;
}

describe('GGUF blocks in MatMulNBits layout', () => {
  const [N, K] = [6, 768];
  for (const type of TYPES) {
    const id = QUANT_LAYOUT[type].id;
    const form = nbitsForm(id);
    const exactly = form?.offsets ? 'up to one float32 rounding of the block offset' : 'exactly';
    it(`${type}: the stored form decodes to quants.ts' float32 values ${exactly}`, () => {
      assert.ok(form);
      const bytes = quantize(matrix(N, K, 70 + id), type);
      const deq = dequantize(bytes, id, N * K, 't');
      const b = toNBits(bytes, id, N, K);
      const got = decode(b, form, N, K);
      for (let i = 0; i < N * K; i++) {
        const [x, want] = [Math.fround(got[i] as number), deq[i] as number];
        if (!b.offsets) {
          assert.equal(x + 0, want + 0, `${type} element ${i}`); // + 0: −0 and 0 are the same weight
          continue;
        }
        // The centred offset centre·d·sc − dmin·m is one float32 rounding (≤ 2^-24 of it) from exact.
        const off = Math.abs(b.offsets[Math.floor(i / form.block)] as number);
        const ulp = 2 ** (Math.floor(Math.log2(Math.max(Math.abs(want), 2 ** -126))) - 23);
        assert.ok(Math.abs(x - want) <= off * 2 ** -24 + ulp, `${type} element ${i}: ${x} vs ${want}`);
      }
    });
  }

  it('q/k rows un-permuted on the blocks equal the un-permuted float32 rows', () => {
    const id = QUANT_LAYOUT.Q6_K.id;
    const [rows, heads] = [16, 2];
    const bytes = quantize(matrix(rows, 256, 9), 'Q6_K');
    const deq = unpermuteRows(dequantize(bytes, id, rows * 256, 't'), heads, 256);
    const got = decode(unpermuteNBits(toNBits(bytes, id, rows, 256), heads, rows), nbitsForm(id)!, rows, 256);
    for (let i = 0; i < deq.length; i++) assert.equal(Math.fround(got[i] as number) + 0, (deq[i] as number) + 0, `element ${i}`);
  });

  it('a stored form serves the precisions with at least its bits; float tensors have none', () => {
    const ref = (format: string, bits: 4 | 8): WeightRef => ({ key: 'w', dims: [1, 32], load: () => new Float32Array(32), stored: { format, bits, block: 32, zeroPoints: false, offsets: false, read: () => { throw new Error('not read'); } } });
    assert.deepEqual(linearSource(ref('Q4_0', 4), 4), { bits: 4, format: 'Q4_0', direct: true });
    assert.deepEqual(linearSource(ref('Q4_0', 4), 8), { bits: 8, format: 'Q4_0', direct: true });
    assert.deepEqual(linearSource(ref('Q6_K', 8), 4), { bits: 4, format: 'Q6_K', direct: false });
    assert.deepEqual(linearSource({ key: 'w', dims: [1, 32], load: () => new Float32Array(32) }, 4), { bits: 4, format: null, direct: false });
    assert.equal(nbitsForm(0), undefined);
  });
});

describe('GGUF blocks through onnxruntime MatMulNBits', () => {
  const [T, N, K] = [3, 8, 512];
  for (const type of TYPES) {
    it(`${type}: the graph's linear on the stored form gives x W^T of the dequantised weights`, async () => {
      const id = QUANT_LAYOUT[type].id;
      const form = nbitsForm(id)!;
      const bytes = quantize(matrix(N, K, 90 + id), type);
      const w = dequantize(bytes, id, N * K, 't');
      let reads = 0;
      const ref: WeightRef = {
        key: 'w',
        dims: [N, K],
        load: () => assert.fail('a direct-mapped weight is never dequantised'),
        stored: { ...form, read: () => (reads++, toNBits(bytes, id, N, K)) },
      };
      // accuracy_level 0: float compute, so only float32 accumulation separates the two.
      const g = new GraphBuilder(undefined, { weights: form.bits === 4 ? 'int4' : 'int8', quant: { accuracyLevel: 0 } });
      const x = g.input('x', DT.FLOAT, [T, K]);
      g.output(makeLinear(g, '/w', x, { weight: ref, bias: null }), 'y', DT.FLOAT, [T, N]);
      const node = g.nodes.find((n) => n.opType === 'MatMulNBits');
      assert.equal(node?.attrs['block_size']?.v, form.block);
      assert.equal(node?.attrs['bits']?.v, form.bits);
      const s = await createSession(serializeInline(g), { threads: 1 });
      try {
        const xs = normals(mulberry32(5), T * K, 1);
        const y = (await s.run({ x: { type: 'float32', data: xs, dims: [T, K] } }))['y']!.data as Float32Array;
        const expected = Array.from({ length: T * N }, (_, i) => {
          const [t, n] = [Math.floor(i / N), i % N];
          let acc = 0;
          for (let k = 0; k < K; k++) acc += (xs[t * K + k] as number) * (w[n * K + k] as number);
          return acc;
        });
        assertClose(y, expected, { rtol: 1e-4, atol: 1e-5 }, type);
        assert.equal(reads, 1, 'the blocks are read once');
      } finally {
        await s.release();
      }
    });
  }
});
