import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MASSIVE_ABSOLUTE, MASSIVE_RELATIVE, massiveActivations, massiveScan, massiveTest, recurringDims, topAbs } from '../../../src/engine/metrics/massive';
import { massiveRadix } from '../../../src/engine/metrics/massiveRadix';
import { normTerms } from '../../../src/engine/metrics/bounds';
import { bosRatio, medianOtherNorm, tokenNorms } from '../../../src/engine/metrics/norms';
import { median, medianAbs, medianAbsF32 } from '../../../src/engine/metrics/stats';
import { assertClose } from '../../support/assertClose';
import { randomMatrix, rng } from './helpers';

const sortedMedian = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

test('median: odd, even (mean of the two middle values), duplicates, random vs sort', () => {
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([2, 2, 2, 2]), 2);
  assert.ok(Number.isNaN(median([])));
  const r = rng(1);
  for (let n = 1; n < 200; n += 7) {
    const xs = Array.from({ length: n }, () => Math.floor(r() * 20) - 10); // many ties
    assert.equal(median(xs), sortedMedian(xs), `n=${n}`);
  }
  assert.equal(medianAbs(Float32Array.from([-4, 1, -3, 2])), 2.5);
});

test('tokenNorms, bosRatio and medianOtherNorm on a hand-made layer', () => {
  // T = 5, d = 2: norms 5, 1, 2, 3, 4 -> median of others = 2.5, ratio = 2.
  const h = Float32Array.from([3, 4, 1, 0, 0, -2, 3, 0, 0, 4]);
  const norms = tokenNorms(h, 5, 2);
  assertClose(norms, [5, 1, 2, 3, 4]);
  assert.equal(medianOtherNorm(norms), 2.5);
  assert.equal(bosRatio(norms), 2);
  assert.equal(bosRatio([7]), 0, 'T = 1: no other token, ratio defined as 0');
  assert.equal(bosRatio([7, 0, 0]), 0, 'median 0: ratio defined as 0');
});

test('massiveActivations: planted scalars on a known background', () => {
  const T = 20;
  const d = 50;
  // Background |x| = 0.01 with alternating signs: median |h| = 0.01, relative cut 1000 x 0.01 = 10.
  const h = Float32Array.from({ length: T * d }, (_, i) => (i % 2 ? -0.01 : 0.01));
  h[0 * d + 16] = -1500; // absolute test (> 100 and > 10)
  h[7 * d + 16] = 200; // absolute test
  h[5 * d + 2] = 50; // relative only (> 10, <= 100)
  h[3 * d + 7] = 5; // neither
  const s = massiveActivations(h, T, d, 3);
  assertClose(s.medianAbs, 0.01, { rtol: 1e-6 });
  assert.equal(s.maxAbs, 1500);
  assertClose(s.relative, 1500 / 0.01, { rtol: 1e-6 });
  assert.equal(s.absoluteCount, 2);
  assert.equal(s.relativeCount, 1);
  assert.deepEqual(s.top, [
    { token: 0, dim: 16, value: -1500 },
    { token: 7, dim: 16, value: 200 },
    { token: 5, dim: 2, value: 50 },
  ]);
});

test('massiveActivations on random data: counts and top-k vs brute force', () => {
  const T = 30;
  const d = 40;
  const h = Float32Array.from(randomMatrix(T, d, 9));
  for (const [i, v] of [[3, 900], [77, -4000], [500, 101], [901, 0.5]] as const) h[i] = v;
  const s = massiveActivations(h, T, d, 10);
  const abs = Array.from(h, Math.abs);
  const med = sortedMedian(abs);
  assertClose(s.medianAbs, med, { rtol: 1e-12 });
  assert.equal(s.absoluteCount, abs.filter((a) => a > 100 && a > 1000 * med).length);
  assert.equal(s.relativeCount, abs.filter((a) => a <= 100 && a > 1000 * med).length);
  const order = abs.map((a, i) => [a, i] as const).sort((x, y) => y[0] - x[0] || x[1] - y[1]).slice(0, 10).map((x) => x[1]);
  assert.deepEqual(topAbs(h, 10), order);
  assert.deepEqual(s.top.map((m) => m.token * d + m.dim), order);
  assert.deepEqual(topAbs(h, 0), []);
  assert.equal(topAbs(h, 5000).length, T * d);
});

