/**
 * The graph side of weight precisions: which op each linear becomes, what stays float32 (embeddings,
 * norms, a tied head), the 8-bit untied head in int4 mode, and streaming (each weight read once,
 * the store closable as soon as the runner exists).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DT } from '../../../src/engine/graph/builder';
import { buildForwardGraph } from '../../../src/engine/graph/model';
import { quantizeBlockwise, type QuantBits } from '../../../src/engine/graph/quant';
import { createRunner, createRunnerWith } from '../../../src/engine/graph/runner';
import type { WeightPrecision } from '../../../src/shared/result';
import { assertClose } from '../../support/assertClose';
import { generateModel, randomIds, type ModelSpec } from '../../support/genModel';
import { forwardModel, loadRefModel, type RefModel } from '../../support/reference';
import type { RefLinear } from '../../support/reference/ops';
import { llamaSpec, loadCounted, type CountedModel } from './countedWeights';
import { dequantize } from './nbitsRef';

const tmp = mkdtempSync(join(tmpdir(), 'sinklens-precision-graph-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let seq = 0;

/** A generated llama folder (untied head unless `over` says otherwise), loaded with every weight load counted. */
async function model(over: Partial<ModelSpec> = {}, seed = 3): Promise<CountedModel & { dir: string }> {
  const dir = join(tmp, `m${++seq}`);
  generateModel(dir, llamaSpec({ tie: false, seed, ...over }));
  return { dir, ...(await loadCounted(dir)) };
}

const Q = 'model.layers.0.self_attn.q_proj.weight';
const DOWN1 = 'model.layers.1.mlp.down_proj.weight';

const opsOf = (g: ReturnType<typeof buildForwardGraph>, prefix: string) => g.nodes.filter((n) => n.name.startsWith(prefix)).map((n) => n.opType);

describe('graph: linear layers per precision', async () => {
  const m = await model();
  const cfg = m.config;
  const w = m.weights;
  after(() => m.dispose());

  it('fp32 Gemm, fp16 Cast + Gemm, int8/int4 MatMulNBits (com.microsoft) with the chosen bits', () => {
    assert.deepEqual(opsOf(buildForwardGraph(cfg, w, 'bare'), '/model/layers.0/attn/q_proj/'), ['Gemm']);
    assert.deepEqual(opsOf(buildForwardGraph(cfg, w, 'bare', { weights: 'fp16' }), '/model/layers.0/attn/q_proj/'), ['Cast', 'Gemm']);
    for (const [p, bits] of [['int8', 8], ['int4', 4]] as const) {
      const g = buildForwardGraph(cfg, w, 'full', { weights: p });
      const node = g.nodes.find((n) => n.name === '/model/layers.1/mlp/down_proj/MatMulNBits');
      assert.ok(node, p);
      assert.equal(node.domain, 'com.microsoft');
      assert.deepEqual(
        Object.fromEntries(Object.entries(node.attrs).map(([k, a]) => [k, a.v])),
        { K: cfg.intermediateSize, N: cfg.hiddenSize, bits, block_size: 32, accuracy_level: 4 },
      );
      // int4 has a zero-point input, int8 is symmetric (no zero points).
      assert.equal(node.inputs.length, p === 'int4' ? 4 : 3);
    }
  });

  it('embeddings and norms stay float32; an untied head is 8-bit in int4 mode and shared with the lens', () => {
    const g = buildForwardGraph(cfg, w, 'full', { weights: 'int4' });
    const init = new Map(g.initializers.map((i) => [i.name, i]));
    assert.equal(init.get('model.embed_tokens.weight')?.dataType, DT.FLOAT);
    assert.equal(init.get('/model/layers.0/attn_norm/weight')?.dataType, DT.FLOAT);
    const head = g.nodes.filter((n) => n.opType === 'MatMulNBits' && n.name.includes('lm_head'));
    assert.equal(head.length, 1, 'the last-position head (the lens loop body is a subgraph)');
    assert.equal(head[0]?.attrs['bits']?.v, 8);
    assert.equal(g.initializers.filter((i) => i.name.startsWith('/lm_head/weight_q')).length, 1, 'one packed head, reused by the lens');
    assert.equal(g.initializers.filter((i) => i.dataType === DT.UINT8 && i.name.includes('q4bit')).length, cfg.numLayers * 7 * 2);
  });

  it('a tied head is the float32 embedding, never quantised', async () => {
    const tied = await model({ tie: true }, 4);
    const g = buildForwardGraph(tied.config, tied.weights, 'full', { weights: 'int4' });
    tied.dispose();
    assert.deepEqual(opsOf(g, '/lm_head/'), ['Gemm', 'Reshape']);
    assert.equal(g.nodes.find((n) => n.name === '/lm_head/Gemm')?.inputs[1], 'model.embed_tokens.weight');
  });
});

