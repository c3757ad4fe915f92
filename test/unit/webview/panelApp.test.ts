import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PanelStore } from '../../../src/extension/panel/panelStore';
import { heatColor } from '../../../src/webview/model/heat';
import { flush, startPanel } from './support/harness';
import { sampleResult, sampleSinkMass } from './support/sampleResult';
import { tokenLabel } from '../../../src/webview/model/format';

const XSS = '<img src=x onerror=alert(1)>';
const SOURCE = { uri: 'file:///w/a.prompt', offset: 100 };

function click(el: HTMLElement, init: MouseEventInit = {}): void {
  const win = el.ownerDocument.defaultView as unknown as { MouseEvent: typeof MouseEvent };
  el.dispatchEvent(new win.MouseEvent('click', { bubbles: true, ...init }));
}

describe('panel webview against the real host channel', () => {
  it('shows the empty state until a result, then renders every section with status "ready"', async () => {
    const h = startPanel();
    await h.started;
    assert.equal(h.$('#sl-status').textContent, 'no analysis yet');
    assert.ok(h.$('#sl-root').classList.contains('sl-no-result'));
    assert.equal(h.channel.isReady(), true);

    h.store.setResult(sampleResult({ layers: 6, heads: 4 }), SOURCE);
    await flush();
    assert.equal(h.$('#sl-status').textContent, 'ready');
    assert.ok(!h.$('#sl-root').classList.contains('sl-no-result'));
    assert.equal(h.$$('#sl-token-strip .sl-token').length, 6);
    assert.equal(h.$$('#sl-heatmap .sl-cell').length, 6 * 4);
    assert.match(h.$('#sl-header').textContent ?? '', /sample-model/);
    assert.match(h.$('#sl-warnings').textContent ?? '', /short/);
    assert.ok(h.$$('#sl-massive tbody tr').length > 0);
    for (const id of ['sl-chart-bos', 'sl-chart-entropy', 'sl-chart-sink', 'sl-attn-map']) assert.equal(h.$(`#${id}`).tagName, 'CANVAS');
    assert.ok(h.$('#sl-ablation-toggle'));
  });

  it('renders token text inert: markup in a prompt stays characters', async () => {
    const h = startPanel();
    await h.started;
    h.store.setResult(sampleResult({ texts: ['Hi ', XSS, '<script>alert(2)</script>'] }), SOURCE);
    await flush();
    const tokens = h.$$('#sl-token-strip .sl-token');
    assert.equal(tokens[2]?.textContent, XSS);
    assert.equal(tokens[3]?.textContent, '<script>alert(2)</script>');
    assert.equal(h.doc.querySelectorAll('img').length, 0);
    assert.equal(h.doc.querySelectorAll('script').length, 0);
    assert.equal(tokens[2]?.children.length, 0);
  });

  it('colours tokens by mean sink mass over the selected layers, BOS outside the domain', async () => {
    const h = startPanel({ savedState: { layerRange: [2, 3] } });
    await h.started;
    h.store.setResult(sampleResult({ layers: 6 }), SOURCE);
    await flush();
    const mean = (t: number) => (sampleSinkMass(2, t) + sampleSinkMass(3, t)) / 2;
    const max = Math.max(...[1, 2, 3, 4, 5].map(mean));
    const tokens = h.$$('#sl-token-strip .sl-token');
    for (const t of [1, 2, 5]) assert.equal(tokens[t]?.style.backgroundColor, heatColor(mean(t) / max), `token ${t}`);
    assert.equal((h.$('#sl-range-from') as HTMLSelectElement).value, '2');
    assert.equal((h.$('#sl-range-to') as HTMLSelectElement).value, '3');
    assert.match(h.$('#sl-legend').textContent ?? '', /^h\[2\]–h\[3\]/);
  });

  it('changing the layer range recolours the strip and is persisted', async () => {
    const h = startPanel();
    await h.started;
    h.store.setResult(sampleResult({ layers: 6 }), SOURCE);
    await flush();
    const from = h.$('#sl-range-from') as HTMLSelectElement;
    const to = h.$('#sl-range-to') as HTMLSelectElement;
    assert.deepEqual([from.value, to.value], ['1', '6']);
    // An inverted pick is put in order.
    from.value = '5';
    to.value = '4';
    from.dispatchEvent(new (h.window.Event as unknown as typeof Event)('change'));
    await flush();
    assert.deepEqual((h.saved() as { layerRange: number[] }).layerRange, [4, 5]);
    assert.match(h.$('#sl-legend').textContent ?? '', /^h\[4\]–h\[5\]/);
    const mean = (t: number) => (sampleSinkMass(4, t) + sampleSinkMass(5, t)) / 2;
    const max = Math.max(...[1, 2, 3, 4, 5].map(mean));
    assert.equal(h.$$('.sl-token')[3]?.style.backgroundColor, heatColor(mean(3) / max));
  });

  it('token clicks ask the host to highlight document ranges (offset by the source)', async () => {
    const h = startPanel();
    await h.started;
    h.store.setResult(sampleResult(), SOURCE);
    await flush();
    const tokens = h.$$('#sl-token-strip .sl-token');
    click(tokens[2] as HTMLElement);
    await flush();
    click(tokens[4] as HTMLElement, { shiftKey: true });
    await flush();
    // tokens: <s>, Once [0,4), ' upon' [4,9), ' a' [9,11), ' time' [11,16)
    assert.deepEqual(h.reveals, [
      { ranges: [{ start: 104, end: 109 }], uri: SOURCE.uri },
      { ranges: [{ start: 104, end: 116 }], uri: SOURCE.uri },
    ]);
    assert.deepEqual((h.saved() as { selectedTokens: number[] }).selectedTokens, [2, 3, 4]);
    assert.equal(h.$$('.sl-token.sl-selected').length, 3);
  });

  it('a heatmap cell fetches that head’s attention map and shows it', async () => {
    const h = startPanel();
    await h.started;
    h.store.setResult(sampleResult({ layers: 4, heads: 3 }), SOURCE);
    await flush();
    assert.ok(h.$('#sl-attn-card').hidden);
    const cell = h.$('#sl-heatmap .sl-cell[data-block="2"][data-head="1"]');
    assert.match(cell.getAttribute('aria-label') ?? '', /block 2 \(writes h\[3\]\), head 1: sink score/);
    click(cell);
    await flush();
    assert.deepEqual(h.attentionCalls, [[2, 1]]);
    assert.equal(h.$('#sl-attn-card').hidden, false);
    assert.match(h.$('#sl-attn-title').textContent ?? '', /head 1, block 2 \(writes h\[3\]\) · 6 × 6 tokens/);
    assert.deepEqual((h.saved() as { selectedCell: unknown }).selectedCell, { block: 2, head: 1 });
    assert.equal(cell.getAttribute('aria-selected'), 'true');
  });

  it('an attention error is shown in the card, not thrown', async () => {
    const h = startPanel({ attention: async () => Promise.reject(new Error('engine went away')) });
    await h.started;
    h.store.setResult(sampleResult(), SOURCE);
    await flush();
    click(h.$('#sl-heatmap .sl-cell'));
    await flush();
    assert.match(h.$('#sl-attn-title').textContent ?? '', /engine went away/);
  });

  it('the ablation toggle re-runs through the host and overlays the result', async () => {
    const h = startPanel({ ablated: () => sampleResult({ ablation: true }) });
    await h.started;
    h.store.setResult(sampleResult(), SOURCE);
    await flush();
    assert.ok(h.$('#sl-ablation-summary').hidden);
    const toggle = h.$('#sl-ablation-toggle') as HTMLElement & { checked: boolean };
    toggle.checked = true;
    toggle.dispatchEvent(new (h.window.Event as unknown as typeof Event)('change', { bubbles: true }));
    await flush();
    assert.deepEqual(h.ablationCalls, [true]);
    assert.notEqual(h.store.current()?.result.ablation, null);
    assert.equal(h.$('#sl-ablation-summary').hidden, false);
    assert.match(h.$('#sl-ablation-summary').textContent ?? '', /block 1: spike removed · valley removed · max sink rate 0.60 → 0.90/);
    assert.equal((h.saved() as { ablationOverlay: boolean }).ablationOverlay, true);
  });

  it('logit lens: a grid of top-1 predictions per layer, token text inert, hits where the next token is predicted', async () => {
    const h = startPanel();
    await h.started;
    const texts = ['Hi ', XSS, '<script>alert(2)</script>'];
    h.store.setResult(sampleResult({ texts, layers: 3, lens: true }), SOURCE);
    await flush();
    assert.equal(h.$('#sl-logit-lens').tagName, 'SECTION');
    assert.equal(h.$('#sl-lens-body').hidden, false);
    assert.equal(h.$('#sl-lens-empty').hidden, true);
    assert.equal(h.$('#sl-chart-lens').tagName, 'CANVAS');
    // Columns: the prompt's tokens (after the corner); rows: h[0..3].
    const heads = h.$$('#sl-lens-grid thead th').map((th) => th.textContent);
    assert.deepEqual(heads.slice(1), ['<s>', ...texts].map(tokenLabel));
    const rows = h.$$('#sl-lens-grid tbody tr');
    assert.deepEqual(rows.map((r) => r.querySelector('th')?.textContent), ['h[0]', 'h[1]', 'h[2]', 'h[3]']);
    // sampleLens: position i predicts tokens[i+1] from layer i+1 on, `w${l}` before.
    const cells = (l: number) => Array.from(rows[l]?.querySelectorAll('td') ?? []) as HTMLElement[];
    assert.deepEqual(cells(0).map((c) => c.textContent), ['w0', 'w0', 'w0', 'w0']);
    assert.deepEqual(cells(3).map((c) => c.textContent), ['Hi ', XSS, '<script>alert(2)</script>', 'w3']);
    assert.deepEqual(cells(2).map((c) => c.classList.contains('sl-lens-hit')), [true, true, false, false]);
    assert.deepEqual(cells(2).map((c) => c.classList.contains('sl-lens-lock')), [false, true, false, false]);
    assert.ok(cells(3)[3]?.classList.contains('sl-lens-last'));
    // Markup predicted by the lens (or in a header) stays characters.
    assert.equal(cells(3)[1]?.children.length, 0);
    assert.equal(h.doc.querySelectorAll('img').length, 0);
    assert.equal(h.doc.querySelectorAll('script').length, 0);
    assert.equal(h.$('#sl-lens-summary').textContent, '3 of 3 next-token predictions lock in · lowest cross-entropy 1.25 nats at h[3]');
  });

  it('logit lens: without lens data a button asks the host to re-run with the lens', async () => {
    const h = startPanel({ lensed: () => sampleResult({ lens: true }) });
    await h.started;
    h.store.setResult(sampleResult(), SOURCE);
    await flush();
    assert.equal(h.$('#sl-lens-body').hidden, true);
    assert.equal(h.$('#sl-lens-empty').hidden, false);
    assert.equal(h.$$('#sl-lens-grid td').length, 0);
    click(h.$('#sl-lens-run'));
    await flush();
    assert.deepEqual(h.lensCalls, [true]);
    assert.deepEqual(h.store.current()?.source, SOURCE);
    assert.equal(h.$('#sl-lens-body').hidden, false);
    assert.equal(h.$$('#sl-lens-grid tbody tr').length, 7);
    assert.equal((h.$('#sl-lens-run') as HTMLButtonElement).disabled, false);
  });

  it('per-token loss: without it a button asks the host to re-run with it; with it the strip shows and the button hides', async () => {
    const h = startPanel({ lossed: () => sampleResult({ loss: true }) });
    await h.started;
    h.store.setResult(sampleResult(), SOURCE);
    await flush();
    assert.equal(h.$('#sl-loss').hidden, true);
    assert.equal(h.$('#sl-loss-empty').hidden, false);
    click(h.$('#sl-loss-run'));
    await flush();
    assert.deepEqual(h.lossCalls, [true]);
    assert.deepEqual(h.store.current()?.source, SOURCE);
    assert.equal(h.$('#sl-loss').hidden, false);
    assert.equal(h.$('#sl-loss-empty').hidden, true);
    assert.equal(h.$$('#sl-loss .sl-loss-cell').length, h.store.current()?.result.tokens.length);
    // Asked again on a result that has the loss: no re-run.
    click(h.$('#sl-loss-run'));
    await flush();
    assert.deepEqual(h.lossCalls, [true]);
  });

  it('progress and errors show in #sl-status; an error keeps the last result', async () => {
    const h = startPanel();
    await h.started;
    h.store.setResult(sampleResult(), SOURCE);
    h.store.setProgress({ stage: 'run', fraction: 0.5 });
    await flush();
    assert.equal(h.$('#sl-status').textContent, 'running… running model 50%');
    h.store.setError({ code: 'engineCrashed', message: 'The engine process died.' });
    await flush();
    assert.equal(h.$('#sl-status').textContent, 'error: The engine process died.');
    assert.equal(h.$$('.sl-token').length, 6);
  });

  it('rejects a malformed message from the host and logs it there', async () => {
    const h = startPanel();
    await h.started;
    h.store.setResult(sampleResult(), SOURCE);
    await flush();
    h.ipc.receive({ id: 'x', method: 'panel/didChangeSnapshot', params: { snapshot: { result: { tokens: 'oops' }, source: SOURCE } } });
    await flush();
    assert.equal(h.$$('.sl-token').length, 6);
    assert.ok(h.logs.some((l) => /^warn panel \(panel\): webview rejected a message: panel\/didChangeSnapshot: snapshot\.result: schemaVersion/.test(l)), h.logs.join('\n'));
  });

  it('survives a reload: UI state from getState, the result re-pushed by the host', async () => {
    const store = new PanelStore();
    const first = startPanel({ store });
    await first.started;
    store.setResult(sampleResult({ layers: 4, heads: 3 }), SOURCE);
    await flush();
    click(first.$('#sl-heatmap .sl-cell[data-block="1"][data-head="2"]'));
    await flush();
    first.channel.dispose();

    // A new webview document (hidden/shown or window reload) with the state the old one saved.
    const second = startPanel({ store, savedState: first.saved() });
    await second.started;
    await flush();
    assert.equal(second.$('#sl-status').textContent, 'ready');
    assert.equal(second.$$('.sl-token').length, 6);
    assert.deepEqual(second.attentionCalls, [[1, 2]]);
    assert.equal(second.$('#sl-attn-card').hidden, false);
    assert.equal(second.$('.sl-cell.sl-selected')?.dataset.head, '2');
  });

  it('keyboard: arrows move the roving tab stop, Enter selects', async () => {
    const h = startPanel();
    await h.started;
    h.store.setResult(sampleResult({ layers: 4, heads: 3 }), SOURCE);
    await flush();
    const key = (el: HTMLElement, k: string, shiftKey = false) => el.dispatchEvent(new (h.window.KeyboardEvent as unknown as typeof KeyboardEvent)('keydown', { key: k, bubbles: true, shiftKey }));
    const strip = h.$$('.sl-token');
    assert.deepEqual(strip.map((t) => t.getAttribute('tabindex')), ['0', '-1', '-1', '-1', '-1', '-1']);
    key(strip[0] as HTMLElement, 'ArrowRight');
    key(strip[1] as HTMLElement, 'ArrowRight', true);
    await flush();
    assert.equal(h.$$('.sl-token')[2]?.getAttribute('tabindex'), '0');
    assert.deepEqual((h.saved() as { selectedTokens: number[] }).selectedTokens, [0, 1, 2]);

    const first = h.$('.sl-cell[tabindex="0"]');
    assert.equal(first.dataset.block, '0');
    key(first, 'ArrowDown');
    key(h.$('.sl-cell[tabindex="0"]'), 'ArrowRight');
    const focused = h.$('.sl-cell[tabindex="0"]');
    assert.deepEqual([focused.dataset.block, focused.dataset.head], ['1', '1']);
    key(focused, 'Enter');
    await flush();
    assert.deepEqual(h.attentionCalls, [[1, 1]]);
    assert.equal(h.$$('.sl-cell[tabindex="0"]').length, 1);
  });
});
