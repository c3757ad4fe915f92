import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SinkLensError } from '../../../src/shared/errors';
import { EngineAnalyze, EngineCancel, EnginePing } from '../../../src/shared/protocol/engine';
import type { Msg } from '../../../src/shared/protocol/messages';
import { EngineProcess, type EngineExit } from '../../../src/extension/rpc/engineProcess';
import { RpcConnection } from '../../../src/extension/rpc/rpcConnection';

const analyzeParams = (text: string) => ({ modelDir: '/m', loadOptions: {}, text, options: {} });

function fakeChannel() {
  const sent: Msg[] = [];
  return { sent, channel: { send: (m: Msg) => void sent.push(m) } };
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<SinkLensError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof SinkLensError, `expected a SinkLensError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected a rejection with ${code}`);
}

describe('RpcConnection (fake channel)', () => {
  it('gives each request a unique id and resolves it by completionId', async () => {
    const { sent, channel } = fakeChannel();
    const conn = new RpcConnection(channel);
    const a = conn.request(EnginePing, undefined);
    const b = conn.request(EnginePing, undefined);
    assert.equal(sent.length, 2);
    const [ma, mb] = sent as [Msg, Msg];
    assert.notEqual(ma.id, mb.id);
    assert.equal(ma.method, 'engine/ping');
    // Answer out of order: each promise gets its own value.
    conn.handleMessage({ id: 'x1', method: 'engine/ping/response', completionId: mb.id, params: { ok: true, value: { pid: 2, versions: {} } } });
    conn.handleMessage({ id: 'x2', method: 'engine/ping/response', completionId: ma.id, params: { ok: true, value: { pid: 1, versions: {} } } });
    assert.equal((await a).pid, 1);
    assert.equal((await b).pid, 2);
    assert.equal(conn.pendingCount, 0);
  });

  it('routes progress to the request it names and logs to the handler', async () => {
    const { sent, channel } = fakeChannel();
    const logs: string[] = [];
    const conn = new RpcConnection(channel, { onLog: (l, m) => logs.push(`${l}:${m}`) });
    const stagesA: string[] = [];
    const stagesB: string[] = [];
    const a = conn.request(EngineAnalyze, analyzeParams('a'), { onProgress: (p) => stagesA.push(p.stage) });
    const b = conn.request(EngineAnalyze, analyzeParams('b'), { onProgress: (p) => stagesB.push(p.stage) });
    const [ma, mb] = sent as [Msg, Msg];
    conn.handleMessage({ id: 'n1', method: 'engine/didProgress', params: { requestId: ma.id, progress: { stage: 'load' } } });
    conn.handleMessage({ id: 'n2', method: 'engine/didProgress', params: { requestId: mb.id, progress: { stage: 'run' } } });
    conn.handleMessage({ id: 'n3', method: 'engine/didProgress', params: { requestId: 'nobody', progress: { stage: 'metrics' } } });
    conn.handleMessage({ id: 'n4', method: 'engine/didLog', params: { level: 'warn', message: 'hi' } });
    conn.handleMessage({ id: 'r1', method: 'engine/analyze/response', completionId: ma.id, params: { ok: false, error: { code: 'emptyPrompt', message: 'empty' } } });
    conn.handleMessage({ id: 'r2', method: 'engine/analyze/response', completionId: mb.id, params: { ok: true, value: 7 } });
    await rejectsWith(a, 'emptyPrompt');
    assert.equal(await b, 7);
    assert.deepEqual(stagesA, ['load']);
    assert.deepEqual(stagesB, ['run']);
    assert.deepEqual(logs, ['warn:hi']);
  });

  it('drops malformed messages and fails a request whose response is malformed', async () => {
    const { sent, channel } = fakeChannel();
    const invalid: string[] = [];
    const conn = new RpcConnection(channel, { onInvalid: (why) => invalid.push(why) });
    const p = conn.request(EnginePing, undefined);
    conn.handleMessage('garbage');
    conn.handleMessage({ id: 1, method: 'x', params: {} });
    conn.handleMessage({ id: 'u', method: 'engine/whatever', params: {} });
    assert.equal(conn.pendingCount, 1);
    conn.handleMessage({ id: 'r', method: 'engine/ping/response', completionId: (sent[0] as Msg).id, params: { value: 1 } });
    await rejectsWith(p, 'badRequest');
    assert.equal(invalid.length, 4);
  });

  it('abort sends EngineCancel naming the request and rejects at once; a late answer is ignored', async () => {
    const { sent, channel } = fakeChannel();
    const conn = new RpcConnection(channel);
    const ac = new AbortController();
    const p = conn.request(EngineAnalyze, analyzeParams('x'), { signal: ac.signal });
    ac.abort();
    await rejectsWith(p, 'cancelled');
    const cancel = sent[1] as Msg<{ requestId: string }>;
    assert.ok(EngineCancel.is(cancel));
    assert.equal(cancel.params.requestId, (sent[0] as Msg).id);
    conn.handleMessage({ id: 'late', method: 'engine/analyze/response', completionId: (sent[0] as Msg).id, params: { ok: true, value: 1 } });
    assert.equal(conn.pendingCount, 0);
    // An already-aborted signal never reaches the channel.
    await rejectsWith(conn.request(EngineAnalyze, analyzeParams('y'), { signal: ac.signal }), 'cancelled');
    assert.equal(sent.length, 2);
  });

  it('times out with engineTimeout', async () => {
    const { channel } = fakeChannel();
    const conn = new RpcConnection(channel);
    await rejectsWith(conn.request(EnginePing, undefined, { timeoutMs: 5 }), 'engineTimeout');
  });

  it('close() rejects everything pending with the given error and refuses new requests', async () => {
    const { channel } = fakeChannel();
    const conn = new RpcConnection(channel);
    const ps = [conn.request(EnginePing, undefined), conn.request(EngineAnalyze, analyzeParams('z'))];
    conn.close({ code: 'engineCrashed', message: 'gone' });
    for (const p of ps) await rejectsWith(p, 'engineCrashed');
    await rejectsWith(conn.request(EnginePing, undefined), 'engineCrashed');
  });

  it('a send that throws rejects the request as engineCrashed', async () => {
    const conn = new RpcConnection({
      send: () => {
        throw new Error('channel closed');
      },
    });
    const e = await rejectsWith(conn.request(EnginePing, undefined), 'engineCrashed');
    assert.match(e.message, /channel closed/);
  });
});