describe('graph: quantised weights stream', () => {
  it('parts asked for in any order give the same bytes: one weight held at a time, recomputed when needed', async () => {
    const rw = await model({}, 6);
    const cfg = rw.config;
    const g = buildForwardGraph(cfg, rw.weights, 'full', { weights: 'int4' });
    const inOrder = g.initializers.map((i) => Buffer.from(i.bytes()).toString('base64'));
    const loadsInOrder = new Map(rw.loads);
    for (const [key, n] of loadsInOrder) assert.equal(n, 1, `${key}: once in writing order`);
    // Every packed weight first, then every scale, then every zero point: weights interleave.
    const rank = (name: string) => (name.includes('/weight_q') ? 0 : name.includes('/scales_q') ? 1 : 2);
    const order = g.initializers.map((_, i) => i).sort((a, b) => rank(g.initializers[a]!.name) - rank(g.initializers[b]!.name) || a - b);
    const shuffled: string[] = [];
    for (const i of order) shuffled[i] = Buffer.from(g.initializers[i]!.bytes()).toString('base64');
    assert.deepEqual(shuffled, inOrder);
    assert.equal(rw.loads.get(Q), 1 + 3, 'recomputed per part rather than held');
    rw.dispose();
  });

  for (const p of ['fp16', 'int8', 'int4'] as WeightPrecision[]) {
    it(`${p}: every weight is read exactly once and the store can close before the first forward`, async () => {
      const rw = await model({}, 5);
      const cfg = rw.config;
      const runner = await createRunner(cfg, rw.weights, { threads: 1, probes: 'full', weights: p });
      try {
        rw.close();
        for (const [key, n] of rw.loads) assert.equal(n, 1, `${key} loaded ${n} times`);
        assert.ok(rw.loads.has(DOWN1) && rw.loads.has('lm_head.weight'));
        const out = await runner.forward({ ids: randomIds(9, cfg.vocabSize, 1), logitLens: { layers: [0, 2], topK: 1 } });
        assert.equal(out.hidden.length, (cfg.numLayers + 1) * 9 * cfg.hiddenSize);
        assert.ok(out.hidden.every(Number.isFinite) && out.lastLogits.every(Number.isFinite));
      } finally {
        await runner.dispose();
        rw.dispose();
      }
    });
  }
});

/** Symmetric per bit width as in DEFAULT_QUANT_SCHEME: int8 without zero points, int4 with. */
const SYMMETRIC: Record<QuantBits, boolean> = { 8: true, 4: false };

/** The oracle's model with every quantised matrix replaced by its independent float64 decoding. */
function dequantizedRef(ref: RefModel, bits: QuantBits, headBits: QuantBits | null): RefModel {
  const deq = (l: RefLinear, b: QuantBits): RefLinear => ({
    ...l,
    w: Float64Array.from(dequantize(quantizeBlockwise(Float32Array.from(l.w), l.out, l.in, b, SYMMETRIC[b]))),
  });
  const lin = (l: RefLinear | null): RefLinear | null => (l ? deq(l, bits) : null);
  const w = ref.weights;
  return {
    ...ref,
    weights: {
      ...w,
      layers: w.layers.map((l) => ({ ...l, q: deq(l.q, bits), k: deq(l.k, bits), v: deq(l.v, bits), o: deq(l.o, bits), gate: lin(l.gate), up: deq(l.up, bits), down: deq(l.down, bits) })),
      lmHead: headBits ? deq(w.lmHead, headBits) : w.lmHead,
    },
  };
}

describe('graph: a quantised model is the float model of its dequantised weights', async () => {
  // accuracy_level 0 computes in float32, so the only difference left is float32 rounding: this pins
  // the wiring (K/N, the torch layout, bias Add, the 8-bit head) independently of quantisation error.
  const m = await model({ hidden: 48, headDim: 12, intermediate: 80, attentionBias: true, mlpBias: true }, 11); // K = 48, 80: padded blocks
  after(() => m.dispose());
  const cfg = m.config;
  const ref = loadRefModel(m.dir);
  const ids = randomIds(7, cfg.vocabSize, 2);
  for (const [p, bits, headBits] of [['int8', 8, 8], ['int4', 4, 8]] as const) {
    it(`${p} (level 0) vs the float64 oracle on dequantised weights`, async () => {
      const runner = await createRunnerWith(cfg, m.weights, { threads: 1, probes: 'full', weights: p }, { quant: { accuracyLevel: 0 } });
      try {
        const out = await runner.forward({ ids });
        const r = forwardModel(dequantizedRef(ref, bits, headBits), ids);
        assertClose(out.hidden, r.hidden, { rtol: 1e-4, atol: 1e-5 }, `${p} hidden`);
        const V = cfg.vocabSize;
        assertClose(out.lastLogits, r.logits.slice((ids.length - 1) * V, ids.length * V), { rtol: 1e-4, atol: 1e-5 }, `${p} logits`);
      } finally {
        await runner.dispose();
      }
    });
  }
});
