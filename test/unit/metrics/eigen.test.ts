import assert from 'node:assert/strict';
import { test } from 'node:test';
import { psdEigenvalues, symmetricEigenvalues } from '../../../src/engine/metrics/eigen';
import { assertClose } from '../../support/assertClose';
import { jacobiEigenvalues, orthonormalRows, randomMatrix, randomSymmetric, naiveGramCols } from './helpers';

test('eigenvalues match cyclic Jacobi on random symmetric matrices (n = 1..200)', () => {
  for (const [i, n] of [1, 2, 3, 5, 8, 17, 40, 97, 200].entries()) {
    const A = randomSymmetric(n, 100 + i);
    const ref = jacobiEigenvalues(A, n);
    const scale = Math.max(...ref.map(Math.abs));
    assertClose(symmetricEigenvalues(A, n), ref, { rtol: 0, atol: 1e-11 * scale }, `n=${n}`);
  }
});

test('known spectrum Q diag(l) Q^T with repeated and zero eigenvalues', () => {
  const n = 30;
  const Q = orthonormalRows(n, n, 7); // rows orthonormal -> Q square orthogonal
  const lambda = Array.from({ length: n }, (_, i) => (i < 5 ? 4 : i < 20 ? 1 + i / 10 : 0)); // 4 x5, distinct, 0 x10
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += Q[k * n + i]! * lambda[k]! * Q[k * n + j]!;
    A[i * n + j] = s;
  }
  const expected = [...lambda].sort((a, b) => b - a);
  assertClose(psdEigenvalues(A, n), expected, { rtol: 0, atol: 1e-12 }, 'spectrum');
});

test('diagonal, zero and already-tridiagonal inputs', () => {
  assertClose(symmetricEigenvalues(Float64Array.from([3, 0, 0, 0, -1, 0, 0, 0, 2]), 3), [3, 2, -1]);
  assertClose(symmetricEigenvalues(new Float64Array(16), 4), [0, 0, 0, 0]);
  // Tridiagonal 2 -1 Toeplitz: eigenvalues 2 - 2 cos(k pi / (n+1)).
  const n = 12;
  const T = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    T[i * n + i] = 2;
    if (i + 1 < n) T[i * n + i + 1] = T[(i + 1) * n + i] = -1;
  }
  const ref = Array.from({ length: n }, (_, k) => 2 - 2 * Math.cos(((k + 1) * Math.PI) / (n + 1))).sort((a, b) => b - a);
  assertClose(symmetricEigenvalues(T, n), ref, { rtol: 0, atol: 1e-13 });
  assert.equal(symmetricEigenvalues(new Float64Array(0), 0).length, 0);
});

test('only the lower triangle is read, input is not modified', () => {
  const A = randomSymmetric(9, 3);
  const copy = Float64Array.from(A);
  const ref = symmetricEigenvalues(A, 9);
  for (let i = 0; i < 9; i++) for (let j = i + 1; j < 9; j++) A[i * 9 + j] = 999; // garbage above the diagonal
  assertClose(symmetricEigenvalues(A, 9), ref, { rtol: 0, atol: 1e-12 });
  for (let i = 0; i < 9; i++) for (let j = 0; j <= i; j++) assert.equal(A[i * 9 + j], copy[i * 9 + j]);
});

test('PSD Gram of a rank-deficient matrix: zero eigenvalues clamped to >= 0, rank ones exact', () => {
  const X = randomMatrix(4, 20, 11); // 4 rows in 20 dims: X^T X has rank 4
  const G = naiveGramCols(X, 4, 20);
  const ev = psdEigenvalues(G, 20);
  for (const x of ev) assert.ok(x >= 0);
  const ref = jacobiEigenvalues(G, 20);
  assertClose(ev.slice(0, 4), ref.slice(0, 4), { rtol: 1e-12, atol: 1e-12 });
  for (const x of ev.slice(4)) assert.ok(x < 1e-12 * ev[0]!);
});

test('n = 1024 in well under a second (timing reported)', () => {
  const n = 1024;
  const X = randomMatrix(n, 64, 5);
  // A = X X^T + diag: a Gram-like PSD matrix with a spread spectrum.
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) {
    let s = 0;
    for (let k = 0; k < 64; k++) s += X[i * 64 + k]! * X[j * 64 + k]!;
    A[i * n + j] = A[j * n + i] = s + (i === j ? 1 + i / n : 0);
  }
  symmetricEigenvalues(A.subarray(0, 64 * 64), 64); // warm up the JIT
  // CPU time, not wall time: the test machines are shared and a wall-clock limit would be flaky.
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const ev = symmetricEigenvalues(A, n);
  const cpu = process.cpuUsage(c0);
  const ms = (cpu.user + cpu.system) / 1000;
  console.log(`symmetricEigenvalues n=${n}: ${ms.toFixed(0)} ms CPU, ${(performance.now() - t0).toFixed(0)} ms wall`);
  let trace = 0;
  for (let i = 0; i < n; i++) trace += A[i * n + i]!;
  assertClose(ev.reduce((s, x) => s + x, 0), trace, { rtol: 1e-12 }, 'trace');
  // Weyl: X X^T is PSD and the added diagonal is >= 1, so every eigenvalue is >= 1.
  assert.ok(ev[n - 1]! >= 1 - 1e-9, `smallest ${ev[n - 1]}`);
  assert.ok(ms < 2500, `took ${ms} ms CPU (generous limit: ~0.75 s on an idle core)`);
});

test('block-diagonal input: zero columns mid-reduction (no reflector for a step) are handled', () => {
  for (const sizes of [[3, 4], [1, 5, 2], [2, 2, 2, 3]]) {
    const n = sizes.reduce((s, x) => s + x, 0);
    const A = new Float64Array(n * n);
    let o = 0;
    sizes.forEach((m, bi) => {
      const B = randomSymmetric(m, 300 + bi);
      for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) A[(o + i) * n + o + j] = B[i * m + j]!;
      o += m;
    });
    assertClose(symmetricEigenvalues(A, n), jacobiEigenvalues(A, n), { rtol: 0, atol: 1e-12 }, `blocks ${sizes}`);
  }
});
