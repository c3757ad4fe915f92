import assert from 'node:assert/strict';
import { test } from 'node:test';
import { headSinkScores, sinkRate, tokenSinkMass, tokenStrip } from '../../../src/engine/metrics/sinks';
import { spikeBlocks } from '../../../src/engine/metrics/spike';
import { assertClose } from '../../support/assertClose';

// attnToBos [L = 2, H = 3, T = 4]; query 0 always attends to itself (1).
const L2H3T4 = Float32Array.from([
  // block 0
  1, 0.9, 0.8, 0.7, // head 0: strong sink
  1, 0.1, 0.2, 0.3, // head 1: 0.2
  1, 0.3, 0.3, 0.3, // head 2: exactly tau
  // block 1
  1, 0.5, 0.25, 0.0,
  1, 0, 0, 0,
  1, 1, 1, 1,
]);

test('head sink scores exclude query 0 by default, include it on request', () => {
  assertClose(headSinkScores(L2H3T4, 0, 3, 4), [0.8, 0.2, 0.3]);
  assertClose(headSinkScores(L2H3T4, 1, 3, 4), [0.25, 0, 1]);
  assertClose(headSinkScores(L2H3T4, 0, 3, 4, true), [3.4 / 4, 1.6 / 4, 1.9 / 4]);
});

test('sink rate counts heads with score >= tau (inclusive)', () => {
  assert.equal(sinkRate([0.8, 0.2, 0.3], 0.3), 2 / 3);
  assert.equal(sinkRate([0.8, 0.2, 0.3], 0.31), 1 / 3);
  assert.equal(sinkRate([0.25, 0, 1]), 1 / 3);
  assert.equal(sinkRate([]), 0);
});

test('per-token sink mass and the token strip over a layer range', () => {
  const m0 = tokenSinkMass(L2H3T4, 0, 3, 4);
  const m1 = tokenSinkMass(L2H3T4, 1, 3, 4);
  assertClose(m0, [1, 1.3 / 3, 1.3 / 3, 1.3 / 3]);
  assertClose(m1, [1, 1.5 / 3, 1.25 / 3, 1 / 3]);
  // Per layer h[0..2]: h[0] has no attention.
  const masses = [null, m0, m1];
  assertClose(tokenStrip(masses, 4), m0.map((x, i) => (x + m1[i]!) / 2));
  assertClose(tokenStrip(masses, 4, 2, 2), m1);
  assertClose(tokenStrip(masses, 4, 0, 0), [0, 0, 0, 0]);
});

test('T = 1: no query after BOS -> scores 0 (documented), first-query variant is 1', () => {
  const a = Float32Array.from([1, 1]); // L = 1, H = 2, T = 1
  assert.deepEqual(headSinkScores(a, 0, 2, 1), [0, 0]);
  assert.deepEqual(headSinkScores(a, 0, 2, 1, true), [1, 1]);
  assert.equal(sinkRate(headSinkScores(a, 0, 2, 1)), 0);
});

test('spike blocks: first jump > 3x and its consecutive continuation', () => {
  // sinklens-tiny story_tom ratios: block 1 (h[1] -> h[2]) jumps 7.4x.
  assert.deepEqual(spikeBlocks([1.536, 1.242, 9.188, 7.606, 6.332, 5.178, 3.788]), [1]);
  // stories260k: at most 1.8x -> none.
  assert.deepEqual(spikeBlocks([1.204, 2.191, 1.904, 1.671, 1.636, 1.48]), []);
  assert.deepEqual(spikeBlocks([1, 1, 3.5, 12, 12, 40]), [1, 2]);
  assert.deepEqual(spikeBlocks([1, 3, 9]), [], 'exactly 3x is not more than 3x');
  assert.deepEqual(spikeBlocks([0, 5, 5]), [], 'a ratio of 0 (undefined) cannot jump');
  assert.deepEqual(spikeBlocks([]), []);
});
