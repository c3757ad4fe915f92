/** The loss and top-k comparisons of an intervention, on hand-computed values. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareLoss, compareTopK, tokenLossOf } from '../../../src/engine/metrics';

describe('intervention comparisons', () => {
  it('tokenLossOf: per position and the mean; a one-token prompt has no mean', () => {
    const l = tokenLossOf(Float32Array.of(1, 2, 4.5));
    assert.deepEqual(l.perPosition, [1, 2, 4.5]);
    assert.equal(l.mean, 2.5);
    assert.equal(tokenLossOf(new Float32Array(0)).mean, null);
  });

  it('compareLoss: deltas, means and the most affected positions by |delta| (ties: the earlier)', () => {
    const c = compareLoss({ perPosition: [1, 2, 3, 4, 5, 6, 7], mean: 4 }, { perPosition: [1, 4, 2, 4, 3, 6.5, 5], mean: 25.5 / 7 });
    assert.deepEqual(c.delta, [0, 2, -1, 0, -2, 0.5, -2]);
    assert.equal(c.meanBefore, 4);
    assert.ok(Math.abs((c.meanDelta as number) - (25.5 / 7 - 4)) < 1e-12);
    assert.deepEqual(c.mostAffected, [
      { position: 1, delta: 2 },
      { position: 4, delta: -2 },
      { position: 6, delta: -2 },
      { position: 2, delta: -1 },
      { position: 5, delta: 0.5 },
    ]);
  });

  it('compareTopK: top-1 change, ids that entered and left', () => {
    const t = (id: number, prob: number) => ({ id, text: `t${id}`, logit: 0, prob });
    const c = compareTopK([t(1, 0.5), t(2, 0.3), t(3, 0.1)], [t(2, 0.6), t(1, 0.2), t(9, 0.1)]);
    assert.equal(c.top1Changed, true);
    assert.deepEqual(c.entered, [9]);
    assert.deepEqual(c.left, [3]);
    const same = compareTopK([t(1, 0.5)], [t(1, 0.4)]);
    assert.equal(same.top1Changed, false);
    assert.deepEqual([same.entered, same.left], [[], []]);
  });
});
