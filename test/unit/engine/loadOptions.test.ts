/**
 * Load options beyond the defaults: execution providers (plan, fallback with a message, strict
 * failure), threads reaching the session, option validation, and what weights 'auto' picks.
 */
import assert from 'node:assert/strict';
import { totalmem } from 'node:os';
import { after, describe, it } from 'node:test';
import { Engine } from '../../../src/engine/api';
import { DT, GraphBuilder } from '../../../src/engine/graph/builder';
import { serializeInline } from '../../../src/engine/graph/serialize';
import { availableMemory } from '../../../src/engine/plan/check';
import { chooseWeights, PREPACK_MAX_BYTES, prepackWeights, resolveLoadOptions } from '../../../src/engine/precision';
import { paramCounts, planMemory, weightBytes } from '../../../src/engine/plan/memory';
import { createSession, listExecutionProviders, ortSessionOptions, providerPlan } from '../../../src/engine/runtime/ort';
import type { CanonicalConfig } from '../../../src/engine/arch/types';
import { SinkLensError } from '../../../src/shared/errors';
import { DEMO_MODEL_DIR } from '../../support/fixtures';

const engine = new Engine();
after(() => engine.dispose());

function tinyGraph(): Uint8Array {
  const g = new GraphBuilder();
  const x = g.input('x', DT.FLOAT, ['n', 2]);
  g.output(g.op('MatMul', '/m', [x, g.f32([1, 2, 3, 4], [2, 2])]), 'y', DT.FLOAT, ['n', 2]);
  return serializeInline(g);
}

