import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PanelChannel, type ChannelHandlers } from '../../../src/extension/panel/panelChannel';
import { panelHandlers } from '../../../src/extension/panel/panelHandlers';
import { PanelStore } from '../../../src/extension/panel/panelStore';
import { SinkLensError } from '../../../src/shared/errors';
import type { Msg } from '../../../src/shared/protocol/messages';
import { DidChangeSnapshot, DidChangeStatus, GetAttention, PanelReady, validatePanelMessage } from '../../../src/shared/protocol/panel';
import { sampleResult } from '../webview/support/sampleResult';

function fakeWebview() {
  const posted: Msg[] = [];
  let listener: (m: unknown) => void = () => undefined;
  return {
    posted,
    send: (m: unknown) => listener(m),
    port: {
      postMessage: async (m: unknown) => {
        posted.push(m as Msg);
        return true;
      },
      onDidReceiveMessage: (l: (m: unknown) => void) => {
        listener = l;
        return { dispose: () => undefined };
      },
    },
  };
}

const tick = () => new Promise((r) => setTimeout(r, 0));
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

function handlers(over: Partial<ChannelHandlers> = {}): ChannelHandlers {
  return {
    bootstrap: () => ({ snapshot: null, status: { kind: 'idle' } }),
    getAttention: async (block, head) => ({ block, head, tokens: 1, data: [1] }),
    setAblation: async () => ({ rerun: false }),
    setLogitLens: async () => ({ rerun: false }),
    setTokenLoss: async () => ({ rerun: false }),
    revealTokens: () => undefined,
    openPanel: () => undefined,
    ...over,
  };
}

const ready = (id = 'r1') => ({ id, method: PanelReady.method, params: { clientId: 'c', view: 'panel' } });

