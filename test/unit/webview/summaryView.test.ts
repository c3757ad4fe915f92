import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Window } from 'happy-dom';
import { PanelChannel } from '../../../src/extension/panel/panelChannel';
import { panelHandlers } from '../../../src/extension/panel/panelHandlers';
import { PanelStore } from '../../../src/extension/panel/panelStore';
import { DidChangeSnapshot } from '../../../src/shared/protocol/panel';
import { HostIpc } from '../../../src/webview/ipc';
import { heatColor } from '../../../src/webview/model/heat';
import { SummaryApp } from '../../../src/webview/summaryApp';
import { flush } from './support/harness';
import { sampleResult } from './support/sampleResult';

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe('summary view webview', () => {
  it('shows the active prompt summary and opens the full panel', async () => {
    const window = new Window();
    const doc = window.document as unknown as Document;
    const store = new PanelStore();
    let opened = 0;
    let toHost: (m: unknown) => void = () => undefined;
    // Filled in below: the host side is built first and delivers to the webview through it.
    const wv: { ipc?: HostIpc } = {};
    const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
    const channel = new PanelChannel(
      { postMessage: async (m) => (queueMicrotask(() => wv.ipc?.receive(clone(m))), true), onDidReceiveMessage: (l) => ((toHost = l), { dispose: () => undefined }) },
      panelHandlers(store, { requestAttention: async () => Promise.reject(new Error('no')), requestAblation: async () => undefined, requestLogitLens: async () => undefined, revealTokens: () => undefined, requestTokenLoss: async () => undefined }, () => opened++),
      silent,
    );
    store.onChange((what) => what === 'snapshot' && channel.notifyState(DidChangeSnapshot, { snapshot: store.current() }));
    const api = { postMessage: (m: unknown) => queueMicrotask(() => toHost(clone(m))), getState: () => undefined, setState: () => undefined };
    const ipc = new HostIpc(api, { addEventListener: () => undefined, removeEventListener: () => undefined });
    wv.ipc = ipc;
    const app = new SummaryApp(doc, ipc);
    await app.start('s');
    assert.equal(doc.getElementById('sl-status')?.textContent, 'no analysis yet');

    store.setResult(sampleResult({ layers: 6, texts: ['a', '<b>bold</b>'] }), { uri: 'u', offset: 0 });
    await flush();
    assert.equal(doc.getElementById('sl-status')?.textContent, 'ready');
    assert.equal(doc.querySelector('.sl-summary-valley')?.textContent, 'valley h[2]–h[3]');
    const bars = Array.from(doc.querySelectorAll('.sl-summary-tok')) as HTMLElement[];
    assert.equal(bars.length, 3);
    assert.equal(bars[1]?.style.backgroundColor, heatColor(1));
    assert.equal(bars[2]?.getAttribute('title'), '<b>bold</b>');
    assert.equal(doc.querySelectorAll('b').length, 0);
    assert.deepEqual(
      Array.from(doc.querySelectorAll('.sl-summary-phases .sl-phase')).map((e) => e.textContent),
      ['Mix h[0]–h[1]', 'Compress h[2]–h[3]', 'Refine h[4]–h[6]'],
    );

    (doc.getElementById('sl-open-panel') as HTMLElement).click();
    await flush();
    assert.equal(opened, 1);
  });
});
