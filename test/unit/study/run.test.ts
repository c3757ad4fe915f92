/**
 * runStudy with a stand-in engine: a prompt that fails is recorded and left out (not journaled, so a
 * rerun retries it), the others are aggregated; a fatal error ends the study; a study where every
 * prompt fails is an error; a cancelled study returns what is done, and the rerun finishes it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { SinkLensError } from '../../../src/shared/errors';
import type { ModelHandle } from '../../../src/shared/engineApi';
import type { StudyPrompt } from '../../../src/shared/study';
import { runStudy, type StudyEngine, type StudyProgress } from '../../../src/engine/study/run';
import { makeResult } from '../extension/makeResult';

const tmp = mkdtempSync(join(tmpdir(), 'sinklens-run-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const prompts: StudyPrompt[] = ['alpha', 'beta', 'gamma', 'delta'].map((text, index) => ({ index, id: text, source: `s.txt:${index + 1}`, text, fromMessages: false }));

function fakeEngine(fail: (text: string) => Error | null, calls: string[] = []): StudyEngine {
  const info = { name: 'fake', dir: '/m/fake', arch: 'llama', modelType: 'llama', layers: 2, heads: 1, kvHeads: 1, hiddenSize: 4, headDim: 4, vocabSize: 8, maxPositions: 16, dtype: 'F32', params: 1, bosTokenId: 1, files: [{ name: 'model.safetensors', bytes: 1, sha256: 'aa' }] };
  return {
    load: async (): Promise<ModelHandle> => ({ id: 'm1', info }),
    analyze: async (_h, text) => {
      calls.push(text);
      const e = fail(text);
      if (e) throw e;
      return makeResult({ text, tokens: [{ text: '<s>', start: 0, end: 0 }, { text, start: 0, end: text.length }], mass: [[1, 0.4], [1, 0.6]] });
    },
  };
}

const base = { models: ['/m/fake'], prompts, promptSetPath: 's.txt', analyze: {}, version: 't' };

describe('runStudy', () => {
  test('a failing prompt is recorded and left out; the others are aggregated', async () => {
    const events: StudyProgress[] = [];
    const s = await runStudy(fakeEngine((t) => (t === 'beta' ? new Error('tridiagonalQL: no convergence') : null)), { ...base, journalPath: null, onProgress: (e) => events.push(e) });
    assert.deepEqual(events.map((e) => [e.done, e.promptId, e.record?.id, e.failure?.id]), [[0, undefined, undefined, undefined], [1, 'alpha', 'alpha', undefined], [2, 'beta', undefined, 'beta'], [3, 'gamma', 'gamma', undefined], [4, 'delta', 'delta', undefined]]);
    const m = s.models[0]!;
    assert.deepEqual(m.prompts.map((p) => p.id), ['alpha', 'gamma', 'delta']);
    assert.deepEqual(m.failures, [{ index: 1, id: 'beta', source: 's.txt:2', code: 'internal', message: 'tridiagonalQL: no convergence' }]);
    assert.equal(m.perLayer[1]!.entropy.n, 3);
    assert.equal(s.complete, true);
  });

  test('the rerun retries the failed prompt only (it was not journaled)', async () => {
    const journalPath = join(tmp, 'retry.journal.jsonl');
    await runStudy(fakeEngine((t) => (t === 'gamma' ? new SinkLensError('badTokenizer', 'cannot encode') : null)), { ...base, journalPath });
    const calls: string[] = [];
    const s = await runStudy(fakeEngine(() => null, calls), { ...base, journalPath });
    assert.deepEqual(calls, ['gamma']);
    assert.equal(s.models[0]!.prompts.length, 4);
    assert.equal(s.models[0]!.failures.length, 0);
  });

  test('two folders with the same model name are told apart', async () => {
    const s = await runStudy(fakeEngine(() => null), { ...base, models: ['/m/fake', '/m/fake2'], journalPath: null });
    assert.deepEqual(s.models.map((m) => m.name), ['fake', 'fake #2']);
    assert.deepEqual(s.relativeDepth.models.map((m) => m.name), ['fake', 'fake #2']);
    assert.deepEqual(s.provenance.models.map((m) => m.name), ['fake', 'fake #2']);
  });

  test('fatal errors end the study; all prompts failing is an error', async () => {
    await assert.rejects(runStudy(fakeEngine(() => new SinkLensError('engineCrashed', 'gone')), { ...base, journalPath: null }), /gone/);
    await assert.rejects(runStudy(fakeEngine(() => new SinkLensError('badTokenizer', 'no')), { ...base, journalPath: null }), (e: unknown) => SinkLensError.is(e, 'badTokenizer') && /Every prompt failed on fake; the first \(alpha\): no/.test((e as Error).message));
  });

  test('a cancelled study returns what is done (complete: false) and the rerun finishes it', async () => {
    const journalPath = join(tmp, 'cancel.journal.jsonl');
    const signal = { aborted: false };
    const s = await runStudy(fakeEngine(() => null), {
      ...base,
      journalPath,
      signal,
      onProgress: (e) => {
        if (e.done === 2) signal.aborted = true;
      },
    });
    assert.equal(s.complete, false);
    assert.deepEqual(s.models[0]!.prompts.map((p) => p.id), ['alpha', 'beta']);
    const calls: string[] = [];
    const done = await runStudy(fakeEngine(() => null, calls), { ...base, journalPath });
    assert.deepEqual(calls, ['gamma', 'delta']);
    assert.equal(done.complete, true);
  });

  test('a cancel during a prompt stops that prompt: the finished ones are kept, the stopped one is not journaled', async () => {
    const journalPath = join(tmp, 'midprompt.journal.jsonl');
    const ac = new AbortController();
    const seen: (AbortSignal | undefined)[] = [];
    const engine = fakeEngine(() => null);
    const inner = engine.analyze;
    // The third prompt is cancelled while it runs: the engine notices at its next stage boundary and throws `cancelled`.
    engine.analyze = async (h, text, opts, onProgress, signal) => {
      seen.push(signal);
      if (text === 'gamma') {
        ac.abort();
        if (signal?.aborted) throw new SinkLensError('cancelled', 'The analysis was cancelled.');
      }
      return inner(h, text, opts, onProgress, signal);
    };
    const s = await runStudy(engine, { ...base, journalPath, signal: ac.signal });
    assert.equal(seen[0], ac.signal, 'the study hands its cancel to each analysis');
    assert.equal(s.complete, false);
    assert.deepEqual(s.models[0]!.prompts.map((p) => p.id), ['alpha', 'beta']);
    assert.deepEqual(s.models[0]!.failures, [], 'a cancelled prompt is not a failure');
    const calls: string[] = [];
    const done = await runStudy(fakeEngine(() => null, calls), { ...base, journalPath });
    assert.deepEqual(calls, ['gamma', 'delta']);
    assert.equal(done.complete, true);
  });
});
