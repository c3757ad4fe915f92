/**
 * The eigen solver on adversarial input: it must never throw, and it must match an independent
 * float64 reference (cyclic Jacobi, or a spectrum known by construction) on clustered, huge-range,
 * rank-deficient and duplicated-row matrices; NaN/Inf give NaN, never an exception.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { borderedSpectra, psdEigenvalues, rankOneSpectra, symmetricEigenvalues } from '../../../src/engine/metrics/eigen';
import { spectrumEntropy } from '../../../src/engine/metrics/entropy';
import { bisectionEigenvalues, tridiagonalEigenvalues, tridiagonalEigenvaluesPair } from '../../../src/engine/metrics/tridiagonal';
import { assertClose } from '../../support/assertClose';
import { jacobiEigenvalues, naiveGramCols, naiveGramRows, orthonormalRows, randomMatrix, randomSymmetric } from './helpers';

/** Q diag(lambda) Q^T for a random orthogonal Q: a symmetric matrix with a known spectrum. */
function withSpectrum(lambda: readonly number[], seed: number): Float64Array {
  const n = lambda.length;
  const Q = orthonormalRows(n, n, seed);
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += Q[k * n + i]! * lambda[k]! * Q[k * n + j]!;
    A[i * n + j] = A[j * n + i] = s;
  }
  return A;
}

const desc = (xs: readonly number[]): number[] => [...xs].sort((a, b) => b - a);

test('huge dynamic range (1e8 .. 1e-12): eigenvalues and entropy match the known spectrum', () => {
  const n = 40;
  const lambda = Array.from({ length: n }, (_, k) => 10 ** (8 - (20 * k) / (n - 1)));
  const A = withSpectrum(lambda, 21);
  const ev = psdEigenvalues(A, n);
  // Forming Q diag Q^T in float64 already costs ~n eps lambda_max absolute: that is the achievable accuracy.
  assertClose(ev, desc(lambda), { rtol: 1e-12, atol: 1e-14 * 1e8 * n }, 'spectrum');
  assertClose(ev, jacobiEigenvalues(A, n), { rtol: 1e-12, atol: 1e-14 * 1e8 * n }, 'vs Jacobi');
  const exact = spectrumEntropy(Float64Array.from(desc(lambda)), 1, n, n);
  assertClose(spectrumEntropy(ev, 1, n, n).entropy, exact.entropy, { rtol: 1e-12, atol: 0 }, 'entropy');
  // The same matrix at extreme scales: exact power-of-two scaling keeps squares from overflowing or underflowing.
  for (const s of [1e150, 1e-150, 2 ** 900]) {
    assertClose(psdEigenvalues(A.map((x) => x * s), n), ev.map((x) => x * s), { rtol: 1e-12, atol: 1e-14 * 1e8 * n * s }, `scaled by ${s}`);
  }
});

test('clustered and repeated eigenvalues (gaps of 1e-14), zeros', () => {
  const lambda = [...Array.from({ length: 20 }, (_, k) => 1 + k * 1e-14), ...Array(10).fill(1e-3), ...Array(10).fill(0), 5, 5, 5];
  const n = lambda.length;
  const A = withSpectrum(lambda, 33);
  assertClose(psdEigenvalues(A, n), desc(lambda), { rtol: 0, atol: 1e-13 * 5 * n }, 'spectrum');
  assertClose(symmetricEigenvalues(A, n), jacobiEigenvalues(A, n), { rtol: 0, atol: 1e-13 * 5 * n }, 'vs Jacobi');
});

