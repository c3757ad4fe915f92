/**
 * Quantised GGUF matrices run as stored: a generated llama (GQA, untied head, rows of 256 so every
 * K-quant applies, q/k rows permuted in the file) forwards the same through MatMulNBits on the
 * stored blocks as through float32 Gemms on the dequantised weights (accuracy_level 0: float
 * compute, so only accumulation order differs); which linears are taken as stored and which are
 * quantised again follows the precision; and sinklens-tiny's metrics in Q4_0 / Q8_0 at the engine's
 * default int4 / int8 stay within the level-4 drift docs/gguf.md records of the fp32 ones.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Engine } from '../../../../src/engine/api';
import { describeLinearSources, storedLinearBytesPerWeight } from '../../../../src/engine/graph/linearSources';
import { DEFAULT_WORKLOAD } from '../../../../src/engine/loaded';
import { BYTES_PER_WEIGHT, planMemory } from '../../../../src/engine/plan/memory';
import { SinkLensError } from '../../../../src/shared/errors';
import { buildForwardGraph } from '../../../../src/engine/graph/model';
import { createRunnerWith } from '../../../../src/engine/graph/runner';
import { graphSignature, serializeInline } from '../../../../src/engine/graph/serialize';
import type { ModelWeights, WeightRef } from '../../../../src/engine/weights/types';
import type { ForwardResult } from '../../../../src/engine/graph/types';
import { loadModelFiles } from '../../../../src/engine/model/load';
import type { WeightPrecision } from '../../../../src/shared/result';
import { assertClose } from '../../../support/assertClose';
import { requireFixture } from '../../../support/fixtures';
import { generateModel, randomIds, type ModelSpec } from '../../../support/genModel';
import { writeGgufModel } from '../../../support/ggufModel';

const root = mkdtempSync(join(tmpdir(), 'sinklens-gguf-direct-'));
const engine = new Engine();
after(() => {
  engine.dispose();
  rmSync(root, { recursive: true, force: true });
});

const SPEC: ModelSpec = { name: 'llama-kquant', family: 'llama', hidden: 256, layers: 2, heads: 4, kvHeads: 2, intermediate: 512, vocab: 64, tie: false, seed: 23 };

function gguf(quant: 'Q4_0' | 'Q8_0' | 'Q4_K' | 'Q5_K' | 'Q6_K'): string {
  const dir = join(root, 'hf');
  mkdirSync(dir, { recursive: true });
  generateModel(dir, SPEC);
  return writeGgufModel(dir, join(root, `${quant}.gguf`), { quant }).path;
}

async function forward(path: string, ids: number[], weights: WeightPrecision): Promise<ForwardResult> {
  const f = await loadModelFiles(path);
  const runner = await createRunnerWith(f.config, f.weights, { threads: 1, probes: 'full', weights }, { quant: { accuracyLevel: 0 } }).finally(() => f.store.close());
  try {
    return await runner.forward({ ids });
  } finally {
    await runner.dispose();
  }
}

/** MatMulNBits initializer names of one built graph: `weight_q4bit_Q4_0` (stored) or `weight_q4bit` (quantised again). */
async function packedNames(path: string, weights: WeightPrecision): Promise<string[]> {
  const f = await loadModelFiles(path);
  try {
    return buildForwardGraph(f.config, f.weights, 'bare', { weights }).initializers.map((i) => i.name).filter((n) => /\/weight_q\d/.test(n));
  } finally {
    f.store.close();
  }
}

