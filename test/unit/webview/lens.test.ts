import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LayerMetrics, RunMetrics, TokenInfo } from '../../../src/shared/result';
import { hasLens, lensGrid, lensSeries, lockInRows, nextTokenHits } from '../../../src/webview/model/lens';
import { lensSummary } from '../../../src/webview/render/lensGrid';
import { sampleResult } from './support/sampleResult';

// A hand-made 4-token prompt "<s> The cat sat" (ids 1, 10, 20, 30) and three layers h[0..2].
const tokens: TokenInfo[] = [
  { index: 0, id: 1, text: '<s>', start: 0, end: 0, special: true },
  { index: 1, id: 10, text: 'The', start: 0, end: 3, special: false },
  { index: 2, id: 20, text: ' cat', start: 3, end: 7, special: false },
  { index: 3, id: 30, text: ' sat', start: 7, end: 11, special: false },
];

function withLens(layer: number, top1: number[], top1Text: string[], crossEntropy: number): LayerMetrics {
  const base = sampleResult().baseline.layers[0] as LayerMetrics;
  return { ...base, layer, logitLens: { top1, top1Text, crossEntropy } };
}

// Position 0 predicts "The" from h[1] on, position 1 predicts " cat" only at h[1] (lost again at h[2]),
// position 2 predicts " sat" only at h[2]; position 3 has no next token.
const run: RunMetrics = {
  ...sampleResult().baseline,
  // Deliberately out of order: the grid sorts by layer.
  layers: [
    withLens(2, [10, 99, 30, 5], ['The', ' dog', ' sat', '.'], 1.25),
    withLens(0, [7, 7, 7, 7], [',', ',', ',', ','], 9.5),
    withLens(1, [10, 20, 40, 5], ['The', ' cat', ' ran', '.'], 3),
  ],
};

describe('logit lens view-model', () => {
  it('flags a top-1 equal to the actual next token; the last position has none', () => {
    assert.deepEqual(nextTokenHits([10, 99, 30, 5], tokens), [true, false, true, null]);
    assert.deepEqual(nextTokenHits([1, 10, 20, 30], tokens), [false, false, false, null]);
  });

  it('lock-in is the first row from which every later row hits', () => {
    const hits = [
      [false, false, false, null],
      [true, true, false, null],
      [true, false, true, null],
    ];
    assert.deepEqual(lockInRows(hits, 4), [1, null, 2, null]);
    assert.deepEqual(lockInRows([[true], [true]], 1), [0]);
    assert.deepEqual(lockInRows([], 2), [null, null]);
  });

  it('builds the grid rows in layer order with texts, hits and lock-in cells', () => {
    const g = lensGrid(run, tokens);
    assert.deepEqual(g.rows.map((r) => r.layer), [0, 1, 2]);
    assert.deepEqual(g.rows.map((r) => r.crossEntropy), [9.5, 3, 1.25]);
    assert.deepEqual(g.rows[1]?.cells.map((c) => c.text), ['The', ' cat', ' ran', '.']);
    assert.deepEqual(g.rows.map((r) => r.cells.map((c) => c.hit)), [
      [false, false, false, null],
      [true, true, false, null],
      [true, false, true, null],
    ]);
    assert.deepEqual(g.lockIn, [1, null, 2, null]);
    assert.deepEqual(g.rows.map((r) => r.cells.map((c) => c.lockIn)), [
      [false, false, false, false],
      [true, false, false, false],
      [false, false, true, false],
    ]);
    assert.equal(lensSummary(g), '2 of 3 next-token predictions lock in · lowest cross-entropy 1.25 nats at h[2]');
  });

  it('the cross-entropy series covers every layer, with gaps where the lens is missing', () => {
    const partial: RunMetrics = { ...run, layers: [...run.layers, { ...(run.layers[0] as LayerMetrics), layer: 3, logitLens: null }] };
    assert.deepEqual(lensSeries(partial), { layers: [0, 1, 2, 3], crossEntropy: [9.5, 3, 1.25, null] });
    assert.equal(hasLens(partial), true);
    assert.equal(hasLens(sampleResult().baseline), false);
    assert.deepEqual(lensGrid(sampleResult().baseline, tokens), { rows: [], lockIn: [null, null, null, null] });
  });

  it('a non-finite cross-entropy (one-token prompt) becomes a gap', () => {
    const one = { ...run, layers: [withLens(0, [3], ['x'], Number.NaN)] };
    assert.deepEqual(lensSeries(one).crossEntropy, [null]);
    assert.equal(lensGrid(one, tokens.slice(0, 1)).rows[0]?.crossEntropy, null);
  });
});
