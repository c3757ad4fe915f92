import assert from 'node:assert/strict';
import { test } from 'node:test';
import { layerEntropy, matrixEntropy, matrixEntropyFromGram, rawAndExclBosSpectra, renyiEntropy } from '../../../src/engine/metrics/entropy';
import type { EntropyOptions } from '../../../src/shared/result';
import { assertClose } from '../../support/assertClose';
import { jacobiEigenvalues, naiveGramCols, naiveGramRows, orthonormalRows, randomMatrix, shannonOfWeights } from './helpers';

const opts = (o: Partial<EntropyOptions> = {}): EntropyOptions => ({ alpha: 1, excludeBos: false, center: false, rowNormalize: false, ...o });

test('orthogonal rows of given norms: eigenvalues are the squared norms (closed form)', () => {
  const d = 16;
  const norms = [5, 3, 2, 2, 1, 0.5];
  const Q = orthonormalRows(norms.length, d, 21);
  const X = Q.map((x, i) => x * norms[Math.floor(i / d)]!);
  const w = norms.map((n) => n * n);
  const r = matrixEntropy(X, norms.length, d, opts());
  assertClose(r.eigenvalues, w, { rtol: 1e-12, atol: 1e-12 });
  assertClose(r.entropyRaw, shannonOfWeights(w), { rtol: 1e-12 });
  assertClose(r.entropy, shannonOfWeights(w) / Math.log(6), { rtol: 1e-12 });
  assertClose(r.anisotropy, 25 / w.reduce((s, x) => s + x, 0), { rtol: 1e-12 });
  // excludeBos drops the norm-5 row.
  const e = matrixEntropy(X, norms.length, d, opts({ excludeBos: true }));
  assertClose(e.entropyRaw, shannonOfWeights(w.slice(1)), { rtol: 1e-12 });
  assertClose(e.entropy, shannonOfWeights(w.slice(1)) / Math.log(5), { rtol: 1e-12 });
  assert.equal(e.rows, 5);
  // rowNormalize: all norms 1 -> uniform spectrum -> normalised entropy 1.
  assertClose(matrixEntropy(X, 6, d, opts({ rowNormalize: true })).entropy, 1, { rtol: 1e-12 });
});

test('rank one -> entropy 0 and p1 = 1; identity-like -> normalised entropy 1', () => {
  const d = 8;
  const v = [1, -2, 3, 0.5, 0, 1, 2, -1];
  const X = Float32Array.from({ length: 5 * d }, (_, i) => v[i % d]! * (1 + Math.floor(i / d)));
  const r = matrixEntropy(X, 5, d);
  assertClose(r.entropy, 0, { atol: 1e-6 });
  assertClose(r.anisotropy, 1, { rtol: 1e-9 });
  const I = Float64Array.from({ length: d * d }, (_, i) => (i % (d + 1) === 0 ? 3 : 0));
  const id = matrixEntropy(I, d, d);
  assertClose(id.entropy, 1, { rtol: 1e-12 });
  assertClose(id.anisotropy, 1 / d, { rtol: 1e-12 });
  // T > d: 12 rows that are the identity rows repeated -> X^T X = diag, uniform when each repeats equally.
  const rep = Float64Array.from({ length: 2 * d * d }, (_, i) => I[i % (d * d)]!);
  assertClose(matrixEntropy(rep, 2 * d, d).entropy, 1, { rtol: 1e-12 });
});

test('eigenvalues equal Jacobi on the naive Gram, either side (T < d and T > d)', () => {
  for (const [T, d, seed] of [[7, 20, 1], [40, 12, 2]] as const) {
    const X = randomMatrix(T, d, seed);
    const G = T <= d ? naiveGramRows(X, T, d) : naiveGramCols(X, T, d);
    const ref = jacobiEigenvalues(G, Math.min(T, d));
    const r = matrixEntropy(X, T, d);
    assertClose(r.eigenvalues, ref, { rtol: 1e-10, atol: 1e-10 });
    const total = ref.reduce((s, x) => s + x, 0);
    assertClose(r.entropyRaw, shannonOfWeights(ref), { rtol: 1e-10 });
    assertClose(r.anisotropy, ref[0]! / total, { rtol: 1e-10 });
  }
});

test('Gram path equals the direct path for every excludeBos/center combination', () => {
  const T = 50;
  const d = 12;
  const X = randomMatrix(T, d, 31);
  for (let j = 0; j < d; j++) X[j] = 40 * (j === 3 ? 1 : 0.1); // a massive first row
  for (let j = 0; j < d; j++) for (let t = 1; t < T; t++) X[t * d + j]! += 0.7; // a non-zero mean
  const G = naiveGramCols(X, T, d);
  for (const excludeBos of [false, true]) {
    for (const center of [false, true]) {
      for (const alpha of [1, 2]) {
        const o = opts({ excludeBos, center, alpha });
        const direct = matrixEntropy(X, T, d, o);
        const viaGram = matrixEntropyFromGram(G, X, T, d, o);
        const what = `excludeBos=${excludeBos} center=${center} alpha=${alpha}`;
        assertClose(viaGram.eigenvalues, direct.eigenvalues, { rtol: 1e-9, atol: 1e-9 * direct.eigenvalues[0]! }, what);
        assertClose(viaGram.entropy, direct.entropy, { rtol: 1e-10 }, what);
        assertClose(viaGram.anisotropy, direct.anisotropy, { rtol: 1e-10 }, what);
        assertClose(layerEntropy(X, T, d, o, G).entropy, direct.entropy, { rtol: 1e-10 }, what);
      }
    }
  }
  assert.throws(() => matrixEntropyFromGram(G, X, T, d, opts({ rowNormalize: true })));
  // layerEntropy falls back to the rows for rowNormalize.
  assertClose(layerEntropy(X, T, d, opts({ rowNormalize: true }), G).entropy, matrixEntropy(X, T, d, opts({ rowNormalize: true })).entropy, { rtol: 1e-12 });
});

