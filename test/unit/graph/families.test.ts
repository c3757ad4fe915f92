/**
 * Phi-3, OLMo, OLMo2, Granite and OPT beyond equivalence.test.ts: every layer's metrics from the
 * engine's hidden states against the float64 oracle's, the theorem's bounds on every layer, both
 * longrope regimes, and for each family quirk an oracle with the quirk switched off that the engine
 * must NOT match (so the equivalence tests would fail if the graph skipped the quirk).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createRunner } from '../../../src/engine/graph/runner';
import { loadModelFiles } from '../../../src/engine/model/load';
import { computeRunMetricsChecked } from '../../../src/engine/metrics/run';
import { assertClose } from '../../support/assertClose';
import { ARCH_SPECS, generateModel, randomIds } from '../../support/genModel';
import { forwardModel, loadRefModel, refMetrics, type RefModel } from '../../support/reference';
import type { RefMore } from '../../support/reference/config';

const TOL = { rtol: 1e-4, atol: 1e-5 };
const FAMILIES = new Set(['phi3', 'olmo', 'olmo2', 'granite', 'opt']);
const root = mkdtempSync(join(tmpdir(), 'sinklens-families-'));
after(() => rmSync(root, { recursive: true, force: true }));

const OPTIONS = { tau: 0.3, includeFirstQuery: false, entropy: { alpha: 1, excludeBos: false, center: false, rowNormalize: false }, massiveTopK: 3, lastTopK: 2 };

async function openRunner(dir: string) {
  const files = await loadModelFiles(dir);
  try {
    return { cfg: files.config, runner: await createRunner(files.config, files.weights, { threads: 1, probes: 'full' }) };
  } finally {
    files.store.close();
  }
}

/** The oracle with `more` fields replaced: a model that lacks one quirk. */
function without(m: RefModel, patch: Partial<RefMore>): RefModel {
  return { ...m, config: { ...m.config, more: { ...m.config.more!, ...patch } } };
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)) / (Math.abs(b[i] as number) + 1e-3));
  return worst;
}

/** Each spec's quirks, switched off one at a time in the oracle. */
const MUTANTS: Record<string, [string, Partial<RefMore>][]> = {
  'olmo-clip-sharded': [['no clip_qkv', { clipQkv: null }]],
  'olmo2-postnorm': [['no post norms', { postNorms: false }]],
  'granite-multipliers': [
    ['no embedding_multiplier', { embeddingMultiplier: 1 }],
    ['no residual_multiplier', { residualMultiplier: 1 }],
  ],
  'opt-preln': [['no position offset', { positionOffset: 0 }]],
  'opt-postln-proj-f16': [
    ['pre-LN instead of post-LN', { postLn: false }],
    ['no position offset', { positionOffset: 0 }],
  ],
};

