/**
 * Layer metrics on hidden states shaped like a real 1.2B model's (Llama-3.2-1B: d = 2048) at 256
 * tokens, built here without a model: a BOS row ~1e4 x the others and two massive dimensions — the
 * dynamic range that made the solver fail — and a layer holding NaN/Inf, which must be reported,
 * not thrown.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rawAndExclBosSpectra } from '../../../src/engine/metrics/entropy';
import { computeLayer, computeRunMetricsChecked, type RunMetricsInput } from '../../../src/engine/metrics/run';
import { assertClose } from '../../support/assertClose';
import { gaussian, jacobiEigenvalues, naiveGramRows, rng, shannonOfWeights } from './helpers';

const T = 256;
const d = 2048;

/** h [T, d] float32: unit-scale rows, row 0 scaled by 1e4, dims 7 and 1500 massive (~3e3) on every token. */
function massiveLayer(seed: number): Float32Array {
  const g = gaussian(rng(seed));
  const h = new Float32Array(T * d); // [T, d]
  for (let i = 0; i < h.length; i++) h[i] = g();
  for (let j = 0; j < d; j++) h[j] = h[j]! * 1e4;
  for (let t = 1; t < T; t++) {
    h[t * d + 7] = 3e3 * (1 + 0.01 * g());
    h[t * d + 1500] = -2.5e3 * (1 + 0.01 * g());
  }
  return h;
}

const options: RunMetricsInput['options'] = {
  tau: 0.3,
  includeFirstQuery: false,
  entropy: { alpha: 1, excludeBos: false, center: false, rowNormalize: false },
  massiveTopK: 5,
  lastTopK: 3,
  boundRank: 'full',
};

function input(hidden: Float32Array, L: number): RunMetricsInput {
  const H = 2;
  const attnToBos = new Float32Array(L * H * T).fill(0.5); // [L, H, T]
  return { hidden, attnToBos, lastLogits: new Float32Array(8), L, T, d, H, options, tokenText: (id) => `#${id}` };
}

test('1.2B-shaped layer (d 2048, T 256, BOS 1e4 x, massive dims): entropies match Jacobi to 1e-9', () => {
  const h = massiveLayer(12);
  const out = computeLayer(input(h, 0), 0);
  assert.equal(out.nonFinite, false);
  const G = naiveGramRows(h, T, d); // [T, T] float64 from the float32 states
  const all = jacobiEigenvalues(G, T).map((x) => Math.max(x, 0));
  const sub = new Float64Array((T - 1) * (T - 1));
  for (let i = 1; i < T; i++) sub.set(G.subarray(i * T + 1, (i + 1) * T), (i - 1) * (T - 1));
  const excl = jacobiEigenvalues(sub, T - 1).map((x) => Math.max(x, 0));
  const m = out.metrics;
  assertClose(m.entropy!, shannonOfWeights(all) / Math.log(T), { rtol: 1e-9, atol: 0 }, 'entropy');
  assertClose(m.entropyExclBos!, shannonOfWeights(excl) / Math.log(T), { rtol: 1e-9, atol: 0 }, 'entropy excl. BOS (on the main curve\'s scale: log min(T, d))');
  assertClose(m.anisotropy!, all[0]! / all.reduce((s, x) => s + x, 0), { rtol: 1e-12, atol: 0 }, 'anisotropy');
  assert.ok(m.bosRatio > 10, `BOS ratio ${m.bosRatio}`);
});

test('a layer with NaN/Inf: entropy null, a nonFinite warning naming it, the other layers intact', () => {
  const L = 2;
  const layer = massiveLayer(5);
  const hidden = new Float32Array((L + 1) * T * d); // [L+1, T, d]
  for (let l = 0; l <= L; l++) hidden.set(layer, l * T * d);
  hidden[1 * T * d + 17 * d + 3] = Infinity;
  hidden[2 * T * d + 40] = NaN;
  const { run, warnings } = computeRunMetricsChecked(input(hidden, L));
  assert.deepEqual(
    run.layers.map((m) => m.entropy === null),
    [false, true, true],
  );
  assert.equal(run.layers[1]!.entropyExclBos, null);
  assert.equal(run.layers[1]!.anisotropy, null);
  const nonFinite = warnings.filter((w) => w.code === 'nonFinite').map((w) => w.message);
  assert.equal(nonFinite.length, 2);
  assert.match(nonFinite[0]!, /^h\[1\] contains NaN or Inf/);
  assert.match(nonFinite[1]!, /^h\[2\] contains NaN or Inf/);
  assert.equal(warnings.filter((w) => w.code === 'boundViolated').length, 0, 'no bound is checked on a broken layer');
  assert.equal(run.phases.valley, false);
  assert.match(run.phases.signals[0]!, /no entropy at h\[1\], h\[2\]/);
  assertClose(run.layers[0]!.entropy!, computeLayer(input(layer, 0), 0).metrics.entropy!, { rtol: 0, atol: 0 }, 'layer 0 unaffected');
});

test('the layer on which the previous solver threw "tridiagonalQL: no convergence" (T 256, d 768, BOS 30 x)', () => {
  const dd = 768;
  let s = 7;
  const rnd = (): number => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1; // the LCG that produced it
  const h = Float32Array.from({ length: T * dd }, (_, i) => rnd() * (i < dd ? 30 : 1)); // [T, d]
  const { raw, excl } = rawAndExclBosSpectra(h, T, dd);
  const G = naiveGramRows(h, T, dd); // [T, T]
  const ref = jacobiEigenvalues(G, T).map((x) => Math.max(x, 0));
  assertClose(raw, ref, { rtol: 0, atol: 1e-11 * ref[0]! }, 'spectrum');
  assert.equal(excl.length, T - 1);
  assertClose(excl.reduce((a, x) => a + x, 0), ref.reduce((a, x) => a + x, 0) - G[0]!, { rtol: 1e-12, atol: 0 }, 'trace without BOS');
});
