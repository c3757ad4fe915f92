/**
 * End to end on REAL weights: the engine (tokenizer -> ONNX graph -> metrics) reproduces the
 * numbers an independent float64 reference computed for the shared fixtures (rtol 1e-3; token ids
 * exactly), and the theorem's bounds hold on every layer.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Engine } from '../../../src/engine/api';
import type { AnalysisResult, LayerMetrics } from '../../../src/shared/result';
import { assertClose } from '../../support/assertClose';
import { DEMO_MODEL_DIR, requireFixture } from '../../support/fixtures';

interface ExpectedLayer {
  layer: number;
  bosNorm: number;
  medianOtherNorm?: number;
  bosRatio: number;
  entropy: number;
  anisotropy: number;
  anisotropyLowerBound?: number;
  entropyUpperBound?: number | null;
  headSinkScores?: number[];
  sinkRate?: number;
}
interface ExpectedPrompt {
  text: string;
  tokenIds: number[];
  layers: ExpectedLayer[];
  lastTop5: [number, number][];
  ablatedLayers?: ExpectedLayer[];
}
interface Expected {
  prompts: Record<string, ExpectedPrompt>;
}

const TOL = { rtol: 1e-3, atol: 1e-5 };
const engine = new Engine();
after(() => engine.dispose());

function checkLayers(got: LayerMetrics[], want: ExpectedLayer[], what: string): void {
  assert.equal(got.length, want.length, `${what}: number of layers`);
  for (const w of want) {
    const g = got[w.layer] as LayerMetrics;
    const at = `${what} h[${w.layer}]`;
    assertClose(g.bosNorm, w.bosNorm, TOL, `${at} bosNorm`);
    assertClose(g.bosRatio, w.bosRatio, TOL, `${at} bosRatio`);
    assertClose(g.entropy!, w.entropy, TOL, `${at} entropy`);
    assertClose(g.anisotropy!, w.anisotropy, TOL, `${at} anisotropy`);
    if (w.medianOtherNorm !== undefined) assertClose(g.medianOtherNorm, w.medianOtherNorm, TOL, `${at} medianOtherNorm`);
    if (w.anisotropyLowerBound !== undefined) assertClose(g.anisotropyLowerBound, w.anisotropyLowerBound, TOL, `${at} p1 bound`);
    if (w.entropyUpperBound !== undefined) {
      if (w.entropyUpperBound === null) assert.equal(g.entropyUpperBound, null, `${at} entropy bound should not apply`);
      else assertClose(g.entropyUpperBound ?? NaN, w.entropyUpperBound, TOL, `${at} entropy bound`);
    }
    if (w.headSinkScores) assertClose(g.headSinkScores ?? [], w.headSinkScores, { rtol: 1e-3, atol: 1e-4 }, `${at} head sink scores`);
    if (w.sinkRate !== undefined) assert.equal(g.sinkRate, w.sinkRate, `${at} sink rate`);
  }
}

export function assertTheorem(r: AnalysisResult['baseline'], what: string): void {
  for (const l of r.layers) {
    assert.ok(l.anisotropy! >= l.anisotropyLowerBound - 1e-6, `${what} h[${l.layer}]: p1 ${l.anisotropy} < bound ${l.anisotropyLowerBound}`);
    if (l.entropyUpperBound !== null) {
      assert.ok(l.entropy! <= l.entropyUpperBound + 1e-6, `${what} h[${l.layer}]: H ${l.entropy} > bound ${l.entropyUpperBound}`);
    }
  }
}

for (const name of ['stories260k', 'sinklens-tiny']) {
  describe(`real weights: ${name}`, () => {
    test('expected.json is matched for every prompt (baseline and ablated)', async (t) => {
      const dir = requireFixture(t, name);
      if (!dir) return;
      const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected;
      const h = await engine.load(dir);
      for (const [key, p] of Object.entries(expected.prompts)) {
        const ablate = p.ablatedLayers ? [1] : null;
        const r = await engine.analyze(h, p.text, { ablate, lastTopK: 5 });
        assert.deepEqual(r.tokens.map((x) => x.id), p.tokenIds, `${key}: token ids`);
        checkLayers(r.baseline.layers, p.layers, `${key}`);
        assert.deepEqual(r.baseline.lastTopK.map((x) => x.id), p.lastTop5.map((x) => x[0]), `${key}: top-5 ids`);
        assertClose(r.baseline.lastTopK.map((x) => x.logit), p.lastTop5.map((x) => x[1]), TOL, `${key}: top-5 logits`);
        assertTheorem(r.baseline, `${name}/${key}`);
        if (p.ablatedLayers) {
          assert.ok(r.ablation, `${key}: ablation result`);
          checkLayers(r.ablation.run.layers, p.ablatedLayers, `${key} ablated`);
          assertTheorem(r.ablation.run, `${name}/${key} ablated`);
        }
      }
    });
  });
}

describe('sinklens-tiny: the real emergent phenomenon', () => {
  test('names the spike (block 1 -> h[2]), a Compress phase covering h[2]; --ablate auto removes spike and valley', async (t) => {
    const dir = requireFixture(t, 'sinklens-tiny');
    if (!dir) return;
    const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected;
    const h = await engine.load(dir);
    for (const [key, p] of Object.entries(expected.prompts)) {
      const r = await engine.analyze(h, p.text, { ablate: 'auto' });
      assert.deepEqual(r.baseline.spikeBlocks, [1], `${key}: spike blocks`);
      const compress = r.baseline.phases.bands.find((b) => b.phase === 'compress');
      assert.ok(r.baseline.phases.valley && compress, `${key}: a valley`);
      assert.ok(compress.start <= 2 && compress.end >= 2, `${key}: Compress ${compress.start}-${compress.end} covers h[2]`);
      assert.ok(r.ablation, `${key}: ablation ran`);
      assert.deepEqual(r.ablation.blocks, [1]);
      assert.ok((r.ablation.run.layers[2] as LayerMetrics).bosRatio < 2, `${key}: spike removed`);
      assert.equal(r.ablation.effect.spikeRemoved, true);
      assert.equal(r.ablation.effect.valleyRemoved, true, `${key}: valley removed`);
    }
  });

  test('the shipped demo model is the fixture, byte for byte', (t) => {
    const dir = requireFixture(t, 'sinklens-tiny');
    if (!dir) return;
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json']) {
      assert.ok(readFileSync(join(dir, f)).equals(readFileSync(join(DEMO_MODEL_DIR, f))), f);
    }
  });
});