describe('execution providers', () => {
  it('the binding lists its providers, the CPU among them', () => {
    const names = listExecutionProviders().map((b) => b.name);
    assert.ok(names.includes('cpu'), names.join(','));
  });

  it('plans the asked provider first and the CPU last (not when strict); auto tries the listed GPUs', () => {
    const listed = ['cpu', 'webgpu', 'cuda', 'tensorrt'];
    assert.deepEqual(providerPlan('cpu', listed, false), ['cpu']);
    assert.deepEqual(providerPlan('cuda', listed, false), ['cuda', 'cpu']);
    assert.deepEqual(providerPlan('cuda', listed, true), ['cuda']);
    assert.deepEqual(providerPlan('auto', listed, false), ['cuda', 'cpu']);
    assert.deepEqual(providerPlan('auto', ['cpu'], true), ['cpu']);
    assert.deepEqual(providerPlan('dml', listed, false), ['dml', 'cpu']);
  });

  it('asking for cuda falls back to the CPU with a message naming cuda (or runs on cuda where it works)', async () => {
    const s = await createSession(tinyGraph(), { threads: 1, executionProvider: 'cuda' });
    try {
      if (s.executionProvider === 'cpu') assert.match(s.providerNote ?? '', /^Execution provider cuda is unavailable, running on the CPU: cuda: .+\.$/);
      else assert.equal(s.executionProvider, 'cuda');
      const y = (await s.run({ x: { type: 'float32', data: Float32Array.of(1, 1), dims: [1, 2] } }))['y']!.data;
      assert.deepEqual(Array.from(y as Float32Array), [4, 6]);
    } finally {
      await s.release();
    }
    if (s.executionProvider !== 'cpu') return;
    await assert.rejects(
      createSession(tinyGraph(), { threads: 1, executionProvider: 'cuda', strictProvider: true }),
      (e: unknown) => SinkLensError.is(e, 'providerUnavailable') && /^Execution provider cuda is unavailable: cuda: .+ Set sinklens\.executionProvider/.test(e.message),
    );
  });

  it('a provider the build does not list falls back, and fails clearly when strict', async () => {
    const s = await createSession(tinyGraph(), { threads: 1, executionProvider: 'coreml' });
    assert.equal(s.executionProvider, 'cpu');
    assert.match(s.providerNote ?? '', /^Execution provider coreml is unavailable, running on the CPU: coreml: not in this onnxruntime-node build \(it lists cpu/);
    await s.release();
    await assert.rejects(
      createSession(tinyGraph(), { threads: 1, executionProvider: 'coreml', strictProvider: true }),
      (e: unknown) => SinkLensError.is(e, 'providerUnavailable') && /sinklens\.executionProvider/.test(e.message),
    );
  });

  it('the engine reports the fallback in the model info and as a result note', async (t) => {
    const h = await engine.load(DEMO_MODEL_DIR, { executionProvider: 'cuda', weights: 'fp32', threads: 1 });
    if (h.info.precision?.executionProvider === 'cuda') return t.skip('cuda works on this host');
    assert.equal(h.info.precision?.executionProvider, 'cpu');
    const messages: string[] = [];
    const r = await engine.analyze(h, 'The cat sat on the mat.', {}, (p) => p.message && messages.push(p.message));
    assert.ok(r.settings.notes.some((n) => /Execution provider cuda is unavailable/.test(n)), r.settings.notes.join('\n'));
    assert.ok(messages.some((m) => /running on the CPU/.test(m)), messages.join('\n'));
  });
});

describe('threads', () => {
  it('reach the onnxruntime session options', async () => {
    assert.equal(ortSessionOptions({ threads: 3 }, 'cpu').intraOpNumThreads, 3);
    assert.equal(ortSessionOptions({ threads: 0 }, 'cpu').intraOpNumThreads, undefined);
    assert.deepEqual(ortSessionOptions({ threads: 1 }, 'cuda').executionProviders, ['cuda', 'cpu']);
    const s = await createSession(tinyGraph(), { threads: 1 });
    assert.equal(s.threads, 1);
    await s.release();
  });

  it('spin: false asks onnxruntime to block its threads between nodes too, and such a session runs', async () => {
    assert.deepEqual(ortSessionOptions({ threads: 0, spin: false }, 'cpu').extra, { session: { 'intra_op.allow_spinning': '0' } });
    assert.deepEqual(ortSessionOptions({ threads: 0 }, 'cpu').extra, { session: { force_spinning_stop: '1' } });
    const s = await createSession(tinyGraph(), { threads: 2, spin: false });
    const y = await s.run({ x: { type: 'float32', data: Float32Array.from([1, 1]), dims: [1, 2] } });
    assert.deepEqual(Array.from(y['y']!.data as Float32Array), [4, 6]); // [1, 1] x [[1, 2], [3, 4]]
    await s.release();
  });

  it('prepack: false asks onnxruntime not to prepack the weights, and such a session gives the prepacked one\'s outputs', async () => {
    assert.deepEqual(ortSessionOptions({ threads: 0, prepack: false }, 'cpu').extra, { session: { force_spinning_stop: '1', disable_prepacking: '1' } });
    assert.deepEqual(ortSessionOptions({ threads: 0, spin: false, prepack: false }, 'cpu').extra, { session: { 'intra_op.allow_spinning': '0', disable_prepacking: '1' } });
    assert.deepEqual(ortSessionOptions({ threads: 0, prepack: true }, 'cpu').extra, { session: { force_spinning_stop: '1' } });
    // A weight large enough for MLAS's packed GEMM path: [96, 80].
    const g = new GraphBuilder();
    const x = g.input('x', DT.FLOAT, ['n', 96]);
    g.output(g.op('MatMul', '/m', [x, g.f32(Array.from({ length: 96 * 80 }, (_, i) => Math.sin(i * 0.37)), [96, 80])]), 'y', DT.FLOAT, ['n', 80]);
    const bytes = serializeInline(g);
    const feed = { x: { type: 'float32' as const, data: Float32Array.from({ length: 33 * 96 }, (_, i) => Math.cos(i * 0.11)), dims: [33, 96] } };
    const outs: Float32Array[] = [];
    for (const prepack of [true, false]) {
      const s = await createSession(bytes, { threads: 1, prepack });
      outs.push((await s.run(feed))['y']!.data as Float32Array);
      await s.release();
    }
    assert.equal(outs[1]!.length, 33 * 80);
    for (let i = 0; i < outs[0]!.length; i++) assert.ok(Math.abs(outs[0]![i]! - outs[1]![i]!) <= 1e-5 * (1 + Math.abs(outs[0]![i]!)), `output ${i}: ${outs[0]![i]} vs ${outs[1]![i]}`);
  });

  it('arena: true turns on onnxruntime\'s CPU memory arena (the forward session\'s), off by default (the Gram sides), and such a session runs', async () => {
    assert.equal(ortSessionOptions({ threads: 0, arena: true }, 'cpu').enableCpuMemArena, true);
    assert.equal(ortSessionOptions({ threads: 0 }, 'cpu').enableCpuMemArena, false);
    const s = await createSession(tinyGraph(), { threads: 1, arena: true });
    for (let i = 0; i < 3; i++) {
      const y = await s.run({ x: { type: 'float32', data: Float32Array.from([1, 1]), dims: [1, 2] } });
      assert.deepEqual(Array.from(y['y']!.data as Float32Array), [4, 6]);
    }
    await s.release();
  });

  it('the load option reaches the runner and the settings echo', async () => {
    const h = await engine.load(DEMO_MODEL_DIR, { threads: 1, weights: 'fp32' });
    const r = await engine.analyze(h, 'Hello there.');
    assert.equal(r.settings.threads, 1);
    assert.deepEqual(r.model.precision, { weights: 'fp32', requested: 'fp32', executionProvider: 'cpu', reason: null, providerNote: null });
  });
});

describe('load option validation and weights auto', () => {
  it('bad values are badRequest with the allowed values', () => {
    const bad = (o: object, re: RegExp) => assert.throws(() => resolveLoadOptions(o), (e: unknown) => SinkLensError.is(e, 'badRequest') && re.test(e.message));
    bad({ weights: 'int3' }, /weights must be one of auto, fp32, fp16, int8, int4/);
    bad({ executionProvider: 'tpu' }, /executionProvider must be one of auto, cpu, cuda/);
    bad({ threads: -1 }, /threads must be an integer/);
    assert.deepEqual(resolveLoadOptions({}), { threads: 0, weights: 'auto', executionProvider: 'cpu', strictProvider: false });
  });

  const llama8b: CanonicalConfig = {
    arch: 'llama', modelType: 'llama', hiddenSize: 4096, numLayers: 32, numHeads: 32, numKvHeads: 8, headDim: 128, intermediateSize: 14336,
    vocabSize: 128256, maxPositions: 8192, norm: 'rms', normEps: 1e-5, act: 'silu', gatedMlp: true, position: 'rope',
    rope: { theta: 500000, rotaryDim: 128, scaling: null }, attnScale: 1 / Math.sqrt(128), parallelResidual: false, qkNorm: false,
    tieWordEmbeddings: false, bosTokenId: 1, eosTokenId: 2, name: 'llama-3-8b-shape',
  };

  it('counts the parameters of a Llama-3-8B shape', () => {
    const p = paramCounts(llama8b);
    // Meta-Llama-3-8B's parameter count (norms: two per layer and the final one; paramCounts.other bounds them from above).
    assert.equal(p.linear + p.embed + p.head + (2 * llama8b.numLayers + 1) * llama8b.hiddenSize, 8_030_261_248);
    assert.ok(weightBytes(llama8b, 'int4') < weightBytes(llama8b, 'int8') && weightBytes(llama8b, 'int8') < weightBytes(llama8b, 'fp32'));
  });

  it('available memory is read from the OS (MemAvailable on Linux): positive and below the total', () => {
    const avail = availableMemory();
    assert.ok(avail > 0 && avail <= totalmem(), `${avail} of ${totalmem()}`);
  });

  it('float32 weights above 64 MiB skip prepacking at load; smaller ones and quantised linears keep it', () => {
    // The Llama-3-8B shape: 30 GiB of float32 weights.
    assert.equal(prepackWeights(llama8b, 'fp32'), false);
    assert.equal(prepackWeights(llama8b, 'fp16'), false);
    assert.equal(prepackWeights(llama8b, 'int8'), true, 'MatMulNBits takes its compute layout from prepacking');
    assert.equal(prepackWeights(llama8b, 'int4'), true);
    // GPT-2 small (0.6 GiB with its tied head's copy): its load waited 2-2.5 s for prepacking on this machine.
    const gpt2: CanonicalConfig = { ...llama8b, hiddenSize: 768, numLayers: 12, numHeads: 12, numKvHeads: 12, headDim: 64, intermediateSize: 3072, vocabSize: 50257, maxPositions: 1024, position: 'learned', gatedMlp: false, tieWordEmbeddings: true };
    assert.equal(prepackWeights(gpt2, 'fp32'), false);
    // The boundary: the same small shape with one more layer crosses PREPACK_MAX_BYTES.
    const shape = (numLayers: number): CanonicalConfig => ({ ...llama8b, hiddenSize: 256, numHeads: 4, numKvHeads: 2, headDim: 64, intermediateSize: 704, vocabSize: 8000, numLayers });
    let layers = 1;
    while (weightBytes(shape(layers + 1), 'fp32') <= PREPACK_MAX_BYTES) layers++;
    assert.ok(layers > 4, `${layers} layers`);
    assert.equal(prepackWeights(shape(layers), 'fp32'), true, `${weightBytes(shape(layers), 'fp32')} bytes`);
    assert.equal(prepackWeights(shape(layers + 1), 'fp32'), false, `${weightBytes(shape(layers + 1), 'fp32')} bytes`);
    assert.equal(prepackWeights(shape(layers + 1), 'int4'), true);
  });

  it('auto picks fp32 when it fits in half the memory, else int8, else int4, and says why', () => {
    const GiB = 2 ** 30;
    assert.equal(chooseWeights(llama8b, 80 * GiB).weights, 'fp32');
    const mid = chooseWeights(llama8b, 24 * GiB);
    assert.equal(mid.weights, 'int8');
    assert.match(mid.reason, /^weights auto → int8: int8 weights take \d+\.\d\d GiB of 24\.00 GiB available memory; fp32 \(29\.\d\d GiB\) does not/);
    assert.equal(chooseWeights(llama8b, 12 * GiB).weights, 'int4');
    assert.match(chooseWeights(llama8b, 4 * GiB).reason, /even int4 weights .* exceed half/);
    // The weights auto weighs are the memory plan's (one estimate: plan/memory.ts weightBytes).
    for (const weights of ['fp32', 'int8', 'int4'] as const) {
      const planned = planMemory({ config: llama8b, precision: weights, workload: { tokens: 256, probes: 'full', ablation: false, lensLayers: 0 }, cached: true });
      assert.equal(planned.weightsBytes, weightBytes(llama8b, weights));
      const pick = chooseWeights(llama8b, 2.05 * planned.weightsBytes);
      assert.equal(pick.weights, weights, `${weights}: picked when twice its planned weights are available`);
      assert.ok(pick.reason.includes(`${(planned.weightsBytes / GiB).toFixed(2)} GiB`), pick.reason);
    }
  });
});
