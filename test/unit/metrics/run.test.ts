import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveAblationTarget } from '../../../src/engine/analysis';
import { bosRatio, tokenNorms } from '../../../src/engine/metrics/norms';
import { matrixEntropy } from '../../../src/engine/metrics/entropy';
import { allFinite, compareRuns, computeRunMetrics, computeRunMetricsChecked, summarize, type RunMetricsInput } from '../../../src/engine/metrics/run';
import { assertClose } from '../../support/assertClose';
import { naiveGramCols, randomMatrix, rng } from './helpers';

const L = 4;
const H = 4;
const d = 10;
const defaults = { tau: 0.3, includeFirstQuery: false, entropy: { alpha: 1, excludeBos: false, center: false, rowNormalize: false }, massiveTopK: 3, lastTopK: 2 };

/** A synthetic run: block 1 writes a huge BOS vector along dim 4 (h[2..]); block 1's heads sink when `sinks`. */
function synthetic(T: number, spike: boolean, sinks: boolean, seed = 1): RunMetricsInput {
  const hidden = new Float32Array((L + 1) * T * d); // [L+1, T, d]
  const base = randomMatrix(T, d, seed);
  for (let l = 0; l <= L; l++) {
    const noise = randomMatrix(T, d, seed + 10 + l, 0.1);
    for (let i = 0; i < T * d; i++) hidden[l * T * d + i] = base[i]! + noise[i]!;
    if (spike && l >= 2) hidden[l * T * d + 4] = 300 / (l - 1);
  }
  const r = rng(seed + 99);
  const attnToBos = new Float32Array(L * H * T); // [L, H, T]
  for (let b = 0; b < L; b++) for (let k = 0; k < H; k++) for (let i = 0; i < T; i++) {
    attnToBos[(b * H + k) * T + i] = i === 0 ? 1 : sinks && b >= 1 && k < 3 ? 0.8 + 0.1 * r() : 0.1 * r();
  }
  const lastLogits = Float32Array.from({ length: 50 }, (_, i) => (i === 7 ? 5 : i === 3 ? 4 : 0));
  return { hidden, attnToBos, lastLogits, L, T, d, H, options: defaults, tokenText: (id) => `t${id}` };
}

test('computeRunMetrics assembles every layer from the standalone metrics', () => {
  const T = 8;
  const input = synthetic(T, true, true);
  const { run, warnings } = computeRunMetricsChecked(input);
  assert.deepEqual(warnings, []);
  assert.equal(run.layers.length, L + 1);
  for (const m of run.layers) {
    const h = input.hidden.subarray(m.layer * T * d, (m.layer + 1) * T * d);
    const norms = tokenNorms(h, T, d);
    assertClose(m.norms, norms, { rtol: 1e-12 });
    assert.equal(m.bosRatio, bosRatio(norms));
    const e = matrixEntropy(h, T, d);
    assertClose([m.entropy!, m.entropyRaw!, m.anisotropy!], [e.entropy, e.entropyRaw, e.anisotropy], { rtol: 1e-12 });
    // The BOS-excluded entropy is on the main curve's scale: divided by log(min(T, d)).
    assertClose(m.entropyExclBos!, matrixEntropy(h, T, d, { ...defaults.entropy, excludeBos: true }).entropyRaw / Math.log(Math.min(T, d)), { rtol: 1e-12 });
    assert.deepEqual(m.bounded, { anisotropy: m.anisotropy!, entropy: m.entropy! }, 'default options: the variant is the raw layer');
    assert.ok(m.anisotropy! >= m.anisotropyLowerBound - 1e-9);
    if (m.entropyUpperBound !== null) assert.ok(m.entropy! <= m.entropyUpperBound + 1e-9);
    assert.equal(m.bound.r, T);
    assert.equal(m.logitLens, null);
    assert.equal(m.mixing, null);
    if (m.layer === 0) {
      assert.deepEqual([m.headSinkScores, m.sinkRate, m.tokenSinkMass], [null, null, null]);
    } else {
      assert.equal(m.headSinkScores!.length, H);
      assert.equal(m.sinkRate, m.layer >= 2 ? 0.75 : 0);
      assert.equal(m.tokenSinkMass!.length, T);
    }
  }
  assert.deepEqual(run.layers[2]!.massive.top[0], { token: 0, dim: 4, value: 300 });
  assert.deepEqual(run.spikeBlocks, [1]);
  // dim 4 tops h[2..4] but 300 is not > 1000 x the layer median |h|: it passes no massive test, so it is not "recurring".
  assert.ok(run.layers[2]!.massive.medianAbs * 1000 > 300);
  assert.deepEqual(run.recurringDims, []);
  assert.deepEqual(run.lastTopK.map((t) => t.id), [7, 3]);
  assert.equal(run.lastTopK[0]!.text, 't7');
  assert.equal(run.phases.minLayer, 2, run.phases.signals.join('; '));
});

