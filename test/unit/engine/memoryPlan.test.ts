/**
 * The memory plan: its parameter counts match the real Llama-3.2-1B shape and the graphs the
 * builder makes; precision, tokens, ablation and the lens move the estimate the right way; and the
 * engine refuses an oversize load before reading any weight (the folder below has no weights or
 * tokenizer at all) and an oversize analysis before running it, each with one line naming the
 * estimate and the settings to change.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Engine } from '../../../src/engine/api';
import { readByRows } from '../../../src/engine/graph/linearSources';
import { buildForwardGraph } from '../../../src/engine/graph/model';
import { initializerBytes } from '../../../src/engine/graph/serialize';
import { loadModelFiles } from '../../../src/engine/model/load';
import { parseRssAnon } from '../../../src/engine/plan/check';
import { autoPrecision, blockBuffers, lossHeadBytes, mappedWeightBytes, paramCounts, planMemory, prepackBytes, runBytes, weightBytes, type Workload } from '../../../src/engine/plan/memory';
import { loadConfig } from '../../../src/engine/model/config';
import type { LoadOptions } from '../../../src/shared/engineApi';
import { SinkLensError } from '../../../src/shared/errors';
import { ARCH_SPECS, GPT_OSS_SPECS, generateModel, samplePrompt } from '../../support/genModel';
import { writeGgufModel } from '../../support/ggufModel';
import { getAdapter } from '../../../src/engine/arch/registry';
import { GPT_OSS_20B } from '../arch/configs';
import type { CanonicalConfig } from '../../../src/engine/arch/types';

/** The OS reports no anonymous memory growth: runs leave nothing credited, so the plan's numbers are exact here. */
const NO_HELD_MEMORY = (): number => 0;

/** A canonical llama config (the shape fields are what the plan reads). */
function llamaConfig(over: Partial<CanonicalConfig>): CanonicalConfig {
  return {
    arch: 'llama',
    modelType: 'llama',
    hiddenSize: 32,
    numLayers: 2,
    numHeads: 4,
    numKvHeads: 2,
    headDim: 8,
    intermediateSize: 48,
    vocabSize: 50,
    maxPositions: 64,
    norm: 'rms',
    normEps: 1e-5,
    act: 'silu',
    gatedMlp: true,
    position: 'rope',
    rope: { theta: 10000, rotaryDim: 8, scaling: null },
    attnScale: 1 / Math.sqrt(8),
    parallelResidual: false,
    qkNorm: false,
    tieWordEmbeddings: true,
    bosTokenId: 1,
    eosTokenId: 2,
    name: 'random-llama',
    ...over,
  };
}

const root = mkdtempSync(join(tmpdir(), 'sinklens-memplan-'));
after(() => rmSync(root, { recursive: true, force: true }));

const GiB = 1024 ** 3;
const LLAMA_1B = llamaConfig({
  hiddenSize: 2048,
  numLayers: 16,
  numHeads: 32,
  numKvHeads: 8,
  headDim: 64,
  intermediateSize: 8192,
  vocabSize: 128256,
  maxPositions: 131072,
  tieWordEmbeddings: true,
  rope: { theta: 500000, rotaryDim: 64, scaling: null },
});
const W: Workload = { tokens: 512, probes: 'full', ablation: false, lensLayers: 0 };
const GPT2_SMALL = llamaConfig({ hiddenSize: 768, numLayers: 12, numHeads: 12, numKvHeads: 12, headDim: 64, intermediateSize: 3072, vocabSize: 50257, maxPositions: 1024, position: 'learned', gatedMlp: false });
const INT4: Partial<Workload> = { precision: 'int4' };
/**
 * Measured run peaks over the loaded model (GiB; bench/runMemory.ts, the worst of repeated runs; docs/PERFORMANCE.md
 * "The run's memory with the arena"), used by several tests below.
 */
const LLAMA_1B_4096 = 5.9;
const LLAMA_8B_256 = 0.88;
const LLAMA_8B_1024 = 3.8;
const LLAMA_8B = { ...LLAMA_1B, hiddenSize: 4096, numLayers: 32, intermediateSize: 14336, headDim: 128, tieWordEmbeddings: false, rope: { theta: 500000, rotaryDim: 128, scaling: null }, maxPositions: 8192 };

