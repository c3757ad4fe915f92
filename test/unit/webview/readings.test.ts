import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AnalysisResult, LayerMetrics } from '../../../src/shared/result';
import { validatePanelMessage } from '../../../src/shared/protocol/panel';
import { bandNotes, bandNotesAt, spikeWriterLabel } from '../../../src/webview/model/bands';
import { entropyCaption, informativeBanner, mixCaption } from '../../../src/webview/model/readings';
import { isDefaultEntropy, layerSeries, variantLabel } from '../../../src/webview/model/series';
import { datasetsFor, tooltipFooter, type ChartsData, type ChartTheme } from '../../../src/webview/render/charts';
import { renderMassive } from '../../../src/webview/render/massive';
import { Window } from 'happy-dom';
import { flush, startPanel } from './support/harness';
import { sampleResult } from './support/sampleResult';

const THEME: ChartTheme = {
  fg: '#000',
  muted: '#666',
  grid: '#ccc',
  font: 'sans-serif',
  primary: '#00f',
  secondary: '#0a0',
  bound: '#a0a',
  ablated: '#f80',
  spike: '#f00',
  bands: { mix: '#00f1', compress: '#ff01', refine: '#0f01' },
};
const SOURCE = { uri: 'file:///w/a.prompt', offset: 0 };

function chartsData(r: AnalysisResult, o: Partial<ChartsData> = {}): ChartsData {
  return { series: layerSeries(r.baseline), ablated: null, bands: [], spikes: [], lastLayer: r.baseline.layers.length - 1, variant: null, chance: null, spikeLabel: null, bandNotes: () => [], ...o };
}

/** The user's variant differs from the raw layer's entropy, which alone sits under the bound. */
function variantResult(): AnalysisResult {
  const r = sampleResult({ layers: 4 });
  r.settings.entropy = { alpha: 1, excludeBos: true, center: false, rowNormalize: false };
  r.baseline.layers = r.baseline.layers.map((l) => ({ ...l, entropy: 0.95, bounded: { anisotropy: 0.2, entropy: 0.4 + 0.05 * l.layer } }));
  return r;
}

describe('honest entropy chart', () => {
  it('draws the bound beside the raw layer only; a variant is a separate, unbounded series', () => {
    const r = variantResult();
    assert.equal(isDefaultEntropy(r.settings.entropy), false);
    const label = variantLabel(r.settings.entropy);
    assert.equal(label, 'variant (excl. BOS)');
    const ds = datasetsFor('entropy', chartsData(r, { variant: label }), THEME);
    const by: Record<string, (number | null)[]> = Object.fromEntries(ds.map((d) => [d.label as string, d.data.map((p) => p.y)]));
    assert.deepEqual(Object.keys(by), ['raw layer', '≤ bound', 'excl. BOS (same scale)', label]);
    // The raw layer's values are the bounded ones (not the variant's 0.95, which exceeds the bound 0.9).
    assert.deepEqual(by['raw layer'], [0, 1, 2, 3, 4].map((l) => 0.4 + 0.05 * l));
    assert.deepEqual(by[label], [0.95, 0.95, 0.95, 0.95, 0.95]);
    // Every (measured, bound) pair the chart draws side by side satisfies the bound.
    by['≤ bound']!.forEach((b, i) => b === null || assert.ok((by['raw layer']![i] as number) <= b, `h[${i}]`));
    assert.match(entropyCaption(r.settings.entropy), /the theorem does not apply/);
    assert.doesNotMatch(entropyCaption({ ...r.settings.entropy, excludeBos: false, alpha: 0.5 }), /theorem/);
    assert.match(entropyCaption(sampleResult().settings.entropy), /same scale/);
  });

  it('under the default options there is one entropy curve, labelled plainly', () => {
    const ds = datasetsFor('entropy', chartsData(sampleResult()), THEME);
    assert.deepEqual(
      ds.map((d) => d.label),
      ['entropy', '≤ bound', 'excl. BOS (same scale)'],
    );
  });

  it('a NaN layer (null) leaves a gap and passes the panel schema', () => {
    const r = sampleResult({ layers: 4 });
    const bad = r.baseline.layers[2] as LayerMetrics;
    Object.assign(bad, { entropy: null, entropyExclBos: null, anisotropy: null, bounded: { anisotropy: null, entropy: null }, bosNorm: NaN, bosRatio: NaN, medianOtherNorm: NaN, norms: bad.norms.map(() => NaN) });
    // postMessage is JSON: NaN travels as null.
    const wire = JSON.parse(JSON.stringify({ id: 'h-1', method: 'panel/didChangeSnapshot', params: { snapshot: { result: r, source: SOURCE } } }));
    const v = validatePanelMessage(wire, 'toWebview');
    assert.equal(v.ok, true, v.ok ? '' : v.error.message);
    const s = layerSeries(wire.params.snapshot.result.baseline);
    assert.equal(s.boundedEntropy[2], null);
    assert.equal(s.entropy[2], null);
    assert.equal(s.bosRatio[2], null);
    assert.notEqual(s.boundedEntropy[3], null);
  });
});

