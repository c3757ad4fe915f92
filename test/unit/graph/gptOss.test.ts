/**
 * gpt-oss (learned sinks, MoE, YaRN, alternating sliding windows, MXFP4 experts) through the engine's
 * loader and ONNX runner against the oracle's own gpt-oss forward (test/support/reference/gptOss.ts).
 * The prompt (T = 20) is longer than the windows (6 and 5), so BOS leaves the view of later queries.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Engine } from '../../../src/engine/api';
import { formatSummary, formatTable } from '../../../src/engine/cli/table';
import { archNotes } from '../../../src/engine/notes';
import { createRunner, mixQueries } from '../../../src/engine/graph/runner';
import type { ForwardResult, RunnerOptions } from '../../../src/engine/graph/types';
import { loadModelFiles } from '../../../src/engine/model/load';
import { analysisCsv } from '../../../src/shared/csv';
import { checkAnalysisResult } from '../../../src/shared/protocol/panelSchema';
import { modelSize } from '../../../tools/modelgen';
import { assertClose } from '../../support/assertClose';
import { lastRow, argmax } from '../../support/arrays';
import { GPT_OSS_SPECS, generateModel, randomIds, samplePrompt } from '../../support/genModel';
import { gptOssForward, gptOssLensLogits, loadGptOssRef, refBosWrites, refMixingGptOss, type GptOssRefModel, type GptOssRefResult } from '../../support/reference';

const TOL = { rtol: 1e-4, atol: 1e-5 };
const T = 20;
const root = mkdtempSync(join(tmpdir(), 'sinklens-gptoss-'));
after(() => rmSync(root, { recursive: true, force: true }));

async function openRunner(dir: string, opts: Partial<RunnerOptions> = {}) {
  const files = await loadModelFiles(dir);
  try {
    return { files, runner: await createRunner(files.config, files.weights, { threads: 1, probes: 'full', ...opts }) };
  } finally {
    files.store.close();
  }
}

function checkAll(r: ForwardResult, ref: GptOssRefResult, m: GptOssRefModel, queries: number[], what: string): void {
  assertClose(r.hidden, ref.hidden, TOL, `${what} hidden`);
  assertClose(r.attnToBos, ref.attnToBos, TOL, `${what} attnToBos`);
  assertClose(r.lastLogits, lastRow(ref.logits, ref.T, ref.vocab), TOL, `${what} lastLogits`);
  assert.ok(r.sinkShare && r.mixing && r.bosWrites, `${what}: sink share, mixing and BOS writes are returned`);
  assertClose(r.sinkShare, ref.sinkShare, TOL, `${what} sink share`);
  assert.deepEqual(r.mixing.queries, queries);
  for (let b = 0; b < ref.L; b++) {
    const want = refMixingGptOss(m, ref, b, queries);
    assertClose(r.mixing.rowEntropy.slice(b * ref.H, (b + 1) * ref.H), want.rowEntropy, TOL, `${what} block ${b} row entropy`);
    assertClose(r.mixing.otherMass.slice(b * ref.H, (b + 1) * ref.H), want.otherMass, TOL, `${what} block ${b} other mass`);
    const w = refBosWrites(ref, b);
    assertClose(r.bosWrites.slice(b * 3, b * 3 + 3), [w.attnNorm, w.mlpNorm, w.attnShare], { rtol: 1e-3, atol: 1e-4 }, `${what} block ${b} BOS writes`);
  }
}

for (const spec of GPT_OSS_SPECS) {
  describe(`gpt-oss runner == float64 oracle: ${spec.name}`, () => {
    const dir = join(root, spec.name);
    generateModel(dir, spec);
    const m = loadGptOssRef(dir);
    const ids = randomIds(T, spec.vocab, spec.seed ?? 1);

    it('the oracle sees what the test is about: sinks absorb attention, windows hide BOS from late queries', () => {
      const ref = gptOssForward(m, ids);
      assert.ok(Math.min(...ref.sinkShare) > 0 && Math.max(...ref.sinkShare) > 0.1, `the sinks absorb attention (max share ${Math.max(...ref.sinkShare)})`);
      const W = m.config.windows[0] as number;
      assert.ok(W < T, 'layer 0 is windowed, shorter than the prompt');
      assert.equal(ref.attnToBos[T - 1], 0, 'the last query of a windowed layer cannot see BOS');
      assert.ok((ref.attnToBos[(1 * ref.H) * T + T - 1] as number) > 0, 'the full layer 1 still sees BOS');
    });

    it('fp32: hidden states, BOS attention, sink share, mixing, BOS writes, logits, map, lens; plain and ablated', async () => {
      const { files, runner } = await openRunner(dir);
      try {
        const cfg = files.config;
        assert.equal(cfg.arch, 'gpt_oss');
        const map = { block: 0, head: cfg.numHeads - 1 };
        for (const ablation of [{}, { ablateMlp: [0], ablateAttn: [cfg.numLayers - 1] }]) {
          const what = Object.keys(ablation).length ? 'ablated' : 'plain';
          const ref = gptOssForward(m, ids, ablation);
          const r = await runner.forward({ ids, ...ablation, attnMap: map });
          checkAll(r, ref, m, mixQueries(T), what);
          const off = (map.block * cfg.numHeads + map.head) * T * T;
          assertClose(r.attnMap ?? [], ref.attn.slice(off, off + T * T), TOL, `${what} attnMap (real keys; the sink column dropped)`);
          checkAll(await runner.forward({ ids, ...ablation, mixQueries: 5 }), ref, m, mixQueries(T, 5), `${what} sampled`);
        }
        // Per-head ablation in the learned-sink attention: the graph's head mask against the oracle's, and the
        // oracle without it disagrees (the heads off really change the stream).
        const headsOff = [{ block: 0, head: 1 }, { block: cfg.numLayers - 1, head: 0 }];
        const cut = await runner.forward({ ids, headsOff });
        checkAll(cut, gptOssForward(m, ids, { headsOff }), m, mixQueries(T), 'heads off');
        const plainRef = gptOssForward(m, ids);
        assert.ok(Math.max(...Array.from(cut.hidden, (v, i) => Math.abs(v - (plainRef.hidden[i] as number)))) > 1e-3, 'switching the heads off moves the hidden states');
        const ref = gptOssForward(m, ids);
        const lensRef = gptOssLensLogits(m, ref);
        const layers = Array.from({ length: cfg.numLayers + 1 }, (_, l) => l);
        const lens = (await runner.forward({ ids, logitLens: { layers, topK: 1 } })).lens;
        assert.ok(lens);
        for (const l of layers) for (let t = 0; t < T; t++) assert.equal(lens.ids[l * T + t], argmax(lensRef.subarray((l * T + t) * ref.vocab, (l * T + t + 1) * ref.vocab)), `lens h[${l}] t ${t}`);
        const bare = await openRunner(dir, { probes: 'bare' });
        try {
          assertClose((await bare.runner.forward({ ids })).lastLogits, lastRow(ref.logits, T, ref.vocab), TOL, "the 'bare' graph's logits");
        } finally {
          await bare.runner.dispose();
        }
        const one = await runner.forward({ ids: ids.slice(0, 1) });
        assertClose(one.sinkShare ?? [], gptOssForward(m, ids.slice(0, 1)).sinkShare, TOL, 'T = 1: the share of query 0');
      } finally {
        await runner.dispose();
      }
    });
  });
}

/**
 * Documented (docs/PERFORMANCE.md, "gpt-oss"): relative error of h[1] and h[L], max abs error of the
 * sink share and of the attention to BOS; about 2x the deviations measured on gpt-oss-mxfp4 (0.17,
 * 0.27, 0.026, 0.20: every linear of a random d = 32 model in int4, not only the experts).
 */
