import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lensLayers, logSumExp, topTokens } from '../../../src/engine/metrics/lens';
import { assertClose } from '../../support/assertClose';
import { randomMatrix } from './helpers';

const text = (id: number) => `<${id}>`;

test('topTokens: softmax probabilities match the naive formula, order by logit, ties by id', () => {
  const logits = Float32Array.from(randomMatrix(1, 300, 4));
  logits[17] = 9;
  logits[42] = 9; // tie with 17
  logits[5] = 8;
  const z = Array.from(logits).reduce((s, x) => s + Math.exp(x), 0);
  const top = topTokens(logits, 3, text);
  assert.deepEqual(top.map((t) => t.id), [17, 42, 5]);
  assert.deepEqual(top.map((t) => t.text), ['<17>', '<42>', '<5>']);
  assertClose(top.map((t) => t.prob), [Math.exp(9) / z, Math.exp(9) / z, Math.exp(8) / z], { rtol: 1e-12 });
  // The full-sort branch (k large relative to vocab) agrees.
  const all = topTokens(logits, 300, text);
  assert.deepEqual(all.slice(0, 3).map((t) => t.id), [17, 42, 5]);
  assert.deepEqual(topTokens(logits, 0, text), []);
  assertClose(all.reduce((s, t) => s + t.prob, 0), 1, { rtol: 1e-12 });
});

test('softmax is stable for huge logits', () => {
  const logits = Float32Array.from([1000, 999, -1e4, 1000]);
  assertClose(logSumExp(logits), 1000 + Math.log(2 + Math.exp(-1)), { rtol: 1e-15 });
  const top = topTokens(logits, 2, text);
  assertClose(top.map((t) => t.prob), [1 / (2 + Math.exp(-1)), 1 / (2 + Math.exp(-1))], { rtol: 1e-12 });
});

test('lensLayers: top-1 per position and CE per requested layer', () => {
  // 2 layers (h[0], h[3]), T = 3, k = 2: ids [n, T, k].
  const lens = { layers: [0, 3], topK: 2, ids: Int32Array.from([5, 6, 7, 8, 9, 1, 10, 11, 12, 13, 14, 15]), crossEntropy: Float32Array.from([4.5, 2.25]) };
  const m = lensLayers(lens, 3, text);
  assert.deepEqual([...m.keys()], [0, 3]);
  assert.deepEqual(m.get(0), { top1: [5, 7, 9], top1Text: ['<5>', '<7>', '<9>'], crossEntropy: 4.5 });
  assert.deepEqual(m.get(3), { top1: [10, 12, 14], top1Text: ['<10>', '<12>', '<14>'], crossEntropy: 2.25 });
});