test('center matches subtracting the mean by hand; float32 input matches float64', () => {
  const T = 9;
  const d = 15;
  const X = randomMatrix(T, d, 41);
  const Xc = Float64Array.from(X);
  for (let j = 0; j < d; j++) {
    let m = 0;
    for (let t = 0; t < T; t++) m += X[t * d + j]!;
    for (let t = 0; t < T; t++) Xc[t * d + j]! -= m / T;
  }
  const ref = jacobiEigenvalues(naiveGramRows(Xc, T, d), T);
  const r = matrixEntropy(X, T, d, opts({ center: true }));
  assertClose(r.eigenvalues, ref.map((x) => Math.max(0, x)), { rtol: 1e-10, atol: 1e-10 });
  const f32 = Float32Array.from(X);
  assertClose(matrixEntropy(f32, T, d).entropy, matrixEntropy(Float64Array.from(f32), T, d).entropy, { rtol: 1e-14 });
});

test('Renyi: alpha = 2 equals -log(||G||_F^2 / tr(G)^2); alpha -> 1 tends to Shannon; 0 and Infinity', () => {
  const T = 10;
  const d = 6;
  const X = randomMatrix(T, d, 51);
  const G = naiveGramCols(X, T, d);
  let fro = 0;
  let tr = 0;
  for (let i = 0; i < d * d; i++) fro += G[i]! ** 2;
  for (let i = 0; i < d; i++) tr += G[i * d + i]!;
  const r2 = matrixEntropy(X, T, d, opts({ alpha: 2 }));
  assertClose(r2.entropyRaw, -Math.log(fro / (tr * tr)), { rtol: 1e-10 });
  assertClose(r2.entropy, -Math.log(fro / (tr * tr)) / Math.log(6), { rtol: 1e-10 });
  const shannon = matrixEntropy(X, T, d).entropyRaw;
  assertClose(matrixEntropy(X, T, d, opts({ alpha: 1 + 1e-7 })).entropyRaw, shannon, { rtol: 1e-5 });
  const p1 = matrixEntropy(X, T, d).anisotropy;
  assertClose(matrixEntropy(X, T, d, opts({ alpha: Infinity })).entropyRaw, -Math.log(p1), { rtol: 1e-12 });
  assertClose(renyiEntropy([0.5, 0.25, 0.25, 0], 0), Math.log(3), { rtol: 1e-15 });
  assert.throws(() => renyiEntropy([1], -1));
});

test('degenerate inputs: zero matrix, one row, excludeBos with T = 1', () => {
  const z = matrixEntropy(new Float32Array(12), 3, 4);
  assert.deepEqual([z.entropy, z.entropyRaw, z.anisotropy], [0, 0, 0]);
  const one = matrixEntropy(Float32Array.from([1, 2, 3]), 1, 3);
  assert.equal(one.entropy, 0);
  assertClose(one.anisotropy, 1);
  const none = matrixEntropy(Float32Array.from([1, 2, 3]), 1, 3, opts({ excludeBos: true }));
  assert.deepEqual([none.entropy, none.anisotropy, none.rows], [0, 0, 0]);
});

test('rawAndExclBosSpectra: one Gram gives both spectra, in every orientation', () => {
  for (const [T, d, withGram] of [[6, 9, false], [6, 9, true], [9, 9, false], [9, 9, true], [10, 9, false], [25, 9, false], [25, 9, true]] as const) {
    const X = randomMatrix(T, d, 60 + T);
    for (let j = 0; j < d; j++) X[j]! *= 20; // BOS much larger
    // withGram: the graph's Gram of the smaller side (X^T X when T > d, X X^T otherwise).
    const sp = withGram ? (T > d ? rawAndExclBosSpectra(X, T, d, naiveGramCols(X, T, d)) : rawAndExclBosSpectra(X, T, d, undefined, naiveGramRows(X, T, d))) : rawAndExclBosSpectra(X, T, d);
    const what = `T=${T} d=${d} gram=${withGram}`;
    const raw = matrixEntropy(X, T, d).eigenvalues;
    const excl = matrixEntropy(X, T, d, opts({ excludeBos: true })).eigenvalues;
    assertClose(sp.raw, raw, { rtol: 1e-9, atol: 1e-9 * raw[0]! }, `${what} raw`);
    assertClose(sp.excl.slice(0, excl.length), excl, { rtol: 1e-9, atol: 1e-9 * raw[0]! }, `${what} excl`);
    for (const x of sp.excl.slice(excl.length)) assert.ok(x <= 1e-9 * raw[0]!, `${what}: extra eigenvalues are zero`);
  }
  assert.equal(rawAndExclBosSpectra(Float32Array.from([1, 2]), 1, 2).excl.length, 0);
});
