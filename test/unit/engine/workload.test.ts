/** The memory plan's view of an analyze request: one function for the engine process and the CLI. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeWorkload } from '../../../src/engine/plan/workload';

test('analyzeWorkload: a second forward and the loss only for a compared run; the lens only with layers; tokens bounded by the bytes', () => {
  const text = 'héllo'; // 6 UTF-8 bytes
  assert.deepEqual(analyzeWorkload(text, {}), { tokens: 7, autoTokens: true, ablation: false, lensLayers: 0, tokenLoss: false });
  // An empty block list compares nothing (as the analysis itself decides): no second forward, no loss.
  assert.equal(analyzeWorkload(text, { ablate: [] }).ablation, false);
  assert.equal(analyzeWorkload(text, { ablate: [] }).tokenLoss, false);
  for (const o of [{ ablate: 'auto' as const }, { ablate: [2] }, { interventions: [{ target: 'mlp' as const, blocks: [0], position: 'bos' as const, op: 'zero' as const }] }]) {
    const w = analyzeWorkload(text, o);
    assert.equal(w.ablation, true, JSON.stringify(o));
    assert.equal(w.tokenLoss, true, JSON.stringify(o));
  }
  assert.equal(analyzeWorkload(text, { ablate: 'auto', tokenLoss: false }).tokenLoss, false);
  assert.equal(analyzeWorkload(text, { tokenLoss: true }).tokenLoss, true);
  assert.equal(analyzeWorkload(text, { logitLens: [] }).lensLayers, 0);
  assert.equal(analyzeWorkload(text, { logitLens: [1, 3] }).lensLayers, 2);
  assert.ok(analyzeWorkload(text, { logitLens: 'all' }).lensLayers > 0);
  assert.deepEqual(analyzeWorkload('x'.repeat(5000), { maxTokens: 100 }).tokens, 100);
  assert.equal(analyzeWorkload(text, { maxTokens: 100 }).autoTokens, false); // the default is 'auto'
});