describe('host panel channel', () => {
  it('queues posts until Ready, answers Ready with the state, then flushes in order', async () => {
    const w = fakeWebview();
    const ch = new PanelChannel(w.port, handlers(), silent);
    ch.notify(DidChangeStatus, { status: { kind: 'running', progress: { stage: 'load' } } });
    ch.notify(DidChangeStatus, { status: { kind: 'idle' } });
    // State pushes before Ready are superseded by the Ready answer, so they are not queued.
    ch.notifyState(DidChangeSnapshot, { snapshot: null });
    assert.equal(w.posted.length, 0);
    w.send(ready());
    await tick();
    assert.deepEqual(
      w.posted.map((m) => m.method),
      ['panel/ready/response', 'panel/didChangeStatus', 'panel/didChangeStatus'],
    );
    assert.equal(w.posted[0]?.completionId, 'r1');
    for (const m of w.posted) assert.ok(validatePanelMessage(m, 'toWebview').ok);
    ch.notifyState(DidChangeSnapshot, { snapshot: null });
    assert.equal(w.posted.length, 4);
  });

  it('after markNotReady (webview destroyed), a new Ready gets the current state again', async () => {
    const w = fakeWebview();
    const store = new PanelStore();
    const ch = new PanelChannel(w.port, panelHandlers(store, { requestAttention: async () => Promise.reject(new Error('x')), requestAblation: async () => undefined, requestLogitLens: async () => undefined, revealTokens: () => undefined, requestTokenLoss: async () => undefined }, () => undefined), silent);
    w.send(ready('a'));
    await tick();
    ch.markNotReady();
    store.setResult(sampleResult(), { uri: 'u', offset: 0 });
    ch.notifyState(DidChangeSnapshot, { snapshot: store.current() });
    assert.equal(w.posted.length, 1);
    w.send(ready('b'));
    await tick();
    const answer = w.posted[1] as Msg<{ ok: true; value: { snapshot: { result: { tokens: unknown[] } } } }>;
    assert.equal(answer.completionId, 'b');
    assert.equal(answer.params.value.snapshot.result.tokens.length, 6);
  });

  it('answers requests by id; handler failures travel as {code, message}', async () => {
    const w = fakeWebview();
    new PanelChannel(w.port, handlers({ getAttention: async () => Promise.reject(new SinkLensError('engineCrashed', 'The engine died.', 'stack...')) }), silent);
    w.send({ id: 'q1', method: GetAttention.method, params: { block: 0, head: 0 } });
    await tick();
    assert.deepEqual(w.posted[0]?.params, { ok: false, error: { code: 'engineCrashed', message: 'The engine died.' } });
    assert.equal(w.posted[0]?.completionId, 'q1');
  });

  it('rejects malformed messages; a malformed request still gets a badRequest answer', async () => {
    const w = fakeWebview();
    const logs: string[] = [];
    let calls = 0;
    new PanelChannel(w.port, handlers({ getAttention: async () => (calls++, { block: 0, head: 0, tokens: 0, data: [] }) }), { ...silent, warn: (m) => logs.push(m) });
    w.send({ id: 'q2', method: GetAttention.method, params: { block: 'all', head: 0 } });
    w.send({ id: 'q3', method: DidChangeSnapshot.method, params: { snapshot: null } });
    w.send('not even an object');
    await tick();
    assert.equal(calls, 0);
    assert.equal(logs.length, 3);
    assert.deepEqual(
      w.posted.map((m) => [m.completionId, (m.params as { ok: boolean }).ok]),
      [
        ['q2', false],
        ['q3', false],
      ],
    );
    assert.equal((w.posted[0]?.params as { error: { code: string } }).error.code, 'badRequest');
  });

  it('logit lens: the host re-runs only when the snapshot has no lens data yet, keeping the source', async () => {
    const store = new PanelStore();
    const calls: boolean[] = [];
    const h = panelHandlers(
      store,
      { requestAttention: async () => Promise.reject(new Error('x')), requestAblation: async () => undefined, requestLogitLens: async (on) => (calls.push(on), sampleResult({ lens: true })), revealTokens: () => undefined, requestTokenLoss: async () => undefined },
      () => undefined,
    );
    assert.deepEqual(await h.setLogitLens(true), { rerun: false }); // nothing to re-run
    store.setResult(sampleResult(), { uri: 'u', offset: 3 });
    assert.deepEqual(await h.setLogitLens(false), { rerun: false });
    assert.deepEqual(await h.setLogitLens(true), { rerun: true });
    assert.deepEqual(calls, [true]);
    assert.deepEqual(store.current()?.source, { uri: 'u', offset: 3 });
    assert.notEqual(store.current()?.result.baseline.layers[0]?.logitLens, null);
    assert.deepEqual(await h.setLogitLens(true), { rerun: false });
    assert.deepEqual(calls, [true]);
  });

  it('per-token loss: the host re-runs only when the shown result has no loss and at least two tokens, keeping the source', async () => {
    const store = new PanelStore();
    const calls: boolean[] = [];
    const h = panelHandlers(
      store,
      { requestAttention: async () => Promise.reject(new Error('x')), requestAblation: async () => undefined, requestLogitLens: async () => undefined, requestTokenLoss: async (on) => (calls.push(on), sampleResult({ loss: true })), revealTokens: () => undefined },
      () => undefined,
    );
    assert.deepEqual(await h.setTokenLoss(true), { rerun: false }); // nothing shown
    store.setResult(sampleResult(), { uri: 'u', offset: 3 });
    assert.deepEqual(await h.setTokenLoss(false), { rerun: false });
    assert.deepEqual(await h.setTokenLoss(true), { rerun: true });
    assert.deepEqual(calls, [true]);
    assert.deepEqual(store.current()?.source, { uri: 'u', offset: 3 });
    assert.ok(store.current()?.result.baseline.tokenLoss);
    assert.deepEqual(await h.setTokenLoss(true), { rerun: false });
    const one = sampleResult();
    one.tokens = one.tokens.slice(0, 1);
    store.setResult(one, { uri: 'u', offset: 0 });
    assert.deepEqual(await h.setTokenLoss(true), { rerun: false }, 'a one-token prompt predicts nothing');
    assert.deepEqual(calls, [true]);
  });

  it('logit lens: the channel answers SetLogitLens by id through its handler', async () => {
    const w = fakeWebview();
    const seen: boolean[] = [];
    new PanelChannel(w.port, handlers({ setLogitLens: async (on) => (seen.push(on), { rerun: on }) }), silent);
    w.send({ id: 'q1', method: 'panel/setLogitLens', params: { on: true } });
    await tick();
    assert.deepEqual(seen, [true]);
    const answer = w.posted.find((m) => m.completionId === 'q1');
    assert.equal(answer?.method, 'panel/setLogitLens/response');
    assert.deepEqual(answer?.params, { ok: true, value: { rerun: true } });
  });

  it('ablation: the host re-runs only when the snapshot has no ablation yet', async () => {
    const store = new PanelStore();
    let runs = 0;
    const h = panelHandlers(store, { requestAttention: async () => Promise.reject(new Error('x')), requestAblation: async () => (runs++, sampleResult({ ablation: true })), requestLogitLens: async () => undefined, revealTokens: () => undefined, requestTokenLoss: async () => undefined }, () => undefined);
    assert.deepEqual(await h.setAblation(true), { rerun: false }); // nothing to re-run
    store.setResult(sampleResult(), { uri: 'u', offset: 3 });
    assert.deepEqual(await h.setAblation(false), { rerun: false });
    assert.deepEqual(await h.setAblation(true), { rerun: true });
    assert.equal(runs, 1);
    assert.deepEqual(store.current()?.source, { uri: 'u', offset: 3 });
    assert.deepEqual(await h.setAblation(true), { rerun: false });
    assert.equal(runs, 1);
  });

  it('interventions: the host re-runs with them unless the snapshot was run with exactly them', async () => {
    const store = new PanelStore();
    const asked: unknown[] = [];
    const shown = sampleResult({ ablation: true, loss: true });
    const h = panelHandlers(store, { requestAttention: async () => Promise.reject(new Error('x')), requestAblation: async (_on, iv) => (asked.push(iv), shown), requestLogitLens: async () => undefined, revealTokens: () => undefined, requestTokenLoss: async () => undefined }, () => undefined);
    store.setResult(sampleResult({ ablation: true }), { uri: 'u', offset: 0 });
    const list = shown.ablation!.interventions!;
    assert.deepEqual(await h.setAblation(true, list), { rerun: true }, 'a plain ablation is not these interventions');
    assert.deepEqual(asked, [list]);
    assert.deepEqual(await h.setAblation(true, list), { rerun: false }, 'already shown');
    assert.deepEqual(await h.setAblation(true, [{ target: 'attn', blocks: [0], position: 2, op: 'mean' }]), { rerun: true });
    assert.equal(asked.length, 2);
  });
});
