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
import { ARCH_SPECS, generateModel } from '../../support/genModel';
import { loadRefModel, referenceForward, refBosWrites, refMixing, type RefResult } from '../../support/reference';
import { layerNorm, linear, rmsNorm } from '../../support/reference/ops';
import { randomIds } from './randomModel';

const TOL = { rtol: 1e-4, atol: 1e-5 };
const root = mkdtempSync(join(tmpdir(), 'sinklens-equiv-'));
after(() => rmSync(root, { recursive: true, force: true }));

function lastRow(x: Float64Array, T: number, V: number): Float64Array {
  return x.slice((T - 1) * V, T * V);
}

function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if ((x[i] as number) > (x[best] as number)) best = i;
  return best;
}

/** Oracle logit lens top-1: final norm + head applied to the reference h[l][t]. */
function refLensTop1(dir: string, hidden: Float64Array, l: number, t: number, T: number): number {
  const { config: c, weights: w } = loadRefModel(dir);
  const x = hidden.slice((l * T + t) * c.d, (l * T + t + 1) * c.d);
  const n = c.norm === 'rms' ? rmsNorm(x, w.finalNorm, c.eps) : layerNorm(x, w.finalNorm, c.eps);
  return argmax(linear(w.lmHead, n));
}

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
        const layers = Array.from({ length: L + 1 }, (_, l) => l);
        const lens = (await runner.forward({ ids, logitLens: { layers, topK: 1 } })).lens;
        assert.ok(lens);
        for (const l of layers) {
          for (let t = 0; t < T; t++) {
            assert.equal(lens.ids[l * T + t], refLensTop1(dir, ref.hidden, l, t, T), `lens top-1 at h[${l}] position ${t}`);
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
