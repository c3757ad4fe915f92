/**
 * What makes the panel readable at a glance (issue: charts with axes and scales, one naming of depth,
 * state that never disagrees): axis ranges and ticks, label placement off the data, colour legends,
 * attention-map axis labels, and the overlay / layer-range / token-strip state in the running panel.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AnalysisResult } from '../../../src/shared/result';
import { isUnitTick, layerTicks, unitRange, zeroBasedRange } from '../../../src/webview/model/axes';
import type { BandSpan } from '../../../src/webview/model/bands';
import { blockLabel, fmtNum, layerLabel } from '../../../src/webview/model/format';
import { overlayView, overlayWishAfter } from '../../../src/webview/model/overlay';
import { rangeForRun } from '../../../src/webview/model/layers';
import { renderAxisLabels, shortLabel, thinnedIndices } from '../../../src/webview/render/attnAxes';
import { labelSlots } from '../../../src/webview/render/chartBands';
import { configFor, datasetsFor, type ChartTheme } from '../../../src/webview/render/charts';
import { attentionScale, heatmapScale } from '../../../src/webview/render/colorBar';
import { layerSeries } from '../../../src/webview/model/series';
import { flush, startPanel } from './support/harness';
import { sampleResult } from './support/sampleResult';
import { Window } from 'happy-dom';

const SOURCE = { uri: 'file:///w/a.prompt', offset: 0 };
const THEME: ChartTheme = {
  fg: '#111',
  muted: '#555',
  grid: '#ccc',
  font: 'sans-serif',
  primary: '#00f',
  secondary: '#0a0',
  bound: '#a0a',
  ablated: '#f80',
  spike: '#f00',
  bands: { mix: '#eef', compress: '#ffe', refine: '#efe' },
};

describe('naming depth', () => {
  it('hidden states are h[l], blocks say which state they write', () => {
    assert.equal(layerLabel(0), 'h[0]');
    assert.equal(blockLabel(2), 'block 2 (writes h[3])');
  });
});

describe('chart axes', () => {
  it('x ticks are every hidden state h[0] … h[L], thinned on deep models but keeping h[L]', () => {
    assert.deepEqual(layerTicks(5), [0, 1, 2, 3, 4, 5]);
    const deep = layerTicks(40, 16);
    assert.equal(deep[0], 0);
    assert.equal(deep[deep.length - 1], 40);
    assert.ok(deep.length <= 17, `${deep.length} ticks`);
  });

  it('a flat series at 0 gets a minimum span and sits off the frame; data is never clipped', () => {
    // stories260k's sink rate is 0 everywhere: the old fixed [0, 1] axis drew it on the axis line.
    const flat = unitRange([0, 0, 0, null]);
    assert.ok(flat.min < 0 && flat.max >= 0.3 - 1e-9, JSON.stringify(flat));
    for (const vs of [[0.05, 0.62, 0.12], [0.55, 0.98, 0.7], [0.41, 0.43]]) {
      const r = unitRange(vs);
      assert.ok(r.min < Math.min(...vs) && r.max > Math.max(...vs), `${JSON.stringify(vs)} -> ${JSON.stringify(r)}`);
      assert.ok(r.max - r.min >= 0.3, 'minimum span');
      assert.ok(r.min >= -0.05 && r.max <= 1.05, 'inside [0, 1] plus padding');
    }
    const ce = zeroBasedRange([2.5, 6.1]);
    assert.ok(ce.min < 0 && ce.max > 6.1);
    assert.ok(isUnitTick(0.3) && !isUnitTick(-0.01) && !isUnitTick(0.35));
  });

  it('every chart has axis titles with units, h[l] tick labels, and a legend only with several series', () => {
    const r = sampleResult({ layers: 6, ablation: true });
    const data = { series: layerSeries(r.baseline), ablated: null, bands: [], spikes: [2], lastLayer: 6, variant: null, chance: null, spikeLabel: null, bandNotes: () => [] };
    for (const kind of ['bos', 'entropy', 'sink'] as const) {
      const c = configFor(kind, data, THEME);
      const x = c.options?.scales?.x as { title: { text: string; display: boolean }; ticks: { callback: (v: number) => string } };
      const y = c.options?.scales?.y as { title: { text: string; display: boolean } };
      assert.ok(x.title.display && /h\[l\]/.test(x.title.text));
      assert.ok(y.title.display && y.title.text.length > 0);
      assert.equal(x.ticks.callback(3), 'h[3]');
      assert.equal(c.options?.plugins?.legend?.display, kind === 'entropy', kind);
    }
    assert.match((configFor('bos', data, THEME).options?.scales?.y as { title: { text: string } }).title.text, /log/);
    assert.match((configFor('sink', data, THEME).options?.scales?.y as { title: { text: string } }).title.text, /0–1/);
    const withAblation = configFor('sink', { ...data, ablated: layerSeries(r.ablation!.run) }, THEME);
    assert.equal(withAblation.options?.plugins?.legend?.display, true);
  });

  it('series that can coincide differ in dash, point style, and the thin ones are drawn on top', () => {
    const r = sampleResult({ layers: 6, ablation: true });
    const ds = datasetsFor('entropy', { series: layerSeries(r.baseline), ablated: layerSeries(r.ablation!.run), bands: [], spikes: [], lastLayer: 6, variant: null, chance: null, spikeLabel: null, bandNotes: () => [] }, THEME);
    const byLabel = Object.fromEntries(ds.map((d) => [d.label, d]));
    const entropy = byLabel['entropy']!;
    const excl = byLabel['excl. BOS (same scale)']!;
    const ablated = byLabel['ablated']!;
    const dash = (d: typeof entropy) => JSON.stringify(d.borderDash ?? []);
    assert.equal(new Set([dash(entropy), dash(excl), dash(ablated), dash(byLabel['≤ bound']!)]).size, 4, 'four dash patterns');
    assert.notEqual(excl.pointStyle, entropy.pointStyle ?? 'circle');
    assert.notEqual(ablated.pointStyle, excl.pointStyle);
    // chart.js draws a lower order last (on top)
    assert.ok((excl.order ?? 0) < (entropy.order ?? 0) && (ablated.order ?? 0) < (entropy.order ?? 0));
  });
});

describe('band and spike labels', () => {
  const band = (label: string, x: number, w: number, shortLabel = label): { band: BandSpan; x: number; y: number; w: number; h: number } => ({
    band: { phase: 'compress', label, shortLabel, x0: 0, x1: 1, start: 0, end: 1 },
    x,
    y: 30,
    w,
    h: 100,
  });
  const width = (t: string) => 6 * t.length;
  const area = { left: 40, right: 300, top: 30, bottom: 130 };

  it('band names and spike labels take different rows of the strip above the plot (never on the data)', () => {
    // The demo model: the spike is on the first layer of the Compress band.
    const slots = labelSlots([band('Mix', 40, 80), band('Compress', 120, 80), band('Refine', 200, 100)], [121], area, width);
    const spike = slots.find((s) => s.text === 'spike');
    const compress = slots.find((s) => s.text === 'Compress');
    assert.ok(spike && compress);
    assert.equal(compress.row, 0);
    assert.equal(spike.row, 1);
    assert.ok(spike.x >= area.left && spike.x + width('spike') <= area.right, 'inside the plot width');
    // band labels are centred and fit their band
    assert.ok(compress.x >= 120 && compress.x + width('Compress') <= 200);
  });

  it('drops a band label that does not fit and a spike label that would overlap the previous one', () => {
    const slots = labelSlots([band('Compress', 40, 20)], [100, 104, 250], area, width);
    assert.deepEqual(slots.map((s) => s.text), ['spike', 'spike']);
  });

  it('falls back to the bare phase name when the cause does not fit, and names the first spike writer', () => {
    const slots = labelSlots([band('Compress (BOS spike)', 120, 80, 'Compress')], [121, 250], area, width, 'block 1 (writes h[2]) · MLP 97%');
    // The writer's label (216 px) reaches past the second spike's slot, which is then dropped.
    assert.deepEqual(slots.map((s) => s.text), ['Compress', 'spike: block 1 (writes h[2]) · MLP 97%']);
    const wide = labelSlots([band('Compress (BOS spike)', 40, 200, 'Compress')], [], area, width);
    assert.deepEqual(wide.map((s) => s.text), ['Compress (BOS spike)']);
  });
});

describe('colour legends and attention axes', () => {
  it('the heatmap scale is linear 0 … 1, the attention scale puts p ticks at √p', () => {
    const h = heatmapScale();
    assert.deepEqual(h.ticks.map((t) => t.text), ['0', '0.25', '0.50', '0.75', '1']);
    const a = attentionScale();
    assert.match(a.caption, /√p/);
    const quarter = a.ticks.find((t) => t.text === '0.25');
    assert.equal(quarter?.at, 0.5);
  });

  it('token labels are thinned to fit, keep BOS, are shortened, and carry the full text as a tooltip', () => {
    assert.deepEqual(thinnedIndices(10, 30), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const t = thinnedIndices(76, 30);
    assert.ok(t.length <= 30 && t[0] === 0);
    assert.equal(shortLabel(' extraordinarily'), ' extrao…');
    const doc = new Window().document as unknown as Document;
    const tokens = sampleResult({ texts: [' extraordinarily', ' b'] }).tokens;
    const labels = renderAxisLabels(doc, tokens, tokens.length, 'keys', 30);
    assert.equal(labels.length, 3);
    assert.equal(labels[1]?.textContent, ' extrao…');
    assert.equal(labels[1]?.getAttribute('title'), '#1 “ extraordinarily”');
    assert.equal(labels[1]?.style.left, '50.000%');
  });
});

describe('one source of truth for the ablation overlay', () => {
  const plain = sampleResult();
  const ablated = sampleResult({ ablation: true });

  it('checkbox, header and curves come from the same view', () => {
    // The state the extension-host tests left behind: the wish is on, the shown result has no ablation.
    assert.deepEqual(overlayView(plain, true, false), { checked: false, curves: false, header: 'no ablation' });
    assert.deepEqual(overlayView(plain, true, true), { checked: true, curves: false, header: 'ablation running…' });
    assert.deepEqual(overlayView(ablated, true, false), { checked: true, curves: true, header: 'ablated BOS MLP write @ block 1 (overlay shown)' });
    assert.deepEqual(overlayView(ablated, false, false), { checked: false, curves: false, header: 'ablated BOS MLP write @ block 1 (overlay hidden)' });
  });

  it('a new result sets the wish: on when it newly carries an ablation, off without one, kept after a reload', () => {
    assert.equal(overlayWishAfter(plain, ablated, false), true);
    assert.equal(overlayWishAfter(ablated, plain, true), false);
    assert.equal(overlayWishAfter(ablated, ablated, false), false);
    assert.equal(overlayWishAfter(undefined, ablated, false), false);
    assert.equal(overlayWishAfter(undefined, ablated, true), true);
  });

  it('in the panel: a stale ticked overlay with a plain result shows an unticked box, "no ablation" and no summary', async () => {
    const h = startPanel({ savedState: { ablationOverlay: true } });
    await h.started;
    h.store.setResult(plain, SOURCE);
    await flush();
    const toggle = h.$('#sl-ablation-toggle') as HTMLElement & { checked: boolean };
    assert.equal(toggle.checked, false);
    assert.equal(h.$('#sl-header-ablation').textContent, 'no ablation');
    assert.ok(h.$('#sl-ablation-summary').hidden);
    h.store.setResult(ablated, SOURCE);
    await flush();
    assert.equal(toggle.checked, true);
    assert.equal(h.$('#sl-header-ablation').textContent, 'ablated BOS MLP write @ block 1 (overlay shown)');
    assert.equal(h.$('#sl-ablation-summary').hidden, false);
    toggle.checked = false;
    toggle.dispatchEvent(new (h.window.Event as unknown as typeof Event)('change', { bubbles: true }));
    await flush();
    assert.equal(h.$('#sl-header-ablation').textContent, 'ablated BOS MLP write @ block 1 (overlay hidden)');
    assert.ok(h.$('#sl-ablation-summary').hidden);
  });
});

describe('token strip state', () => {
  const withDepth = (layers: number): AnalysisResult => sampleResult({ layers });

  it('the layer range resets to the full range when the model depth changes, and is kept otherwise', () => {
    const five = withDepth(5).baseline;
    const six = withDepth(6).baseline;
    assert.deepEqual(rangeForRun([1, 5], 5, six), { range: [1, 6], depth: 6 });
    assert.deepEqual(rangeForRun([2, 3], 6, six), { range: [2, 3], depth: 6 });
    assert.deepEqual(rangeForRun(null, null, five), { range: [1, 5], depth: 5 });
  });

  it('in the panel: a range chosen on a 5-layer model becomes h[1]–h[6] on a 6-layer one', async () => {
    const h = startPanel();
    await h.started;
    h.store.setResult(withDepth(5), SOURCE);
    await flush();
    assert.match(h.$('#sl-legend').textContent ?? '', /^h\[1\]–h\[5\]/);
    h.store.setResult(withDepth(6), SOURCE);
    await flush();
    assert.match(h.$('#sl-legend').textContent ?? '', /^h\[1\]–h\[6\]/);
    assert.equal((h.$('#sl-range-to') as HTMLSelectElement).value, '6');
    assert.equal((h.saved() as { layerRangeDepth: number }).layerRangeDepth, 6);
  });

  it('a word-start piece (a lone space, not in the text) is a visible ␣ styled as special, not a blank box', async () => {
    const h = startPanel();
    await h.started;
    const r = sampleResult({ texts: [' ', 'A', 'fter'] });
    // SentencePiece's "▁" before an unknown word: decoded to a space, no characters of the text.
    r.tokens[1] = { ...r.tokens[1]!, end: r.tokens[1]!.start };
    h.store.setResult(r, SOURCE);
    await flush();
    const t = h.$$('#sl-token-strip .sl-token')[1]!;
    assert.equal(t.textContent, '␣');
    assert.ok(t.classList.contains('sl-special'));
    assert.match(t.getAttribute('aria-label') ?? '', /not in the text/);
  });

  it('numbers read one way across the panel', async () => {
    const h = startPanel();
    await h.started;
    h.store.setResult(sampleResult({ layers: 4, heads: 3 }), SOURCE);
    await flush();
    const cells = h.$$('#sl-heatmap .sl-cell').map((c) => c.textContent ?? '');
    assert.ok(cells.every((t) => /^(0|1|\d\.\d\d)$/.test(t)), cells.join(' '));
    assert.equal(fmtNum(0.1), '0.10');
    assert.equal(h.$$('#sl-heatmap-scale .sl-colorbar-tick').length, 5);
    assert.equal(h.$$('#sl-heatmap .sl-grid-colhead')[0]?.getAttribute('title'), 'block 0 (writes h[1])');
  });
});