describe('GGUF matrices run as stored (MatMulNBits on the file\'s blocks)', () => {
  const cases = [
    ['Q4_0', 'int4'],
    ['Q4_0', 'int8'],
    ['Q8_0', 'int8'],
    ['Q4_K', 'int4'],
    ['Q5_K', 'int8'],
    ['Q6_K', 'int8'],
  ] as const;
  for (const [quant, weights] of cases) {
    it(`${quant} at ${weights}: the forward equals the dequantised float32 forward`, async () => {
      const path = gguf(quant);
      const names = await packedNames(path, weights);
      assert.equal(names.length, SPEC.layers * 7 + 1, 'every linear and the untied head');
      assert.ok(names.every((n) => n.endsWith(`_${quant}`)), `all taken as stored: ${names.join(', ')}`);
      const ids = randomIds(11, SPEC.vocab, 3);
      ids[0] = 1;
      const [got, want] = [await forward(path, ids, weights), await forward(path, ids, 'fp32')];
      const tol = { rtol: 1e-4, atol: 1e-5 };
      assertClose(got.hidden, want.hidden, tol, 'hidden');
      assertClose(got.attnToBos, want.attnToBos, tol, 'attnToBos');
      assertClose(got.lastLogits, want.lastLogits, tol, 'lastLogits');
    });
  }

  it('8-bit stored forms are quantised again at int4; 4-bit ones are taken as stored at both', async () => {
    for (const quant of ['Q8_0', 'Q5_K', 'Q6_K'] as const) {
      const names = await packedNames(gguf(quant), 'int4');
      // int4 keeps an untied head at 8 bits, so the head is taken as stored.
      assert.deepEqual(names.filter((n) => n.endsWith(`_${quant}`)), [`/lm_head/weight_q8bit_${quant}`], quant);
      assert.equal(names.filter((n) => n.endsWith('weight_q4bit')).length, SPEC.layers * 7, quant);
    }
  });

  it('no linear taken as stored is ever dequantised to float32 (only the embedding and the norms are)', async () => {
    const f = await loadModelFiles(gguf('Q4_K'));
    const dequantised: string[] = [];
    const watch = (r: WeightRef): WeightRef => ({ ...r, load: () => (dequantised.push(r.key), r.load()) });
    const lin = <T extends { weight: WeightRef } | null>(l: T): T => (l ? { ...l, weight: watch(l.weight) } : l);
    const w: ModelWeights = { ...f.weights, embed: watch(f.weights.embed), lmHead: watch(f.weights.lmHead), layers: f.weights.layers.map((l) => ({ ...l, q: lin(l.q), k: lin(l.k), v: lin(l.v), o: lin(l.o), gate: lin(l.gate), up: lin(l.up), down: lin(l.down) })) };
    try {
      serializeInline(buildForwardGraph(f.config, w, 'full', { weights: 'int4' }));
    } finally {
      f.store.close();
    }
    assert.deepEqual(dequantised, ['model.embed_tokens.weight']);
  });

  it('the graph cache key tells a graph on stored blocks from one quantised again', async () => {
    const f = await loadModelFiles(gguf('Q8_0'));
    f.store.close();
    const strip = ({ stored: _, ...r }: WeightRef): WeightRef => r;
    const lin = <T extends { weight: WeightRef } | null>(l: T): T => (l ? { ...l, weight: strip(l.weight) } : l);
    const requantised: ModelWeights = { ...f.weights, lmHead: strip(f.weights.lmHead), layers: f.weights.layers.map((l) => ({ ...l, q: lin(l.q), k: lin(l.k), v: lin(l.v), o: lin(l.o), gate: lin(l.gate), up: lin(l.up), down: lin(l.down) })) };
    const sig = (w: ModelWeights) => graphSignature(buildForwardGraph(f.config, w, 'full', { weights: 'int8' }));
    // Same shapes, dtypes and byte sizes (Q8_0 as stored and int8 symmetric agree on all three): only the names differ.
    assert.notEqual(sig(f.weights), sig(requantised));
  });

  it('the memory plan\'s bytes per linear weight are the bytes the graph holds for stored blocks', async () => {
    const cases = [['Q4_0', 'int4', 0.625], ['Q4_K', 'int4', 0.75], ['Q8_0', 'int8', 1.125], ['Q5_K', 'int8', 1.25], ['Q6_K', 'int8', 1.25]] as const;
    for (const [quant, weights, per] of cases) {
      const f = await loadModelFiles(gguf(quant));
      f.store.close();
      const g = buildForwardGraph(f.config, f.weights, 'bare', { weights });
      const held = g.initializers.filter((i) => i.name.endsWith(`_${quant}`)).reduce((a, i) => a + i.byteLength, 0);
      const params = SPEC.layers * (2 * 256 * 256 + 2 * 256 * 128 + 3 * 256 * 512) + SPEC.vocab * 256;
      assert.equal(storedLinearBytesPerWeight(f.weights, weights, BYTES_PER_WEIGHT), per, quant);
      assert.equal(held / params, per, `${quant}: the graph's initializers`);
    }
    const f = await loadModelFiles(gguf('Q6_K'));
    f.store.close();
    assert.equal(storedLinearBytesPerWeight(f.weights, 'fp32', BYTES_PER_WEIGHT), null, 'dequantised: the plan\'s float32 bytes hold');
  });

  it('a load is planned with the stored blocks\' bytes, not the precision\'s', async () => {
    const path = gguf('Q6_K');
    const f = await loadModelFiles(path);
    f.store.close();
    const plan = (linearBytesPerWeight?: number) => planMemory({ config: f.config, precision: 'int8', workload: { ...DEFAULT_WORKLOAD, tokens: Math.min(DEFAULT_WORKLOAD.tokens, f.config.maxPositions) }, cached: false, ...(linearBytesPerWeight ? { linearBytesPerWeight } : {}) }).peakBytes;
    const [table, stored] = [plan(), plan(1.25)];
    assert.ok(stored > table);
    // Between the two plans: the precision's bytes would admit the load, the stored blocks' do not.
    const e = new Engine({ availableMemory: () => (table + stored) / 2 });
    await assert.rejects(e.load(path, { weights: 'int8' }), (err: unknown) => SinkLensError.is(err, 'insufficientMemory'));
    e.dispose();
  });

  it('the logit lens reads the stored head (offsets inside its subgraph) as the fp32 lens reads the dequantised one', async () => {
    const path = gguf('Q4_K');
    const [direct, dense] = [await engine.load(path, { weights: 'int4' }), await engine.load(path, { weights: 'fp32' })];
    const text = 'abcdefghij';
    const [a, b] = [await engine.analyze(direct, text, { logitLens: 'all' }), await engine.analyze(dense, text, { logitLens: 'all' })];
    const ce = (r: typeof a) => r.baseline.layers.map((l) => l.logitLens?.crossEntropy ?? NaN);
    assert.equal(ce(a).length, SPEC.layers + 1);
    assert.ok(ce(a).every(Number.isFinite), 'every layer has a lens');
    assertClose(ce(a), ce(b), { rtol: 1e-2, atol: 1e-2 }, 'lens cross-entropy');
  });

  it('the precision report says per stored format what happened', async () => {
    const f = await loadModelFiles(gguf('Q6_K'));
    f.store.close();
    assert.equal(describeLinearSources(f.weights, 'int4'), '14 Q6_K re-quantised to 4-bit, 1 Q6_K as stored (8-bit)');
    assert.equal(describeLinearSources(f.weights, 'int8'), '15 Q6_K as stored (8-bit)');
    assert.equal(describeLinearSources(f.weights, 'fp32'), '15 Q6_K dequantised to fp32');
    const hf = await loadModelFiles(join(root, 'hf'));
    hf.store.close();
    assert.equal(describeLinearSources(hf.weights, 'int4'), null, 'a float model has nothing to report');
  });
});

