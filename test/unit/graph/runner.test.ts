/** The ONNX runner against an independent float64 plain-loop llama forward, on seeded random models. */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SinkLensError } from '../../../src/shared/errors';
import { buildForwardGraph } from '../../../src/engine/graph/model';
import { createRunner, createRunnerWith } from '../../../src/engine/graph/runner';
import { EXTERNAL_MIN_BYTES, initializerBytes, serializeExternal, serializeInline } from '../../../src/engine/graph/serialize';
import type { Runner } from '../../../src/engine/graph/types';
import { assertClose } from '../../support/assertClose';
import { llamaRef, type LlamaRefResult } from './llamaRef';
import { llamaConfig, randomIds, randomWeights } from './randomModel';

const TOL = { rtol: 1e-4, atol: 1e-5 };

/** attn [L, H, T, T] -> column 0 [L, H, T]. */
function col0(attn: Float64Array, LH: number, T: number): Float64Array {
  return Float64Array.from({ length: LH * T }, (_, i) => attn[i * T] as number);
}

function lastRow(x: Float64Array, T: number, V: number): Float64Array {
  return x.slice((T - 1) * V, T * V);
}

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => SinkLensError.is(e) && e.code === code);
}

describe('graph runner, llama path (GQA, tied head)', () => {
  const cfg = llamaConfig();
  const store = randomWeights(cfg, 7);
  const { weights, loads } = store;
  const ids = randomIds(9, cfg.vocabSize, 3);
  const ref = llamaRef(cfg, weights, ids);
  const T = ids.length;
  let runner: Runner;
  after(() => runner?.dispose());

  it('reads every weight exactly once while building and matches hidden states, attention to BOS and last logits', async () => {
    loads.clear();
    runner = await createRunner(cfg, weights, { threads: 1, probes: 'full' });
    assert.ok([...loads.values()].every((n) => n === 1), `weights loaded more than once: ${JSON.stringify([...loads])}`);
    assert.equal(loads.get('embed'), 1, 'tied embedding emitted once');
    // The caller closes its weight store right after createRunner: nothing may load later
    // (lens and Gram included). llamaRef below reopens it for the oracle only.
    store.close();
    const r = await runner.forward({ ids });
    assert.equal(r.T, T);
    assertClose(r.hidden, ref.hidden, TOL, 'hidden');
    assertClose(r.attnToBos, col0(ref.attn, cfg.numLayers * cfg.numHeads, T), TOL, 'attnToBos');
    assertClose(r.lastLogits, lastRow(ref.logits, T, cfg.vocabSize), TOL, 'lastLogits');
    assert.equal(r.attnMap, undefined);
  });

  it('returns the requested T x T attention map', async () => {
    const r = await runner.forward({ ids, attnMap: { block: 1, head: 2 } });
    const off = (1 * cfg.numHeads + 2) * T * T;
    assertClose(r.attnMap ?? [], ref.attn.slice(off, off + T * T), TOL, 'attnMap');
  });

  it('ablates MLP and attention outputs at position 0 without a rebuild', async () => {
    store.reopen();
    const abl = llamaRef(cfg, weights, ids, { mlp: [0], attn: [1] });
    store.close();
    const r = await runner.forward({ ids, ablateMlp: [0], ablateAttn: [1] });
    assertClose(r.hidden, abl.hidden, TOL, 'ablated hidden');
    assertClose(r.lastLogits, lastRow(abl.logits, T, cfg.vocabSize), TOL, 'ablated logits');
    // And back: no state leaks between calls.
    assertClose((await runner.forward({ ids })).hidden, ref.hidden, TOL, 'hidden after ablation');
  });

  it('logit lens: top-k ids/values and mean next-token cross-entropy of the chosen layers', async () => {
    const layers = [0, 2, 1];
    const k = 3;
    const r = await runner.forward({ ids, logitLens: { layers, topK: k } });
    assert.ok(r.lens);
    assert.deepEqual(r.lens.layers, layers);
    layers.forEach((l, li) => checkLens(ref, l, li, r.lens!, ids, cfg.vocabSize, k));
  });

  it('Gram matrices h[l]^T h[l]', async () => {
    const r = await runner.forward({ ids, gram: true });
    const d = cfg.hiddenSize;
    const want = new Float64Array((cfg.numLayers + 1) * d * d);
    for (let l = 0; l <= cfg.numLayers; l++) {
      for (let i = 0; i < d; i++) {
        for (let j = 0; j < d; j++) {
          let s = 0;
          for (let t = 0; t < T; t++) s += ref.hidden[(l * T + t) * d + i]! * ref.hidden[(l * T + t) * d + j]!;
          want[(l * d + i) * d + j] = s;
        }
      }
    }
    assertClose(r.gram ?? [], want, { rtol: 1e-4, atol: 1e-4 }, 'gram');
  });

  it('is safe to call concurrently and repeatedly', async () => {
    const rs = await Promise.all([runner.forward({ ids }), runner.forward({ ids: ids.slice(0, 1) }), runner.forward({ ids })]);
    assert.deepEqual(rs[0]!.lastLogits, rs[2]!.lastLogits);
    store.reopen();
    const one = llamaRef(cfg, weights, ids.slice(0, 1));
    store.close();
    assertClose(rs[1]!.lastLogits, one.logits, TOL, 'T=1 logits');
    assertClose(rs[1]!.attnToBos, new Float64Array(cfg.numLayers * cfg.numHeads).fill(1), TOL, 'T=1 attention is all on key 0');
    const lens1 = (await runner.forward({ ids: ids.slice(0, 1), logitLens: { layers: [cfg.numLayers], topK: 2 } })).lens!;
    assert.equal(lens1.ids[0], argmax(one.logits), 'T=1 lens top-1 of h[L] = argmax of the logits');
    assert.ok(Number.isNaN(lens1.crossEntropy[0]), 'no next token at T=1: CE is NaN');
    const none = (await runner.forward({ ids, logitLens: { layers: [], topK: 2 } })).lens!;
    assert.equal(none.ids.length, 0);
  });

  it('rejects bad requests with typed errors', async () => {
    await expectCode(runner.forward({ ids: [] }), 'emptyPrompt');
    await expectCode(runner.forward({ ids: randomIds(cfg.maxPositions + 1, cfg.vocabSize, 1) }), 'promptTooLong');
    await expectCode(runner.forward({ ids: [1, cfg.vocabSize] }), 'badRequest');
    await expectCode(runner.forward({ ids: [1, 1.5] }), 'badRequest');
    await expectCode(runner.forward({ ids, ablateMlp: [cfg.numLayers] }), 'badRequest');
    await expectCode(runner.forward({ ids, attnMap: { block: 0, head: cfg.numHeads } }), 'badRequest');
    await expectCode(runner.forward({ ids, logitLens: { layers: [cfg.numLayers + 1], topK: 1 } }), 'badRequest');
    // Still usable afterwards.
    assertClose((await runner.forward({ ids })).lastLogits, lastRow(ref.logits, T, cfg.vocabSize), TOL, 'logits after errors');
  });
});

