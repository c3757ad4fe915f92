/**
 * Concurrent requests for one model share its load: an analysis that replaces another, or an
 * attention map asked for while the model is still loading, must not convert and open the model a
 * second time (twice the memory of a multi-GB model). Different load options are different models.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Engine } from '../../../src/engine/api';
import type { Progress } from '../../../src/shared/engineApi';
import { SinkLensError } from '../../../src/shared/errors';
import { DEMO_MODEL_DIR } from '../../support/fixtures';

describe('Engine.load shares a load under way', () => {
  const engine = new Engine();
  after(() => engine.dispose());

  it('two loads of the same model at once give one model; a later one finds it loaded', async () => {
    const second: Progress[] = [];
    const [a, b] = await Promise.all([engine.load(DEMO_MODEL_DIR, { threads: 1 }), engine.load(DEMO_MODEL_DIR, { threads: 1 }, { onProgress: (p) => second.push(p) })]);
    assert.equal(a.id, b.id, 'one load, one handle');
    assert.ok(second.some((p) => p.message === 'waiting for the load under way'), JSON.stringify(second));
    const c = await engine.load(DEMO_MODEL_DIR, { threads: 1 });
    assert.equal(c.id, a.id);
    const r = await engine.analyze(b, 'The quick brown fox jumps over the lazy dog.');
    assert.ok(r.tokens.length > 5);
  });

  it("a request that joins a cold load hears the conversion's progress", async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'sinklens-loadshare-'));
    const caching = new Engine({ externalThresholdBytes: 0 }); // the demo model's graph goes to the cache: a conversion with progress
    try {
      const first: Progress[] = [];
      const second: Progress[] = [];
      const opts = { threads: 1, cache: { dir: cacheDir } };
      const [a, b] = await Promise.all([caching.load(DEMO_MODEL_DIR, opts, { onProgress: (p) => first.push(p) }), caching.load(DEMO_MODEL_DIR, opts, { onProgress: (p) => second.push(p) })]);
      assert.equal(a.id, b.id);
      const converting = (ps: Progress[]): string[] => ps.map((p) => p.message ?? '').filter((m) => m.startsWith('Converting weights'));
      assert.ok(converting(first).length > 0, JSON.stringify(first));
      assert.deepEqual(converting(second), converting(first), 'the joiner hears the same conversion progress');
    } finally {
      await caching.dispose();
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });

  it('other load options are another model', async () => {
    const [a, b] = await Promise.all([engine.load(DEMO_MODEL_DIR, { threads: 1 }), engine.load(DEMO_MODEL_DIR, { threads: 2 })]);
    assert.notEqual(a.id, b.id);
  });

  it('a failing load fails every waiter with its error, and is not remembered', async () => {
    const missing = '/nonexistent/sinklens-model';
    const results = await Promise.allSettled([engine.load(missing), engine.load(missing)]);
    for (const r of results) assert.ok(r.status === 'rejected' && SinkLensError.is(r.reason, 'modelNotFound'), String(r.status === 'rejected' ? r.reason : 'loaded'));
    await assert.rejects(engine.load(missing), (e: unknown) => SinkLensError.is(e, 'modelNotFound'));
  });
});
