/**
 * The panel's next-token loss and intervention consequences: the per-token loss strip under the tokens,
 * and in the overlay area what was changed, the mean loss before → after, the per-token change and the
 * top-k before and after — all as text, readable without hovering. Expected numbers come from
 * sampleLoss's closed form.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fmtNum } from '../../../src/webview/model/format';
import { defaultSpec, fmtSigned, lossStripView, parseSpecs, topKView, withPosition } from '../../../src/webview/model/intervention';
import { overlayView } from '../../../src/webview/model/overlay';
import { flush, startPanel } from './support/harness';
import { sampleLoss, sampleResult } from './support/sampleResult';

const SOURCE = { uri: 'file:///p.prompt', offset: 0 };
const texts = (els: ArrayLike<Element>): string[] => Array.from(els, (e) => e.textContent ?? '');

describe('loss and intervention view-models', () => {
  it('the baseline strip: token 0 has no loss, token t + 1 shows the loss of predicting it; shading by magnitude', () => {
    const r = sampleResult({ loss: true });
    const v = lossStripView(r, false)!;
    assert.equal(v.mode, 'loss');
    assert.deepEqual(
      v.cells.map((c) => c.text),
      ['–', ...[0, 1, 2, 3, 4].map((t) => fmtNum(sampleLoss(t)))],
    );
    assert.equal(v.cells[5]!.heat, 1, 'the largest loss is the darkest');
    assert.equal(v.cells[1]!.heat, sampleLoss(0) / sampleLoss(4));
    assert.match(v.title, /mean 2\.50$/);
    assert.equal(lossStripView(sampleResult(), false), null, 'no loss, no strip');
  });

  it('the delta strip when the overlay is shown: signed changes, up = harder to predict', () => {
    const v = lossStripView(sampleResult({ ablation: true, loss: true }), true)!;
    assert.equal(v.mode, 'delta');
    assert.deepEqual(v.cells.map((c) => c.text), ['–', '+1.50', '+0.10', '+0.10', '+0.10', '+0.10']);
    assert.deepEqual(v.cells.map((c) => c.direction), ['none', 'up', 'up', 'up', 'up', 'up']);
    assert.match(v.title, /mean \+0\.38$/);
    assert.equal(fmtSigned(-0.031), '−0.03');
  });

  it('top-k before and after: the verdict and the moved tokens', () => {
    const v = topKView(sampleResult({ ablation: true, loss: true }).ablation!)!;
    assert.equal(v.verdict, 'next token changed: “ the” → “ a”');
    assert.deepEqual(v.before, [{ text: '“ the”', prob: '0.40', moved: true }]);
    assert.deepEqual(v.after, [{ text: '“ a”', prob: '0.30', moved: true }]);
  });

  it('the header names an intervention by its written form, a plain ablation as before', () => {
    const r = sampleResult({ ablation: true, loss: true });
    assert.equal(overlayView(r, true, false).header, 'intervention mlp@1:bos=zero head@3.2=zero (overlay shown)');
    assert.equal(overlayView(sampleResult({ ablation: true }), true, false).header, 'ablated BOS MLP write @ block 1 (overlay shown)');
  });
});

describe('loss and intervention in the panel', () => {
  it('the loss strip under the tokens, one cell per token with its number printed', async () => {
    const h = startPanel();
    await h.started;
    h.store.setResult(sampleResult({ loss: true }), SOURCE);
    await flush();
    const box = h.$('#sl-loss');
    assert.equal(box.hidden, false);
    assert.deepEqual(texts(box.querySelectorAll('.sl-loss-value')), ['–', '2', '2.25', '2.50', '2.75', '3']);
    // The same token labels as the strip above it, in the same order.
    assert.deepEqual(texts(box.querySelectorAll('.sl-loss-token')), texts(h.$('#sl-token-strip').querySelectorAll('.sl-token')));
    assert.deepEqual(texts(box.querySelectorAll('.sl-loss-token')), ['<s>', 'Once', ' upon', ' a', ' time', '↵']);
    assert.match(box.querySelector('.sl-loss-title')?.textContent ?? '', /Next-token loss per token \(nats.*mean 2\.50/);
    h.store.setResult(sampleResult(), SOURCE);
    await flush();
    assert.ok(h.$('#sl-loss').hidden, 'a result without a loss hides it');
  });

  it('the overlay area: what changed, the loss before → after, top-k before/after and the per-token change', async () => {
    const h = startPanel({ savedState: { ablationOverlay: true } });
    await h.started;
    h.store.setResult(sampleResult({ ablation: true, loss: true }), SOURCE);
    await flush();
    const box = h.$('#sl-ablation-summary');
    assert.equal(box.hidden, false);
    assert.equal(
      box.querySelector('#sl-ablation-effect')?.textContent,
      'Zero the MLP write at BOS in block 1; head 2 of block 3 off: spike removed · valley removed · max sink rate 0.60 → 0.90',
    );
    assert.equal(box.querySelector('#sl-ablation-loss')?.textContent, 'next-token loss 2.50 → 2.88 nats (+0.38, mean over 5 predictions)');
    assert.equal(box.querySelector('.sl-topk-verdict')?.textContent, 'next token changed: “ the” → “ a”');
    assert.deepEqual(texts(box.querySelectorAll('.sl-topk-row')), ['before“ the” 0.40', 'after“ a” 0.30']);
    assert.deepEqual(texts(box.querySelectorAll('#sl-loss-delta .sl-loss-value')), ['–', '+1.50', '+0.10', '+0.10', '+0.10', '+0.10']);
    assert.equal(h.$('#sl-header-ablation').textContent, 'intervention mlp@1:bos=zero head@3.2=zero (overlay shown)');
  });
});

describe('the intervention field', () => {
  it('defaultSpec, parseSpecs, withPosition', () => {
    assert.equal(defaultSpec(sampleResult()), 'mlp@1:bos=zero', 'the spike writer at BOS in the spike blocks');
    assert.equal(defaultSpec(sampleResult({ ablation: true, loss: true })), 'mlp@1:bos=zero head@3.2=zero', 'the interventions shown');
    const ok = parseSpecs('attn@2-3:pos=4=scale:0.5; head@1.0=zero');
    assert.deepEqual(ok, {
      ok: true,
      list: [
        { target: 'attn', blocks: [2, 3], position: 4, op: 'scale', factor: 0.5 },
        { target: 'head', block: 1, head: 0, op: 'zero' },
      ],
    });
    const bad = parseSpecs('mlp@1=melt');
    assert.equal(bad.ok, false);
    assert.match(bad.ok ? '' : bad.error, /^'mlp@1=melt': not an intervention; expected mlp\|attn@BLOCKS/);
    assert.match((parseSpecs('mlp@1=zero mlp@1:pos=2=mean') as { error: string }).error, /Two interventions on mlp@1/);
    assert.equal(withPosition('mlp@1:bos=zero attn@2-3=mean head@1.0=zero', 4), 'mlp@1:pos=4=zero attn@2-3:pos=4=mean head@1.0=zero');
    assert.equal(withPosition('mlp@1:pos=4=scale:2', 0), 'mlp@1:bos=scale:2');
  });

  it('typing a spec and Run asks the host for exactly those interventions and shows the result as the overlay', async () => {
    const withLoss = sampleResult({ ablation: true, loss: true });
    const h = startPanel({ ablated: () => withLoss });
    await h.started;
    h.store.setResult(sampleResult({ loss: true }), SOURCE);
    await flush();
    const spec = h.$('#sl-intervene-spec') as HTMLInputElement;
    assert.equal(spec.value, 'mlp@1:bos=zero', 'prefilled with what the toggle would run');
    // A token selection moves the position there.
    h.$('#sl-token-strip').querySelectorAll<HTMLElement>('.sl-token')[3]!.click();
    await flush();
    h.$('#sl-intervene-pos').click();
    assert.equal(spec.value, 'mlp@1:pos=3=zero');
    spec.value = 'bogus';
    h.$('#sl-intervene-run').click();
    await flush();
    assert.match(h.$('#sl-intervene-hint').textContent ?? '', /'bogus': not an intervention/);
    assert.deepEqual(h.interventionCalls, [], 'nothing is sent for a bad spec');
    spec.value = 'mlp@1:bos=zero head@3.2=zero';
    spec.dispatchEvent(new (h.window.Event as unknown as typeof Event)('input'));
    h.$('#sl-intervene-run').click();
    await flush();
    assert.deepEqual(h.interventionCalls, [
      [
        { target: 'mlp', blocks: [1], position: 'bos', op: 'zero' },
        { target: 'head', block: 3, head: 2, op: 'zero' },
      ],
    ]);
    assert.equal(h.$('#sl-ablation-summary').hidden, false);
    assert.match(h.$('#sl-ablation-loss').textContent ?? '', /^next-token loss 2\.50 → 2\.88 nats/);
    assert.equal((h.$('#sl-ablation-toggle') as HTMLElement & { checked: boolean }).checked, true);
    // The same interventions again: the host answers without a re-run.
    h.$('#sl-intervene-run').click();
    await flush();
    assert.equal(h.interventionCalls.length, 1);
  });
});