describe('chance level, mixing and the spike writer', () => {
  it('draws the uniform head on the sink chart and the mixing series with their sample caption', () => {
    const r = sampleResult({ layers: 4 });
    const sink = datasetsFor('sink', chartsData(r, { chance: 0.25 }), THEME);
    // h[0] has no attention: the line starts at h[1].
    assert.deepEqual(sink[1]?.data.map((p) => p.y), [null, 0.25, 0.25, 0.25, 0.25]);
    assert.match(sink[1]?.label ?? '', /uniform head/);
    const mix = datasetsFor('mix', chartsData(r), THEME);
    assert.deepEqual(mix.map((d) => d.data.map((p) => p.y)), [[null, 0.6, 0.6, 0.6, 0.6], [null, 0.3, 0.3, 0.3, 0.3]]);
    assert.equal(mixCaption(128, 400), 'row entropy and mass off BOS and self · over 128 sampled queries');
    assert.doesNotMatch(mixCaption(5, 6), /sampled/);
  });

  it('names who writes the spike, and the BOS writers of a hovered layer', () => {
    assert.equal(spikeWriterLabel({ block: 1, component: 'mlp', share: 0.97 }), 'block 1 (writes h[2]) · MLP 97%');
    assert.equal(spikeWriterLabel({ block: 0, component: 'attn', share: 0.6 }), 'block 0 (writes h[1]) · attention 60%');
    assert.equal(spikeWriterLabel(null), null);
    const r = sampleResult({ layers: 4 });
    assert.deepEqual(tooltipFooter('bos', chartsData(r), 2), ['BOS write of block 1: attention 10% · MLP 90%']);
    assert.deepEqual(tooltipFooter('bos', chartsData(r), 0), []);
  });

  it('a band carries its cause, evidence and strength on hover', () => {
    const p = sampleResult().baseline.phases;
    const lines = bandNotes(p.bands[1]!, p);
    assert.equal(lines[0], 'Compress (BOS spike) h[2]–h[3] (heuristic)');
    assert.equal(lines[1], 'compress evidence');
    assert.equal(lines[2], 'strength: valley depth 0.30 · max BOS ratio 30 · sink rate 0.50 · mixing 0.60');
    assert.deepEqual(bandNotesAt(p, 3), lines);
    assert.deepEqual(bandNotesAt({ ...p, informative: false }, 3), []);
  });

  it('lists recurring dims as {dim, test, maxAbs, layers} in the given order', () => {
    const doc = new Window().document as unknown as Document;
    const dims = [
      { dim: 9, layers: [3, 4], maxAbs: 2400, test: 'absolute' as const },
      { dim: 104, layers: [1, 2, 5], maxAbs: 80, test: 'relative' as const },
    ];
    const [rec] = renderMassive(doc, [], dims);
    const chips = Array.from(rec!.querySelectorAll('.sl-chip')).map((c) => c.textContent);
    assert.deepEqual(chips, ['dim 9absolute · max 2400 · h[3]–h[4]', 'dim 104relative · max 80 · h[1], h[2], h[5]']);
  });
});

describe('short prompts and settings in the panel', () => {
  it('says a short prompt is not informative, draws no bands and lists the settings in force', async () => {
    const r = sampleResult({ texts: ['Hi'] });
    r.summary.informative = false;
    r.baseline.informative = false;
    r.baseline.phases.informative = false;
    r.settings.notes = ['r = min(T, d)', 'first query excluded'];
    assert.match(informativeBanner(r) ?? '', /not informative below 16 tokens/);
    const h = startPanel();
    await h.started;
    h.store.setResult(r, SOURCE);
    await flush();
    assert.equal(h.$('#sl-informative').hidden, false);
    assert.match(h.$('#sl-informative').textContent ?? '', /2 tokens: sink rates and phases are not informative/);
    assert.equal(h.$$('#sl-phases .sl-phase').length, 0);
    assert.deepEqual(h.$$('#sl-notes-list li').map((li) => li.textContent), r.settings.notes);
    assert.equal(h.$('#sl-notes-title').textContent, 'Settings in force (2)');
    assert.equal(h.$('#sl-notes').tagName, 'DETAILS');

    h.store.setResult(sampleResult(), SOURCE);
    await flush();
    assert.equal(h.$('#sl-informative').hidden, true);
    assert.equal(h.$$('#sl-phases .sl-phase').length, 3);
    assert.match(h.$$('#sl-phases .sl-phase')[1]?.getAttribute('title') ?? '', /^Compress \(BOS spike\) h\[2\]–h\[3\] \(heuristic\)\ncompress evidence/);
    assert.equal(h.$('#sl-chart-entropy-note').textContent, 'raw layer ≤ bound · excl. BOS on the same scale');
  });
});
