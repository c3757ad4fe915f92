import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { detectPhases } from '../../../src/engine/metrics/phases';
import { requireFixture } from '../../support/fixtures';

interface ExpectedLayer {
  layer: number;
  bosRatio: number;
  entropy: number;
  sinkRate?: number | null;
}
interface Expected {
  prompts: Record<string, { layers: ExpectedLayer[]; ablatedLayers?: ExpectedLayer[] }>;
}

const phasesOf = (layers: ExpectedLayer[]) =>
  detectPhases(
    layers.map((l) => l.entropy),
    layers.map((l) => l.bosRatio),
    layers.map((l) => l.sinkRate ?? null),
  );

function load(dir: string): Expected {
  return JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected;
}

test('sinklens-tiny: a Compress phase covering h[2], removed by the ablation', (t) => {
  const dir = requireFixture(t, 'sinklens-tiny');
  if (!dir) return;
  const prompts = Object.entries(load(dir).prompts);
  assert.equal(prompts.length, 3);
  for (const [name, p] of prompts) {
    const ph = phasesOf(p.layers);
    assert.equal(ph.valley, true, `${name}: ${ph.signals.join('; ')}`);
    assert.equal(ph.minLayer, 2, name);
    const compress = ph.bands.find((b) => b.phase === 'compress')!;
    assert.ok(compress.start <= 2 && compress.end >= 2, `${name}: compress ${compress.start}..${compress.end}`);
    assert.deepEqual(ph.bands.map((b) => b.phase), ['mix', 'compress', 'refine'], name);
    assert.deepEqual([ph.bands[0]!.start, ph.bands[2]!.end], [0, 6], name);
    for (const b of ph.bands) for (let l = b.start; l <= b.end; l++) {
      const inside = p.layers[l]!.entropy <= ph.threshold;
      assert.equal(b.phase === 'compress', inside, `${name}: h[${l}] in ${b.phase}`);
    }
    assert.deepEqual(ph.widenedBy, [], `${name}: sink rates stay below 0.5`);
    const ab = phasesOf(p.ablatedLayers!);
    assert.equal(ab.valley, false, `${name} ablated: ${ab.signals.join('; ')}`);
    assert.deepEqual(ab.bands, []);
  }
});

test('stories260k: no valley (no sinks, BOS ratio <= 2.6)', (t) => {
  const dir = requireFixture(t, 'stories260k');
  if (!dir) return;
  for (const [name, p] of Object.entries(load(dir).prompts)) {
    const ph = phasesOf(p.layers);
    assert.equal(ph.valley, false, `${name}: ${ph.signals.join('; ')}`);
    assert.match(ph.signals[0]!, /^no valley/);
  }
});

test('threshold arithmetic and widening by sink layers', () => {
  const entropy = [0.9, 0.8, 0.5, 0.55, 0.7, 0.85, 0.9];
  const ph = detectPhases(entropy, [1, 1, 12, 11, 10, 1, 1], [null, 0, 0.6, 0.5, 0.8, 0.9, 0.1]);
  assert.equal(ph.threshold, 0.5 + 0.25 * 0.4);
  assert.deepEqual(ph.bands, [
    { phase: 'mix', start: 0, end: 1 },
    { phase: 'compress', start: 2, end: 4 },
    { phase: 'refine', start: 5, end: 6 },
  ]);
  assert.deepEqual(ph.widenedBy, [4], 'h[4] joins (ratio 10, rate 0.8); h[5] does not (ratio 1)');
  assert.equal(ph.signals.length, 4);
});

test('no valley: minimum at an end, shallow dip, too few layers', () => {
  assert.equal(detectPhases([0.9, 0.8, 0.7], [1, 1, 1], [null, 0, 0]).valley, false);
  assert.equal(detectPhases([0.5, 0.8, 0.7], [1, 1, 1], [null, 0, 0]).valley, false);
  const shallow = detectPhases([0.8, 0.75, 0.72, 0.76], [1, 1, 1, 1], [null, 0, 0, 0]);
  assert.equal(shallow.valley, false);
  assert.match(shallow.signals[0]!, /dips by only 0\.040/);
  assert.equal(detectPhases([0.5, 0.4], [1, 1], [null, 0]).valley, false);
  // Compress may start at h[1]; Mix is then h[0] alone.
  const edge = detectPhases([0.9, 0.3, 0.32, 0.9], [1, 1, 1, 1], [null, 0, 0, 0]);
  assert.deepEqual(edge.bands.map((b) => [b.phase, b.start, b.end]), [['mix', 0, 0], ['compress', 1, 2], ['refine', 3, 3]]);
});
