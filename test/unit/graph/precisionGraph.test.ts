/**
 * The graph side of weight precisions: which op each linear becomes, what stays float32 (embeddings,
 * norms, a tied head), the 8-bit untied head in int4 mode, and streaming (each weight read once,
 * the store closable as soon as the runner exists).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DT } from '../../../src/engine/graph/builder';
import { buildForwardGraph } from '../../../src/engine/graph/model';
import { quantizeBlockwise, type QuantBits } from '../../../src/engine/graph/quant';
import { createRunner, createRunnerWith } from '../../../src/engine/graph/runner';
import type { LinearWeights, ModelWeights, WeightRef } from '../../../src/engine/model/types';
import type { WeightPrecision } from '../../../src/shared/result';
import { assertClose } from '../../support/assertClose';
import { llamaRef } from './llamaRef';
import { dequantize } from './nbitsRef';
import { llamaConfig, randomIds, randomWeights } from './randomModel';

const opsOf = (g: ReturnType<typeof buildForwardGraph>, prefix: string) => g.nodes.filter((n) => n.name.startsWith(prefix)).map((n) => n.opType);

describe('graph: linear layers per precision', () => {
  const cfg = llamaConfig({ tieWordEmbeddings: false });
  const w = randomWeights(cfg, 3).weights;

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

  it('a tied head is the float32 embedding, never quantised', () => {
    const tied = llamaConfig({ tieWordEmbeddings: true });
    const g = buildForwardGraph(tied, randomWeights(tied, 4).weights, 'full', { weights: 'int4' });
    assert.deepEqual(opsOf(g, '/lm_head/'), ['Gemm', 'Reshape']);
    assert.equal(g.nodes.find((n) => n.name === '/lm_head/Gemm')?.inputs[1], 'model.embed_tokens.weight');
  });
});

describe('graph: quantised weights stream', () => {
  it('parts asked for in any order give the same bytes: one weight held at a time, recomputed when needed', () => {
    const cfg = llamaConfig({ tieWordEmbeddings: false });
    const rw = randomWeights(cfg, 6);
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
    assert.equal(rw.loads.get('l0.q.weight'), 1 + 3, 'recomputed per part rather than held');
  });

  for (const p of ['fp16', 'int8', 'int4'] as WeightPrecision[]) {
    it(`${p}: every weight is read exactly once and the store can close before the first forward`, async () => {
      const cfg = llamaConfig({ tieWordEmbeddings: false });
      const rw = randomWeights(cfg, 5);
      const runner = await createRunner(cfg, rw.weights, { threads: 1, probes: 'full', weights: p });
      try {
        rw.close();
        for (const [key, n] of rw.loads) assert.equal(n, 1, `${key} loaded ${n} times`);
        assert.ok(rw.loads.has('l1.down.weight') && rw.loads.has('lm_head'));
        const out = await runner.forward({ ids: randomIds(9, cfg.vocabSize, 1), logitLens: { layers: [0, 2], topK: 1 } });
        assert.equal(out.hidden.length, (cfg.numLayers + 1) * 9 * cfg.hiddenSize);
        assert.ok(out.hidden.every(Number.isFinite) && out.lastLogits.every(Number.isFinite));
      } finally {
        await runner.dispose();
      }
    });
  }
});

/** The same weights with every quantised matrix replaced by its independent float64 decoding. */
/** Symmetric per bit width as in DEFAULT_QUANT_SCHEME: int8 without zero points, int4 with. */
const SYMMETRIC: Record<QuantBits, boolean> = { 8: true, 4: false };

function dequantizedWeights(w: ModelWeights, bits: QuantBits, headBits: QuantBits | null): ModelWeights {
  const deq = (r: WeightRef, b: QuantBits): WeightRef => ({
    key: `deq:${r.key}`,
    dims: r.dims,
    load: () => Float32Array.from(dequantize(quantizeBlockwise(r.load(), r.dims[0] as number, r.dims[1] as number, b, SYMMETRIC[b]))),
  });
  const lin = (l: LinearWeights | null): LinearWeights | null => (l ? { weight: deq(l.weight, bits), bias: l.bias } : null);
  return {
    ...w,
    layers: w.layers.map((l) => ({ ...l, q: lin(l.q)!, k: lin(l.k)!, v: lin(l.v)!, o: lin(l.o)!, gate: lin(l.gate), up: lin(l.up)!, down: lin(l.down)! })),
    lmHead: headBits ? deq(w.lmHead, headBits) : w.lmHead,
  };
}

describe('graph: a quantised model is the float model of its dequantised weights', () => {
  // accuracy_level 0 computes in float32, so the only difference left is float32 rounding: this pins
  // the wiring (K/N, the torch layout, bias Add, the 8-bit head) independently of quantisation error.
  const cfg = llamaConfig({ tieWordEmbeddings: false, hiddenSize: 48, headDim: 12, intermediateSize: 80 }); // K = 48, 80: padded blocks
  const rw = randomWeights(cfg, 11, { bias: true });
  const ids = randomIds(7, cfg.vocabSize, 2);
  for (const [p, bits, headBits] of [['int8', 8, 8], ['int4', 4, 8]] as const) {
    it(`${p} (level 0) vs the float64 oracle on dequantised weights`, async () => {
      const runner = await createRunnerWith(cfg, rw.weights, { threads: 1, probes: 'full', weights: p }, { quant: { accuracyLevel: 0 } });
      try {
        const out = await runner.forward({ ids });
        const ref = llamaRef(cfg, dequantizedWeights(rw.weights, bits, headBits), ids);
        assertClose(out.hidden, ref.hidden, { rtol: 1e-4, atol: 1e-5 }, `${p} hidden`);
        const V = cfg.vocabSize;
        assertClose(out.lastLogits, ref.logits.slice((ids.length - 1) * V, ids.length * V), { rtol: 1e-4, atol: 1e-5 }, `${p} logits`);
      } finally {
        await runner.dispose();
      }
    });
  }
});
