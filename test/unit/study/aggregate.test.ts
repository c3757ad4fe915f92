/**
 * Study aggregation against hand computations: quartiles (numpy's linear method), per-layer means and
 * bands, valley/spike statistics, and the relative-depth alignment of a 6- and a 12-block model.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ModelInfo } from '../../../src/shared/result';
import { aggregateLayers, aggregateModel, relativeDepthCurves, valleyStats } from '../../../src/engine/study/aggregate';
import { valleyDepthOf } from '../../../src/engine/study/record';
import { depthGrid, interpolateOnDepth, quantileSorted, stat } from '../../../src/engine/study/stats';
import { record } from './helpers';

const close = (a: number | null, b: number, eps = 1e-12): void => assert.ok(a !== null && Math.abs(a - b) <= eps, `${a} != ${b}`);

describe('study statistics', () => {
  test('mean and quartiles match a hand computation (linear interpolation between order statistics)', () => {
    const s = stat([4, 1, 3, 2]);
    // Sorted 1 2 3 4: q1 at h = 3 * 0.25 = 0.75 -> 1 + 0.75 * (2 - 1) = 1.75; median 2.5; q3 at 2.25 -> 3.25.
    assert.deepEqual(s, { mean: 2.5, q1: 1.75, median: 2.5, q3: 3.25, n: 4 });
    const t = stat([0.9, null, 0.2, Number.NaN, 0.4]);
    // Sorted 0.2 0.4 0.9: q1 at h = 0.5 -> 0.3; q3 at h = 1.5 -> 0.65; nulls and NaN left out.
    assert.equal(t.n, 3);
    close(t.mean, 0.5);
    close(t.q1, 0.3);
    close(t.q3, 0.65);
    close(t.median, 0.4);
    assert.deepEqual(stat([null, undefined]), { mean: null, q1: null, median: null, q3: null, n: 0 });
    assert.equal(quantileSorted([7], 0.25), 7);
    assert.throws(() => quantileSorted([], 0.5), RangeError);
  });

  test('per-layer aggregate: mean and band per layer, sink rate missing at h[0], compress rate', () => {
    const recs = [
      record({ index: 0, entropy: [0.8, 0.4, 0.7], sinkRate: [null, 0.2, 0.6], bosNorm: [1, 100, 1000], valleyLayer: 1, valleyDepth: 0.3 }),
      record({ index: 1, entropy: [0.9, 0.5, 0.6], sinkRate: [null, 0.4, 0.2], bosNorm: [10, 100, 10], valleyLayer: 1, valleyDepth: 0.1 }),
      record({ index: 2, entropy: [0.7, 0.6, 0.5], sinkRate: [null, 0.0, 0.1], bosNorm: [1, 1000, 100] }),
    ];
    const a = aggregateLayers(recs);
    assert.equal(a.length, 3);
    assert.deepEqual(a.map((l) => l.relDepth), [0, 0.5, 1]);
    close(a[1]!.entropy.mean, 0.5);
    close(a[1]!.entropy.q1, 0.45);
    close(a[1]!.entropy.q3, 0.55);
    assert.equal(a[0]!.sinkRate.n, 0, 'no sink rate at h[0]');
    close(a[2]!.sinkRate.mean, 0.3);
    close(a[2]!.sinkRate.q1, 0.15); // sorted 0.1 0.2 0.6 -> h = 0.5
    close(a[2]!.sinkRate.q3, 0.4); // h = 1.5 -> 0.2 + 0.5 * 0.4
    close(a[1]!.bosNormLog10.mean, (2 + 2 + 3) / 3);
    close(a[1]!.compressRate, 2 / 3);
    assert.throws(() => aggregateLayers([...recs, record({ index: 3, entropy: [0.1, 0.2] })]), /different models/);
  });

  test('valley statistics: how often, where, how deep; spike blocks', () => {
    const recs = [
      record({ index: 0, entropy: [0.8, 0.5, 0.4, 0.7, 0.7], valleyLayer: 2, valleyDepth: 0.3, spikeBlocks: [1] }),
      record({ index: 1, entropy: [0.8, 0.5, 0.4, 0.7, 0.7], valleyLayer: 2, valleyDepth: 0.2, spikeBlocks: [1] }),
      record({ index: 2, entropy: [0.8, 0.3, 0.4, 0.7, 0.7], valleyLayer: 1, valleyDepth: 0.4, spikeBlocks: [0, 1] }),
      record({ index: 3, entropy: [0.8, 0.7, 0.6, 0.5, 0.4] }),
    ];
    const v = valleyStats(recs, 4);
    assert.equal(v.prompts, 4);
    assert.equal(v.withValley, 3);
    assert.equal(v.rate, 0.75);
    assert.deepEqual(v.minLayerCounts, [0, 1, 2, 0, 0]);
    close(v.relDepth.mean, (0.5 + 0.5 + 0.25) / 3);
    close(v.depth.mean, 0.3);
    close(v.depth.q1, 0.25);
    assert.deepEqual(v.spikeBlockCounts, [1, 3, 0, 0]);
    assert.equal(v.withSpike, 3);
  });

  test('valley depth is min(rise before, rise after) at the entropy minimum; 0 at the ends', () => {
    const a = valleyDepthOf([0.8, 0.5, 0.7, 0.6]); // falls 0.3, recovers 0.2
    assert.equal(a.layer, 1);
    close(a.depth, 0.2, 1e-15);
    const d = valleyDepthOf([0.8, 0.75, 0.5, 0.9, 0.6]);
    assert.equal(d.layer, 2);
    close(d.depth, 0.3);
    assert.equal(valleyDepthOf([0.9, 0.8, 0.7]).depth, 0);
  });
});

describe('relative depth', () => {
  test('grid of (max L) + 1 points; a 12-block model keeps its layers, a 6-block one is interpolated between them', () => {
    const e6 = [0.8, 0.7, 0.5, 0.55, 0.6, 0.65, 0.7];
    const e12 = Array.from({ length: 13 }, (_, l) => 0.9 - 0.05 * l);
    const s6 = [null, 0.1, 0.3, 0.5, 0.6, 0.4, 0.2];
    const s12 = [null, ...Array.from({ length: 12 }, (_, l) => l / 12)];
    const m6 = aggregateModel(identity('six', 6), [record({ index: 0, entropy: e6, sinkRate: s6 })]);
    const m12 = aggregateModel(identity('twelve', 12), [record({ index: 0, entropy: e12, sinkRate: s12 })]);
    const r = relativeDepthCurves([m6, m12]);
    assert.deepEqual(r.grid, depthGrid(13));
    assert.equal(r.grid.length, 13);
    const six = r.models[0]!;
    const twelve = r.models[1]!;
    // The 12-block model sits exactly on the grid: its own per-layer means.
    twelve.entropy.forEach((st, i) => close(st.mean, e12[i]!, 1e-12));
    // The 6-block model: at even grid points its layers, at odd ones the midpoint of its two neighbours.
    for (let i = 0; i < 13; i++) {
      const want = i % 2 === 0 ? e6[i / 2]! : (e6[(i - 1) / 2]! + e6[(i + 1) / 2]!) / 2;
      close(six.entropy[i]!.mean, want, 1e-12);
    }
    close(six.entropy[3]!.mean, (0.7 + 0.5) / 2);
    // Sink rate is missing at h[0]: the grid point 0 and the one between h[0] and h[1] (1/12) stay empty.
    assert.equal(six.sinkRate[0]!.mean, null);
    assert.equal(six.sinkRate[1]!.mean, null);
    close(six.sinkRate[2]!.mean, 0.1);
    close(six.sinkRate[3]!.mean, 0.2);
    assert.equal(twelve.sinkRate[0]!.mean, null);
    close(twelve.sinkRate[1]!.mean, 0);
    // The per-layer view is kept alongside.
    assert.equal(m6.perLayer.length, 7);
    assert.equal(m12.perLayer.length, 13);
  });

  test('interpolation never extrapolates past a gap', () => {
    assert.deepEqual(interpolateOnDepth([1, null, 3], [0, 0.25, 0.5, 0.75, 1]), [1, null, null, null, 3]);
    assert.deepEqual(interpolateOnDepth([0, 2], [0, 0.5, 1]), [0, 1, 2]);
  });
});

function identity(name: string, layers: number): { info: ModelInfo; tokenizerSha256: string | null } {
  const info = { name, dir: `/m/${name}`, arch: 'llama', modelType: 'llama', layers, heads: 4, kvHeads: 4, hiddenSize: 32, headDim: 8, vocabSize: 64, maxPositions: 64, dtype: 'F32', params: 1, bosTokenId: 1, files: [{ name: 'model.safetensors', bytes: 1, sha256: 'ab' }] };
  return { info, tokenizerSha256: null };
}
