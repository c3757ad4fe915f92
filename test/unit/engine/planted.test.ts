/**
 * A generated model with a planted phenomenon (block k's MLP writes a large vector only at BOS;
 * later heads' keys align with it): the engine must name the spike at k, find sinks (rate >= 0.8)
 * after it, an entropy valley and a Compress phase covering it; `ablate: 'auto'` removes all three.
 * Also: the theorem's bounds hold on every layer of every generated model.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Engine } from '../../../src/engine/api';
import type { LayerMetrics } from '../../../src/shared/result';
import { ARCH_SPECS, generateModel, generatePlantedModel } from '../../support/genModel';

const root = mkdtempSync(join(tmpdir(), 'sinklens-planted-'));
const engine = new Engine();
after(async () => {
  await engine.dispose();
  rmSync(root, { recursive: true, force: true });
});

const PROMPT = 'the cat sat on the mat and the dog ran to the park with a red ball';

describe('planted phenomenon', () => {
  for (const k of [1, 2]) {
    test(`spike planted in block ${k}`, async () => {
      const dir = join(root, `planted-${k}`);
      await generatePlantedModel(dir, { spikeBlock: k, layers: 5, seed: 11 + k });
      const h = await engine.load(dir);
      const r = await engine.analyze(h, PROMPT, { ablate: 'auto' });
      const layers = r.baseline.layers;
      assert.deepEqual(r.baseline.spikeBlocks, [k], 'spike block');
      for (let l = k + 2; l < layers.length; l++) {
        assert.ok(((layers[l] as LayerMetrics).sinkRate ?? 0) >= 0.8, `sink rate at h[${l}] = ${(layers[l] as LayerMetrics).sinkRate}`);
      }
      const before = (layers[k] as LayerMetrics).entropy!;
      const at = (layers[k + 1] as LayerMetrics).entropy!;
      assert.ok(at < before - 0.1, `entropy drops at h[${k + 1}]: ${before} -> ${at}`);
      const compress = r.baseline.phases.bands.find((b) => b.phase === 'compress');
      assert.ok(r.baseline.phases.valley && compress, 'a valley');
      assert.ok(compress.start <= k + 1 && compress.end >= k + 1, `Compress ${compress.start}-${compress.end} covers h[${k + 1}]`);
      assert.equal(r.baseline.phases.cause, 'bos', r.baseline.phases.signals.join('; '));
      assert.deepEqual(r.baseline.spikeWriter && [r.baseline.spikeWriter.block, r.baseline.spikeWriter.component], [k, 'mlp'], 'the planted MLP writes the spike');
      assert.ok((layers[k + 1] as LayerMetrics).bosWrite!.mlpNorm > 10 * (layers[k + 1] as LayerMetrics).bosWrite!.attnNorm);
      assert.equal(r.settings.ablateTarget, 'mlp');

      const abl = r.ablation;
      assert.ok(abl, 'ablation ran');
      assert.deepEqual(abl.blocks, [k]);
      assert.ok((abl.run.layers[k + 1] as LayerMetrics).bosRatio < 3, 'spike removed');
      assert.equal(abl.run.spikeBlocks.length, 0, 'no spike after ablation');
      assert.ok(Math.max(...abl.run.layers.slice(k + 1).map((l) => l.sinkRate ?? 0)) < 0.5, 'sinks removed');
      assert.ok((abl.run.layers[k + 1] as LayerMetrics).entropy! > at + 0.1, 'valley removed');
      assert.equal(abl.effect.spikeRemoved, true);
      assert.equal(abl.effect.valleyRemoved, true);
    });
  }
});

describe('the theorem holds on generated models', () => {
  for (const spec of ARCH_SPECS) {
    test(spec.name, async () => {
      const dir = join(root, spec.name);
      await generateModel(dir, spec);
      const h = await engine.load(dir);
      const r = await engine.analyze(h, PROMPT, { ablate: [0] });
      for (const run of [r.baseline, r.ablation?.run]) {
        assert.ok(run);
        for (const l of run.layers) {
          assert.ok(l.anisotropy! >= l.anisotropyLowerBound - 1e-6, `h[${l.layer}] p1 ${l.anisotropy} < ${l.anisotropyLowerBound}`);
          if (l.entropyUpperBound !== null) assert.ok(l.entropy! <= l.entropyUpperBound + 1e-6, `h[${l.layer}] H above bound`);
        }
      }
    });
  }
});
