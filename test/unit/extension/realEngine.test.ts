/**
 * The extension's engine client against the real engine program (dist/engine.js, built by
 * `npm run build`) and the built-in demo model: results over the RPC match the independent float64
 * reference in models/sinklens-tiny/expected.json, and a SIGKILL mid-analysis rejects with
 * engineCrashed and the next request runs in a fresh process with the same numbers.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { SinkLensError } from '../../../src/shared/errors';
import { EngineAnalyze } from '../../../src/shared/protocol/engine';
import type { AnalysisResult } from '../../../src/shared/result';
import { EngineProcess } from '../../../src/extension/rpc/engineProcess';
import { assertClose } from '../../support/assertClose';
import { DEMO_MODEL_DIR, PROJECT_ROOT } from '../../support/fixtures';
import { ARCH_SPECS, generateModel } from '../../support/genModel';

const ENGINE = join(PROJECT_ROOT, 'dist', 'engine.js');

interface ExpectedLayer {
  layer: number;
  bosRatio: number;
  entropy: number;
  headSinkScores?: number[];
}

function requireBuiltEngine(t: TestContext): boolean {
  if (existsSync(ENGINE) && existsSync(join(DEMO_MODEL_DIR, 'config.json'))) return true;
  const why = `ENGINE NOT BUILT: ${ENGINE} (run "npm run build")`;
  if (process.env.SINKLENS_REQUIRE_FIXTURES === '1') throw new Error(why);
  console.warn(`\n*** ${why}: test skipped ***\n`);
  t.skip(why);
  return false;
}

function checkAgainstReference(r: AnalysisResult, exp: { tokenIds: number[]; layers: ExpectedLayer[] }): void {
  assert.deepEqual(
    r.tokens.map((t) => t.id),
    exp.tokenIds,
  );
  for (const e of exp.layers) {
    const got = r.baseline.layers[e.layer];
    assert.ok(got, `layer ${e.layer}`);
    assertClose(got.bosRatio, e.bosRatio, { rtol: 1e-3 }, `bosRatio[${e.layer}]`);
    assertClose(got.entropy!, e.entropy, { rtol: 1e-3, atol: 1e-4 }, `entropy[${e.layer}]`);
    if (e.headSinkScores) assertClose(got.headSinkScores ?? [], e.headSinkScores, { rtol: 1e-3, atol: 1e-5 }, `headSinkScores[${e.layer}]`);
  }
}

describe('engine client x real engine process', () => {
  it('analyses the demo model over the RPC, survives SIGKILL mid-run, and recovers with the same numbers', async (t) => {
    if (!requireBuiltEngine(t)) return;
    const expected = JSON.parse(readFileSync(join(DEMO_MODEL_DIR, 'expected.json'), 'utf8')) as {
      prompts: Record<string, { text: string; tokenIds: number[]; layers: ExpectedLayer[] }>;
    };
    const tom = expected.prompts.story_tom;
    assert.ok(tom);
    const crashes: number[] = [];
    const logs: string[] = [];
    const ep = new EngineProcess({ script: ENGINE, onLog: (_, m) => logs.push(m), onCrash: (x) => crashes.push(x.rejected) });
    t.after(() => ep.dispose());
    const params = { modelDir: DEMO_MODEL_DIR, loadOptions: {}, text: tom.text, options: {} };

    const stages: string[] = [];
    const first = await ep.request(EngineAnalyze, params, { onProgress: (p) => stages.push(p.stage) });
    checkAgainstReference(first, tom);
    assert.ok(stages.includes('run'), `progress stages: ${stages.join(',')}`);
    // The real engine process runs with the engine's environment (src/node/engineEnv.ts): its ready line says so.
    const ready = logs.find((m) => m.includes(' ready (node '));
    assert.ok(ready, logs.join('\n'));
    if (process.platform === 'linux') assert.match(ready, /GLIBC_TUNABLES=[^;)]*glibc\.malloc\.hugetlb=1/);
    const pid1 = ep.pid as number;

    // Kill the engine while it works on a request (a long prompt keeps it busy long enough to be mid-run).
    const busy = ep.request(EngineAnalyze, { ...params, text: tom.text.repeat(3) }, { onProgress: (p) => p.stage === 'tokenize' && process.kill(pid1, 'SIGKILL') });
    await assert.rejects(busy, (e) => SinkLensError.is(e, 'engineCrashed'));
    assert.deepEqual(crashes, [1]);

    const again = await ep.request(EngineAnalyze, params);
    assert.notEqual(ep.pid, pid1);
    checkAgainstReference(again, tom);
  });

  it('cancel during a runaway chat template: the engine stays usable and the next analysis answers in its usual time', async (t) => {
    if (!requireBuiltEngine(t)) return;
    const spec = ARCH_SPECS.find((x) => x.name === 'llama-gqa-tied')!;
    const dir = mkdtempSync(join(tmpdir(), 'sinklens-runaway-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    generateModel(dir, spec);
    const cfgPath = join(dir, 'tokenizer_config.json');
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(cfgPath, JSON.stringify({ ...cfg, chat_template: '{% for i in range(10**9) %}x{% endfor %}' }));
    const ep = new EngineProcess({ script: ENGINE, onLog: () => undefined });
    t.after(() => ep.dispose());
    const params = { modelDir: dir, loadOptions: {}, text: 'hello there', options: {} };
    const t0 = Date.now();
    await ep.request(EngineAnalyze, params);
    const usual = Date.now() - t0;
    const ac = new AbortController();
    const runaway = ep.request(EngineAnalyze, { ...params, options: { chatTemplate: 'user' } }, { signal: ac.signal });
    setTimeout(() => ac.abort(), 300);
    await assert.rejects(runaway, (e) => SinkLensError.is(e, 'cancelled'));
    const t1 = Date.now();
    const next = await ep.request(EngineAnalyze, params);
    const took = Date.now() - t1;
    assert.equal(next.tokens.length > 1, true);
    // The template stops at its 2 s deadline (or the engine is restarted after the 2 s cancel grace).
    assert.ok(took < usual + 5000, `the next analysis took ${took} ms (usual ${usual} ms)`);
  });
});

