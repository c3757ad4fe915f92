/**
 * Progressive results: the engine sends the forward's metrics (Progress.partial) before any
 * spectrum, then each layer's entropy figures (Progress.layer) as they are done; the final result
 * repeats exactly those values. The panel paints the partial first.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Engine } from '../../../src/engine/api';
import type { Progress } from '../../../src/shared/engineApi';
import { DEMO_MODEL_DIR } from '../../support/fixtures';

const engine = new Engine();
after(() => engine.dispose());

test('partial forward metrics arrive before the spectra; the final result repeats them exactly', async () => {
  const h = await engine.load(DEMO_MODEL_DIR);
  const seen: Progress[] = [];
  const r = await engine.analyze(h, 'Once upon a time there was a cat named Tom. He liked the sun.', { ablate: [1] }, (p) => seen.push(structuredClone(p)));
  const partialAt = seen.findIndex((p) => p.partial);
  const layerAt = seen.map((p, i) => (p.layer ? i : -1)).filter((i) => i >= 0);
  const partial = seen[partialAt]?.partial;
  assert.ok(partial, 'a partial result');
  assert.equal(seen.filter((p) => p.partial).length, 1, 'one partial (the baseline run only)');
  assert.equal(seen[partialAt]!.stage, 'metrics');
  assert.ok(layerAt.length === r.baseline.layers.length, `one layer update per layer (${layerAt.length})`);
  assert.ok(layerAt.every((i) => i > partialAt), 'layer updates follow the partial');
  assert.ok(layerAt.every((i) => i < seen.findIndex((p) => p.stage === 'ablate')), 'baseline layers only, before the ablated run');

  assert.equal(partial.input.sha256, r.input.sha256);
  assert.deepEqual(partial.tokens, r.tokens);
  assert.deepEqual(partial.model, r.model);
  assert.deepEqual(partial.spikeBlocks, r.baseline.spikeBlocks);
  assert.equal(partial.layers.length, r.baseline.layers.length);
  for (const f of partial.layers) {
    const m = r.baseline.layers[f.layer]!;
    assert.deepEqual(f, {
      layer: m.layer,
      norms: m.norms,
      bosNorm: m.bosNorm,
      medianOtherNorm: m.medianOtherNorm,
      bosRatio: m.bosRatio,
      headSinkScores: m.headSinkScores,
      sinkRate: m.sinkRate,
      tokenSinkMass: m.tokenSinkMass,
    }, `h[${f.layer}]`);
  }
  const layers = layerAt.map((i) => seen[i]!.layer!).sort((a, b) => a.layer - b.layer);
  assert.deepEqual(layers.map((l) => l.layer), r.baseline.layers.map((m) => m.layer));
  for (const l of layers) {
    const m = r.baseline.layers[l.layer]!;
    assert.deepEqual(l, { layer: m.layer, entropy: m.entropy, entropyRaw: m.entropyRaw, entropyExclBos: m.entropyExclBos, anisotropy: m.anisotropy, anisotropyLowerBound: m.anisotropyLowerBound, entropyUpperBound: m.entropyUpperBound });
    assert.ok(typeof l.entropy === 'number' && l.entropy > 0 && l.entropy <= 1, `entropy of h[${l.layer}] = ${l.entropy}`);
  }
  assert.ok(partial.runMs > 0 && partial.runMs <= r.timings.runMs, 'runMs of the baseline forward');
});
