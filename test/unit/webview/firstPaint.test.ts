import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PanelStore } from '../../../src/extension/panel/panelStore';
import { validatePanelMessage } from '../../../src/shared/protocol/panel';
import type { AnalysisResult, PartialResult, SpectralLayerMetrics } from '../../../src/shared/result';
import { isProvisional, provisionalResult } from '../../../src/webview/model/provisional';
import { layerSeries } from '../../../src/webview/model/series';
import { flush, startPanel } from './support/harness';
import { sampleResult } from './support/sampleResult';

const SOURCE = { uri: 'file:///w/a.prompt', offset: 0 };

/** The forward's part of a result, as the engine sends it before the spectra. */
function partialOf(r: AnalysisResult, sha = 'f'.repeat(64)): PartialResult {
  const layers = r.baseline.layers.map(({ layer, norms, bosNorm, medianOtherNorm, bosRatio, headSinkScores, sinkRate, tokenSinkMass }) => ({ layer, norms, bosNorm, medianOtherNorm, bosRatio, headSinkScores, sinkRate, tokenSinkMass }));
  return { schemaVersion: 2, input: { sha256: sha }, tokens: r.tokens, model: r.model, layers, spikeBlocks: r.baseline.spikeBlocks, runMs: 12 };
}

function spectral(r: AnalysisResult, layer: number): SpectralLayerMetrics {
  const l = r.baseline.layers[layer]!;
  return { layer, entropy: l.entropy, entropyRaw: l.entropyRaw, entropyExclBos: l.entropyExclBos, anisotropy: l.anisotropy, anisotropyLowerBound: l.anisotropyLowerBound, entropyUpperBound: l.entropyUpperBound };
}

describe('first paint of a running analysis', () => {
  it('the provisional result carries the forward metrics and the entropies received, no bound yet', () => {
    const r = sampleResult({ layers: 4 });
    const p = provisionalResult(partialOf(r), [spectral(r, 2)]);
    assert.ok(isProvisional(p) && !isProvisional(r));
    const s = layerSeries(p.baseline);
    assert.deepEqual(s.bosRatio, layerSeries(r.baseline).bosRatio);
    assert.deepEqual(s.sinkRate, layerSeries(r.baseline).sinkRate);
    assert.deepEqual(s.boundedEntropy, [null, null, r.baseline.layers[2]!.entropy, null, null]);
    assert.deepEqual(s.entropyUpperBound, [null, null, null, null, null]);
    assert.deepEqual(p.baseline.phases.bands, []);
  });

  it('the store tags partials and layers with their run and keeps them out of the status', () => {
    const r = sampleResult({ layers: 2 });
    const store = new PanelStore();
    const seen: string[] = [];
    store.onChange((w) => seen.push(w));
    store.setProgress({ stage: 'metrics', layer: spectral(r, 1) });
    assert.equal(store.lastPartial(), null, 'a layer before any partial has no run');
    store.setProgress({ stage: 'metrics', fraction: 0.3, partial: partialOf(r) });
    store.setProgress({ stage: 'metrics', layer: spectral(r, 1) });
    assert.deepEqual(seen, ['status', 'partial', 'status', 'partial', 'status']);
    assert.equal(store.lastPartial()?.runId, 1);
    assert.equal(store.lastPartial()?.layer?.layer, 1);
    assert.deepEqual(store.bootstrap().status, { kind: 'running', progress: { stage: 'metrics' } });
    store.setProgress({ stage: 'metrics', partial: partialOf(r) });
    assert.equal(store.lastPartial()?.runId, 2);
  });

  it('the notification is schema-checked', () => {
    const r = sampleResult({ layers: 2 });
    const m = (params: unknown) => JSON.parse(JSON.stringify({ id: 'h-1', method: 'panel/didReceivePartial', params }));
    assert.equal(validatePanelMessage(m({ runId: 1, partial: partialOf(r), layer: null }), 'toWebview').ok, true);
    assert.equal(validatePanelMessage(m({ runId: 1, partial: null, layer: spectral(r, 1) }), 'toWebview').ok, true);
    const both = validatePanelMessage(m({ runId: 1, partial: partialOf(r), layer: spectral(r, 1) }), 'toWebview');
    assert.ok(!both.ok && /exactly one/.test(both.error.message));
    const short = partialOf(r);
    (short.layers[1]!.norms as number[]).pop();
    const bad = validatePanelMessage(m({ runId: 1, partial: short, layer: null }), 'toWebview');
    assert.ok(!bad.ok && /norms has 5 entries for 6 tokens/.test(bad.error.message), bad.ok ? '' : bad.error.message);
    assert.equal(validatePanelMessage(m({ runId: 1, partial: null, layer: { layer: 1, entropy: 'x' } }), 'toWebview').ok, false);
    assert.equal(validatePanelMessage(m({ runId: 1, partial: null, layer: spectral(r, 1) }), 'toHost').ok, false);
  });

  it('paints tokens and charts before the spectra, fills layers of its own run only, and the result replaces it', async () => {
    const h = startPanel();
    await h.started;
    const r = sampleResult({ layers: 4, texts: ['a', 'b', 'c'] });
    h.store.setProgress({ stage: 'metrics', partial: partialOf(r) });
    await flush();
    assert.ok(h.$('#sl-root').classList.contains('sl-provisional'));
    assert.ok(!h.$('#sl-root').classList.contains('sl-no-result'));
    assert.equal(h.$$('#sl-token-strip .sl-token').length, 4);
    assert.equal(h.$('#sl-chart-entropy-note').textContent, 'computing… (0 of 5 layers)');
    assert.equal(h.$('#sl-phases').textContent, 'phases: computing…');
    h.store.setProgress({ stage: 'metrics', layer: spectral(r, 0) });
    h.store.setProgress({ stage: 'metrics', layer: spectral(r, 3) });
    await flush();
    assert.equal(h.$('#sl-chart-entropy-note').textContent, 'computing… (2 of 5 layers)');
    // A layer of another run (a stale id) is ignored.
    h.app.setPartial({ runId: 99, partial: null, layer: spectral(r, 1) });
    assert.equal(h.$('#sl-chart-entropy-note').textContent, 'computing… (2 of 5 layers)');

    h.store.setResult(r, SOURCE);
    await flush();
    assert.ok(!h.$('#sl-root').classList.contains('sl-provisional'));
    assert.equal(h.$('#sl-chart-entropy-note').textContent, 'raw layer ≤ bound · excl. BOS on the same scale');
    assert.equal(h.$$('#sl-phases .sl-phase').length, 3);

    // A re-run of the text shown (ablation, lens) keeps the shown result until its own arrives.
    h.store.setProgress({ stage: 'metrics', partial: partialOf(r, r.input.sha256) });
    await flush();
    assert.ok(!h.$('#sl-root').classList.contains('sl-provisional'));
    assert.equal(h.$$('#sl-phases .sl-phase').length, 3);
  });
});