for (const spec of ARCH_SPECS.filter((s) => FAMILIES.has(s.family))) {
  describe(`${spec.name}: metrics, bounds and quirks`, () => {
    const dir = join(root, spec.name);
    generateModel(dir, spec);

    it('every layer: norms, BOS ratio, entropy, anisotropy and sink rate as the oracle; the theorem bounds hold', async () => {
      const { cfg, runner } = await openRunner(dir);
      try {
        const T = 20;
        const ids = randomIds(T, cfg.vocabSize, (spec.seed ?? 1) + 100);
        const r = await runner.forward({ ids });
        const ref = forwardModel(loadRefModel(dir), ids);
        assertClose(r.hidden, ref.hidden, TOL, 'hidden');
        const input = { hidden: r.hidden, attnToBos: r.attnToBos, lastLogits: r.lastLogits, L: cfg.numLayers, T, d: cfg.hiddenSize, H: cfg.numHeads, options: OPTIONS, tokenText: (id: number) => `t${id}` };
        const { run, warnings } = computeRunMetricsChecked(input);
        assert.deepEqual(warnings.filter((w) => w.code === 'boundViolated'), [], 'no layer violates the theorem');
        const want = refMetrics(ref);
        assert.equal(run.layers.length, cfg.numLayers + 1);
        for (const m of run.layers) {
          const w = want[m.layer]!;
          const at = `h[${m.layer}]`;
          assertClose([m.bosNorm, m.medianOtherNorm, m.bosRatio], [w.bosNorm, w.medianOtherNorm, w.bosRatio], TOL, `${at} norms`);
          assertClose([m.entropy!, m.anisotropy!], [w.entropy, w.anisotropy], { rtol: 1e-4, atol: 1e-4 }, `${at} entropy, anisotropy`);
          assert.ok(m.bounded.anisotropy! >= m.anisotropyLowerBound - 1e-6, `${at} p1 >= its lower bound`);
          if (m.entropyUpperBound !== null) assert.ok(m.bounded.entropy! <= m.entropyUpperBound + 1e-6, `${at} H <= its upper bound`);
          if (m.layer > 0) assertClose([m.sinkRate!], [w.sinkRate!], TOL, `${at} sink rate`);
        }
      } finally {
        await runner.dispose();
      }
    });

    const mutants = MUTANTS[spec.name] ?? [];
    if (mutants.length) {
      it(`the engine does not match the oracle without: ${mutants.map((m) => m[0]).join(', ')}`, async () => {
        const { cfg, runner } = await openRunner(dir);
        try {
          const ids = randomIds(16, cfg.vocabSize, spec.seed ?? 1);
          const r = await runner.forward({ ids });
          const ref = loadRefModel(dir);
          assertClose(r.hidden, forwardModel(ref, ids).hidden, TOL, 'the real oracle agrees');
          for (const [what, patch] of mutants) assert.ok(maxRelDiff(r.hidden, forwardModel(without(ref, patch), ids).hidden) > 1e-2, `${what}: differs`);
        } finally {
          await runner.dispose();
        }
      });
    }
  });
}

describe('phi3 longrope: short factors up to original_max_position_embeddings tokens, long beyond', () => {
  const spec = ARCH_SPECS.find((s) => s.name === 'phi3-longrope-bf16')!;
  const dir = join(root, 'phi3-regimes');
  generateModel(dir, spec);

  it('T = 16 (short) and T = 17, 24 (long) match the oracle, and neither matches the other table', async () => {
    const { cfg, runner } = await openRunner(dir);
    try {
      const ref = loadRefModel(dir);
      const lr = ref.config.more!.longrope!;
      assert.equal(lr.original, 16);
      assert.ok(lr.mscale > 1, 'attention factor sqrt(1 + ln(64/16) / ln 16)');
      assertClose([lr.mscale], [Math.sqrt(1 + Math.log(4) / Math.log(16))], { rtol: 1e-12 }, 'mscale');
      for (const T of [16, 17, 24]) {
        const ids = randomIds(T, cfg.vocabSize, 300 + T);
        const r = await runner.forward({ ids });
        const got = forwardModel(ref, ids);
        assertClose(r.hidden, got.hidden, TOL, `T = ${T} hidden`);
        assertClose(r.lastLogits, got.logits.slice((T - 1) * cfg.vocabSize), TOL, `T = ${T} logits`);
        // The other regime's table: T > 16 forced short, T <= 16 forced long.
        const other = T > 16 ? { ...lr, long: ref.config.invFreq! } : { ...lr, original: 0 };
        assert.ok(maxRelDiff(r.hidden, forwardModel(without(ref, { longrope: other }), ids).hidden) > 1e-2, `T = ${T}: the other table differs`);
        assert.ok(maxRelDiff(r.hidden, forwardModel(without(ref, { longrope: { ...lr, mscale: 1 } }), ids).hidden) > 1e-3, `T = ${T}: mscale matters`);
      }
    } finally {
      await runner.dispose();
    }
  });
});
