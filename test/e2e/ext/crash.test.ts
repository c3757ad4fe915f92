import * as assert from 'node:assert/strict';
import { api, builtinModelDir, errorCode, poll } from './api';

/** ~270 tokens, truncated to sinklens-tiny's 256 positions: the longest run this model does. */
const LONG = Array.from({ length: 12 }, (_, i) =>
  `Story ${i}: Once upon a time, there was a little girl named Lily who loved to play outside in the sun.`).join(' ');

suite('engine crash recovery', function () {
  this.timeout(180000);

  test('SIGKILL of the engine with a request in flight rejects with engineCrashed; the next request starts a new engine', async () => {
    const a = await api();
    const model = builtinModelDir();
    await a.analyzeText('Warm up the engine.', { modelDir: model }); // engine up, model cached
    const pid = await poll(() => a.enginePid(), 10000, 5);
    assert.ok(pid, 'an engine pid once the engine is up');
    // Frozen before the request is sent, the engine cannot answer it, so the kill always lands while it is in flight:
    // a warm engine analyses LONG in ~20-30 ms, and a kill timed 10 ms after the request sometimes came after the result.
    process.kill(pid, 'SIGSTOP');
    const running = a.analyzeText(LONG, { modelDir: model });
    const outcome = running.then(() => 'resolved', (e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50)); // the request reaches the engine's pipe
    process.kill(pid, 'SIGKILL');
    const err = await outcome;
    assert.notEqual(err, 'resolved', 'the analysis must not succeed after its engine was killed');
    assert.equal(errorCode(err), 'engineCrashed', `rejection: ${JSON.stringify(err)} ${String(err)}`);

    const r = await a.analyzeText('After the crash the engine comes back.', { modelDir: model });
    assert.ok(r.tokens.length > 5, 'a real result after the restart');
    const newPid = a.enginePid();
    assert.ok(newPid, 'a new engine pid');
    assert.notEqual(newPid, pid, 'a fresh engine process');
    assert.throws(() => process.kill(pid, 0), 'the killed engine is gone');
  });
});
