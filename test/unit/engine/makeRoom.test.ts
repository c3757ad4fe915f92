/**
 * A load or a run refused for memory unloads the models no request is using and no study holds (a model
 * selected before, a preload's), then tries once more; a model in use or held is never unloaded for another.
 * The memory the engine sees is stubbed to depend on how many models are loaded.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine } from '../../../src/engine/api';
import type { Progress } from '../../../src/shared/engineApi';
import { SinkLensError } from '../../../src/shared/errors';
import { DEMO_MODEL_DIR } from '../../support/fixtures';

const PLENTY = 1e12;
/** An engine that sees PLENTY of memory while fewer than `fits()` models are loaded, else 1 byte. */
function tightEngine(fits: () => number): Engine {
  const engine: Engine = new Engine({ availableMemory: () => (engine.loadedModels().length < fits() ? PLENTY : 1) });
  return engine;
}
const A = { threads: 1 }; // the same folder under two load options: two models
const B = { threads: 2 };
const TEXT = 'Once upon a time there was a little cat who liked the sun.';

describe('making room for a load or a run', () => {
  it('a load that does not fit unloads an idle model and loads', async () => {
    let fits = Infinity;
    const engine = tightEngine(() => fits);
    try {
      const a = await engine.load(DEMO_MODEL_DIR, A);
      const warned: string[] = [];
      fits = 1; // a second model does not fit beside the first
      const b = await engine.load(DEMO_MODEL_DIR, B, { onWarn: (m) => warned.push(m) });
      fits = Infinity;
      assert.deepEqual(engine.loadedModels(), [DEMO_MODEL_DIR], 'only the new model stays');
      assert.match(warned.join('\n'), /^Unloaded sinklens-tiny \(loaded, not in use\) to make room to load /m);
      await assert.rejects(engine.analyze(a, TEXT), (e: unknown) => SinkLensError.is(e, 'badRequest') && /not loaded/.test(e.message));
      assert.ok((await engine.analyze(b, TEXT)).tokens.length > 5);
    } finally {
      await engine.dispose();
    }
  });

  it('a model a study holds, or an analysis is using, is not unloaded: the load is refused as before', async () => {
    let fits = Infinity;
    const engine = tightEngine(() => fits);
    try {
      await engine.load(DEMO_MODEL_DIR, A, { hold: true });
      fits = 1;
      await assert.rejects(engine.load(DEMO_MODEL_DIR, B), (e: unknown) => SinkLensError.is(e, 'insufficientMemory'));
      assert.equal(engine.loadedModels().length, 1);
      fits = Infinity;
      await engine.unload(DEMO_MODEL_DIR); // the study ends: its hold goes with the model
      const a = await engine.load(DEMO_MODEL_DIR, A);
      const running = engine.analyze(a, TEXT); // in use from the call on
      fits = 1;
      await assert.rejects(engine.load(DEMO_MODEL_DIR, B), (e: unknown) => SinkLensError.is(e, 'insufficientMemory'));
      fits = Infinity;
      assert.ok((await running).tokens.length > 5, 'the analysis in use finished');
    } finally {
      await engine.dispose();
    }
  });

  it("a run whose plan does not fit beside an idle model unloads it and runs", async () => {
    const engine = tightEngine(() => 2); // both load; an analysis of the second needs the first gone
    try {
      await engine.load(DEMO_MODEL_DIR, A);
      const b = await engine.load(DEMO_MODEL_DIR, B);
      assert.equal(engine.loadedModels().length, 2);
      const progress: Progress[] = [];
      const r = await engine.analyze(b, TEXT, { maxTokens: 64 }, (p) => progress.push(p));
      assert.ok(r.tokens.length > 5);
      assert.equal(engine.loadedModels().length, 1);
      assert.ok(progress.some((p) => /^Unloaded sinklens-tiny \(loaded, not in use\) to make room to analyse \d+ tokens\.$/.test(p.message ?? '')), JSON.stringify(progress.map((p) => p.message)));
    } finally {
      await engine.dispose();
    }
  });

  it("maxTokens 'auto' cut short by an idle model's memory unloads it and takes the whole prompt", async () => {
    const engine = tightEngine(() => 2); // beside a second model, a run has 1 byte: 'auto' resolves to 1 token
    try {
      await engine.load(DEMO_MODEL_DIR, A);
      const b = await engine.load(DEMO_MODEL_DIR, B);
      const progress: Progress[] = [];
      const r = await engine.analyze(b, TEXT, { maxTokens: 'auto' }, (p) => progress.push(p));
      const alone = await engine.analyze(b, TEXT, { maxTokens: 'auto' });
      assert.equal(engine.loadedModels().length, 1);
      assert.ok(r.tokens.length > 5);
      assert.deepEqual(r.tokens.map((t) => t.text), alone.tokens.map((t) => t.text), 'the same tokens as with the model alone');
      assert.ok(!r.warnings.some((w) => w.code === 'truncated'), JSON.stringify(r.warnings));
      assert.ok(progress.some((p) => /^Unloaded sinklens-tiny \(loaded, not in use\) to make room to analyse more of the prompt\.$/.test(p.message ?? '')), JSON.stringify(progress.map((p) => p.message)));
    } finally {
      await engine.dispose();
    }
  });
});
