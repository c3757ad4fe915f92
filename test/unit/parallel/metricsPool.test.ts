/**
 * The worker-thread metrics path gives exactly the same RunMetrics as the single-thread path
 * (same pure functions, same data), and small runs stay inline.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { computeRunMetricsChecked, forwardRunMetrics, type RunMetricsInput } from '../../../src/engine/metrics';
import { MetricsPool } from '../../../src/engine/parallel/metricsPool';

const pool = new MetricsPool(2);
after(() => pool.dispose());

function input(T: number, d: number, L: number, H: number, withGram: boolean): RunMetricsInput {
  let s = 12345;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const hidden = Float32Array.from({ length: (L + 1) * T * d }, (_, i) => rnd() * (i % (T * d) < d ? 20 : 1)); // [L+1, T, d], big BOS row
  const attnToBos = Float32Array.from({ length: L * H * T }, () => Math.abs(rnd())); // [L, H, T]
  let gram: Float32Array | undefined;
  if (withGram) {
    gram = new Float32Array((L + 1) * d * d); // [L+1, d, d] = h^T h per layer
    for (let l = 0; l <= L; l++)
      for (let i = 0; i < d; i++)
        for (let j = 0; j < d; j++) {
          let acc = 0;
          for (let t = 0; t < T; t++) acc += (hidden[l * T * d + t * d + i] as number) * (hidden[l * T * d + t * d + j] as number);
          gram[l * d * d + i * d + j] = acc;
        }
  }
  return {
    hidden,
    attnToBos,
    lastLogits: Float32Array.from({ length: 50 }, () => rnd()),
    L,
    T,
    d,
    H,
    gram,
    tokenText: (id) => `t${id}`,
    options: { tau: 0.3, includeFirstQuery: false, entropy: { alpha: 1, excludeBos: false, center: false, rowNormalize: false }, massiveTopK: 5, lastTopK: 5, boundRank: 'full' },
  };
}

test('worker threads and the inline path agree exactly (T <= d)', async () => {
  const inp = input(100, 112, 3, 4, false);
  const before = pool.workerTasks;
  const heard: number[] = [];
  const got = await pool.computeRun(inp, (o) => heard.push(o.metrics.layer));
  assert.deepEqual(got, computeRunMetricsChecked(inp));
  assert.equal(pool.workerTasks - before, 4, 'all four layers ran on workers');
  assert.deepEqual(heard.sort(), [0, 1, 2, 3], 'each layer announced once as it finished');
});

test('worker threads and the inline path agree exactly with the graph Gram (T > d)', async () => {
  const inp = input(140, 100, 2, 2, true);
  assert.deepEqual(await pool.computeRun(inp), computeRunMetricsChecked(inp));
});

test('at most two layers per worker are out at once, so the per-layer copies never add up to a second [L+1, T, d]', async () => {
  const own = new MetricsPool(2);
  try {
    const inp = input(100, 112, 9, 2, false);
    const heard: number[] = [];
    const got = await own.computeRun(inp, (o) => heard.push(o.metrics.layer));
    assert.deepEqual(got, computeRunMetricsChecked(inp));
    assert.equal(own.workerTasks, 10, 'all ten layers ran on workers');
    assert.equal(own.peakInFlight, 4, 'two workers x two layers in flight');
    assert.deepEqual([...heard].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  } finally {
    await own.dispose();
  }
});

test('forward metrics passed in (the first paint\'s) are the layers\' own: the same result, and not computed again', async () => {
  const inp = input(100, 112, 3, 2, false);
  const forward = forwardRunMetrics(inp).layers;
  assert.deepEqual(await pool.computeRun(inp, () => {}, forward), computeRunMetricsChecked(inp));
  // A marked copy shows which values the layers used: the ones passed in, on the workers and here alike.
  const marked = forward.map((f) => ({ ...f, medianOtherNorm: -1 - f.layer }));
  const got = await pool.computeRun(inp, () => {}, marked);
  assert.deepEqual(got.run.layers.map((m) => m.medianOtherNorm), [-1, -2, -3, -4]);
});

test('small runs stay on the calling thread', async () => {
  const inp = input(20, 16, 2, 2, false);
  const before = pool.workerTasks;
  assert.deepEqual(await pool.computeRun(inp), computeRunMetricsChecked(inp));
  assert.equal(pool.workerTasks, before);
});

test('warm() starts the workers once with synthetic layers; results stay exact afterwards', async () => {
  const fresh = new MetricsPool(2);
  try {
    const first = fresh.warm();
    assert.equal(fresh.warm(), first, 'a warm-up under way is the one later callers wait for');
    await first;
    assert.equal(fresh.workerTasks, 12, 'three synthetic layers per side and worker');
    await fresh.warm();
    assert.equal(fresh.workerTasks, 12, 'a second warm-up is a no-op');
    await fresh.warmFor(64);
    assert.equal(fresh.workerTasks, 12);
    const inp = input(100, 112, 2, 2, false);
    assert.deepEqual(await fresh.computeRun(inp), computeRunMetricsChecked(inp));
  } finally {
    await fresh.dispose();
  }
});

test('warmFor: a model whose layers never reach the workers (hidden size < 96) starts none', async () => {
  const small = new MetricsPool(2);
  try {
    await small.warmFor(64);
    assert.equal(small.workerTasks, 0);
    await small.warmFor(128);
    assert.equal(small.workerTasks, 12);
  } finally {
    await small.dispose();
  }
});

test('a NaN/Inf layer through the workers: null entropy and the same nonFinite warning as inline', async () => {
  const inp = input(100, 112, 2, 2, false);
  inp.hidden[1 * 100 * 112 + 5 * 112 + 9] = NaN; // h[1], token 5, dim 9
  const got = await pool.computeRun(inp);
  assert.deepEqual(got, computeRunMetricsChecked(inp));
  assert.equal(got.run.layers[1]!.entropy, null);
  assert.deepEqual(got.warnings.filter((w) => w.code === 'nonFinite').map((w) => w.message.slice(0, 5)), ['h[1] ']);
});
