/** Compare with HEAD in the panel: the comparison crosses the protocol, its verdict is the header note, and the other run is the labelled overlay. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareVerdict, verdictInput } from '../../../src/shared/compare';
import { datasetsFor } from '../../../src/webview/render/charts';
import { layerSeries } from '../../../src/webview/model/series';
import { flush, startPanel } from './support/harness';
import { sampleResult } from './support/sampleResult';

const theme = { fg: '#fff', muted: '#999', grid: '#333', font: 'sans', primary: '#00f', secondary: '#0f0', bound: '#f0f', ablated: '#fa0', bands: { mix: '#001', compress: '#002', refine: '#003' }, spike: '#f00' };

describe('compare overlay', () => {
  it('the panel header shows the verdict of a compared snapshot, and the plain note again without one', async () => {
    const h = startPanel();
    await h.started;
    const now = sampleResult({ layers: 6, texts: ['a', 'b', 'c'] });
    const head = sampleResult({ layers: 6, texts: ['a', 'b'] });
    const verdict = compareVerdict(verdictInput(head), verdictInput(now));
    h.store.setResult(now, { uri: 'file:///p.prompt', offset: 0 }, { label: 'HEAD', verdict, other: head });
    await flush();
    assert.equal(h.$('#sl-header-ablation').textContent, `vs HEAD: ${verdict}`);
    assert.ok(!h.logs.some((l) => l.startsWith('warn')), h.logs.join('\n'));
    h.store.setResult(now, { uri: 'file:///p.prompt', offset: 0 });
    await flush();
    assert.equal(h.$('#sl-header-ablation').textContent, 'no ablation');
  });

  it('the other run is drawn as the dashed overlay under its own label', () => {
    const now = sampleResult({ layers: 4 });
    const head = sampleResult({ layers: 4, texts: ['x'] });
    const d = { series: layerSeries(now.baseline), ablated: layerSeries(head.baseline), bands: [], spikes: [], lastLayer: 4, overlayLabel: 'HEAD', variant: null, chance: null, spikeLabel: null, bandNotes: () => [] };
    const sets = datasetsFor('sink', d, theme);
    assert.deepEqual(sets.map((s) => s.label), ['baseline', 'HEAD']);
    assert.deepEqual(sets[1]!.data.map((p) => p.y), head.baseline.layers.map((l) => l.sinkRate));
    assert.deepEqual(datasetsFor('bos', { ...d, overlayLabel: 'ablated' }, theme).map((s) => s.label), ['baseline', 'ablated']);
  });
});
