import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkBounds, entropyBoundRaw, normTerms, numericalRank, theoremBounds } from '../../../src/engine/metrics/bounds';
import { matrixEntropy } from '../../../src/engine/metrics/entropy';
import { assertClose } from '../../support/assertClose';
import { gaussian, jacobiEigenvalues, naiveGramRows, randomMatrix, rng } from './helpers';

/** c and a straight from the definitions (angles via acos), independent of normTerms' algebra. */
function referenceTerms(X: Float64Array, T: number, d: number): { M: number; R: number; c: number; a: number } {
  const row = (t: number) => Array.from(X.subarray(t * d, (t + 1) * d));
  const norm = (v: number[]) => Math.hypot(...v);
  const h0 = row(0);
  const M = norm(h0) ** 2;
  let R = 0;
  let aR = 0;
  for (let t = 1; t < T; t++) {
    const ht = row(t);
    const theta = Math.acos(Math.max(-1, Math.min(1, ht.reduce((s, x, j) => s + x * h0[j]!, 0) / (norm(ht) * norm(h0)))));
    R += norm(ht) ** 2;
    aR += norm(ht) ** 2 * Math.cos(theta) ** 2;
  }
  return { M, R, c: M / R, a: aR / R };
}

test('c and a match the definitions with explicit angles', () => {
  const X = randomMatrix(6, 5, 3);
  const ref = referenceTerms(X, 6, 5);
  const got = normTerms(X, 6, 5);
  assertClose([got.M, got.R, got.c, got.a], [ref.M, ref.R, ref.c, ref.a], { rtol: 1e-9 });
  assertClose(got.p, (ref.c + ref.a) / (ref.c + 1), { rtol: 1e-9 });
});

test('the bound at p = 1/r equals log r (maximum entropy) and is 0 at p = 1', () => {
  for (const r of [2, 5, 64]) assertClose(entropyBoundRaw(1 / r, r)!, Math.log(r), { rtol: 1e-12 });
  assert.equal(entropyBoundRaw(1, 7), 0);
  assert.equal(entropyBoundRaw(0.1, 5), null);
  assert.equal(entropyBoundRaw(1, 1), 0);
  assert.equal(entropyBoundRaw(0.9, 0), null);
});

test('the theorem holds on many random layers, with and without a massive first row', () => {
  let applied = 0;
  for (let trial = 0; trial < 120; trial++) {
    const r = rng(1000 + trial);
    const g = gaussian(r);
    const T = 2 + Math.floor(r() * 30);
    const d = 2 + Math.floor(r() * 20);
    const X = randomMatrix(T, d, 2000 + trial);
    const kind = trial % 3; // 0 plain, 1 massive BOS, 2 massive BOS shared by other tokens (sink-like)
    if (kind > 0) {
      const dir = Array.from({ length: d }, () => g());
      const scale = 5 + 100 * r();
      for (let j = 0; j < d; j++) X[j] = scale * dir[j]!;
      if (kind === 2) for (let t = 1; t < T; t++) for (let j = 0; j < d; j++) X[t * d + j]! += 0.5 * dir[j]!;
    }
    const ev = jacobiEigenvalues(naiveGramRows(X, T, d), T).map((x) => Math.max(0, x));
    const b = theoremBounds(X, T, d, matrixEntropy(X, T, d).eigenvalues);
    const total = ev.reduce((s, x) => s + x, 0);
    const what = `trial ${trial} (T=${T}, d=${d}, kind ${kind})`;
    assert.ok(ev[0]! >= (b.M + b.a * b.R) * (1 - 1e-12), `${what}: sigma1^2 ${ev[0]} < M + aR ${b.M + b.a * b.R}`);
    const p1 = ev[0]! / total;
    assert.ok(p1 >= b.p - 1e-12, `${what}: p1 ${p1} < p ${b.p}`);
    assert.equal(b.r, Math.min(T, d), `${what}: random layers have full rank`);
    const H = matrixEntropy(X, T, d).entropy;
    if (b.entropyUpperBound !== null) {
      applied++;
      assert.ok(H <= b.entropyUpperBound + 1e-12, `${what}: H ${H} > bound ${b.entropyUpperBound}`);
    }
    assert.deepEqual(checkBounds({ anisotropy: p1, entropy: H }, b), [], what);
  }
  assert.ok(applied > 40, `the entropy bound applied in ${applied} trials only`);
});

