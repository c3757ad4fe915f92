/** The ONNX runner against the float64 oracle (test/support/reference), on seeded random llama models. */
import { GraphCache } from '../../../src/engine/cache/graphCache';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SinkLensError } from '../../../src/shared/errors';
import { DT, GraphBuilder } from '../../../src/engine/graph/builder';
import { buildGramGraph } from '../../../src/engine/graph/gram';
import { createSession } from '../../../src/engine/runtime/ort';
import { buildForwardGraph } from '../../../src/engine/graph/model';
import { createRunner, createRunnerWith } from '../../../src/engine/graph/runner';
import { EXTERNAL_MIN_BYTES, initializerBytes, serializeExternal, serializeInline } from '../../../src/engine/graph/serialize';
import type { Runner } from '../../../src/engine/graph/types';
import { assertClose } from '../../support/assertClose';
import { generateModel, randomIds } from '../../support/genModel';
import { lensLogits, loadRefModel, referenceForward, type RefOptions, type RefResult } from '../../support/reference';
import { llamaSpec, loadCounted, type CountedModel } from './countedWeights';
import { argmax, lastRow } from '../../support/arrays';

const TOL = { rtol: 1e-4, atol: 1e-5 };
const root = mkdtempSync(join(tmpdir(), 'sinklens-runner-'));
after(() => rmSync(root, { recursive: true, force: true }));

interface Ref extends RefResult {
  /** Final norm + head applied to every h[l]: [L+1, T, V]. */
  lens: Float64Array;
}

/** The oracle's forward of a model folder, with its logit lens. */
function oracle(dir: string, ids: number[], opts: RefOptions = {}): Ref {
  const m = loadRefModel(dir);
  const r = referenceForward(dir, ids, opts);
  return { ...r, lens: lensLogits(m, r) };
}

/** attn [L, H, T, T] -> column 0 [L, H, T]. */
function col0(attn: Float64Array, LH: number, T: number): Float64Array {
  return Float64Array.from({ length: LH * T }, (_, i) => attn[i * T] as number);
}

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => SinkLensError.is(e) && e.code === code);
}