test('the Gram path (T > d) gives the same metrics as the rows; entropy options are honoured', () => {
  const T = 30;
  const input = synthetic(T, true, false, 5);
  const gram = new Float32Array((L + 1) * d * d); // [L+1, d, d]
  for (let l = 0; l <= L; l++) gram.set(naiveGramCols(input.hidden.subarray(l * T * d, (l + 1) * T * d), T, d), l * d * d);
  const direct = computeRunMetrics(input);
  const viaGram = computeRunMetrics({ ...input, gram });
  for (let l = 0; l <= L; l++) {
    const a = direct.layers[l]!;
    const b = viaGram.layers[l]!;
    assertClose([b.entropy!, b.entropyExclBos!, b.anisotropy!, b.entropyUpperBound ?? -1], [a.entropy!, a.entropyExclBos!, a.anisotropy!, a.entropyUpperBound ?? -1], { rtol: 1e-5 }, `h[${l}]`);
  }
  const centered = computeRunMetrics({ ...input, options: { ...defaults, entropy: { ...defaults.entropy, center: true, alpha: 2 } } });
  const h3 = input.hidden.subarray(3 * T * d, 4 * T * d);
  assertClose(centered.layers[3]!.entropy!, matrixEntropy(h3, T, d, { alpha: 2, excludeBos: false, center: true, rowNormalize: false }).entropy, { rtol: 1e-12 });
  const scale = Math.log(Math.min(T, d));
  assertClose(centered.layers[3]!.entropyExclBos!, matrixEntropy(h3, T, d, { alpha: 1, excludeBos: true, center: true, rowNormalize: false }).entropyRaw / scale, { rtol: 1e-12 });
  assert.deepEqual(centered.layers[3]!.bounded, direct.layers[3]!.bounded, 'the bounded pair is the raw layer whatever the options');
  const exclAlpha = computeRunMetrics({ ...input, gram, options: { ...defaults, entropy: { ...defaults.entropy, excludeBos: true, alpha: 2 } } });
  assertClose(exclAlpha.layers[3]!.entropy!, matrixEntropy(h3, T, d, { alpha: 2, excludeBos: true, center: false, rowNormalize: false }).entropyRaw / scale, { rtol: 1e-6 });
  assertClose(exclAlpha.layers[3]!.entropyExclBos!, direct.layers[3]!.entropyExclBos!, { rtol: 1e-6 });
  const rowNorm = computeRunMetrics({ ...input, options: { ...defaults, entropy: { ...defaults.entropy, rowNormalize: true } } });
  assertClose(rowNorm.layers[2]!.entropy!, matrixEntropy(input.hidden.subarray(2 * T * d, 3 * T * d), T, d, { ...defaults.entropy, rowNormalize: true }).entropy, { rtol: 1e-12 });
  // The bounds still refer to the raw layer.
  assert.equal(centered.layers[3]!.anisotropyLowerBound, direct.layers[3]!.anisotropyLowerBound);
});

test('compareRuns and summarize', () => {
  const T = 8;
  const base = computeRunMetrics(synthetic(T, true, false));
  const ablated = computeRunMetrics(synthetic(T, false, true));
  const cmp = compareRuns(base, ablated, [1], 'mlp');
  assert.deepEqual(cmp.blocks, [1]);
  assert.equal(cmp.run, ablated);
  for (const dl of cmp.delta) {
    assertClose(dl.bosRatio, ablated.layers[dl.layer]!.bosRatio - base.layers[dl.layer]!.bosRatio, { rtol: 1e-12 });
    assertClose(dl.entropy!, ablated.layers[dl.layer]!.entropy! - base.layers[dl.layer]!.entropy!, { rtol: 1e-12, atol: 1e-15 });
    assert.equal(dl.sinkRate === null, dl.layer === 0);
  }
  assert.equal(cmp.effect.spikeRemoved, true);
  assert.equal(cmp.effect.valleyRemoved, base.phases.valley && !ablated.phases.valley);
  assert.deepEqual([cmp.effect.sinkRateBefore, cmp.effect.sinkRateAfter], [0, 0.75]);

  const s = summarize(ablated, T);
  const input = synthetic(T, false, true);
  let mass = 0;
  for (let b = 0; b < L; b++) for (let k = 0; k < H; k++) for (let i = 1; i < T; i++) mass += input.attnToBos[(b * H + k) * T + i]!;
  assertClose(s.meanSinkMass, mass / (L * H * (T - 1)), { rtol: 1e-6 });
  assert.equal(s.maxSinkRate, 0.75);
  assert.equal(s.tokens, T);
  assert.deepEqual(s.spikeBlocks, []);
  assert.equal(s.maxBosRatio, Math.max(...ablated.layers.map((m) => m.bosRatio)));
  const sb = summarize(base, T);
  assert.deepEqual(sb.spikeBlocks, [1]);
  const compress = base.phases.bands.find((b) => b.phase === 'compress');
  assert.deepEqual(sb.valley, compress ? { start: compress.start, end: compress.end } : null);
});

