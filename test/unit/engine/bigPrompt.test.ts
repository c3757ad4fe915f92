/**
 * Huge prompts: the engine keeps the first maxTokens tokens, warns, and does not tokenize the
 * whole text first (it is cut before tokenizing) — yet the kept tokens equal the full encoding's.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadModelFiles } from '../../../src/engine/model/load';
import { DEMO_MODEL_DIR } from '../../support/fixtures';

test('a 100k-character prompt is truncated to maxTokens with the same tokens as the full encoding', async () => {
  const files = await loadModelFiles(DEMO_MODEL_DIR);
  try {
    const text = 'Once upon a time there was a cat named Tom. '.repeat(2500);
    const full = files.tokenizer.encode(text, { prependBos: 'auto' });
    const t0 = performance.now();
    const cut = files.tokenizer.encode(text, { prependBos: 'auto', maxTokens: 128 });
    const ms = performance.now() - t0;
    assert.equal(cut.ids.length, 128);
    assert.equal(cut.truncated, true);
    assert.deepEqual(cut.ids, full.ids.slice(0, 128));
    assert.deepEqual(cut.tokens.map((t) => [t.start, t.end]), full.tokens.slice(0, 128).map((t) => [t.start, t.end]));
    assert.ok(cut.warnings.some((w) => w.code === 'truncated'), 'truncation warning');
    assert.ok(ms < 1000, `cut encoding took ${ms} ms`);
  } finally {
    files.store.close();
  }
});
