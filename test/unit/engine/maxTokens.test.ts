/**
 * maxTokens 'auto': the smallest of the model's positions, the longest prompt whose analysis the
 * memory plan admits, and the 4096 cap; numbers are only capped at the positions. The 1.2B Llama
 * shape at 4096 tokens in int4 fits the plan on a 24 GB machine, and the plan has no T²·H·L term.
 * The engine resolves 'auto' against the loaded model and says what it picked in the settings.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Engine } from '../../../src/engine/api';
import { readModelConfig } from '../../../src/engine/model/load';
import { resolveOptions } from '../../../src/engine/options';
import { maxTokensNote, plannedTokens, resolveMaxTokens, roundTokensDown } from '../../../src/engine/plan/maxTokens';
import { ARENA_GROWTH, largestFitting, planMemory, runBytes } from '../../../src/engine/plan/memory';
import type { CanonicalConfig } from '../../../src/engine/arch/types';
import { AUTO_MAX_TOKENS_CAP, DEFAULT_ANALYZE_OPTIONS } from '../../../src/shared/defaults';
import { SinkLensError } from '../../../src/shared/errors';
import { ARCH_SPECS, generateModel, samplePrompt } from '../../support/genModel';

/** The OS reports no anonymous memory growth: runs leave nothing credited, so the plan's numbers are exact here. */
const NO_HELD_MEMORY = (): number => 0;

const GiB = 1024 ** 3;
const LLAMA_1B = {
  arch: 'llama', modelType: 'llama', hiddenSize: 2048, numLayers: 16, numHeads: 32, numKvHeads: 8, headDim: 64, intermediateSize: 8192,
  vocabSize: 128256, maxPositions: 131072, norm: 'rms', normEps: 1e-5, act: 'silu', gatedMlp: true, position: 'rope',
  rope: { theta: 500000, rotaryDim: 64, scaling: null }, attnScale: 1 / 8, parallelResidual: false, qkNorm: false,
  tieWordEmbeddings: true, bosTokenId: 1, eosTokenId: 2, name: 'llama-1b-shaped',
} as CanonicalConfig;
const W = { probes: 'full' as const, ablation: false, lensLayers: 0 };