describe('graph runner, llama path (GQA, tied head)', () => {
  const spec = llamaSpec({ seed: 7 });
  const dir = join(root, 'tied');
  generateModel(dir, spec);
  const ids = randomIds(9, spec.vocab, 3);
  const ref = oracle(dir, ids);
  const T = ids.length;
  let model: CountedModel;
  let cfg: CountedModel['config'];
  let runner: Runner;
  before(async () => {
    model = await loadCounted(dir);
    cfg = model.config;
  });
  after(async () => {
    await runner?.dispose();
    model?.dispose();
  });

  it('reads every weight exactly once while building and matches hidden states, attention to BOS and last logits', async () => {
    const { weights, loads } = model;
    loads.clear();
    runner = await createRunner(cfg, weights, { threads: 1, probes: 'full' });
    assert.ok([...loads.values()].every((n) => n === 1), `weights loaded more than once: ${JSON.stringify([...loads])}`);
    assert.equal(weights.lmHead, weights.embed, 'the head is the tied embedding');
    assert.equal(loads.get(weights.embed.key), 1, 'tied embedding emitted once');
    // The caller closes its weight store right after createRunner: nothing may load later
    // (lens and Gram included). The oracle reads the model folder itself.
    model.close();
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
    const abl = oracle(dir, ids, { ablateMlp: [0], ablateAttn: [1] });
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
    assert.equal(r.gramRows, undefined, 'only the side asked for');
  });

  it('Gram matrices h[l] h[l]^T (the T x T side)', async () => {
    const r = await runner.forward({ ids, gramRows: true });
    const d = cfg.hiddenSize;
    const want = new Float64Array((cfg.numLayers + 1) * T * T);
    for (let l = 0; l <= cfg.numLayers; l++) {
      for (let a = 0; a < T; a++) {
        for (let b = 0; b < T; b++) {
          let s = 0;
          for (let j = 0; j < d; j++) s += ref.hidden[(l * T + a) * d + j]! * ref.hidden[(l * T + b) * d + j]!;
          want[(l * T + a) * T + b] = s;
        }
      }
    }
    assertClose(r.gramRows ?? [], want, { rtol: 1e-4, atol: 1e-4 }, 'gramRows');
    assert.equal(r.gram, undefined, 'only the side asked for');
  });

  it('onnxruntime runs every node of a graph whatever a run fetches (why optional work sits behind an If or in its own graph)', async () => {
    // Two outputs from one input: a plain copy, and a Reshape to [3] that fails on a [2] input.
    const g = new GraphBuilder();
    const x = g.input('x', DT.FLOAT, ['n']);
    g.output(g.op('Identity', '/copy/Identity', [x]), 'copy', DT.FLOAT, ['n']);
    g.output(g.op('Reshape', '/bad/Reshape', [x, g.i64([3])]), 'bad', DT.FLOAT, [3]);
    const session = await createSession(serializeInline(g), { threads: 1 });
    try {
      const feeds = { x: { type: 'float32' as const, data: Float32Array.of(1, 2), dims: [2] } };
      await assert.rejects(session.run(feeds, ['copy']), (e: unknown) => SinkLensError.is(e) && e.code === 'runtimeError', 'the unfetched Reshape still ran');
      const ok = await session.run({ x: { type: 'float32', data: Float32Array.of(1, 2, 3), dims: [3] } }, ['copy']);
      assert.deepEqual(Array.from(ok['copy']?.data as Float32Array), [1, 2, 3]);
    } finally {
      await session.release();
    }
  });

  it('each Gram side is its own graph (onnxruntime runs every node of a graph, fetched or not)', () => {
    const matmuls = (side: 'cols' | 'rows') => buildGramGraph(cfg, side).nodes.filter((n) => n.opType === 'MatMul').map((n) => n.name);
    assert.deepEqual(matmuls('cols'), ['/gram/MatMul']);
    assert.deepEqual(matmuls('rows'), ['/gram/rows/MatMul']);
  });

  it('grams() on a forward\'s hidden states equals asking the forward for them', async () => {
    const both = await runner.forward({ ids, gram: true, gramRows: true });
    const later = await runner.grams(both.hidden, T, { cols: true, rows: true });
    assert.deepEqual(later.gram, both.gram);
    assert.deepEqual(later.gramRows, both.gramRows);
    assert.deepEqual(await runner.grams(both.hidden, T, {}), {});
    await assert.rejects(runner.grams(both.hidden.subarray(1), T, { cols: true }), /expected/);
  });

  it('is safe to call concurrently and repeatedly', async () => {
    const rs = await Promise.all([runner.forward({ ids }), runner.forward({ ids: ids.slice(0, 1) }), runner.forward({ ids })]);
    assert.deepEqual(rs[0]!.lastLogits, rs[2]!.lastLogits);
    const one = oracle(dir, ids.slice(0, 1));
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

function checkLens(ref: Ref, l: number, li: number, lens: NonNullable<Awaited<ReturnType<Runner['forward']>>['lens']>, ids: readonly number[], V: number, k: number): void {
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
  const spec = llamaSpec({ name: 'untied', tie: false, kvHeads: 4, layers: 3, attentionBias: true, mlpBias: true, seed: 21 });
  const dir = join(root, 'untied');
  generateModel(dir, spec);
  const ids = randomIds(7, spec.vocab, 5);
  const ref = oracle(dir, ids);
  const tmpRoot = mkdtempSync(join(tmpdir(), 'sinklens-graph-test-'));
  let model: CountedModel;
  let cfg: CountedModel['config'];
  let weights: CountedModel['weights'];
  before(async () => {
    model = await loadCounted(dir);
    ({ config: cfg, weights } = model);
  });
  after(() => {
    model?.dispose();
    rmSync(tmpRoot, { recursive: true, force: true });
  });

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

    // maxBytes 0: no cache, the graph is written to a scratch folder of the staging area.
    const scratch = { cache: new GraphCache({ dir: tmpRoot, maxBytes: 0 }), fingerprint: 'scratch', describe: { model: 'untied', modelDir: tmpRoot, options: '{}' } };
    const runner = await createRunnerWith(cfg, weights, { threads: 1, probes: 'full' }, { externalThresholdBytes: 0, cache: scratch });
    const staging = join(tmpRoot, 'staging');
    try {
      if (process.platform !== 'win32') assert.deepEqual(readdirSync(staging), [], 'unlinked right after session creation');
      const r = await runner.forward({ ids });
      assertClose(r.hidden, ref.hidden, TOL, 'hidden (external data)');
      assertClose(r.lastLogits, lastRow(ref.logits, ids.length, cfg.vocabSize), TOL, 'logits (external data)');
      const lens = await runner.forward({ ids, logitLens: { layers: [cfg.numLayers], topK: 1 }, gram: true });
      assert.equal(lens.lens!.ids[ids.length - 1], argmax(lastRow(ref.logits, ids.length, cfg.vocabSize)));
    } finally {
      await runner.dispose();
    }
    assert.deepEqual(readdirSync(staging), []);
    assert.deepEqual(readdirSync(tmpRoot), ['staging'], 'nothing but the (empty) staging area');
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
    assert.deepEqual(full.outputs.map((o) => o.name), ['logits', 'hidden_states', 'attn_to_bos', 'attn_map', 'lens_values', 'lens_ids', 'lens_nll', 'token_loss', 'mix_row_entropy', 'mix_other_mass', 'bos_writes']);
    assert.ok(full.inputs.some((i) => i.name === 'mix_queries'), 'the mixing sample is a graph input');
    for (const name of ['intervene_mlp', 'intervene_attn', 'intervene_mlp_pos', 'intervene_attn_pos', 'head_mask', 'loss_on']) {
      assert.ok(full.inputs.some((i) => i.name === name), `interventions and the loss are switched by graph input ${name}`);
    }
    // The loss's [T, V] logits exist only inside the If that loss_on switches.
    assert.ok(full.nodes.some((n) => n.opType === 'If' && n.name === '/model/loss/If'));
    assert.ok(!full.nodes.some((n) => n.name.startsWith('/model/loss/lm_head')), 'no [T, V] logits outside the If');
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