test('a one-token prompt (BOS only) yields finite, documented values', () => {
  const run = computeRunMetrics(synthetic(1, true, true));
  for (const m of run.layers) {
    assert.equal(m.bosRatio, 0);
    assert.equal(m.entropy, 0);
    assert.equal(m.entropyExclBos, 0);
    assert.ok(Number.isFinite(m.anisotropyLowerBound));
    if (m.layer > 0) assert.equal(m.sinkRate, 0);
  }
  assert.deepEqual(JSON.parse(JSON.stringify(run)), run, 'JSON-safe: no NaN or Infinity');
  assert.equal(summarize(run, 1).meanSinkMass, 0);
});

test('mixing and BOS writes from the graph land on layer b + 1; the spike writer is the larger share', () => {
  const T = 8;
  const input = synthetic(T, true, true);
  const rowEntropy = Float32Array.from({ length: L * H }, (_, i) => 0.01 * i); // [L, H]
  const otherMass = Float32Array.from({ length: L * H }, (_, i) => 0.5 - 0.01 * i); // [L, H]
  const bosWrites = new Float32Array(L * 3); // [L, 3]
  for (let b = 0; b < L; b++) bosWrites.set([1 + b, 2 + b, b === 1 ? 0.2 : 0.7], b * 3);
  const run = computeRunMetrics({ ...input, mixing: { rowEntropy, otherMass, queries: [1, 2, 3, 4, 5, 6, 7] }, bosWrites });
  assert.equal(run.layers[0]!.mixing, null);
  assert.equal(run.layers[0]!.bosWrite, null);
  for (let b = 0; b < L; b++) {
    const m = run.layers[b + 1]!;
    const heads = Array.from(rowEntropy.subarray(b * H, (b + 1) * H));
    assertClose(m.mixingHeads!.rowEntropy, heads, { rtol: 1e-12 });
    assertClose(m.mixing!, heads.reduce((a, x) => a + x, 0) / H, { rtol: 1e-6 });
    assertClose(m.otherMass!, Array.from(otherMass.subarray(b * H, (b + 1) * H)).reduce((a, x) => a + x, 0) / H, { rtol: 1e-6 });
    const w = m.bosWrite!;
    assertClose([w.attnNorm, w.mlpNorm, w.attnShare, w.mlpShare], [1 + b, 2 + b, bosWrites[b * 3 + 2]!, 1 - bosWrites[b * 3 + 2]!], { rtol: 1e-6 });
    assertClose(w.normChange, m.bosNorm - run.layers[b]!.bosNorm, { rtol: 1e-12 });
  }
  assert.equal(run.mixingQueries, 7);
  assert.deepEqual(run.spikeBlocks, [1]);
  assert.deepEqual(run.spikeWriter, { block: 1, component: 'mlp', share: 1 - bosWrites[5]! });
  assert.ok(Math.abs(run.chanceSinkScore - (1 / 2 + 1 / 3 + 1 / 4 + 1 / 5 + 1 / 6 + 1 / 7 + 1 / 8) / 7) < 1e-12);
  assert.equal(run.informative, false, 'T = 8 < 16');
});

test('ablateTarget auto: the component with the larger summed share over the ablated blocks', () => {
  const T = 8;
  const input = synthetic(T, true, true);
  const writes = (attnShare: number) => {
    const w = new Float32Array(L * 3); // [L, 3]
    for (let b = 0; b < L; b++) w.set([1, 1, attnShare], b * 3);
    return w;
  };
  const attnRun = computeRunMetrics({ ...input, bosWrites: writes(0.8) });
  const mlpRun = computeRunMetrics({ ...input, bosWrites: writes(0.3) });
  assert.equal(resolveAblationTarget('auto', [1], attnRun), 'attn');
  assert.equal(resolveAblationTarget('auto', [1, 2], mlpRun), 'mlp');
  assert.equal(resolveAblationTarget('mlp', [1], attnRun), 'mlp', 'an explicit target wins');
  assert.equal(resolveAblationTarget('auto', [1], computeRunMetrics(input)), 'mlp', 'no writes: the MLP');
  assert.deepEqual(attnRun.spikeWriter, { block: 1, component: 'attn', share: Math.fround(0.8) });
});

test('allFinite: NaN, Inf and -Inf found at every position and in both float widths; finite extremes pass', () => {
  for (const Arr of [Float32Array, Float64Array]) {
    for (let n = 1; n <= 9; n++) {
      for (let at = 0; at < n; at++) {
        for (const bad of [NaN, Infinity, -Infinity]) {
          const x = new Arr(n).fill(1);
          x[at] = bad;
          assert.equal(allFinite(x), false, `${Arr.name} n=${n} at=${at} ${bad}`);
        }
      }
      const big = Arr === Float32Array ? 3.4e38 : 1.7e308;
      assert.equal(allFinite(new Arr(Array.from({ length: n }, (_, i) => [big, -big, -0, 1e-45, 0][i % 5] as number))), true, `${Arr.name} n=${n}`);
    }
  }
  assert.equal(allFinite(new Float32Array(0)), true);
});