describe('EngineProcess (real forked child)', () => {
  const script = join(__dirname, 'fakeEngine.mjs');

  function engine(opts: { cancelGraceMs?: number } = {}) {
    const logs: string[] = [];
    const crashes: EngineExit[] = [];
    const ep = new EngineProcess({ script, ...opts, onLog: (l, m) => logs.push(`${l} ${m}`), onCrash: (x) => crashes.push(x) });
    return { ep, logs, crashes };
  }

  it('starts the engine with glibc\'s huge-page tunable on Linux, keeping tunables the user set', async (t) => {
    const { ep } = engine();
    t.after(() => ep.dispose());
    const saved = process.env['GLIBC_TUNABLES'];
    t.after(() => (saved === undefined ? delete process.env['GLIBC_TUNABLES'] : (process.env['GLIBC_TUNABLES'] = saved)));
    process.env['GLIBC_TUNABLES'] = 'glibc.malloc.arena_max=2';
    const r = (await ep.request(EngineAnalyze, analyzeParams('env'))) as unknown as { glibcTunables: string | null };
    if (process.platform === 'linux') assert.equal(r.glibcTunables, 'glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1');
    else assert.equal(r.glibcTunables, 'glibc.malloc.arena_max=2');
  });

  it('answers requests, routes progress and engine logs/stderr', async (t) => {
    const { ep, logs } = engine();
    t.after(() => ep.dispose());
    const stages: string[] = [];
    const r = (await ep.request(EngineAnalyze, analyzeParams('hello'), { onProgress: (p) => stages.push(p.stage) })) as unknown as {
      text: string;
      pid: number;
      bytes: Float32Array;
    };
    assert.equal(r.text, 'hello');
    assert.equal(r.pid, ep.pid);
    assert.ok(r.bytes instanceof Float32Array, 'advanced serialization keeps typed arrays');
    assert.deepEqual(Array.from(r.bytes), [1.5, 2.5]);
    assert.deepEqual(stages, ['tokenize', 'run']);
    assert.ok(logs.some((l) => l === 'debug [engine] analyzing 5 chars'), logs.join('\n'));
    await waitFor(() => logs.some((l) => /\[engine stderr\] fake engine \d+ up/.test(l)));
  });

  for (const how of ['crash', 'kill'] as const) {
    it(`${how}: every pending request rejects with engineCrashed and the next request forks a fresh engine`, async (t) => {
      const { ep, crashes } = engine();
      t.after(() => ep.dispose());
      const first = await ep.request(EnginePing, undefined);
      const pid1 = ep.pid;
      assert.equal(first.pid, pid1);
      const hanging = ep.request(EngineAnalyze, analyzeParams('hang'));
      const dying = ep.request(EngineAnalyze, analyzeParams(how));
      await rejectsWith(dying, 'engineCrashed');
      await rejectsWith(hanging, 'engineCrashed');
      assert.equal(crashes.length, 1);
      assert.equal(crashes[0]?.rejected, 2);
      assert.equal(crashes[0]?.pid, pid1);
      if (how === 'kill') assert.equal(crashes[0]?.signal, 'SIGKILL');
      else assert.equal(crashes[0]?.code, 3);
      assert.equal(ep.pid, undefined);
      const again = await ep.request(EnginePing, undefined);
      assert.notEqual(again.pid, pid1);
      assert.equal(ep.pid, again.pid);
      assert.equal(ep.startCount, 2);
    });
  }

  it('an external kill of an idle engine is noticed; cancel of a hung request answers cancelled', async (t) => {
    const { ep, crashes } = engine();
    t.after(() => ep.dispose());
    await ep.request(EnginePing, undefined);
    const ac = new AbortController();
    const hung = ep.request(EngineAnalyze, analyzeParams('hang'), { signal: ac.signal });
    ac.abort();
    await rejectsWith(hung, 'cancelled');
    process.kill(ep.pid as number, 'SIGKILL');
    await waitFor(() => crashes.length === 1);
    assert.equal(ep.pid, undefined);
    const r = await ep.request(EnginePing, undefined);
    assert.ok(r.pid > 0);
  });

  it('a cancel the engine cannot honour in time restarts it; the request queued behind it is answered by the fresh engine', async (t) => {
    const { ep, logs, crashes } = engine({ cancelGraceMs: 500 });
    t.after(() => ep.dispose());
    await ep.request(EnginePing, undefined);
    const pid1 = ep.pid;
    const ac = new AbortController();
    const stuck = ep.request(EngineAnalyze, analyzeParams('busy:30000'), { signal: ac.signal });
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    ac.abort();
    await rejectsWith(stuck, 'cancelled');
    assert.ok(Date.now() - t0 < 100, 'the cancel settles at once');
    const next = (await ep.request(EngineAnalyze, analyzeParams('after'))) as unknown as { text: string; pid: number };
    const ms = Date.now() - t0;
    assert.equal(next.text, 'after');
    assert.notEqual(next.pid, pid1, 'answered by a fresh engine');
    assert.ok(ms < 5000, `answered ${ms} ms after the cancel (the stuck engine would have taken 30 s)`);
    assert.equal(ep.startCount, 2);
    assert.equal(crashes.length, 0, 'a deliberate restart is not reported as a crash');
    assert.ok(logs.some((l) => /did not stop engine\/analyze within 500 ms of a cancel; restarting it/.test(l)), logs.join('\n'));
  });

  it('a cancel the engine honours in time keeps the engine', async (t) => {
    const { ep } = engine({ cancelGraceMs: 300 });
    t.after(() => ep.dispose());
    await ep.request(EnginePing, undefined);
    const ac = new AbortController();
    const hung = ep.request(EngineAnalyze, analyzeParams('hang'), { signal: ac.signal });
    ac.abort();
    await rejectsWith(hung, 'cancelled');
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(ep.startCount, 1);
    assert.ok(((await ep.request(EnginePing, undefined)) as { pid: number }).pid > 0);
    assert.equal(ep.startCount, 1);
  });

  it('stop() rejects pending requests as cancelled without reporting a crash', async () => {
    const { ep, crashes } = engine();
    await ep.request(EnginePing, undefined);
    const hung = ep.request(EngineAnalyze, analyzeParams('hang'));
    ep.stop();
    await rejectsWith(hung, 'cancelled');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(crashes.length, 0);
  });

  it('a missing engine program is a clear error, not a crash', async () => {
    const ep = new EngineProcess({ script: join(__dirname, 'no-such-engine.js'), onLog: () => undefined });
    const e = await rejectsWith(ep.request(EnginePing, undefined), 'internal');
    assert.match(e.message, /missing/);
  });
});

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) assert.fail('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