describe('sinklens-tiny stored as Q4_0 / Q8_0: direct int4 / int8 against the dequantised fp32 run', () => {
  // Measured maxima (docs/gguf.md) with ~2x headroom: the only difference is MatMulNBits' int8 activations.
  const CASES = [['Q4_0', 'int4', 2e-2], ['Q8_0', 'int8', 2e-2]] as const;
  for (const [quant, weights, tol] of CASES) {
    it(`${quant} at ${weights}: metrics within ${tol} of fp32, the same spike blocks`, async (t) => {
      const dir = requireFixture(t, 'sinklens-tiny');
      if (!dir) return;
      const path = writeGgufModel(dir, join(root, `tiny-${quant}.gguf`), { quant }).path;
      const [direct, dense] = [await engine.load(path, { weights }), await engine.load(path, { weights: 'fp32' })];
      assert.match(direct.info.precision?.sources ?? '', new RegExp(`^\\d+ ${quant} as stored \\(${weights.slice(3)}-bit\\)`));
      assert.match(dense.info.precision?.sources ?? '', new RegExp(`^\\d+ ${quant} dequantised to fp32`));
      for (const text of ['The capital of France is Paris.', 'Once upon a time there was a little dog.']) {
        const [a, b] = [await engine.analyze(direct, text), await engine.analyze(dense, text)];
        assert.deepEqual(a.tokens.map((x) => x.id), b.tokens.map((x) => x.id));
        for (const k of ['bosRatio', 'entropy', 'bosNorm'] as const) {
          assertClose(a.baseline.layers.map((l) => l[k] ?? NaN), b.baseline.layers.map((l) => l[k] ?? NaN), { rtol: tol, atol: tol }, `${quant} ${k}`);
        }
        assert.deepEqual(a.baseline.spikeBlocks, b.baseline.spikeBlocks);
      }
    });
  }
});