const INT4_TOL = { h1: 0.35, hL: 0.55, sink: 0.06, bos: 0.4 };

describe('gpt-oss MXFP4 experts re-quantised to int4', () => {
  it('stay within the documented int4 tolerance of the dequantised float64 oracle', async () => {
    const spec = GPT_OSS_SPECS.find((s) => s.mxfp4)!;
    const dir = join(root, `${spec.name}-int4`);
    generateModel(dir, spec);
    const m = loadGptOssRef(dir);
    const ids = randomIds(T, spec.vocab, 5);
    const ref = gptOssForward(m, ids);
    const { runner } = await openRunner(dir, { weights: 'int4' });
    try {
      const r = await runner.forward({ ids });
      // int4 re-quantisation of FP4 values (block 32, zero points), measured on this model:
      // docs/PERFORMANCE.md, "gpt-oss". Tolerances about 2x the measured deviations.
      const d = ref.d;
      const rel = (l: number) => {
        const got = r.hidden.subarray(l * T * d, (l + 1) * T * d);
        const want = ref.hidden.subarray(l * T * d, (l + 1) * T * d);
        let num = 0;
        let den = 0;
        for (let i = 0; i < want.length; i++) {
          num += ((got[i] as number) - (want[i] as number)) ** 2;
          den += (want[i] as number) ** 2;
        }
        return Math.sqrt(num / den);
      };
      const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((w, x, i) => Math.max(w, Math.abs(x - (b[i] as number))), 0);
      const dev = { h1: rel(1), hL: rel(ref.L), sink: maxAbs(r.sinkShare ?? [], ref.sinkShare), bos: maxAbs(r.attnToBos, ref.attnToBos) };
      assert.ok(dev.h1 < INT4_TOL.h1 && dev.hL < INT4_TOL.hL, `hidden-state relative error h[1] ${dev.h1}, h[L] ${dev.hL}`);
      assert.ok(dev.sink < INT4_TOL.sink && dev.bos < INT4_TOL.bos, `sink share ${dev.sink}, attention to BOS ${dev.bos}`);
      assert.ok(dev.h1 > 0, 'int4 is lossy: the run is not fp32 in disguise');
    } finally {
      await runner.dispose();
    }
  });
});