describe('memory plan', () => {
  test('parameter counts of the Llama-3.2-1B shape (1,235,814,400 parameters, tied)', () => {
    const n = paramCounts(LLAMA_1B);
    assert.equal(n.linear + n.embed + 2 * LLAMA_1B.numLayers * 2048 + 2048, 1_235_814_400);
    // fp32 (4.6 GiB: not prepacked, prepackWeights): linears 3.89 GB + the embedding 1.05 GB, which the tied head's
    // MatMul reads in place; prepacked, the head is a second float32 copy of the table (+1.05 GB).
    assert.ok(Math.abs(weightBytes(LLAMA_1B, 'fp32') - (n.linear * 4 + n.embed * 4)) < 0.1 * GiB);
    assert.equal(weightBytes(LLAMA_1B, 'fp32', 'memory', undefined, true) - weightBytes(LLAMA_1B, 'fp32'), n.head * 4);
    // The file holds the table once, prepacked or not.
    assert.equal(weightBytes(LLAMA_1B, 'fp32', 'disk', undefined, true), weightBytes(LLAMA_1B, 'fp32', 'disk'));
  });

  test('precision, tokens, ablation and the logit lens move the estimate', () => {
    // Prepacked like the quantised modes (which always prepack), so that only the linears differ.
    const fp32 = weightBytes(LLAMA_1B, 'fp32', 'memory', undefined, true);
    const int8 = weightBytes(LLAMA_1B, 'int8');
    const int4 = weightBytes(LLAMA_1B, 'int4');
    assert.ok(int4 < int8 && int8 < fp32, `${int4} < ${int8} < ${fp32}`);
    const n = paramCounts(LLAMA_1B);
    // int4: half a byte + a float32 scale and a 4-bit zero point per block of 32 = 0.5 + 4.5 / 32 bytes.
    assert.ok(Math.abs(fp32 - int4 - n.linear * (4 - 0.640625)) < 1, 'only the linears change with the precision');
    // int8 (symmetric): one byte + a float32 scale per block of 32.
    assert.ok(Math.abs(fp32 - int8 - n.linear * (4 - 1.125)) < 1, 'int8 linears take 1.125 bytes per weight');
    assert.equal(weightBytes(LLAMA_1B, 'fp16'), weightBytes(LLAMA_1B, 'fp32'), 'fp16 linears are computed (and held) in float32 on CPU');
    assert.throws(() => weightBytes(LLAMA_1B, 'int3'), /unknown precision 'int3'/);
    assert.ok(runBytes(LLAMA_1B, { ...W, tokens: 4096 }) > 4 * runBytes(LLAMA_1B, W));
    assert.ok(runBytes(LLAMA_1B, { ...W, ablation: true }) > runBytes(LLAMA_1B, W));
    assert.ok(runBytes(LLAMA_1B, { ...W, lensLayers: 17 }) > runBytes(LLAMA_1B, W) + 512 * 128256 * 4);
    assert.ok(runBytes(LLAMA_1B, { ...W, probes: 'bare' }) < runBytes(LLAMA_1B, W));
    const cold = planMemory({ config: LLAMA_1B, precision: 'fp32', workload: W, cached: false });
    const warm = planMemory({ config: LLAMA_1B, precision: 'fp32', workload: W, cached: true });
    assert.ok(cold.peakBytes >= warm.peakBytes);
    assert.ok(cold.diskBytes > 4.5 * GiB && cold.diskBytes < 5 * GiB, `fp32 cache entry ${cold.diskBytes / GiB} GiB (measured 4.6)`);
  });

  test("the 1b and 8B quantised plans cover their measured peaks (MatMulNBits' packed linears, the loss branch's head)", () => {
    // Peak RSS of fresh processes (docs/PERFORMANCE.md): the cold load by bench/scaleBench.ts (3.89 GiB at 16 tokens);
    // the cached ones the larger of the load's peak (4.02 GiB) and the loaded model (3.04) plus the worst run of
    // "The run's memory with the arena" (repeated runs). The plan adds the run to the load's peak, not to the loaded
    // model, and the run term is an upper bound of the arena (below): up to ~2x the measured peak.
    const rows = [[false, 16, 3.89, 1.35], [true, 16, 4.02, 1.3], [true, 256, 4.02, 1.5], [true, 1024, 4.26, 1.6], [true, 2048, 5.9, 1.7], [true, 4096, 3.04 + LLAMA_1B_4096, 2]] as const;
    for (const [cached, tokens, measured, over] of rows) {
      const plan = planMemory({ config: LLAMA_1B, precision: 'int4', workload: { ...W, tokens }, cached });
      assert.ok(plan.peakBytes >= measured * GiB && plan.peakBytes < over * measured * GiB, `cached ${cached}, T ${tokens}: plan ${plan.peakBytes / GiB} GiB vs ${measured}`);
    }
    // The load alone: peak RSS once loaded (VmHWM before any analysis; "The run's memory, measured"), cold and cached.
    const loads = [[LLAMA_1B, 'int4', true, 4.02], [LLAMA_1B, 'int8', true, 4.44], [LLAMA_1B, 'int8', false, 4.505], [LLAMA_8B, 'int4', true, 7.89], [LLAMA_8B, 'int4', false, 7.89]] as const;
    for (const [c, precision, cached, measured] of loads) {
      const load = planMemory({ config: c, precision, workload: { ...W, tokens: 1 }, cached }).loadBytes / GiB;
      assert.ok(load >= 1.05 * measured && load < 1.2 * measured, `d ${c.hiddenSize} ${precision} cached ${cached}: load plan ${load} GiB vs ${measured}`);
    }
    assert.equal(lossHeadBytes(LLAMA_1B, 'int4'), paramCounts(LLAMA_1B).head * 4, 'tied: the loss branch prepacks a float32 head');
    // MatMulNBits releases what it packs: a linear costs its packed size, the codes plus a float32 scale and block sum per 32.
    assert.equal(prepackBytes(LLAMA_1B, 'int4'), paramCounts(LLAMA_1B).linear * (0.75 - 0.640625));
    assert.equal(prepackBytes(LLAMA_1B, 'int8'), paramCounts(LLAMA_1B).linear * (1.25 - 1.125));
    assert.equal(prepackBytes(LLAMA_1B, 'int4', 0.8), 0, 'stored blocks larger than the packed form add nothing');
    assert.equal(prepackBytes(LLAMA_1B, 'fp32'), 0, 'fp32: weightBytes alone covers the measured fp32 peaks');
  });

  test('the 1b shape in fp32 (not prepacked): the plan covers the measured peaks, without head copies that no longer exist', () => {
    // Peak RSS of fresh `sinklens analyze` processes without prepacking (docs/PERFORMANCE.md, bench:scale after
    // "Large float32 models load without prepacking"): cold load 4.99 GiB, cached 4.82, 256 tokens 4.96, 1024 tokens 5.54.
    // Prepacked, the plan counted the tied head twice more (its Gemm's copy and the loss branch's): 1.5-1.7x these.
    const rows = [[false, 16, 4.99, 1.15], [true, 16, 4.82, 1.2], [true, 256, 4.96, 1.25], [true, 1024, 5.54, 1.4]] as const;
    for (const [cached, tokens, measured, over] of rows) {
      const plan = planMemory({ config: LLAMA_1B, precision: 'fp32', workload: { ...W, tokens }, cached });
      assert.ok(plan.peakBytes >= measured * GiB && plan.peakBytes < over * measured * GiB, `cached ${cached}, T ${tokens}: plan ${plan.peakBytes / GiB} GiB vs ${measured}`);
      const prepacked = planMemory({ config: LLAMA_1B, precision: 'fp32', prepack: true, workload: { ...W, tokens }, cached });
      const head = paramCounts(LLAMA_1B).head * 4;
      assert.ok(Math.abs(prepacked.peakBytes - plan.peakBytes - 2 * head * 1.06) < 1e6, 'prepacked: + the head copy and the loss branch\'s');
    }
    assert.equal(lossHeadBytes(LLAMA_1B, 'fp32'), 0, 'unprepacked, the loss branch reads the head in place');
    assert.equal(lossHeadBytes(LLAMA_1B, 'fp32', true), paramCounts(LLAMA_1B).head * 4);
  });

  test('weights read in place from the mapped file: every float32 weight of an unprepacked session, none of a prepacked one', () => {
    const n = paramCounts(LLAMA_8B);
    // Measured on the 1b shape in fp32: RssFile 4.67 GiB after a forward, RssAnon 0.27, while MemAvailable still
    // counted those pages (22.8 of 23.1 GiB): the 4.6 GiB of the cached file.
    assert.equal(mappedWeightBytes(LLAMA_1B, 'fp32'), weightBytes(LLAMA_1B, 'fp32', 'disk'));
    assert.ok(Math.abs(mappedWeightBytes(LLAMA_1B, 'fp32') / GiB - 4.6) < 0.05);
    // fp16: onnxruntime casts the linears and the untied head to float32 copies of its own; the embedding and the norms stay mapped.
    assert.equal(mappedWeightBytes(LLAMA_8B, 'fp16'), weightBytes(LLAMA_8B, 'fp16', 'disk') - (n.linear + n.head) * 2);
    assert.ok(mappedWeightBytes(LLAMA_8B, 'fp16') >= n.embed * 4 && mappedWeightBytes(LLAMA_8B, 'fp16') < (n.embed + n.other) * 4 + 1e6);
    for (const precision of ['int8', 'int4'] as const) assert.equal(mappedWeightBytes(LLAMA_8B, precision), 0, `${precision}: MatMulNBits holds packed copies`);
    assert.equal(mappedWeightBytes(GPT2_SMALL, 'fp32', true), 0, 'prepacked: no weight read in place');
    assert.equal(mappedWeightBytes(GPT2_SMALL, 'fp32'), weightBytes(GPT2_SMALL, 'fp32', 'disk'), 'GPT-2 small (above 64 MiB) does not prepack');
  });

  test('the Llama-3-8B shape: refused in fp32 on a 24 GB machine; the int4 plan covers the measured peaks', () => {
    const w = { ...W, tokens: 256 };
    const fp32 = planMemory({ config: LLAMA_8B, precision: 'fp32', workload: w, cached: true });
    assert.ok(fp32.peakBytes > 24 * GiB, `fp32 ${fp32.peakBytes / GiB} GiB`);
    // Measured: cached int4 load 7.15 GiB after, 7.89 at its peak ("The run's memory, measured"); repeated 256- and
    // 1024-token runs peaked 0.88 and 3.80 GiB above the loaded 7.2 ("The run's memory with the arena"). The load
    // alone plans at 8.85 GiB (the test above).
    for (const [tokens, measured] of [[256, 7.2 + LLAMA_8B_256], [1024, 7.2 + LLAMA_8B_1024]] as const) {
      const int4 = planMemory({ config: LLAMA_8B, precision: 'int4', workload: { ...W, tokens }, cached: true });
      assert.ok(int4.peakBytes >= measured * GiB && int4.peakBytes < 2 * measured * GiB, `int4 T ${tokens}: ${int4.peakBytes / GiB} GiB vs ${measured}`);
    }
    assert.equal(autoPrecision(LLAMA_8B, w, 64 * GiB), 'fp32');
    assert.equal(autoPrecision(LLAMA_8B, w, 24 * GiB), 'int8');
    assert.equal(autoPrecision(LLAMA_8B, w, 9 * GiB), 'int4');
    assert.equal(autoPrecision(LLAMA_8B, w, 1 * GiB), 'int4', 'nothing fits: the smallest, which the check then refuses');
  });

  test("the run term covers every measured run's peak over the loaded model, held memory of earlier runs included", () => {
    // docs/PERFORMANCE.md "The run's memory with the arena": bench/runMemory.ts, a fresh process per row, cached load,
    // VmHWM reset before each analysis of one prompt; the highest peak over the loaded model's RSS of the 2nd..Nth
    // analysis, which starts from what the earlier ones left in onnxruntime's arena (a long-lived engine credits
    // that memory to the next run, so the term must cover it and the run's growth together). GiB.
    const measured: [CanonicalConfig, number, Partial<Workload>, number][] = [
      [LLAMA_1B, 256, INT4, 0.29],
      [LLAMA_1B, 1024, INT4, 1.22],
      [LLAMA_1B, 2048, INT4, 2.86],
      [LLAMA_1B, 4096, INT4, LLAMA_1B_4096],
      [LLAMA_1B, 1024, { ...INT4, ablation: true, tokenLoss: true }, 1.68],
      [LLAMA_1B, 256, { precision: 'fp32' }, 0.27],
      [LLAMA_1B, 1024, { precision: 'fp32' }, 1.2],
      [LLAMA_8B, 256, INT4, LLAMA_8B_256],
      [LLAMA_8B, 1024, INT4, LLAMA_8B_1024],
      [LLAMA_8B, 2048, INT4, 7.33],
      [GPT2_SMALL, 256, {}, 0.13],
      [GPT2_SMALL, 512, {}, 0.21],
      [GPT2_SMALL, 768, {}, 0.34],
      [GPT2_SMALL, 1024, {}, 0.45],
      [GPT2_SMALL, 1024, { ablation: true, tokenLoss: true }, 0.75],
    ];
    for (const [c, tokens, extra, peak] of measured) {
      const plan = runBytes(c, { ...W, ...extra, tokens }) / GiB;
      const what = `d ${c.hiddenSize}, T ${tokens} ${JSON.stringify(extra)}: plan ${plan.toFixed(3)} GiB vs measured ${peak}`;
      assert.ok(plan >= 1.2 * peak, what);
      // Close enough that maxTokens: 'auto' does not stop far short of what fits (the malloc-era term was 3-8x).
      assert.ok(plan <= 2.5 * peak + 0.25, what);
    }
  });

  test('the run term never falls as the prompt grows (maxTokens: auto bisects on it)', () => {
    for (const [c, precision] of [[LLAMA_1B, 'int4'], [LLAMA_8B, 'int4'], [LLAMA_8B, 'fp32'], [GPT2_SMALL, 'fp32']] as const) {
      let prev = 0;
      for (let T = 1; T <= 4096; T += 37) {
        const r = runBytes(c, { ...W, tokens: T, precision });
        assert.ok(r >= prev, `d ${c.hiddenSize} ${precision}: T ${T} plans ${r} < ${prev} at T ${T - 37}`);
        prev = r;
      }
    }
    // int4/int8 add MatMulNBits' quantised inputs: seven per block.
    assert.equal(blockBuffers(LLAMA_8B, 64, 'int4').length - blockBuffers(LLAMA_8B, 64, 'fp32').length, 7);
  });

  test("covers every initializer of the builder's graphs (untied: no prepacked head copy)", async () => {
    for (const spec of ARCH_SPECS) {
      const m = generateModel(join(root, spec.name), spec);
      const files = await loadModelFiles(m.dir);
      try {
        for (const weights of ['fp32', 'int8', 'int4'] as const) {
          // The graph file holds the initializers; a tied head's prepacked copy exists only in memory.
          const graph = initializerBytes(buildForwardGraph(files.config, files.weights, 'full', { weights }));
          const planned = weightBytes(files.config, weights, 'disk');
          assert.ok(planned >= graph, `${spec.name} ${weights}: planned ${planned} >= graph ${graph}`);
          // + 64 KiB: the plan's allowance for the graph's constants (16 KiB + 4 KiB per block) dwarfs these tiny quantised models.
          assert.ok(planned < 1.35 * graph + 64 * 1024, `${spec.name} ${weights}: planned ${planned} close to graph ${graph}`);
        }
        const tiedCopy = files.config.tieWordEmbeddings ? paramCounts(files.config).head * 4 : 0;
        assert.equal(weightBytes(files.config, 'fp32'), weightBytes(files.config, 'fp32', 'disk') + tiedCopy, `${spec.name}: memory = file + the tied head's prepacked copy`);
      } finally {
        files.store.close();
      }
    }
  });

  test('gpt-oss: the plan covers every initializer, fp32 and int4 (all experts held, router and sinks float32)', async () => {
    for (const spec of GPT_OSS_SPECS) {
      const m = generateModel(join(root, spec.name), spec);
      const files = await loadModelFiles(m.dir);
      try {
        for (const precision of ['fp32', 'int4'] as const) {
          const graph = initializerBytes(buildForwardGraph(files.config, files.weights, 'full', { weights: precision }));
          const planned = weightBytes(files.config, precision);
          assert.ok(planned >= graph, `${spec.name} ${precision}: planned ${planned} >= graph ${graph}`);
          // The plan's fixed allowance for graph constants (16 KiB + 4 KiB a block) dominates a tiny int4 graph.
          if (precision === 'fp32') assert.ok(planned < 1.35 * graph, `${spec.name} ${precision}: planned ${planned} close to graph ${graph}`);
        }
      } finally {
        files.store.close();
      }
    }
  });

  test('gpt-oss-20b: 20.9B parameters; int4 holds 14.6 GiB of weights, plans ~19 GiB loaded and ~22 GiB at 1024 tokens', () => {
    const c = getAdapter('gpt_oss').normalizeConfig(GPT_OSS_20B, 'openai/gpt-oss-20b');
    const n = paramCounts(c);
    // 24 x (q 2880x4096 + k, v 2880x512 + o 4096x2880 + 32 experts x 3 x 2880x2880) = 19,747,307,520
    assert.equal(n.linear, 24 * (2880 * 4096 + 2 * 2880 * 512 + 4096 * 2880 + 32 * 3 * 2880 * 2880));
    assert.equal(n.embed, 201088 * 2880);
    assert.equal(n.head, 201088 * 2880);
    const w = { ...W, tokens: 1024 };
    const int4 = planMemory({ config: c, precision: 'int4', workload: w, cached: false });
    // 19.75B linear weights at 0.640625 B (4-bit codes, float32 scale and 4-bit zero point per 32), the embedding in
    // float32, the untied head in 8 bits (1.125 B): 14.58 GiB.
    const expected = (n.linear * 0.640625 + n.embed * 4 + n.head * 1.125) / GiB;
    assert.ok(Math.abs(int4.weightsBytes / GiB - expected) < 0.05, `int4 weights ${int4.weightsBytes / GiB} GiB, expected ~${expected}`);
    assert.ok(int4.loadBytes > 18 * GiB && int4.loadBytes < 20 * GiB, `int4 load ${int4.loadBytes / GiB} GiB`);
    assert.ok(int4.peakBytes > 21 * GiB && int4.peakBytes < 23 * GiB, `int4 peak at T = 1024: ${int4.peakBytes / GiB} GiB`);
    // A 24 GB machine (~22 GiB available) admits int4 up to about 1000 tokens, not 4096.
    const short = planMemory({ config: c, precision: 'int4', workload: { ...W, tokens: 256 }, cached: true });
    assert.ok(short.peakBytes < 20 * GiB, `int4 peak at T = 256: ${short.peakBytes / GiB} GiB`);
    assert.ok(planMemory({ config: c, precision: 'int4', workload: { ...W, tokens: 4096 }, cached: true }).peakBytes > 30 * GiB);
    assert.ok(planMemory({ config: c, precision: 'int8', workload: w, cached: true }).peakBytes > 30 * GiB);
    assert.equal(autoPrecision(c, w, 30 * GiB), 'int4');
  });

  test('weights read by rows: a cold load plans what a cached one does, and still covers the measured cold peaks', () => {
    // docs/PERFORMANCE.md, "fifth session": peak RSS of cold loads once weights are read by rows (16 tokens or fewer):
    // the 1.2B shape 4.21 GB in int4 (3.92 GiB), 4.99 GB in fp32 (4.65 GiB); the 8B shape 7.87 GB in int4 (7.33 GiB).
    const rows = [[LLAMA_1B, 'int4', 3.92], [LLAMA_1B, 'fp32', 4.65], [LLAMA_8B, 'int4', 7.33]] as const;
    for (const [c, precision, measured] of rows) {
      const w = { ...W, tokens: 16 };
      const streamed = planMemory({ config: c, precision, workload: w, cached: false, streamed: true });
      const whole = planMemory({ config: c, precision, workload: w, cached: false });
      const cached = planMemory({ config: c, precision, workload: w, cached: true });
      assert.ok(streamed.loadBytes <= whole.loadBytes, `d ${c.hiddenSize} ${precision}: never above the whole-tensor plan`);
      assert.equal(streamed.loadBytes, cached.loadBytes, `d ${c.hiddenSize} ${precision}: the resident weights dominate`);
      assert.ok(streamed.peakBytes >= measured * GiB && streamed.peakBytes < 1.5 * measured * GiB, `d ${c.hiddenSize} ${precision}: plan ${streamed.peakBytes / GiB} GiB vs ${measured}`);
    }
    // In int4 the whole-tensor plan's embedding copies (stored and float32, two tensors in flight: 2.9 GiB) outweighed
    // the 1.2B shape's resident weights (~2.6 GiB with the margin); by rows they are never made.
    const int4 = (streamed: boolean) => planMemory({ config: LLAMA_1B, precision: 'int4', workload: W, cached: false, streamed }).loadBytes;
    assert.ok(int4(false) - int4(true) > 0.3 * GiB, `${(int4(false) - int4(true)) / GiB} GiB`);
  });

  test('readByRows: a safetensors Llama is read by rows; transposed (GPT-2) and permuted (llama GGUF) weights are not', async () => {
    const cases = [['llama-gqa-tied', true], ['gpt2-tied', false]] as const;
    for (const [name, expected] of cases) {
      const spec = ARCH_SPECS.find((x) => x.name === name);
      assert.ok(spec, name);
      const dir = join(root, `rows-${name}`);
      generateModel(dir, spec);
      const files = await loadModelFiles(dir);
      try {
        assert.equal(readByRows(files.weights), expected, name);
      } finally {
        files.store.close();
      }
      if (name !== 'llama-gqa-tied') continue;
      const gguf = await loadModelFiles(writeGgufModel(dir, join(root, 'rows.gguf'), { quant: 'F16' }).path);
      try {
        assert.equal(readByRows(gguf.weights), false, "llama.cpp's permuted q/k rows");
      } finally {
        gguf.store.close();
      }
    }
  });

  test('an oversize load is refused before any weight or tokenizer is read', async () => {
    const dir = join(root, 'huge');
    mkdirSync(dir, { recursive: true });
    // A Llama-3-405B-shaped config and nothing else: the refusal must come before the weights are looked for.
    const config = { model_type: 'llama', architectures: ['LlamaForCausalLM'], hidden_size: 16384, intermediate_size: 53248, num_hidden_layers: 126, num_attention_heads: 128, num_key_value_heads: 8, vocab_size: 128256, max_position_embeddings: 131072, rms_norm_eps: 1e-5, rope_theta: 500000, hidden_act: 'silu', tie_word_embeddings: false };
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    const engine = new Engine({ availableMemory: () => 24 * GiB });
    const e = await engine.load(dir, { weights: 'fp32' }).then(
      () => assert.fail('loaded'),
      (err: unknown) => err,
    );
    assert.ok(SinkLensError.is(e, 'insufficientMemory'), `got ${String(e)}`);
    assert.match(e.message, /^Not enough memory: loading .* \(fp32 weights \d+\.\d GB\) and analysing 512 tokens needs about \d+\.\d GB but 24\.0 GB is available; set sinklens\.weights \(--weights\) to int8 or int4, or lower sinklens\.maxTokens \(--max-tokens\)\.$/);
    assert.ok(!e.message.includes('\n'), 'one line');
    // weights: auto plans the smallest precision that fits; none does here, so it is refused at int4.
    const auto = await engine.load(dir, { weights: 'auto' } as LoadOptions).then(
      () => assert.fail('loaded'),
      (err: unknown) => err,
    );
    assert.ok(SinkLensError.is(auto, 'insufficientMemory'));
    assert.match(auto.message, /\(int4 weights \d+\.\d GB\).*; lower sinklens\.maxTokens \(--max-tokens\) or use a smaller model\.$/);
    await engine.dispose();
  });

  test('an analysis whose activations do not fit is refused before the forward', async () => {
    const m = generateModel(join(root, 'small'), ARCH_SPECS[0]!);
    let available = 64 * GiB;
    const engine = new Engine({ availableMemory: () => available, residentAnonymous: NO_HELD_MEMORY });
    try {
      const h = await engine.load(m.dir);
      await engine.analyze(h, samplePrompt(m, 8)); // fits
      available = 1024;
      const e = await engine.analyze(h, samplePrompt(m, 8), { ablate: [0] }).then(
        () => assert.fail('ran'),
        (err: unknown) => err,
      );
      assert.ok(SinkLensError.is(e, 'insufficientMemory'), `got ${String(e)}`);
      assert.match(e.message, /^Not enough memory: analysing \d+ tokens with .* needs about 0\.\d GB but 0\.0 GB is available; set sinklens\.weights/);
      assert.match(e.detail ?? '', /with the ablated run/);
    } finally {
      await engine.dispose();
    }
  });

  test('memory the model\'s earlier runs left held is credited to its next run, never more than the process still holds', async () => {
    const m = generateModel(join(root, 'held'), ARCH_SPECS[0]!);
    let available = 64 * GiB;
    let anon = 10 * GiB; // the process's anonymous memory as the OS reports it (faked: the test moves it)
    const engine = new Engine({ availableMemory: () => available, residentAnonymous: () => anon });
    const refused = (e: unknown) => SinkLensError.is(e, 'insufficientMemory');
    try {
      const h = await engine.load(m.dir); // the model's base: 10 GiB
      // The first run leaves 2 GiB held (onnxruntime's arena keeps its peak), which the OS no longer counts as available.
      await engine.analyze(h, samplePrompt(m, 8), {}, (p) => {
        if (p.stage === 'run') anon = 12 * GiB;
      });
      available = 1024;
      await engine.analyze(h, samplePrompt(m, 8)); // fits in what the model already holds
      anon = 10 * GiB + 1024; // the 2 GiB went back to the OS: no credit left
      const e = await engine.analyze(h, samplePrompt(m, 8)).then(() => assert.fail('ran'), (err: unknown) => err);
      assert.ok(refused(e), `got ${String(e)}`);
      // Another model's held memory is not this one's: unloaded and loaded again, the model starts with none.
      anon = 12 * GiB;
      await engine.unload(m.dir);
      available = 64 * GiB;
      const again = await engine.load(m.dir);
      available = 1024;
      const e2 = await engine.analyze(again, samplePrompt(m, 8)).then(() => assert.fail('ran'), (err: unknown) => err);
      assert.ok(refused(e2), `got ${String(e2)}`);
    } finally {
      await engine.dispose();
    }
  });

  test('weights a loaded model reads in place from its mapped file are not offered to its runs or to another load', async () => {
    const m = generateModel(join(root, 'mapped'), ARCH_SPECS[0]!);
    const other = generateModel(join(root, 'mapped-other'), ARCH_SPECS[1]!);
    let available = 64 * GiB;
    // Every graph in the cache (external data, memory-mapped) and, as for a large fp32 model, not prepacked.
    const cache = { dir: join(root, 'mapped-cache') };
    const engine = new Engine({ availableMemory: () => available, residentAnonymous: NO_HELD_MEMORY, externalThresholdBytes: 0, prepack: false });
    const refused = (e: unknown) => SinkLensError.is(e, 'insufficientMemory');
    try {
      // Held (as a study holds its model), so the second load below is weighed beside it instead of unloading it.
      const h = await engine.load(m.dir, { weights: 'fp32', cache }, { hold: true });
      const opts = { tokenLoss: false, maxTokens: 64 };
      const tokens = (await engine.analyze(h, samplePrompt(m, 8), opts)).tokens.length;
      const config = loadConfig(m.dir);
      const mapped = mappedWeightBytes(config, 'fp32', false);
      assert.ok(mapped > 0.9 * weightBytes(config, 'fp32', 'disk', undefined, false), `${mapped} bytes mapped`);
      const need = runBytes(config, { tokens, probes: 'full', ablation: false, lensLayers: 0, tokenLoss: false, precision: 'fp32' });
      available = need + mapped - 1;
      const e = await engine.analyze(h, samplePrompt(m, 8), opts).then(() => assert.fail('ran'), (err: unknown) => err);
      assert.ok(refused(e), `got ${String(e)}`);
      available = need + mapped;
      await engine.analyze(h, samplePrompt(m, 8), opts); // fits beside the model's own mapped weights
      // A second load's plan is weighed against what is left beside the first model's mapped weights.
      const otherConfig = loadConfig(other.dir);
      const otherPlan = planMemory({ config: otherConfig, precision: 'fp32', prepack: false, workload: { tokens: Math.min(512, otherConfig.maxPositions), probes: 'full', ablation: false, lensLayers: 0 }, cached: false });
      available = otherPlan.peakBytes + mapped - 1;
      const e2 = await engine.load(other.dir, { weights: 'fp32', cache }).then(() => assert.fail('loaded'), (err: unknown) => err);
      assert.ok(refused(e2), `got ${String(e2)}`);
      available = otherPlan.peakBytes + mapped;
      await engine.load(other.dir, { weights: 'fp32', cache });
    } finally {
      await engine.dispose();
    }
  });

  test('RssAnon is read from /proc/<pid>/status in bytes', () => {
    assert.equal(parseRssAnon('VmRSS:\t  204800 kB\nRssAnon:\t  150000 kB\nRssFile:\t   54800 kB\n'), 150000 * 1024);
    assert.equal(parseRssAnon('VmRSS:\t  204800 kB\n'), null);
  });
});
