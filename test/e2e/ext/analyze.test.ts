import * as assert from 'node:assert/strict';
import type { AnalysisResult } from '../../../src/shared/result';
import { api, assertClose, builtinModelDir, expectedPrompt, requireFixture, type ExpectedPrompt } from './api';

/** Checks a result against the independent float64 reference of the model folder's expected.json. */
function checkAgainstReference(r: AnalysisResult, exp: ExpectedPrompt): void {
  assert.deepEqual(r.tokens.map((t) => t.id), exp.tokenIds, 'token ids (BOS + text)');
  assert.equal(r.summary.tokens, exp.tokenIds.length, 'summary.tokens');
  assert.equal(r.baseline.layers.length, exp.layers.length, 'one LayerMetrics per hidden state h[0..L]');
  for (const e of exp.layers) {
    const got = r.baseline.layers[e.layer];
    assert.equal(got.layer, e.layer);
    assertClose(got.bosRatio, e.bosRatio, `bosRatio at h[${e.layer}]`);
    assertClose(got.entropy!, e.entropy, `entropy at h[${e.layer}]`, 2e-3, 1e-3);
  }
  assert.equal(r.baseline.lastTopK[0]?.id, exp.lastTop5[0][0], 'top-1 next token at the last position');
}

suite('analysis through the engine process', function () {
  this.timeout(180000);

  test('built-in sinklens-tiny on a story prompt: the BOS spike at h[2] and the valley match the reference', async () => {
    const a = await api();
    const model = builtinModelDir();
    const exp = expectedPrompt(model, 'story_tom');
    const t0 = Date.now();
    const r = await a.analyzeText(exp.text, { modelDir: model });
    console.log(`    sinklens-tiny: ${r.tokens.length} tokens in ${Date.now() - t0} ms; bosRatio ` +
      r.baseline.layers.map((l) => l.bosRatio.toFixed(2)).join(' '));
    checkAgainstReference(r, exp);
    assert.ok(r.baseline.layers[2].bosRatio > 5, `massive activation at h[2]: ratio ${r.baseline.layers[2].bosRatio}`);
    assert.equal(r.model.arch, 'llama');
    assert.equal(r.model.layers, 6);
    assert.ok(a.enginePid(), 'the engine runs in a child process with a pid');
    assert.notEqual(a.enginePid(), process.pid, 'the engine is not the extension host');
    assert.equal(a.lastResult()?.input.sha256, r.input.sha256, 'lastResult() is the run just made');
  });

  test('stories260k fixture (real pretrained weights) matches its reference', async function () {
    const model = requireFixture(this, 'stories260k');
    const a = await api();
    for (const name of ['story_tom', 'report_ood']) {
      const exp = expectedPrompt(model, name);
      const r = await a.analyzeText(exp.text, { modelDir: model });
      checkAgainstReference(r, exp);
      assert.equal(r.model.layers, 5);
      assert.equal(r.model.kvHeads, 4);
      assert.ok(r.baseline.layers.every((l) => l.sinkRate === null || l.sinkRate === 0), 'stories260k has no sinks');
    }
  });

  test('without modelDir the configured default model is used', async function () {
    const model = requireFixture(this, 'stories260k');
    const a = await api();
    if (a.currentModelDir() !== model) this.skip(); // the workspace was not prepared with the fixture
    const r = await a.analyzeText('The cat sat on the mat.');
    assert.equal(r.model.dir.replace(/\/$/, ''), model.replace(/\/$/, ''));
    assert.equal(r.tokens[0].id, 1, 'BOS first');
  });
});
