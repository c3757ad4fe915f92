/**
 * The warm-up at load: it opens the Gram side session and runs it once on a one-token input, but
 * fetches only the rows' Gram ([L+1, 1, 1]), never the column Gram ([L+1, d, d] whatever T: 4.1 GiB
 * with its JS copy on an 8B shape). Afterwards a real Gram request is answered by the warmed session.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PRELOAD_WARM_TOKENS, preloadWarmTokens, preloadWarmUp, warmsColumnGram, warmUp } from '../../../src/engine/analysis';
import { createRunner } from '../../../src/engine/graph/runner';
import type { Runner } from '../../../src/engine/graph/types';
import { loadModelFiles } from '../../../src/engine/model/load';
import { DEMO_MODEL_DIR } from '../../support/fixtures';

test('the warm-up opens the Gram session without asking for the [L+1, d, d] column Gram', async () => {
  const files = await loadModelFiles(DEMO_MODEL_DIR);
  const runner = await createRunner(files.config, files.weights, { threads: 1, probes: 'full' });
  files.store.close();
  const { numLayers: L, hiddenSize: d } = files.config;
  const calls: { T: number; sides: Parameters<Runner['grams']>[2]; sizes: number[] }[] = [];
  const spy: Runner = Object.create(runner) as Runner;
  spy.grams = async (hidden, T, sides) => {
    const out = await runner.grams(hidden, T, sides);
    calls.push({ T, sides, sizes: [out.gram?.length ?? 0, out.gramRows?.length ?? 0] });
    return out;
  };
  try {
    await warmUp({ config: files.config, runner: spy, tokenizer: { tokenText: (id) => `#${id}` } });
    assert.equal(calls.length, 1, 'one Gram run');
    assert.deepEqual(calls[0], { T: 1, sides: { rows: true }, sizes: [0, L + 1] }, 'rows only: [L+1, 1, 1]');
    // The warmed session still answers both sides: hidden h[l] = row of (l + 1)s at T = 2.
    const T = 2;
    const hidden = new Float32Array((L + 1) * T * d);
    for (let l = 0; l <= L; l++) hidden.fill(l + 1, l * T * d, (l + 1) * T * d);
    const g = await runner.grams(hidden, T, { cols: true, rows: true });
    assert.equal(g.gram?.length, (L + 1) * d * d);
    assert.equal(g.gramRows?.length, (L + 1) * T * T);
    // Hand-computed: every entry of h[l]^T h[l] is T (l+1)^2, of h[l] h[l]^T d (l+1)^2.
    assert.equal(g.gram?.[L * d * d + 3], T * (L + 1) ** 2);
    assert.equal(g.gramRows?.[L * T * T + 1], d * (L + 1) ** 2);
  } finally {
    await runner.dispose();
  }
});

test("the preload's warm-up analyses a synthetic prompt: 128 tokens on small models, one on large ones", async () => {
  const files = await loadModelFiles(DEMO_MODEL_DIR);
  const runner = await createRunner(files.config, files.weights, { threads: 1, probes: 'full' });
  files.store.close();
  const c = files.config;
  const T = Math.min(PRELOAD_WARM_TOKENS, c.maxPositions);
  assert.equal(preloadWarmTokens(c), T, 'the demo model is small');
  // GPT-2 small's linears (85M weights): 22 GFLOP at 128 tokens, warmed at 128; Llama-3.2-1B's (~1B): one token.
  const gpt2 = { ...c, hiddenSize: 768, numHeads: 12, numKvHeads: 12, headDim: 64, intermediateSize: 3072, numLayers: 12, gatedMlp: false, maxPositions: 1024 };
  assert.equal(preloadWarmTokens(gpt2), 128);
  const llama1b = { ...c, hiddenSize: 2048, numHeads: 32, numKvHeads: 8, headDim: 64, intermediateSize: 8192, numLayers: 16, gatedMlp: true, maxPositions: 131072 };
  assert.equal(preloadWarmTokens(llama1b), 1);
  // The column Gram side is warmed where its [L+1, d, d] output is small: GPT-2 small 29 MiB, the 1B shape 272 MiB.
  assert.equal(warmsColumnGram(c), true);
  assert.equal(warmsColumnGram(gpt2), true);
  assert.equal(warmsColumnGram(llama1b), false);
  const forwards: number[] = [];
  const grams: { T: number; sides: Parameters<Runner['grams']>[2]; size: number }[] = [];
  const spy: Runner = Object.create(runner) as Runner;
  spy.forward = async (req) => {
    forwards.push(req.ids.length);
    return runner.forward(req);
  };
  spy.grams = async (hidden, T, sides) => {
    const out = await runner.grams(hidden, T, sides);
    grams.push({ T, sides, size: out.gram?.length ?? 0 });
    return out;
  };
  try {
    await preloadWarmUp({ config: c, runner: spy, tokenizer: { tokenText: (id) => `#${id}` } });
    assert.deepEqual(forwards, [T], 'one forward of the synthetic prompt');
    const { numLayers: L, hiddenSize: d } = c;
    assert.deepEqual(grams.filter((g) => g.sides.cols), [{ T: 1, sides: { cols: true }, size: (L + 1) * d * d }], 'the column side warmed once, at one token');
  } finally {
    await runner.dispose();
  }
});