describe('gpt-oss through the engine: the learned-sink share in the result and the CLI table', () => {
  it('per layer, the per-head shares and their mean equal the oracle; the table has a learned-sink column', async () => {
    const spec = GPT_OSS_SPECS[0]!;
    const dir = join(root, `${spec.name}-engine`);
    const gen = generateModel(dir, spec);
    const engine = new Engine();
    try {
      const h = await engine.load(dir, { weights: 'fp32' });
      const r = await engine.analyze(h, samplePrompt(gen, 18));
      const ids = r.tokens.map((t) => t.id);
      const ref = gptOssForward(loadGptOssRef(dir), ids);
      for (const l of r.baseline.layers) {
        if (l.layer === 0) {
          assert.equal(l.learnedSinkShare ?? null, null, 'h[0] has no attention');
          continue;
        }
        const want = Array.from(ref.sinkShare.subarray((l.layer - 1) * ref.H, l.layer * ref.H));
        assertClose(l.learnedSinkHeads ?? [], want, TOL, `h[${l.layer}] learned-sink heads`);
        assertClose(l.learnedSinkShare ?? NaN, want.reduce((a, x) => a + x, 0) / want.length, TOL, `h[${l.layer}] learned-sink share`);
      }
      const notes = r.settings.notes.join('\n');
      assert.match(notes, /Learned sinks: /);
      assert.match(notes, /Sliding windows: 2 of 3 blocks \(0, 2\) see only the last 6 keys; queries i >= 6 there cannot attend BOS/);
      assert.match(notes, /Mixture of experts: 4 experts, top-2 per token/);
      assert.deepEqual(archNotes({}, 20), [], 'families without them get no such note');
      const csv = analysisCsv(r);
      assert.match(csv['layers.csv']!.split('\n')[0]!, /,phase,learnedSinkShare$/);
      assert.match(csv['heads.csv']!.split('\n')[0]!, /^block,layer,head,sinkScore,learnedSinkShare$/);
      assert.equal(Number(csv['heads.csv']!.split('\n')[1]!.split(',')[4]), r.baseline.layers[1]!.learnedSinkHeads![0]);
      const shares = r.baseline.layers.slice(1).map((l) => l.learnedSinkShare as number);
      const summary = formatSummary(r).join('\n');
      assert.match(summary, new RegExp(`learned sinks: mean share ${(shares.reduce((x, y) => x + y, 0) / shares.length).toFixed(2)} of the attention, max ${Math.max(...shares).toFixed(2)} at h\\[${shares.indexOf(Math.max(...shares)) + 1}\\]`));
      const table = formatTable(r);
      assert.match(table[0] ?? '', /learned sink/);
      assert.equal(checkAnalysisResult(JSON.parse(JSON.stringify(r))), null, 'the panel schema accepts the result');
      const bad = JSON.parse(JSON.stringify(r)) as { baseline: { layers: { learnedSinkShare: unknown }[] } };
      bad.baseline.layers[1]!.learnedSinkShare = 'high';
      assert.notEqual(checkAnalysisResult(bad), null, 'and refuses a learned-sink share that is not a number');
    } finally {
      await engine.dispose();
    }
  });
});

describe('gpt-oss MXFP4 model info', () => {
  it('counts two weights per packed byte and no scale as a weight', async () => {
    const spec = GPT_OSS_SPECS.find((s) => s.mxfp4)!;
    const dir = join(root, `${spec.name}-info`);
    const gen = generateModel(dir, spec);
    const engine = new Engine();
    try {
      const h = await engine.load(dir, { weights: 'fp32' });
      const r = await engine.analyze(h, samplePrompt(gen, 4));
      assert.equal(r.model.params, modelSize(spec).params, 'the same count as the model stored unpacked');
      assert.equal(r.model.dtype, 'F32+U8');
    } finally {
      await engine.dispose();
    }
  });
});