const root = mkdtempSync(join(tmpdir(), 'sinklens-maxtokens-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('maxTokens auto', () => {
  test('largestFitting finds the last T that fits, as a linear scan does', () => {
    for (const limit of [0, 1, 2, 7, 100, 4095, 4096, 5000]) {
      const fits = (t: number) => t <= limit;
      let scan = 0;
      for (let t = 1; t <= 4096; t++) if (fits(t)) scan = t;
      assert.equal(largestFitting(4096, fits), scan, `limit ${limit}`);
    }
    assert.equal(largestFitting(0, () => true), 0);
  });

  test('resolves to the cap, the positions or the memory plan, whichever is smallest', () => {
    const plenty = 1024 * GiB;
    assert.deepEqual(resolveMaxTokens('auto', LLAMA_1B, W, plenty), { maxTokens: AUTO_MAX_TOKENS_CAP, limitedBy: 'cap' });
    assert.deepEqual(resolveMaxTokens('auto', { ...LLAMA_1B, maxPositions: 1024 }, W, plenty), { maxTokens: 1024, limitedBy: 'positions' });
    // Room for exactly 1000 tokens of activations (runBytes grows with T).
    const room = runBytes(LLAMA_1B, { ...W, tokens: 1000 });
    assert.ok(runBytes(LLAMA_1B, { ...W, tokens: 1001 }) > room);
    // 1000 rounded down to a multiple of 64 (eight steps per power of two).
    assert.deepEqual(resolveMaxTokens('auto', LLAMA_1B, W, room), { maxTokens: 960, limitedBy: 'memory' });
    // A little more or less free memory does not move it.
    assert.equal(resolveMaxTokens('auto', LLAMA_1B, W, runBytes(LLAMA_1B, { ...W, tokens: 970 })).maxTokens, 960);
    assert.equal(resolveMaxTokens('auto', LLAMA_1B, W, runBytes(LLAMA_1B, { ...W, tokens: 1020 })).maxTokens, 960);
    // The ablated run and the lens need more: fewer tokens fit in the same room.
    assert.ok(resolveMaxTokens('auto', LLAMA_1B, { ...W, ablation: true }, room).maxTokens < 960);
    assert.ok(resolveMaxTokens('auto', LLAMA_1B, { ...W, lensLayers: 17 }, room).maxTokens < 960);
    // Nothing fits: 1, which the run's own plan check then refuses.
    assert.deepEqual(resolveMaxTokens('auto', LLAMA_1B, W, 1024), { maxTokens: 1, limitedBy: 'memory' });
    // A number is taken as given, capped only at the positions.
    assert.deepEqual(resolveMaxTokens(100, LLAMA_1B, W, 1024), { maxTokens: 100, limitedBy: null });
    assert.deepEqual(resolveMaxTokens(200_000, LLAMA_1B, W, plenty), { maxTokens: 131072, limitedBy: 'positions' });
  });

  test('a memory-limited count is rounded down to eight steps per power of two, never up, at most 12.5%', () => {
    assert.deepEqual([1, 15, 16, 17, 100, 1000, 1024, 1279, 4000, 4095].map(roundTokensDown), [1, 15, 16, 16, 96, 960, 1024, 1152, 3840, 3840]);
    for (let t = 1; t <= 20000; t += 7) {
      const r = roundTokensDown(t);
      assert.ok(r <= t && r > t * 0.875 - 1e-9, `${t} -> ${r}`);
    }
  });

  test('the note says what auto resolved to and why', () => {
    assert.equal(maxTokensNote('auto', { maxTokens: 4096, limitedBy: 'cap' }, 131072), 'maxTokens auto = 4096 (the default cap of 4096).');
    assert.equal(maxTokensNote('auto', { maxTokens: 1000, limitedBy: 'memory' }, 131072), 'maxTokens auto = 1000 (the largest prompt the memory plan admits, rounded down).');
    assert.equal(maxTokensNote('auto', { maxTokens: 1024, limitedBy: 'positions' }, 1024), "maxTokens auto = 1024 (the model's 1024 positions).");
    assert.equal(maxTokensNote(9000, { maxTokens: 1024, limitedBy: 'positions' }, 1024), "maxTokens capped at the model's 1024 positions.");
    assert.equal(maxTokensNote(100, { maxTokens: 100, limitedBy: null }, 1024), null);
  });

  test('4096 tokens on the 1.2B shape in int4 fit a 24 GB machine; the plan grows with L by far less than H·T² per layer', () => {
    const T = 4096;
    const plan = planMemory({ config: LLAMA_1B, precision: 'int4', workload: { ...W, tokens: T }, cached: true });
    // ~22 GiB of a 24 GB machine are available; measured: 3.0 GiB loaded + 5.9 for repeated 4096-token runs.
    assert.ok(plan.peakBytes < 18 * GiB, `int4 at 4096 tokens: ${plan.peakBytes / GiB} GiB`);
    // Doubling the layers adds per-layer [T, d] states and [H, T] BOS rows, never an [H, T, T] map per layer.
    const perLayer = (runBytes({ ...LLAMA_1B, numLayers: 32 }, { ...W, tokens: T }) - runBytes(LLAMA_1B, { ...W, tokens: T })) / 16;
    const attnMap = LLAMA_1B.numHeads * T * T * 4;
    assert.ok(perLayer < attnMap / 4, `per layer ${perLayer} bytes vs one [H, T, T] map ${attnMap}`);
    // With T > d the entropy reads the [d, d] Gram side: the run at 2T costs less than 4x the run at T.
    assert.ok(runBytes(LLAMA_1B, { ...W, tokens: 2 * T }) < 4 * runBytes(LLAMA_1B, { ...W, tokens: T }));
    // 'auto' on a 24 GB machine (~22 GiB available) beside the loaded int4 model: the full 4096.
    const available = 22 * GiB - plan.loadBytes;
    assert.deepEqual(resolveMaxTokens('auto', LLAMA_1B, W, available), { maxTokens: 4096, limitedBy: 'cap' });
    // The next-token loss (on with an ablation or intervention) adds its [T, V] logits, 4096 x 128256 floats in the
    // forward's arena (ARENA_GROWTH of them): still 4096 tokens.
    const loss = runBytes(LLAMA_1B, { ...W, tokenLoss: true, tokens: T }) - runBytes(LLAMA_1B, { ...W, tokens: T });
    assert.equal(loss, ARENA_GROWTH * T * LLAMA_1B.vocabSize * 4);
    assert.deepEqual(resolveMaxTokens('auto', LLAMA_1B, { ...W, tokenLoss: true }, available), { maxTokens: 4096, limitedBy: 'cap' });
  });

  test("the load plan's bound: one token per UTF-8 byte + BOS, at most maxTokens or the cap", () => {
    assert.deepEqual(plannedTokens('hello', 'auto'), { tokens: 6, autoTokens: true });
    assert.deepEqual(plannedTokens('x'.repeat(10_000), undefined), { tokens: AUTO_MAX_TOKENS_CAP, autoTokens: true });
    assert.deepEqual(plannedTokens('hi', 'auto', 'user'), { tokens: AUTO_MAX_TOKENS_CAP, autoTokens: true });
    assert.deepEqual(plannedTokens('héllo', 64), { tokens: 7, autoTokens: false });
    assert.deepEqual(plannedTokens('x'.repeat(100), 64), { tokens: 64, autoTokens: false });
  });

  test("options: 'auto' is the default and accepted; anything else must be a positive integer", () => {
    assert.equal(DEFAULT_ANALYZE_OPTIONS.maxTokens, 'auto');
    assert.equal(resolveOptions({}).maxTokens, 'auto');
    assert.equal(resolveOptions({ maxTokens: 'auto' }).maxTokens, 'auto');
    assert.equal(resolveOptions({ maxTokens: 300 }).maxTokens, 300);
    for (const bad of [0, 2.5, 'all' as unknown as number]) {
      assert.throws(() => resolveOptions({ maxTokens: bad }), (e: unknown) => SinkLensError.is(e, 'badRequest') && /maxTokens must be 'auto' or a positive integer/.test(e.message));
    }
  });

  test('the engine resolves auto against the loaded model and echoes the number and the reason', async () => {
    const m = generateModel(join(root, 'small'), ARCH_SPECS[0]!);
    let available = 64 * GiB;
    const engine = new Engine({ availableMemory: () => available, residentAnonymous: NO_HELD_MEMORY });
    try {
      const h = await engine.load(m.dir);
      const text = samplePrompt(m, 40);
      const r = await engine.analyze(h, text);
      const config = readModelConfig(m.dir);
      assert.equal(r.settings.maxTokens, Math.min(config.maxPositions, AUTO_MAX_TOKENS_CAP));
      assert.ok(r.settings.notes.some((n) => n.startsWith(`maxTokens auto = ${r.settings.maxTokens} (`)), r.settings.notes.join(' | '));
      // Room for exactly 5 tokens of this analysis (with its next-token loss, on by default): auto cuts the prompt there instead of refusing.
      available = runBytes(config, { ...W, tokenLoss: true, tokens: 5 });
      const cut = await engine.analyze(h, text);
      assert.equal(cut.settings.maxTokens, 5);
      assert.equal(cut.tokens.length, 5);
      assert.equal(cut.settings.truncated, true);
      assert.ok(cut.settings.notes.includes('maxTokens auto = 5 (the largest prompt the memory plan admits, rounded down).'), cut.settings.notes.join(' | '));
      // A number is not lowered by the plan: the same room refuses 8 tokens.
      const e = await engine.analyze(h, text, { maxTokens: 8 }).then(
        () => assert.fail('ran'),
        (err: unknown) => err,
      );
      assert.ok(SinkLensError.is(e, 'insufficientMemory'), `got ${String(e)}`);
    } finally {
      await engine.dispose();
    }
  });

  test("the load plan with auto checks the longest prompt that fits instead of refusing the bound", async () => {
    const m = generateModel(join(root, 'load'), ARCH_SPECS[0]!);
    const config = readModelConfig(m.dir);
    const available = planMemory({ config, precision: 'fp32', workload: { ...W, tokens: 8 }, cached: false }).peakBytes;
    const bound = Math.min(AUTO_MAX_TOKENS_CAP, config.maxPositions);
    assert.ok(planMemory({ config, precision: 'fp32', workload: { ...W, tokens: bound }, cached: false }).peakBytes > available, 'the bound must not fit');
    const refused = new Engine({ availableMemory: () => available, residentAnonymous: NO_HELD_MEMORY });
    const e = await refused.load(m.dir, { weights: 'fp32' }, { workload: { tokens: bound } }).then(
      () => assert.fail('loaded'),
      (err: unknown) => err,
    );
    assert.ok(SinkLensError.is(e, 'insufficientMemory'), `got ${String(e)}`);
    await refused.dispose();
    const engine = new Engine({ availableMemory: () => available, residentAnonymous: NO_HELD_MEMORY });
    try {
      const h = await engine.load(m.dir, { weights: 'fp32' }, { workload: { tokens: bound, autoTokens: true } });
      assert.equal(h.info.layers, config.numLayers);
    } finally {
      await engine.dispose();
    }
  });
});