test('recurringDims: only scalars passing a massive test count; ranked by magnitude; the test is stated', () => {
  // median |h| = 0.1: the relative test needs |v| > 100; 150 also passes the absolute test (> 100).
  const layer = (...vs: [number, number][]) => ({ top: vs.map(([dim, value]) => ({ token: 0, dim, value })), medianAbs: 0.1 });
  const got = recurringDims([
    layer([3, 150], [3, -120], [9, 5]), // dim 9 fails both tests (5 < 1000 x 0.1)
    layer([3, 101], [5, -400], [9, 50]),
    layer([5, 300], [3, 99], [1, 1000]), // dim 3 at 99 fails: layer 2 does not count for it
    layer([2, 1e4], [9, 60]),
  ]);
  assert.deepEqual(got, [
    { dim: 5, layers: [1, 2], maxAbs: 400, test: 'absolute' },
    { dim: 3, layers: [0, 1], maxAbs: 150, test: 'absolute' },
  ]);
  // A small model: median 1e-3, values 0.5..2 pass only the relative test.
  const small = recurringDims([0, 1].map(() => ({ top: [{ token: 0, dim: 7, value: 2 }, { token: 1, dim: 8, value: 0.5 }], medianAbs: 1e-3 })));
  assert.deepEqual(small, [{ dim: 7, layers: [0, 1], maxAbs: 2, test: 'relative' }]);
  assert.equal(massiveTest(1.01, 1e-3), 'relative');
  assert.equal(massiveTest(101, 0.1), 'absolute');
  assert.equal(massiveTest(100, 0.1), null);
});

test('medianAbs of float32 (radix select on the bits) equals the float64 quickselect median, every size and kind of value', () => {
  let seed = 12345;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const kinds: ((i: number) => number)[] = [
    () => rand() - 0.5,
    () => (rand() < 0.3 ? 0 : rand() < 0.5 ? -0 : Math.round(rand() * 4) - 2), // zeros, -0 and many ties
    () => (rand() - 0.5) * 10 ** Math.floor(rand() * 60 - 30), // huge dynamic range, float32 subnormals included
    (i) => (i === 0 ? 3e38 : (rand() - 0.5) * 1e-3), // one massive value
  ];
  for (const kind of kinds) {
    for (const n of [1, 2, 3, 4, 5, 16, 17, 1000, 1001, 65537]) {
      const x = Float32Array.from({ length: n }, (_, i) => kind(i));
      const want = median(Array.from(x, Math.abs));
      assert.equal(medianAbsF32(x), want, `n = ${n}`);
      assert.equal(medianAbs(x), want);
    }
  }
  // A view into a larger buffer reads only its own values.
  const big = Float32Array.from([100, 100, 1, -2, 3, 100]);
  assert.equal(medianAbsF32(big.subarray(2, 5)), 2);
});