test('rank-deficient Grams with duplicated rows and exact zero rows: both sides, both border forms', () => {
  const T = 12;
  const d = 40;
  const X = randomMatrix(T, d, 44);
  X.copyWithin(3 * d, 1 * d, 2 * d); // row 3 = row 1
  X.copyWithin(7 * d, 1 * d, 2 * d); // row 7 = row 1
  X.fill(0, 5 * d, 6 * d); // row 5 = 0
  X.fill(0, 9 * d, 10 * d); // row 9 = 0 -> rank 8
  const rows = naiveGramRows(X, T, d); // [T, T]
  const { full, inner } = borderedSpectra(rows, T);
  const ref = jacobiEigenvalues(rows, T).map((x) => Math.max(x, 0));
  const sub = new Float64Array((T - 1) * (T - 1));
  for (let i = 1; i < T; i++) for (let j = 1; j < T; j++) sub[(i - 1) * (T - 1) + j - 1] = rows[i * T + j]!;
  const scale = ref[0]!;
  assertClose(full, ref, { rtol: 0, atol: 1e-13 * scale }, 'X X^T');
  assertClose(inner, jacobiEigenvalues(sub, T - 1).map((x) => Math.max(x, 0)), { rtol: 0, atol: 1e-13 * scale }, 'X X^T without row 0');
  assert.equal(full.filter((x) => x > 1e-10 * scale).length, 8, 'rank 8');

  const cols = naiveGramCols(X, T, d); // [d, d], rank 8
  const x0 = X.subarray(0, d);
  const minus = Float64Array.from(cols);
  for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) minus[a * d + b] = minus[a * d + b]! - x0[a]! * x0[b]!;
  const { base, updated } = rankOneSpectra(minus, x0, d);
  assertClose(updated, jacobiEigenvalues(cols, d).map((x) => Math.max(x, 0)), { rtol: 0, atol: 1e-12 * scale }, 'X^T X');
  assertClose(base, jacobiEigenvalues(minus, d).map((x) => Math.max(x, 0)), { rtol: 0, atol: 1e-12 * scale }, 'X^T X - x0 x0^T');
  // The non-zero spectra of X X^T and X^T X agree (both sides of the Gram).
  assertClose(updated.slice(0, T), full, { rtol: 0, atol: 1e-12 * scale }, 'sides agree');
});

test('rankOneSpectra with x = 0 and borderedSpectra with n = 1, 2', () => {
  const C = randomSymmetric(6, 5).map((x, i) => x + (i % 7 === 0 ? 10 : 0));
  const { base, updated } = rankOneSpectra(C, new Float64Array(6), 6);
  assertClose(updated, base, { rtol: 0, atol: 0 }, 'no update');
  assertClose(base, jacobiEigenvalues(C, 6).map((x) => Math.max(x, 0)), { rtol: 0, atol: 1e-12 });
  assert.deepEqual(Array.from(borderedSpectra([4], 1).full), [4]);
  assert.equal(borderedSpectra([4], 1).inner.length, 0);
  const two = borderedSpectra([2, 1, 1, 2], 2);
  assertClose(two.full, [3, 1], { rtol: 0, atol: 1e-15 });
  assertClose(two.inner, [2], { rtol: 0, atol: 0 });
});

test('NaN and Inf give NaN eigenvalues, never an exception', () => {
  for (const bad of [NaN, Infinity, -Infinity]) {
    const A = randomSymmetric(10, 9);
    A[3 * 10 + 2] = A[2 * 10 + 3] = bad;
    for (const ev of [symmetricEigenvalues(A, 10), psdEigenvalues(A, 10), borderedSpectra(A, 10).full, rankOneSpectra(A, new Float64Array(10).fill(1), 10).updated]) {
      assert.equal(ev.length, ev.filter(Number.isNaN).length, `${bad}: all NaN`);
    }
    const x = new Float64Array(10).fill(1);
    x[4] = bad;
    assert.ok(rankOneSpectra(randomSymmetric(10, 2), x, 10).updated.every(Number.isNaN), `${bad} in x`);
  }
});

test('tridiagonal: QL, bisection (the fallback) and Jacobi agree, including denormal couplings', () => {
  const cases: [string, number[], number[]][] = [
    ['Wilkinson W21+', Array.from({ length: 21 }, (_, i) => Math.abs(10 - i)), Array(20).fill(1)],
    ['glued blocks', Array.from({ length: 30 }, (_, i) => (i % 10) + 1), Array.from({ length: 29 }, (_, i) => (i % 10 === 9 ? 1e-14 : 1))],
    ['denormal couplings between zeros', Array(12).fill(0), Array(11).fill(1e-310)],
    ['huge range', Array.from({ length: 16 }, (_, i) => 10 ** (8 - 1.3 * i)), Array.from({ length: 15 }, (_, i) => 10 ** (4 - 1.3 * i))],
  ];
  for (const [name, d, e] of cases) {
    const n = d.length;
    const A = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      A[i * n + i] = d[i]!;
      if (i + 1 < n) A[i * n + i + 1] = A[(i + 1) * n + i] = e[i]!;
    }
    const ref = jacobiEigenvalues(A, n);
    const atol = 1e-14 * Math.max(1, ...ref.map(Math.abs)) * n;
    const D = Float64Array.from(d);
    const E = Float64Array.from([...e, 0]);
    const ql = tridiagonalEigenvalues(D, E);
    assert.equal(ql.method, 'ql', name);
    assertClose(desc(Array.from(ql.values)), ref, { rtol: 0, atol }, `${name}: QL`);
    const forced = tridiagonalEigenvalues(D, E, 0); // no QL budget: the bisection fallback (unless all couplings deflate at once)
    assert.equal(forced.method, e.every((x) => Math.abs(x) < 2 ** -1022) ? 'ql' : 'bisection', name);
    assertClose(desc(Array.from(forced.values)), ref, { rtol: 0, atol }, `${name}: fallback`);
    assertClose(desc(Array.from(bisectionEigenvalues(D, E))), ref, { rtol: 0, atol }, `${name}: bisection`);
    assert.deepEqual(Array.from(D), d, 'inputs untouched');
  }
});

