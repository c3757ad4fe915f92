import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detectPhases, dipDepth, type PhaseInput } from '../../../src/engine/metrics/phases';

/** A long prompt with a flat BOS-excluded curve and a spike written by block 1 (h[2]) unless said otherwise. */
function input(entropy: number[], over: Partial<PhaseInput> = {}): PhaseInput {
  const n = entropy.length;
  return {
    entropy,
    entropyExclBos: new Array<number>(n).fill(0.9),
    bosRatio: entropy.map((_, l) => (l >= 2 ? 12 : 1)),
    sinkRate: entropy.map((_, l) => (l === 0 ? null : 0.2)),
    mixing: entropy.map((_, l) => (l === 0 ? null : l === 2 ? 0.3 : 0.8)),
    spikeBlocks: [1],
    T: 64,
    ...over,
  };
}

test('threshold arithmetic, widening by sink layers, evidence and strength of each band', () => {
  const entropy = [0.9, 0.8, 0.5, 0.55, 0.7, 0.85, 0.9];
  const ph = detectPhases(input(entropy, { bosRatio: [1, 1, 12, 11, 10, 1, 1], sinkRate: [null, 0, 0.6, 0.5, 0.8, 0.9, 0.1] }));
  assert.equal(ph.threshold, 0.5 + 0.25 * 0.4);
  assert.deepEqual(ph.bands.map((b) => [b.phase, b.start, b.end]), [['mix', 0, 1], ['compress', 2, 4], ['refine', 5, 6]]);
  assert.deepEqual(ph.widenedBy, [4], 'h[4] joins (ratio 10, rate 0.8); h[5] does not (ratio 1)');
  assert.equal(ph.cause, 'bos');
  assert.equal(ph.causeLabel, 'BOS spike');
  const c = ph.bands[1]!;
  assert.ok(Math.abs(c.strength.valleyDepth! - 0.4) < 1e-12, 'depth = min(fall 0.9 - 0.5, recovery 0.9 - 0.5)');
  assert.equal(c.strength.bosRatio, 12);
  assert.ok(Math.abs(c.strength.sinkRate! - (0.6 + 0.5 + 0.8) / 3) < 1e-12);
  assert.ok(Math.abs(c.strength.mixing! - (0.3 + 0.8 + 0.8) / 3) < 1e-12);
  assert.equal(ph.bands[0]!.strength.valleyDepth, null);
  assert.ok(c.evidence.some((e) => /BOS spike at h\[2\]/.test(e)), c.evidence.join('; '));
  assert.ok(ph.signals.some((s) => /mixing .* \(attention concentrates in Compress\)/.test(s)), ph.signals.join('; '));
});

test('no valley: minimum at an end, shallow dip, too few layers', () => {
  assert.equal(detectPhases(input([0.9, 0.8, 0.7])).valley, false);
  assert.equal(detectPhases(input([0.5, 0.8, 0.7])).valley, false);
  const shallow = detectPhases(input([0.8, 0.75, 0.72, 0.76]));
  assert.equal(shallow.valley, false);
  assert.match(shallow.signals[0]!, /dips by only 0\.040/);
  assert.equal(detectPhases(input([0.5, 0.4])).valley, false);
  // Compress may start at h[1]; Mix is then h[0] alone (the spike of block 0 writes h[1]).
  const edge = detectPhases(input([0.9, 0.3, 0.32, 0.9], { spikeBlocks: [0], bosRatio: [1, 12, 12, 12] }));
  assert.deepEqual(edge.bands.map((b) => [b.phase, b.start, b.end]), [['mix', 0, 0], ['compress', 1, 2], ['refine', 3, 3]]);
});

test('a valley needs a cause: no spike, a spike after it, or a weak BOS ratio give no bands', () => {
  const entropy = [0.9, 0.8, 0.5, 0.55, 0.7, 0.85, 0.9];
  for (const over of [{ spikeBlocks: [] }, { spikeBlocks: [4] }, { bosRatio: entropy.map(() => 1.2) }] satisfies Partial<PhaseInput>[]) {
    const ph = detectPhases(input(entropy, over));
    assert.equal(ph.valley, false, JSON.stringify(over));
    assert.deepEqual(ph.bands, []);
    assert.equal(ph.cause, null);
    assert.ok(ph.signals.some((s) => /without a cause/.test(s)), ph.signals.join('; '));
  }
});

test('a valley the BOS-excluded entropy shares is labelled "valley not explained by BOS", even with a spike', () => {
  const entropy = [0.9, 0.8, 0.5, 0.55, 0.7, 0.85, 0.9];
  for (const spikeBlocks of [[1], []]) {
    const ph = detectPhases(input(entropy, { entropyExclBos: [0.9, 0.85, 0.7, 0.72, 0.8, 0.9, 0.9], spikeBlocks }));
    assert.equal(ph.valley, true);
    assert.equal(ph.cause, 'notBos');
    assert.equal(ph.causeLabel, 'valley not explained by BOS');
    assert.ok(ph.bands.find((b) => b.phase === 'compress')!.evidence.some((e) => /not explained by BOS/.test(e)));
  }
});

test('short prompts: not informative, no bands, whatever the curve', () => {
  const ph = detectPhases(input([0.9, 0.8, 0.5, 0.55, 0.7, 0.85, 0.9], { T: 15 }));
  assert.equal(ph.informative, false);
  assert.equal(ph.valley, false);
  assert.deepEqual(ph.bands, []);
  assert.match(ph.signals[0]!, /not informative: 15 tokens < 16/);
  assert.equal(detectPhases(input([0.9, 0.8, 0.5, 0.55, 0.7, 0.85, 0.9], { T: 16 })).informative, true);
});

test('dipDepth: the smaller of fall and recovery, never negative, 0 at an end', () => {
  assert.ok(Math.abs(dipDepth([0.9, 0.5, 0.7], 1, 1) - 0.2) < 1e-12);
  assert.equal(dipDepth([0.5, 0.6, 0.7], 1, 1), 0);
  assert.equal(dipDepth([0.9, 0.5], 1, 1), 0);
});
