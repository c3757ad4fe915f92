/**
 * The ONNX runner against the float64 oracle (test/support/reference) on every generated
 * architecture: model folders written by genModel, loaded by the engine's own loader, so this
 * covers config normalisation, weight mapping and the graph together.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createRunner, mixQueries } from '../../../src/engine/graph/runner';
import type { ForwardResult } from '../../../src/engine/graph/types';
import { loadModelFiles } from '../../../src/engine/model/load';
import { assertClose } from '../../support/assertClose';
import { requireFixture } from '../../support/fixtures';
import { ARCH_SPECS, generateModel, randomIds } from '../../support/genModel';
import { lensLogits, loadRefModel, referenceForward, refBosWrites, refMixing, type RefResult } from '../../support/reference';
import { argmax, lastRow } from '../../support/arrays';

const TOL = { rtol: 1e-4, atol: 1e-5 };
const root = mkdtempSync(join(tmpdir(), 'sinklens-equiv-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** The in-graph mixing [L, H] and BOS writes [L, 3] against the oracle's, over the given queries. */
function checkReductions(r: ForwardResult, ref: RefResult, queries: number[], what: string): void {
  assert.ok(r.mixing && r.bosWrites, `${what}: mixing and BOS writes are returned`);
  assert.deepEqual(r.mixing.queries, queries, `${what}: sampled queries`);
  for (let b = 0; b < ref.L; b++) {
    const want = refMixing(ref, b, queries);
    assertClose(r.mixing.rowEntropy.slice(b * ref.H, (b + 1) * ref.H), want.rowEntropy, TOL, `${what} block ${b} row entropy`);
    assertClose(r.mixing.otherMass.slice(b * ref.H, (b + 1) * ref.H), want.otherMass, TOL, `${what} block ${b} other mass`);
    const w = refBosWrites(ref, b);
    assertClose(r.bosWrites.slice(b * 3, b * 3 + 3), [w.attnNorm, w.mlpNorm, w.attnShare], { rtol: 1e-3, atol: 1e-4 }, `${what} block ${b} BOS writes`);
  }
}

/** Loads a model folder and builds its instrumented runner; the weight store is closed once the graph holds the weights. */
async function openRunner(dir: string) {
  const files = await loadModelFiles(dir);
  try {
    return { files, runner: await createRunner(files.config, files.weights, { threads: 1, probes: 'full' }) };
  } finally {
    files.store.close();
  }
}

for (const spec of ARCH_SPECS) {
  describe(`ONNX runner == float64 oracle: ${spec.name}`, () => {
    const dir = join(root, spec.name);
    generateModel(dir, spec);

    it('hidden states, attention to BOS, last logits and an attention map, with and without ablation; lens top-1', async () => {
      const { files, runner } = await openRunner(dir);
      try {
        const cfg = files.config;
        const L = cfg.numLayers;
        const T = Math.min(24, cfg.maxPositions);
        const ids = randomIds(T, cfg.vocabSize, spec.seed ?? 1);
        const map = { block: L - 1, head: cfg.numHeads - 1 };
        for (const ablation of [{}, { ablateMlp: [0], ablateAttn: [L - 1] }]) {
          const what = Object.keys(ablation).length ? 'ablated' : 'plain';
          const ref = referenceForward(dir, ids, ablation);
          const r = await runner.forward({ ids, ...ablation, attnMap: map });
          assertClose(r.hidden, ref.hidden, TOL, `${what} hidden`);
          assertClose(r.attnToBos, ref.attnToBos, TOL, `${what} attnToBos`);
          assertClose(r.lastLogits, lastRow(ref.logits, T, cfg.vocabSize), TOL, `${what} lastLogits`);
          const off = (map.block * cfg.numHeads + map.head) * T * T;
          assertClose(r.attnMap ?? [], ref.attn.slice(off, off + T * T), TOL, `${what} attnMap`);
          checkReductions(r, ref, mixQueries(T), what);
          // Sampled: 5 evenly spaced queries out of T - 1.
          checkReductions(await runner.forward({ ids, ...ablation, mixQueries: 5 }), ref, mixQueries(T, 5), `${what} sampled`);
        }
        const ref = referenceForward(dir, ids);
        const refLens = lensLogits(loadRefModel(dir), ref); // [L+1, T, V]
        const V = cfg.vocabSize;
        const layers = Array.from({ length: L + 1 }, (_, l) => l);
        const lens = (await runner.forward({ ids, logitLens: { layers, topK: 1 } })).lens;
        assert.ok(lens);
        for (const l of layers) {
          for (let t = 0; t < T; t++) {
            assert.equal(lens.ids[l * T + t], argmax(refLens.subarray((l * T + t) * V, (l * T + t + 1) * V)), `lens top-1 at h[${l}] position ${t}`);
          }
        }
      } finally {
        await runner.dispose();
      }
    });
  });
}

for (const name of ['stories260k', 'sinklens-tiny']) {
  describe(`ONNX runner == float64 oracle on real weights: ${name}`, () => {
    it('hidden states, attention to BOS and last logits at T=96, plain and with the paper ablation (MLP of block 1)', async (t) => {
      const dir = requireFixture(t, name);
      if (!dir) return;
      const { files, runner } = await openRunner(dir);
      try {
        const cfg = files.config;
        const T = 96;
        const ids = [cfg.bosTokenId ?? 1, ...randomIds(T - 1, cfg.vocabSize, 99)];
        for (const ablation of [{}, { ablateMlp: [1] }]) {
          const what = `${name} ${Object.keys(ablation).length ? 'ablated' : 'plain'}`;
          const ref = referenceForward(dir, ids, ablation);
          const r = await runner.forward({ ids, ...ablation });
          assertClose(r.hidden, ref.hidden, TOL, `${what} hidden`);
          assertClose(r.attnToBos, ref.attnToBos, TOL, `${what} attnToBos`);
          assertClose(r.lastLogits, lastRow(ref.logits, T, cfg.vocabSize), TOL, `${what} lastLogits`);
          checkReductions(r, ref, mixQueries(T), what);
        }
      } finally {
        await runner.dispose();
      }
    });
  });
}

describe('sliding windows: BOS leaves the view of queries beyond the window', () => {
  for (const spec of ARCH_SPECS.filter((s) => s.slidingWindow !== undefined)) {
    it(`${spec.name}: attention to BOS is exactly 0 for queries i >= W in windowed layers, positive before`, async () => {
      const dir = join(root, `${spec.name}-bos`);
      generateModel(dir, spec);
      const { files, runner } = await openRunner(dir);
      try {
        const cfg = files.config;
        const T = 24;
        const windows = cfg.layerWindows ?? [];
        assert.ok(windows.some((w) => w !== null && w < T), 'a window shorter than the prompt');
        const r = await runner.forward({ ids: randomIds(T, cfg.vocabSize, 5) });
        for (let l = 0; l < cfg.numLayers; l++) {
          const W = windows[l] ?? null;
          for (let h = 0; h < cfg.numHeads; h++) {
            for (let i = 0; i < T; i++) {
              const p = r.attnToBos[(l * cfg.numHeads + h) * T + i] as number;
              if (W !== null && i >= W) assert.equal(p, 0, `layer ${l} head ${h} query ${i} (W = ${W})`);
              else assert.ok(p > 0, `layer ${l} head ${h} query ${i} sees BOS`);
            }
          }
        }
      } finally {
        await runner.dispose();
      }
    });
  }
});
