/**
 * A cold int8/int4 load quantises each large weight on two threads (parallel/quantPool.ts): the rows split
 * between the caller and a worker must give exactly the bytes of the one-thread quantiser, which quant.test.ts
 * checks against an independent dequantiser; the worker's half is checked against that dequantiser here too.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { quantizeBlockwise, type QuantBits } from '../../../src/engine/graph/quant';
import { QUANT_PARALLEL_MIN_VALUES } from '../../../src/engine/parallel/limits';
import * as pool from '../../../src/engine/parallel/quantPool';
import { mulberry32 } from '../../../tools/modelgen/prng';
import { dequantize } from './nbitsRef';

function randomMatrix(N: number, K: number, seed: number): Float32Array {
  const r = mulberry32(seed).next;
  // Blocks of very different ranges, a zero block and non-finite values: every branch of the block parameters.
  const w = Float32Array.from({ length: N * K }, (_, i) => (r() * 2 - 1) * (i % 257 === 0 ? 4 : 0.05) + (i % 3000 < 64 ? 0.02 : 0));
  w.fill(0, 5 * K, 5 * K + 40);
  w[N * K - 7] = Number.NaN;
  w[(N - 2) * K + 3] = Number.POSITIVE_INFINITY;
  return w;
}

const same = (a: ArrayBufferView | null, b: ArrayBufferView | null): boolean =>
  a === null || b === null ? a === b : Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;

describe('parallel/quantPool: a weight quantised on two threads', () => {
  after(() => pool.stopQuantWorker());

  const cases: { bits: QuantBits; symmetric: boolean }[] = [
    { bits: 4, symmetric: false },
    { bits: 8, symmetric: true },
  ];
  for (const { bits, symmetric } of cases) {
    it(`${bits}-bit ${symmetric ? 'symmetric' : 'with zero points'}: the same bytes as one thread, the worker's rows within a step (N odd, K padded)`, () => {
      const [N, K] = [1027, 1041]; // > QUANT_PARALLEL_MIN_VALUES; the split at row 513; 33 blocks, the last partial
      assert.ok(N * K >= QUANT_PARALLEL_MIN_VALUES);
      const w = randomMatrix(N, K, 11 + bits);
      const before = pool.workerSplits;
      const split = pool.quantizeOnCores(w, N, K, bits, symmetric, 2);
      assert.equal(pool.workerSplits, before + 1, 'the worker quantised half of the rows');
      const alone = quantizeBlockwise(w, N, K, bits, symmetric);
      assert.ok(same(split.packed, alone.packed), 'packed codes');
      assert.ok(same(split.scales, alone.scales), 'scales');
      assert.ok(same(split.zeros, alone.zeros), 'zero points');
      // The worker's rows, dequantised by the independent reference: within one step of the weights (half a step, one where a
      // code is clamped at the range's end).
      const deq = dequantize(split);
      for (const n of [513, 700, N - 3]) {
        for (let k = 0; k < K; k++) {
          const b = Math.floor(k / 32);
          const scale = Math.abs(split.scales[n * split.layout.kBlocks + b] as number);
          const err = Math.abs((deq[n * K + k] as number) - (w[n * K + k] as number));
          assert.ok(err <= scale * (1 + 1e-6), `row ${n}, column ${k}: ${err} for a step of ${scale}`);
        }
      }
    });
  }

  it('reuses its shared buffers from weight to weight without carrying bytes over (larger, smaller, wider)', () => {
    const before = pool.workerSplits;
    for (const [N, K, bits, symmetric] of [[1500, 1024, 4, false], [1030, 1024, 4, false], [700, 2080, 8, false], [1100, 1000, 4, true]] as const) {
      const w = randomMatrix(N, K, N + K);
      const q = pool.quantizeOnCores(w, N, K, bits, symmetric, 2);
      const ref = quantizeBlockwise(w, N, K, bits, symmetric);
      assert.ok(same(q.packed, ref.packed) && same(q.scales, ref.scales) && same(q.zeros, ref.zeros), `[${N}, ${K}] ${bits}-bit`);
    }
    assert.equal(pool.workerSplits, before + 4);
  });

  it('stays on the calling thread for one core or a small weight, with the same bytes', () => {
    const before = pool.workerSplits;
    const w = randomMatrix(600, 1024, 5);
    for (const q of [pool.quantizeOnCores(w, 600, 1024, 4, false, 1), pool.quantizeOnCores(w.subarray(0, 64 * 1024), 64, 1024, 4, false, 2)]) {
      const ref = quantizeBlockwise(w.subarray(0, q.layout.N * 1024), q.layout.N, 1024, 4, false);
      assert.ok(same(q.packed, ref.packed) && same(q.scales, ref.scales) && same(q.zeros, ref.zeros));
    }
    assert.equal(pool.workerSplits, before, 'no worker for these');
  });
});