test('massive summary: the two-pass radix form equals the plain scan on every kind of layer, and falls back only where it must', () => {
  let seed = 777;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const gauss = (): number => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const kinds: Record<string, (i: number, n: number) => number> = {
    gaussian: () => gauss(),
    planted: (i) => (i % 997 === 3 ? (i % 2 ? -1 : 1) * (200 + i) : gauss() * 0.05), // massive and relative-only scalars
    'relative only': (i) => (i === 5 ? 50 : gauss() * 1e-3), // > 1000 x median but <= 100
    'at the cut': (i) => (i < 3 ? 125 : i < 6 ? Math.fround(125.00001) : i % 2 ? 0.125 : -0.125), // median 0.125: 125 is not above 1000 x it
    'at 100': (i) => (i < 4 ? 100 : i < 8 ? -Math.fround(100.00001) : gauss() * 1e-3),
    ties: () => Math.round(rand() * 4) - 2,
    'zeros and -0': (i) => (i % 3 === 0 ? -0 : i % 3 === 1 ? 0 : gauss()),
    'huge range': () => (rand() - 0.5) * 10 ** Math.floor(rand() * 60 - 30), // subnormals included
  };
  const radixTaken: string[] = [];
  for (const [name, kind] of Object.entries(kinds)) {
    for (const [T, d] of [[1, 1], [1, 2], [3, 5], [16, 17], [64, 96], [257, 64]] as const) {
      const x = Float32Array.from({ length: T * d }, (_, i) => kind(i, T * d));
      const want = massiveScan(Float64Array.from(x), d, 5); // float64 path: quickselect median, heap top-k
      for (const k of [0, 1, 5]) {
        const scan = massiveScan(Float64Array.from(x), d, k);
        assert.deepEqual(massiveActivations(x, T, d, k), scan, `${name} ${T}x${d} k=${k}`);
      }
      if (massiveRadix(x, d, 5, MASSIVE_RELATIVE, MASSIVE_ABSOLUTE) !== null) radixTaken.push(`${name} ${T}x${d}`);
      if (name === 'planted' && T * d > 1000) assert.ok(want.absoluteCount > 0 && want.top[0]!.value !== 0, 'the planted layer has massive scalars');
      if (name === 'relative only' && T * d > 1000) assert.ok(want.relativeCount === 1 && want.absoluteCount === 0);
    }
  }
  // The fast path is what real layers take: every kind but all-ties at the largest size.
  for (const name of ['gaussian', 'planted', 'relative only', 'at the cut', 'at 100', 'zeros and -0', 'huge range']) assert.ok(radixTaken.includes(`${name} 257x64`), `${name} takes the radix path`);
  // NaN and Inf have no bit order: the scan answers.
  const bad = Float32Array.from([1, NaN, 3, Infinity, -2, 0.5]);
  assert.equal(massiveRadix(bad, 2, 3, MASSIVE_RELATIVE, MASSIVE_ABSOLUTE), null);
  assert.deepEqual(massiveActivations(bad, 3, 2, 3), massiveScan(bad, 2, 3));
  // More tied candidates than it collects: the scan answers, with the same result.
  const flat = new Float32Array(70000).fill(0.5);
  assert.equal(massiveRadix(flat, 100, 5, MASSIVE_RELATIVE, MASSIVE_ABSOLUTE), null);
  assert.deepEqual(massiveActivations(flat, 700, 100, 5), massiveScan(Float64Array.from(flat), 100, 5));
});

test('tokenNorms and the bound terms: the partial sums equal a plain float64 loop for every width', () => {
  const r = rng(9);
  for (let d = 1; d <= 9; d++) {
    const T = 3;
    const h = Float32Array.from({ length: T * d }, () => (r() - 0.5) * 10);
    const norms = tokenNorms(h, T, d);
    let R = 0;
    let proj = 0;
    for (let t = 0; t < T; t++) {
      let nn = 0;
      let dot = 0;
      for (let j = 0; j < d; j++) {
        nn += h[t * d + j]! ** 2;
        dot += h[t * d + j]! * h[j]!;
      }
      assertClose(norms[t]!, Math.sqrt(nn), { rtol: 1e-15 }, `d=${d} t=${t}`);
      if (t >= 1) {
        R += nn;
        proj += dot * dot;
      }
    }
    const terms = normTerms(h, T, d);
    assertClose(terms.R, R, { rtol: 1e-15 }, `R d=${d}`);
    assertClose(terms.a, proj / terms.M / R, { rtol: 1e-14 }, `a d=${d}`);
  }
});
