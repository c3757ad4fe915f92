/**
 * The quantiser against an independent dequantiser written from the MatMulNBits layout (bit by
 * bit, float64), and the packed form run through onnxruntime's own MatMulNBits kernel.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DT, GraphBuilder } from '../../../src/engine/graph/builder';
import { nbitsLayout, quantizeBlockwise, toFloat16, type QuantBits } from '../../../src/engine/graph/quant';
import { serializeInline } from '../../../src/engine/graph/serialize';
import { createSession } from '../../../src/engine/runtime/ort';
import { mulberry32 } from '../../../tools/modelgen/prng';
import { assertClose } from '../../support/assertClose';
import { code, dequantize, zero } from './nbitsRef';

function randomMatrix(N: number, K: number, seed: number, offset = 0): Float32Array {
  const r = mulberry32(seed).next;
  return Float32Array.from({ length: N * K }, () => (r() * 2 - 1) * 0.1 + offset);
}

const CASES: { bits: QuantBits; symmetric: boolean }[] = [
  { bits: 4, symmetric: false },
  { bits: 4, symmetric: true },
  { bits: 8, symmetric: false },
  { bits: 8, symmetric: true },
];

describe('graph/quant: block-wise quantisation', () => {
  it('lays out blocks, blobs and zero points as MatMulNBits expects (odd K padded)', () => {
    assert.deepEqual(nbitsLayout(3, 50, 4), { N: 3, K: 50, bits: 4, block: 32, kBlocks: 2, blob: 16, zpRowBytes: 1 });
    assert.deepEqual(nbitsLayout(3, 97, 8), { N: 3, K: 97, bits: 8, block: 32, kBlocks: 4, blob: 32, zpRowBytes: 4 });
    assert.equal(nbitsLayout(1, 96, 4).zpRowBytes, 2);
    assert.throws(() => nbitsLayout(0, 4, 4), /bad weight shape/);
    assert.throws(() => quantizeBlockwise(new Float32Array(5), 2, 3, 4, false), /5 values/);
  });

  for (const { bits, symmetric } of CASES) {
    it(`${bits}-bit ${symmetric ? 'symmetric' : 'asymmetric'}: every element within half a step (one step at the clamped edge), K = 70`, () => {
      const [N, K] = [5, 70];
      const w = randomMatrix(N, K, 3 + bits, symmetric ? 0 : 0.03); // a shifted range exercises the zero points
      const q = quantizeBlockwise(w, N, K, bits, symmetric);
      assert.equal(q.zeros === null, symmetric);
      assert.equal(q.packed.length, N * 3 * (32 * bits) / 8);
      const deq = dequantize(q);
      for (let n = 0; n < N; n++) {
        for (let k = 0; k < K; k++) {
          const scale = Math.abs(q.scales[n * 3 + Math.floor(k / 32)] as number);
          // Symmetric: the value opposite the block's extreme may clamp at 2^(bits-1)-1, one step short.
          const tol = (symmetric ? 1 : 0.5) * scale + 1e-7;
          assert.ok(Math.abs((deq[n * K + k] as number) - (w[n * K + k] as number)) <= tol, `W[${n},${k}]`);
        }
      }
      // The block's extreme value is exact in both schemes (scale and zero point are chosen from it).
      const row = Array.from(w.subarray(0, 32), Math.abs);
      const k = row.indexOf(Math.max(...row));
      if (symmetric) assertClose(deq[k] as number, w[k] as number, { rtol: 1e-6, atol: 0 }, 'extreme');
    });
  }

  it('padding codes are the zero point, and a constant-zero block is exact', () => {
    const [N, K] = [2, 40];
    const w = randomMatrix(N, K, 9);
    w.fill(0, 0, 32); // row 0, block 0 all zeros
    for (const symmetric of [false, true]) {
      const q = quantizeBlockwise(w, N, K, 4, symmetric);
      for (let k = K; k < 64; k++) assert.equal(code(q, 1, k), zero(q, 1, 1), `pad ${k}`);
      const deq = dequantize(q);
      for (let k = 0; k < 32; k++) assert.equal(Math.abs(deq[k] as number), 0);
    }
  });

  it('scales and zero points follow the documented rule', () => {
    const w = Float32Array.from({ length: 32 }, (_, i) => -0.3 + (i / 31) * 0.9); // [-0.3, 0.6]
    const a = quantizeBlockwise(w, 1, 32, 4, false);
    assertClose(a.scales[0] as number, 0.9 / 15, { rtol: 1e-6 }, 'asym scale');
    assert.equal(zero(a, 0, 0), Math.round(0.3 / (0.9 / 15)));
    const s = quantizeBlockwise(w, 1, 32, 4, true);
    assertClose(s.scales[0] as number, 0.6 / -8, { rtol: 1e-6 }, 'sym scale'); // 0.6 maps to -8 exactly
    assert.equal(code(s, 0, 31), 0);
  });
});

describe('graph/quant: onnxruntime MatMulNBits reads the packed form', () => {
  for (const { bits, symmetric } of CASES) {
    it(`${bits}-bit ${symmetric ? 'symmetric' : 'asymmetric'}, K = 70 (padded): y = x deq(W)^T`, async () => {
      const [T, N, K] = [3, 6, 70];
      const w = randomMatrix(N, K, 21, 0.02);
      const q = quantizeBlockwise(w, N, K, bits, symmetric);
      const g = new GraphBuilder();
      const x = g.input('x', DT.FLOAT, [T, K]);
      const l = q.layout;
      const bytes = (v: Uint8Array | Float32Array) => () => new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      const inputs = [
        x,
        g.derived('B', '/w/B', [N, l.kBlocks, l.blob], DT.UINT8, q.packed.byteLength, bytes(q.packed)),
        g.derived('s', '/w/scales', [N * l.kBlocks], DT.FLOAT, q.scales.byteLength, bytes(q.scales)),
      ];
      if (q.zeros) inputs.push(g.derived('z', '/w/zeros', [q.zeros.length], DT.UINT8, q.zeros.byteLength, bytes(q.zeros)));
      // accuracy_level 0: float compute, so the only error is float32 rounding.
      const attrs = { K: { kind: 'int', v: K }, N: { kind: 'int', v: N }, bits: { kind: 'int', v: bits }, block_size: { kind: 'int', v: 32 }, accuracy_level: { kind: 'int', v: 0 } } as const;
      const y = g.node('MatMulNBits', '/w/MatMulNBits', inputs, attrs, 1, 'com.microsoft')[0] as string;
      g.output(y, 'y', DT.FLOAT, [T, N]);
      const s = await createSession(serializeInline(g), { threads: 1 });
      try {
        const xs = randomMatrix(T, K, 5);
        const out = (await s.run({ x: { type: 'float32', data: xs, dims: [T, K] } }))['y']!.data as Float32Array;
        const deq = dequantize(q);
        const expected = Array.from({ length: T * N }, (_, i) => {
          const [t, n] = [Math.floor(i / N), i % N];
          let acc = 0;
          for (let k = 0; k < K; k++) acc += (xs[t * K + k] as number) * (deq[n * K + k] as number);
          return acc;
        });
        assertClose(out, expected, { rtol: 1e-4, atol: 1e-6 }, 'y');
      } finally {
        await s.release();
      }
    });
  }
});

describe('graph/quant: float16', () => {
  it('rounds to nearest even and handles the edges', () => {
    const cases: [number, number][] = [
      [1, 0x3c00],
      [-2, 0xc000],
      [65504, 0x7bff],
      [65520, 0x7c00], // rounds up to Inf
      [1e9, 0x7c00],
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -26, 0x0000], // below half of it: 0
      [0.1, 0x2e66],
      [1 + 2 ** -11, 0x3c00], // tie -> even (down)
      [1 + 3 * 2 ** -11, 0x3c02], // tie -> even (up)
      [-0, 0x8000],
      [Number.POSITIVE_INFINITY, 0x7c00],
    ];
    const out = toFloat16(Float32Array.from(cases.map((c) => c[0])));
    cases.forEach(([v, h], i) => assert.equal(out[i], h, `${v} -> 0x${h.toString(16)}, got 0x${(out[i] as number).toString(16)}`));
    assert.equal((toFloat16(Float32Array.of(Number.NaN))[0] as number) & 0x7c00, 0x7c00);
    assert.notEqual((toFloat16(Float32Array.of(Number.NaN))[0] as number) & 0x3ff, 0);
  });

  it('round-trips through an onnxruntime Cast within half an ulp', async () => {
    const r = mulberry32(4).next;
    const xs = Float32Array.from({ length: 200 }, () => (r() * 2 - 1) * 10 ** Math.floor(r() * 8 - 5));
    const g = new GraphBuilder();
    const h = toFloat16(xs);
    const c = g.derived('h', '/h', [xs.length], DT.FLOAT16, h.byteLength, () => new Uint8Array(h.buffer));
    g.input('unused', DT.FLOAT, [1]);
    g.output(g.op('Cast', '/h/Cast', [c], { to: { kind: 'int', v: DT.FLOAT } }), 'y', DT.FLOAT, [xs.length]);
    const s = await createSession(serializeInline(g), { threads: 1 });
    try {
      const y = (await s.run({ unused: { type: 'float32', data: new Float32Array(1), dims: [1] } }))['y']!.data as Float32Array;
      for (let i = 0; i < xs.length; i++) {
        const x = xs[i] as number;
        const ulp = Math.max(2 ** (Math.floor(Math.log2(Math.abs(x))) - 10), 2 ** -24);
        assert.ok(Math.abs((y[i] as number) - x) <= ulp / 2, `${x} -> ${y[i]}`);
      }
    } finally {
      await s.release();
    }
  });
});
