import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SinkLensError } from '../../../src/shared/errors';
import { EngineAnalyze, EngineCancel } from '../../../src/shared/protocol/engine';
import type { Msg } from '../../../src/shared/protocol/messages';
import { RpcConnection } from '../../../src/extension/rpc/rpcConnection';
import { SingleFlight } from '../../../src/extension/singleFlight';

describe('SingleFlight', () => {
  it('a new flight aborts the previous one; only the newest is current', () => {
    const sf = new SingleFlight();
    const a = sf.start();
    assert.equal(sf.busy, true);
    const b = sf.start();
    assert.equal(a.signal.aborted, true);
    assert.equal(b.signal.aborted, false);
    assert.equal(a.isCurrent(), false);
    assert.equal(b.isCurrent(), true);
    assert.equal(a.end(), false, 'a superseded flight does not clear busy');
    assert.equal(sf.busy, true);
    assert.equal(b.end(), true);
    assert.equal(sf.busy, false);
    assert.equal(b.isCurrent(), false);
  });

  it('cancel() aborts the running flight, which stays current until it ends', () => {
    const sf = new SingleFlight();
    const a = sf.start();
    sf.cancel();
    assert.equal(a.signal.aborted, true);
    assert.equal(a.isCurrent(), true, 'a user-cancelled run still owns the status (it reports "cancelled")');
    assert.equal(a.end(), true);
  });

  it('with the RPC: the engine sees analyze A, cancel A, analyze B in that order, never two open runs', async () => {
    const sent: Msg[] = [];
    const conn = new RpcConnection({ send: (m) => void sent.push(m) });
    const sf = new SingleFlight();
    const run = (text: string) => {
      const f = sf.start();
      return conn.request(EngineAnalyze, { modelDir: '/m', loadOptions: {}, text, options: {} }, { signal: f.signal });
    };
    const a = run('first');
    const b = run('second');
    await assert.rejects(a, (e) => SinkLensError.is(e, 'cancelled'));
    assert.deepEqual(
      sent.map((m) => m.method),
      ['engine/analyze', 'engine/cancel', 'engine/analyze'],
    );
    assert.ok(EngineCancel.is(sent[1] as Msg));
    assert.equal((sent[1] as Msg<{ requestId: string }>).params.requestId, (sent[0] as Msg).id);
    assert.equal(conn.pendingCount, 1);
    conn.handleMessage({ id: 'r', method: 'engine/analyze/response', completionId: (sent[2] as Msg).id, params: { ok: true, value: 'B' } });
    assert.equal(await b, 'B');
  });
});
