import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SinkLensError } from '../../../src/shared/errors';
import { PendingRequests, type Timers } from '../../../src/shared/protocol/pending';
import { GetAttention } from '../../../src/shared/protocol/panel';
import { HostIpc } from '../../../src/webview/ipc';

/** Timers that fire only when told to. */
function manualTimers(): Timers & { fire(): void; live: number } {
  const timers = new Map<number, () => void>();
  let n = 0;
  return {
    setTimeout: (fn) => (timers.set(++n, fn), n),
    clearTimeout: (h) => void timers.delete(h as number),
    fire: () => [...timers.values()].forEach((f) => f()),
    get live() {
      return timers.size;
    },
  };
}

const codeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof SinkLensError);
    return e.code;
  }
  return 'resolved';
};

describe('PendingRequests', () => {
  it('numbers ids per prefix and settles each request once, by id', async () => {
    const p = new PendingRequests<string>('x-', manualTimers());
    const [a, b] = [p.nextId(), p.nextId()];
    assert.deepEqual([a, b], ['x-1', 'x-2']);
    const ra = p.add<number>(a, { meta: 'A' });
    const rb = p.add<number>(b, { meta: 'B' });
    assert.equal(p.meta(b), 'B');
    assert.equal(p.settle(b, { ok: true, value: 2 }), true);
    assert.equal(p.settle(b, { ok: true, value: 3 }), false, 'a second answer is ignored');
    assert.equal(p.settle(a, { ok: false, error: { code: 'emptyPrompt', message: 'empty' } }), true);
    assert.equal(await rb, 2);
    assert.equal(await codeOf(ra), 'emptyPrompt');
    assert.equal(p.size, 0);
  });

  it('times out with the given error after running onTimeout, and clears timers of settled requests', async () => {
    const t = manualTimers();
    const p = new PendingRequests('t-', t);
    let told = 0;
    let cleaned = 0;
    const slow = p.add('t-1', { meta: undefined, timeoutMs: 5, onTimeout: () => told++, timeoutError: () => ({ code: 'engineTimeout', message: 'late' }), cleanup: () => cleaned++ });
    const quick = p.add('t-2', { meta: undefined, timeoutMs: 5 });
    p.settle('t-2', { ok: true, value: 'ok' });
    assert.equal(t.live, 1, 'the answered request no longer has a timer');
    t.fire();
    assert.equal(await codeOf(slow), 'engineTimeout');
    assert.equal(await quick, 'ok');
    assert.deepEqual([told, cleaned], [1, 1]);
  });

  it('cancels one request and rejects all the others at once', async () => {
    const p = new PendingRequests('c-', manualTimers());
    const one = p.add('c-1', { meta: undefined });
    const two = p.add('c-2', { meta: undefined });
    const three = p.add('c-3', { meta: undefined });
    assert.equal(p.cancel('c-1'), true);
    p.rejectAll({ code: 'engineCrashed', message: 'gone' });
    assert.deepEqual(await Promise.all([codeOf(one), codeOf(two), codeOf(three)]), ['cancelled', 'engineCrashed', 'engineCrashed']);
    assert.equal(p.size, 0);
  });
});

describe('webview HostIpc timeouts', () => {
  it('reports an unanswered panel request as panelTimeout, not as an engine timeout', async () => {
    const sent: unknown[] = [];
    const ipc = new HostIpc({ postMessage: (m) => sent.push(m), getState: () => undefined, setState: () => undefined }, { addEventListener: () => undefined, removeEventListener: () => undefined }, 5);
    assert.equal(await codeOf(ipc.request(GetAttention, { block: 0, head: 0 })), 'panelTimeout');
    assert.equal((sent[0] as { method: string }).method, GetAttention.method);
    ipc.dispose();
  });
});