function checkLens(ref: LlamaRefResult, l: number, li: number, lens: NonNullable<Awaited<ReturnType<Runner['forward']>>['lens']>, ids: readonly number[], V: number, k: number): void {
  const T = ids.length;
  let ce = 0;
  for (let t = 0; t < T; t++) {
    const row = ref.lens.slice((l * T + t) * V, (l * T + t + 1) * V);
    const order = Array.from(row.keys()).sort((a, b) => row[b]! - row[a]!);
    const got = Array.from(lens.ids.slice((li * T + t) * k, (li * T + t + 1) * k));
    assert.deepEqual(got, order.slice(0, k), `lens layer ${l} position ${t} top-${k} ids`);
    assertClose(lens.values.slice((li * T + t) * k, (li * T + t + 1) * k), order.slice(0, k).map((i) => row[i]!), TOL, `lens values ${l}/${t}`);
    if (t < T - 1) {
      const m = Math.max(...row);
      const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
      ce += lse - row[ids[t + 1]!]!;
    }
  }
  assertClose(lens.crossEntropy[li]!, ce / (T - 1), TOL, `lens CE layer ${l}`);
}

describe('graph runner, untied head with biases, external data, bare', () => {
  const cfg = llamaConfig({ tieWordEmbeddings: false, numKvHeads: 4, numLayers: 3, name: 'untied' });
  const { weights } = randomWeights(cfg, 21, { bias: true });
  const ids = randomIds(7, cfg.vocabSize, 5);
  const ref = llamaRef(cfg, weights, ids);
  const tmpRoot = mkdtempSync(join(tmpdir(), 'sinklens-graph-test-'));
  after(() => rmSync(tmpRoot, { recursive: true, force: true }));

  it('writes the weights as external data past the threshold and matches; no temp file outlives the session', async () => {
    const g = buildForwardGraph(cfg, weights, 'full');
    const target = { path: join(tmpRoot, 'probe.onnx.data'), location: 'probe.onnx.data' };
    const proto = serializeExternal(g, target);
    const dataBytes = statSync(target.path).size;
    // Every tensor of at least EXTERNAL_MIN_BYTES moved from the protobuf to the data file.
    const moved = g.initializers.filter((i) => i.byteLength >= EXTERNAL_MIN_BYTES);
    const large = moved.reduce((a, i) => a + i.byteLength, 0);
    assert.ok(large > initializerBytes(g) / 2);
    // (each moved tensor gains < 100 bytes of location/offset/length strings)
    assert.ok(serializeInline(g).length - proto.length >= large - 100 * moved.length, `weights are not inline (${proto.length} protobuf bytes)`);
    assert.ok(dataBytes >= large, `external file holds the weights (${dataBytes} bytes)`);
    rmSync(target.path);

    const runner = await createRunnerWith(cfg, weights, { threads: 1, probes: 'full' }, { externalThresholdBytes: 0, tmpRoot });
    try {
      if (process.platform !== 'win32') assert.deepEqual(readdirSync(tmpRoot), [], 'unlinked right after session creation');
      const r = await runner.forward({ ids });
      assertClose(r.hidden, ref.hidden, TOL, 'hidden (external data)');
      assertClose(r.lastLogits, lastRow(ref.logits, ids.length, cfg.vocabSize), TOL, 'logits (external data)');
      const lens = await runner.forward({ ids, logitLens: { layers: [cfg.numLayers], topK: 1 }, gram: true });
      assert.equal(lens.lens!.ids[ids.length - 1], argmax(lastRow(ref.logits, ids.length, cfg.vocabSize)));
    } finally {
      await runner.dispose();
    }
    assert.deepEqual(readdirSync(tmpRoot), []);
    await expectCode(runner.forward({ ids }), 'badRequest');
  });

  it("probes: 'bare' gives the same last logits and refuses probe requests", async () => {
    const runner = await createRunner(cfg, weights, { threads: 1, probes: 'bare' });
    try {
      const r = await runner.forward({ ids });
      assertClose(r.lastLogits, lastRow(ref.logits, ids.length, cfg.vocabSize), TOL, 'bare logits');
      assert.equal(r.hidden.length, 0);
      await expectCode(runner.forward({ ids, ablateMlp: [0] }), 'badRequest');
    } finally {
      await runner.dispose();
    }
  });

  it('bare graph has no probe outputs and full graph never outputs L x H x T x T', () => {
    const bare = buildForwardGraph(cfg, weights, 'bare');
    assert.deepEqual(bare.outputs.map((o) => o.name), ['logits']);
    const full = buildForwardGraph(cfg, weights, 'full');
    assert.deepEqual(full.outputs.map((o) => o.name), ['logits', 'hidden_states', 'attn_to_bos', 'mix_row_entropy', 'mix_other_mass', 'bos_writes', 'attn_map', 'lens_values', 'lens_ids', 'lens_nll']);
    assert.ok(full.inputs.some((i) => i.name === 'mix_queries'), 'the mixing sample is a graph input');
    // The mixing rows exist only for the sampled queries: [H, m, T] per block, from Gather on mix_queries.
    assert.equal(full.nodes.filter((n) => n.opType === 'Gather' && n.name.endsWith('/attn/mixing/q/Gather')).length, cfg.numLayers);
    assert.ok(full.nodes.some((n) => n.name === '/model/layers.2/attn/q_proj/Gemm'), 'nodes are named by address');
    // The [H, T, T] probabilities are requested only inside the then-branch of each block's If.
    const probOutputs = (nodes: readonly { opType: string; attrs: Record<string, unknown> }[]) =>
      nodes.filter((n) => n.opType === 'Attention' && 'qk_matmul_output_mode' in n.attrs).length;
    assert.equal(probOutputs(full.nodes), 0);
    assert.equal(probOutputs(bare.nodes), 0);
    const ifs = full.nodes.filter((n) => n.opType === 'If' && n.name.includes('/attn/'));
    assert.equal(ifs.length, cfg.numLayers);
  });
});

function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if ((x[i] as number) > (x[best] as number)) best = i;
  return best;
}
