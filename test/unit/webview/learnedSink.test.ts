/** Learned sinks (gpt-oss) in the panel: a "learned sink" line beside the BOS sink rate, only for results that carry it. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { datasetsFor } from '../../../src/webview/render/charts';
import { layerSeries } from '../../../src/webview/model/series';
import { sampleResult } from './support/sampleResult';

const theme = { fg: '#fff', muted: '#999', grid: '#333', font: 'sans', primary: '#00f', secondary: '#0f0', bound: '#f0f', ablated: '#fa0', bands: { mix: '#001', compress: '#002', refine: '#003' }, spike: '#f00' };

const chart = (r: ReturnType<typeof sampleResult>) =>
  datasetsFor('sink', { series: layerSeries(r.baseline), ablated: null, bands: [], spikes: [], lastLayer: r.baseline.layers.length - 1, variant: null, chance: null, spikeLabel: null, bandNotes: () => [] }, theme);

describe('learned-sink share in the sink chart', () => {
  it('a model without learned sinks draws no such line', () => {
    const r = sampleResult({ layers: 4 });
    assert.equal(layerSeries(r.baseline).learnedSink, null);
    assert.deepEqual(chart(r).map((s) => s.label), ['baseline']);
  });

  it('a model with learned sinks draws its per-layer mean share beside the BOS sink rate (h[0] a gap)', () => {
    const r = sampleResult({ layers: 4 });
    r.baseline.layers.forEach((l) => {
      l.learnedSinkShare = l.layer === 0 ? null : l.layer / 10;
      l.learnedSinkHeads = l.layer === 0 ? null : [l.layer / 10];
    });
    const sets = chart(r);
    assert.deepEqual(sets.map((s) => s.label), ['baseline', 'learned sink (attention share)']);
    assert.deepEqual(sets[1]!.data.map((p) => p.y), [null, 0.1, 0.2, 0.3, 0.4]);
  });
});
