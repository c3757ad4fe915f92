/** The panel's "save chart as PNG": the message is validated at the boundary and reaches the host with the shown result. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PanelChannel } from '../../../src/extension/panel/panelChannel';
import { panelHandlers } from '../../../src/extension/panel/panelHandlers';
import { PanelStore } from '../../../src/extension/panel/panelStore';
import { SaveChartImage, validatePanelMessage } from '../../../src/shared/protocol/panel';
import type { AnalysisResult } from '../../../src/shared/result';
import { sampleResult } from '../webview/support/sampleResult';

const PNG = `data:image/png;base64,${Buffer.from([0x89, 0x50, 0x4e, 0x47]).toString('base64')}`;

describe('panel: save chart image', () => {
  it('accepts only a PNG data URL from the webview', () => {
    assert.ok(validatePanelMessage({ id: '1', method: SaveChartImage.method, params: { name: 'a.png', dataUrl: PNG } }, 'toHost').ok);
    assert.equal(validatePanelMessage({ id: '2', method: SaveChartImage.method, params: { name: 'a.png', dataUrl: 'https://x/y.png' } }, 'toHost').ok, false);
    assert.equal(validatePanelMessage({ id: '3', method: SaveChartImage.method, params: { name: 'a.png', dataUrl: PNG } }, 'toWebview').ok, false);
  });

  it('routes the image with the shown result to the host, and nothing without a result', async () => {
    const store = new PanelStore();
    const saved: [string, string, AnalysisResult][] = [];
    let send: (m: unknown) => void = () => undefined;
    const deps = { requestAttention: () => Promise.reject(new Error('no')), requestAblation: async () => undefined, requestLogitLens: async () => undefined, revealTokens: () => undefined, requestTokenLoss: async () => undefined, saveChartImage: (n: string, d: string, r: AnalysisResult) => void saved.push([n, d, r]) };
    new PanelChannel({ postMessage: async () => true, onDidReceiveMessage: (l) => ((send = l), { dispose: () => undefined }) }, panelHandlers(store, deps, () => undefined), { info: () => undefined, warn: () => undefined, error: () => undefined });
    send({ id: '1', method: SaveChartImage.method, params: { name: 'sinklens-bos.png', dataUrl: PNG } });
    await new Promise((r) => setTimeout(r, 0));
    assert.equal(saved.length, 0);
    const r = sampleResult({ layers: 3 });
    store.setResult(r, { uri: '', offset: 0 });
    send({ id: '2', method: SaveChartImage.method, params: { name: 'sinklens-bos.png', dataUrl: PNG } });
    await new Promise((res) => setTimeout(res, 0));
    assert.deepEqual(saved.map(([n, d]) => [n, d]), [['sinklens-bos.png', PNG]]);
    assert.equal(saved[0]![2], r);
  });
});
