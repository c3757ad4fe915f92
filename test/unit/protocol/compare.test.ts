/** The comparison verdict and the character-offset token alignment, against hand-worked cases. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alignByOffsets, compareVerdict, offsetMap, verdictInput } from '../../../src/shared/compare';
import { sampleResult } from '../webview/support/sampleResult';

describe('compare verdict', () => {
  it('names the valley move, the signed sink-rate change and the spike', () => {
    assert.equal(
      compareVerdict({ valleyLayer: 5, maxSinkRate: 0.81, spikeBlocks: [1] }, { valleyLayer: 7, maxSinkRate: 0.5, spikeBlocks: [1, 3] }),
      'valley moved h[5]\u2192h[7], max sink rate \u22120.31, spike unchanged',
    );
    assert.equal(
      compareVerdict({ valleyLayer: null, maxSinkRate: 0.2, spikeBlocks: [] }, { valleyLayer: 3, maxSinkRate: 0.204, spikeBlocks: [2] }),
      'valley appeared at h[3], max sink rate unchanged, spike appeared at h[3]',
    );
    assert.equal(
      compareVerdict({ valleyLayer: 4, maxSinkRate: 0.2, spikeBlocks: [0] }, { valleyLayer: null, maxSinkRate: 0.45, spikeBlocks: [] }),
      'valley gone (was h[4]), max sink rate +0.25, spike gone (was h[1])',
    );
    assert.equal(compareVerdict({ valleyLayer: 2, maxSinkRate: 0.3, spikeBlocks: [1] }, { valleyLayer: 2, maxSinkRate: 0.3, spikeBlocks: [2] }), 'valley unchanged at h[2], max sink rate unchanged, spike moved h[2]\u2192h[3]');
  });

  it('reads the valley minimum, max sink rate and spike blocks of a result', () => {
    const r = sampleResult({ layers: 6 });
    const v = verdictInput(r);
    assert.equal(v.valleyLayer, r.baseline.phases.valley ? r.baseline.phases.minLayer : null);
    assert.equal(v.maxSinkRate, r.summary.maxSinkRate);
    assert.equal(compareVerdict(v, v), `${v.valleyLayer === null ? 'no valley in either' : `valley unchanged at h[${v.valleyLayer}]`}, max sink rate unchanged, spike unchanged`);
  });
});

describe('token alignment by character offsets', () => {
  it('cuts at every boundary of either tokenisation; special tokens with empty spans are left out', () => {
    // "unhappy": before = [un][happy], after = [unhappy]; BOS (0,0) in both.
    const before = [{ start: 0, end: 0, value: 0.9 }, { start: 0, end: 2, value: 0.1 }, { start: 2, end: 7, value: 0.3 }];
    const after = [{ start: 0, end: 0, value: 0.8 }, { start: 0, end: 7, value: 0.2 }];
    assert.deepEqual(alignByOffsets(before, after), [
      { start: 0, end: 2, before: 0.1, after: 0.2 },
      { start: 2, end: 7, before: 0.3, after: 0.2 },
    ]);
  });

  it('a stretch only one run covers (truncated) has null on the other side', () => {
    assert.deepEqual(alignByOffsets([{ start: 0, end: 3, value: 1 }, { start: 3, end: 6, value: 2 }], [{ start: 0, end: 3, value: 5 }]), [
      { start: 0, end: 3, before: 1, after: 5 },
      { start: 3, end: 6, before: 2, after: null },
    ]);
  });

  it('maps offsets across an insertion: prefix same, inserted text null, suffix shifted', () => {
    const m = offsetMap('Tom has apples.', 'Tom has red apples.');
    assert.equal(m(3), 3);
    assert.equal(m(8), 8);
    assert.equal(m(10), null, 'inside the inserted "red "');
    assert.equal(m(12), 8, '"apples" starts at 12 after, 8 before');
    assert.equal(m(19), 15);
  });
});
