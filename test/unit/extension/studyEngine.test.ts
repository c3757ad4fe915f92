/**
 * EngineStudy against the real engine program (dist/engine.js) and the built-in demo model: every prompt of a
 * folder set gives the same curves as an EngineAnalyze of its text; a cancel after the first prompt answers with
 * the prompts done (complete: false), and the rerun resumes them from the journal.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EngineProcess } from '../../../src/extension/rpc/engineProcess';
import { EngineAnalyze, EngineStudy } from '../../../src/shared/protocol/engine';
import type { StudyProgress } from '../../../src/shared/study';
import { DEMO_MODEL_DIR, PROJECT_ROOT } from '../../support/fixtures';

const ENGINE = join(PROJECT_ROOT, 'dist', 'engine.js');
const BASE = ['Tom had three apples and gave one to Ann.', 'def add(a, b):\n    return a + b', 'Once upon a time there was a little dog.'];
// Enough prompts that a cancel sent after the first one lands mid-run even on the fast demo model.
const N = 40;
const TEXTS = Array.from({ length: N }, (_, i) => `${BASE[i % 3]!} (${i})`);

describe('EngineStudy over the RPC (real engine, demo model)', () => {
  it('per-prompt curves equal single analyses; cancel keeps what is done and the rerun resumes it', async (t) => {
    if (!existsSync(ENGINE) || !existsSync(join(DEMO_MODEL_DIR, 'config.json'))) {
      const why = `ENGINE NOT BUILT: ${ENGINE} (run "npm run build")`;
      if (process.env.SINKLENS_REQUIRE_FIXTURES === '1') throw new Error(why);
      t.skip(why);
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'sl-study-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const set = join(dir, 'set');
    mkdirSync(set);
    TEXTS.forEach((text, i) => writeFileSync(join(set, `p${String(i).padStart(2, '0')}.prompt`), text));
    const ep = new EngineProcess({ script: ENGINE, onLog: () => undefined });
    t.after(() => ep.dispose());
    const params = { models: [DEMO_MODEL_DIR], loadOptions: {}, promptSetPath: set, options: {}, journalPath: join(dir, 'j.jsonl'), version: 'test' };

    // Cancel as soon as the first prompt is reported done.
    const ac = new AbortController();
    const first = await ep.request(EngineStudy, params, { signal: ac.signal, cancelWaits: true, onStudyProgress: (p) => p.promptId !== undefined && ac.abort() });
    assert.equal(first.complete, false);
    // The cancel arrives while a later prompt runs; the engine stops before the next one.
    const kept = first.models[0]!.prompts.length;
    assert.ok(kept >= 1 && kept < N, `kept ${kept}`);

    const events: StudyProgress[] = [];
    const full = await ep.request(EngineStudy, params, { onStudyProgress: (p) => events.push(p) });
    assert.equal(full.complete, true);
    assert.equal(events[0]!.resumed, kept, 'the cancelled run\u2019s prompts come from the journal');
    assert.deepEqual(events.filter((e) => e.promptId !== undefined).map((e) => e.done), Array.from({ length: N - kept }, (_, i) => kept + i + 1));
    assert.equal(events.at(-1)!.etaMs, 0);
    const m = full.models[0]!;
    assert.equal(m.prompts.length, N);
    assert.deepEqual(full.prompts.map((p) => p.text), TEXTS);
    for (const rec of m.prompts.slice(0, 3)) {
      const r = await ep.request(EngineAnalyze, { modelDir: DEMO_MODEL_DIR, loadOptions: {}, text: TEXTS[rec.index]!, options: {} });
      assert.equal(rec.tokens, r.tokens.length);
      assert.deepEqual(rec.curves.entropy, r.baseline.layers.map((l) => l.entropy));
      assert.deepEqual(rec.curves.sinkRate, r.baseline.layers.map((l) => l.sinkRate));
      assert.equal(rec.summary.maxSinkRate, r.summary.maxSinkRate);
    }
    // h[l] mean over the prompts, from their curves.
    const l = 2;
    const mean = m.prompts.reduce((s, p) => s + p.curves.entropy[l]!, 0) / N;
    assert.ok(Math.abs(m.perLayer[l]!.entropy.mean! - mean) < 1e-12);
  });
});