test('rank: numerically zero singular values are not counted', () => {
  const T = 10;
  const d = 8;
  const B = randomMatrix(3, d, 5);
  const C = randomMatrix(T, 3, 6);
  const X = new Float64Array(T * d); // rank 3 = C B
  for (let t = 0; t < T; t++) for (let j = 0; j < d; j++) for (let k = 0; k < 3; k++) X[t * d + j]! += C[t * 3 + k]! * B[k * d + j]!;
  assert.equal(theoremBounds(X, T, d, matrixEntropy(X, T, d).eigenvalues).r, 3);
  assert.equal(numericalRank([4, 1e-9, 1e-11]), 2);
  assert.equal(numericalRank([0, 0]), 0);
});

test('checkBounds reports violations beyond the tolerance only', () => {
  const bounds = { p: 0.5, entropyUpperBound: 0.6 };
  assert.deepEqual(checkBounds({ anisotropy: 0.5 - 1e-9, entropy: 0.6 + 1e-9 }, bounds), []);
  assert.deepEqual(checkBounds({ anisotropy: 0.49, entropy: 0.61 }, bounds), [
    { quantity: 'anisotropy', measured: 0.49, bound: 0.5 },
    { quantity: 'entropy', measured: 0.61, bound: 0.6 },
  ]);
  assert.deepEqual(checkBounds({ anisotropy: 0.9, entropy: 0.99 }, { p: 0.1, entropyUpperBound: null }), []);
});

test('degenerate layers: T = 1 and a zero BOS row', () => {
  const one = theoremBounds(Float64Array.from([3, 4]), 1, 2, [25]);
  assert.deepEqual([one.M, one.R, one.c, one.a, one.p, one.r, one.entropyUpperBound], [25, 0, 0, 0, 1, 1, 0]);
  const X = Float64Array.from([0, 0, 1, 2, 3, 1]);
  const z = theoremBounds(X, 3, 2, matrixEntropy(X, 3, 2).eigenvalues);
  assert.deepEqual([z.M, z.c, z.a, z.p, z.entropyUpperBound], [0, 0, 0, 0, null]);
});

test("boundRank: repeated rows (h[0] of repeated tokens) -> numerical r is the true rank, 'full' uses min(T, d)", () => {
  const d = 12;
  const rows = randomMatrix(5, d, 77); // 5 distinct embeddings
  const pick = [0, 1, 2, 1, 3, 4, 0, 2, 2, 1, 4, 3, 0, 1, 2, 3]; // T = 16 tokens, rank 5
  const T = pick.length;
  const X = new Float64Array(T * d);
  pick.forEach((k, t) => X.set(rows.subarray(k * d, (k + 1) * d), t * d));
  const e = matrixEntropy(X, T, d);
  const num = theoremBounds(X, T, d, e.eigenvalues);
  const full = theoremBounds(X, T, d, e.eigenvalues, 'full');
  assert.equal(num.r, 5);
  assert.equal(full.r, 12);
  assert.equal(num.p, full.p);
  for (const b of [num, full]) if (b.entropyUpperBound !== null) assert.ok(e.entropy <= b.entropyUpperBound + 1e-12);
  if (num.entropyUpperBound !== null && full.entropyUpperBound !== null) assert.ok(num.entropyUpperBound < full.entropyUpperBound);
  assertClose(full.entropyUpperBoundRaw ?? NaN, entropyBoundRaw(full.p, 12) ?? NaN, { rtol: 1e-15 });
});