test('tridiagonal QL at the ends of the float64 range: rotations neither overflow nor underflow', () => {
  // [[a, b], [b, a]] has eigenvalues a ± b exactly; QL's rotation lengths here are ~|b|, outside the
  // range where squaring is safe (2^±500), so they must be computed scaled.
  for (const [a, b] of [[0, 1e-300], [0, 1e300], [3e-300, 1e-300], [2e300, 1e300], [1, 1e-160]] as const) {
    const r = tridiagonalEigenvalues(Float64Array.of(a, a), Float64Array.of(b, 0));
    assert.equal(r.method, 'ql', `a=${a} b=${b}`);
    assertClose(desc(Array.from(r.values)), [a + b, a - b], { rtol: 1e-14, atol: 0 }, `a=${a} b=${b}`);
  }
});

test('tridiagonal QL of two matrices interleaved gives bit for bit what two separate QLs give, fallbacks included', () => {
  let seed = 7;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const kinds: Record<string, (n: number) => [Float64Array, Float64Array]> = {
    random: (n) => [Float64Array.from({ length: n }, rand), Float64Array.from({ length: n }, (_, i) => (i < n - 1 ? rand() : 0))],
    'huge range': (n) => [Float64Array.from({ length: n }, (_, i) => 10 ** (8 - (16 * i) / n) * (1 + rand() / 4)), Float64Array.from({ length: n }, (_, i) => 10 ** (4 - (16 * i) / n) * rand())],
    'glued blocks': (n) => [Float64Array.from({ length: n }, (_, i) => (i % 7) + 1), Float64Array.from({ length: n }, (_, i) => (i % 7 === 6 ? 1e-15 : 1))],
    zeros: (n) => [new Float64Array(n), new Float64Array(n)],
    'gram-like (PSD, one dominant)': (n) => [Float64Array.from({ length: n }, (_, i) => (i === 0 ? 1e6 : 1 + rand() / 2)), Float64Array.from({ length: n }, () => rand())],
  };
  const names = Object.keys(kinds);
  for (const [nA, nB] of [[1, 1], [2, 5], [40, 39], [129, 128], [257, 256], [100, 3]] as const) {
    for (const kA of names) {
      const kB = names[(names.indexOf(kA) + nA) % names.length] as string;
      const [dA, eA] = kinds[kA]!(nA);
      const [dB, eB] = kinds[kB]!(nB);
      const what = `${kA} (${nA}) with ${kB} (${nB})`;
      const [a, b] = tridiagonalEigenvaluesPair(dA, eA, dB, eB);
      for (const [got, want] of [[a, tridiagonalEigenvalues(dA, eA)], [b, tridiagonalEigenvalues(dB, eB)]] as const) {
        assert.equal(got.method, want.method, what);
        assert.deepEqual(Array.from(got.values), Array.from(want.values), what);
      }
    }
  }
  // One runs out of its QL budget (bisection), the other has NaN: each as alone.
  const [dA, eA] = kinds['random']!(60);
  const nan = Float64Array.from({ length: 30 }, (_, i) => (i === 3 ? NaN : i));
  for (const budget of [0, 1]) {
    const [a, b] = tridiagonalEigenvaluesPair(dA, eA, nan, new Float64Array(30), budget);
    assert.deepEqual([a.method, Array.from(a.values)], [tridiagonalEigenvalues(dA, eA, budget).method, Array.from(tridiagonalEigenvalues(dA, eA, budget).values)]);
    assert.ok(b.values.every(Number.isNaN));
    const [c, d] = tridiagonalEigenvaluesPair(dA, eA, Float64Array.from(dA), Float64Array.from(eA), budget);
    assert.deepEqual(Array.from(c.values), Array.from(d.values));
    assert.equal(c.method, budget === 0 ? 'bisection' : tridiagonalEigenvalues(dA, eA, budget).method);
  }
});
