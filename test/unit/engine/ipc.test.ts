/**
 * The engine process as the extension forks it: requests over Node IPC get exactly one response
 * each, progress arrives as notifications, errors travel as data, and the model stays cached.
 */
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EngineAnalyze, EngineAttention, EngineDidLog, EngineDidProgress, EngineLoad, EnginePing } from '../../../src/shared/protocol/engine';
import type { Msg, ResponsePayload } from '../../../src/shared/protocol/messages';
import type { AnalysisResult, AttentionMap, ModelInfo } from '../../../src/shared/result';
import { DEMO_MODEL_DIR, PROJECT_ROOT } from '../../support/fixtures';

let child: ChildProcess;
const inbox: Msg[] = [];
let seq = 0;

function request<R>(method: string, params: unknown, raw?: object): Promise<ResponsePayload<R>> {
  const id = `t${++seq}`;
  child.send(raw ? { id, ...raw } : { id, method, params });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no response to ${method} within 60 s`)), 60_000);
    const onMsg = (m: Msg) => {
      if (m.completionId === id) {
        clearTimeout(timer);
        child.off('message', onMsg);
        resolve(m.params as ResponsePayload<R>);
      }
    };
    child.on('message', onMsg);
  });
}

before(() => {
  child = fork(join(PROJECT_ROOT, 'src/engine/main.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  child.on('message', (m: Msg) => inbox.push(m));
});
after(() => {
  child.kill();
});

describe('engine process over IPC', () => {
  test('ping', async () => {
    const r = await request<{ pid: number }>(EnginePing.method, null);
    assert.ok(r.ok && r.value.pid === child.pid);
  });

  test('analyze returns a result with progress notifications; the model is cached', async () => {
    const params = { modelDir: DEMO_MODEL_DIR, loadOptions: {}, text: 'Once upon a time there was a cat.', options: {} };
    const r1 = await request<AnalysisResult>(EngineAnalyze.method, params);
    assert.ok(r1.ok, JSON.stringify(r1));
    assert.equal(r1.value.baseline.layers.length, 7);
    assert.ok(inbox.some((m) => m.method === EngineDidProgress.method), 'progress notifications');
    const r2 = await request<AnalysisResult>(EngineAnalyze.method, params);
    assert.ok(r2.ok);
    assert.equal(r2.value.timings.loadMs, r1.value.timings.loadMs, 'same cached model (load time not re-measured)');
    assert.deepEqual(r2.value.baseline.layers.map((l) => l.bosRatio), r1.value.baseline.layers.map((l) => l.bosRatio));
  });

  test('engine/load loads a model ahead of its requests, which then use it (loadShare.test.ts: one load when they overlap)', async () => {
    const loadOptions = { threads: 1 }; // not the options above: a model this process has not loaded yet
    const text = 'Once upon a time there was a cat.';
    const [loaded, analysed] = await Promise.all([
      request<ModelInfo>(EngineLoad.method, { modelDir: DEMO_MODEL_DIR, loadOptions }),
      request<AnalysisResult>(EngineAnalyze.method, { modelDir: DEMO_MODEL_DIR, loadOptions, text, options: {} }),
    ]);
    assert.ok(loaded.ok && analysed.ok, JSON.stringify([loaded, analysed]).slice(0, 400));
    assert.equal(loaded.value.name, analysed.value.model.name);
    const logs = inbox.filter((m) => m.method === EngineDidLog.method).map((m) => (m.params as { message: string }).message);
    assert.ok(logs.some((l) => /^loaded .+ ahead of its first request \(\d+ ms, warm-up \d+ ms\)$/.test(l)), logs.join('\n'));
    const again = await request<ModelInfo>(EngineLoad.method, { modelDir: DEMO_MODEL_DIR, loadOptions });
    assert.ok(again.ok && again.value.name === loaded.value.name);
    const missing = await request(EngineLoad.method, { modelDir: '/nonexistent', loadOptions: {} });
    assert.ok(!missing.ok && missing.error.code === 'modelNotFound', JSON.stringify(missing));
  });

  test('attention map of one head: rows are causal distributions', async () => {
    const r = await request<AttentionMap>(EngineAttention.method, {
      modelDir: DEMO_MODEL_DIR,
      loadOptions: {},
      request: { text: 'The dog ran.', options: {}, block: 2, head: 3 },
    });
    assert.ok(r.ok, JSON.stringify(r));
    const T = r.value.tokens;
    for (let i = 0; i < T; i++) {
      const row = r.value.data.slice(i * T, (i + 1) * T);
      const sum = row.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - 1) < 1e-4, `row ${i} sums to ${sum}`);
      for (let j = i + 1; j < T; j++) assert.ok((row[j] as number) < 1e-6, `causal: [${i}][${j}] = ${row[j]}`);
    }
  });

  test('errors travel as data', async () => {
    const missing = await request(EngineAnalyze.method, { modelDir: '/nonexistent', loadOptions: {}, text: 'x', options: {} });
    assert.ok(!missing.ok && missing.error.code === 'modelNotFound', JSON.stringify(missing));
    const empty = await request(EngineAnalyze.method, { modelDir: DEMO_MODEL_DIR, loadOptions: {}, text: '', options: {} });
    assert.ok(!empty.ok && empty.error.code === 'emptyPrompt', JSON.stringify(empty));
    const unknown = await request('engine/nope', {});
    assert.ok(!unknown.ok && unknown.error.code === 'badRequest');
    const malformed = await request('engine/analyze', null, { method: 42 });
    assert.ok(!malformed.ok && malformed.error.code === 'badRequest', 'a malformed message with an id is still answered');
    const badHead = await request(EngineAttention.method, { modelDir: DEMO_MODEL_DIR, loadOptions: {}, request: { text: 'x y', options: {}, block: 0, head: 99 } });
    assert.ok(!badHead.ok && badHead.error.code === 'badRequest');
  });
});
