/**
 * GGUF files as models, written by the test GGUF writer from the fixtures and generated models:
 * F32 GGUF analysis equals the safetensors analysis (token ids exactly, metrics rtol 1e-4);
 * F16/BF16 GGUF forwards equal their F16/BF16 safetensors folders; quantised GGUF metrics stay
 * within the tolerances recorded in docs/gguf.md; errors are one clear line.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Engine } from '../../../../src/engine/api';
import { createRunner } from '../../../../src/engine/graph/runner';
import type { ForwardResult } from '../../../../src/engine/graph/types';
import { loadModelFiles } from '../../../../src/engine/model/load';
import { SinkLensError } from '../../../../src/shared/errors';
import type { AnalysisResult } from '../../../../src/shared/result';
import { ggufBytes, meta } from '../../../../tools/modelgen';
import { assertClose } from '../../../support/assertClose';
import { requireFixture } from '../../../support/fixtures';
import { ARCH_SPECS, generateModel, randomIds, type ModelSpec } from '../../../support/genModel';
import { spmVocabMeta, writeGgufModel } from '../../../support/ggufModel';
import { writeFileSync } from 'node:fs';

const root = mkdtempSync(join(tmpdir(), 'sinklens-gguf-'));
const engine = new Engine();
after(() => {
  engine.dispose();
  rmSync(root, { recursive: true, force: true });
});

const TOL = { rtol: 1e-4, atol: 1e-6 };

function prompts(dir: string): string[] {
  const e = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as { prompts: Record<string, { text: string }> };
  return Object.values(e.prompts).map((p) => p.text);
}

function sameAnalysis(got: AnalysisResult, want: AnalysisResult, tol: { rtol: number; atol: number }, what: string): void {
  assert.deepEqual(got.tokens.map((t) => t.id), want.tokens.map((t) => t.id), `${what}: token ids`);
  const pick = (r: AnalysisResult, k: 'bosRatio' | 'entropy' | 'anisotropy' | 'bosNorm') => r.baseline.layers.map((l) => l[k] ?? NaN);
  for (const k of ['bosNorm', 'bosRatio', 'entropy', 'anisotropy'] as const) assertClose(pick(got, k), pick(want, k), tol, `${what}: ${k}`);
  const sinks = (r: AnalysisResult) => r.baseline.layers.flatMap((l) => l.headSinkScores ?? []);
  assertClose(sinks(got), sinks(want), { rtol: 0, atol: Math.max(tol.atol, tol.rtol) }, `${what}: head sink scores`);
}

describe('GGUF from the real fixtures (llama, SentencePiece tokenizer)', () => {
  for (const name of ['stories260k', 'sinklens-tiny']) {
    it(`${name}: F32 GGUF analysis equals the safetensors analysis`, async (t) => {
      const dir = requireFixture(t, name);
      if (!dir) return;
      const g = writeGgufModel(dir, join(root, `${name}.gguf`));
      const [a, b] = [await engine.load(dir), await engine.load(g.path)];
      const info = b.info;
      assert.equal(info.dtype, 'F32');
      assert.equal(info.files[0]?.name, `${name}.gguf`);
      for (const text of prompts(dir)) {
        sameAnalysis(await engine.analyze(b, text, { lastTopK: 5 }), await engine.analyze(a, text, { lastTopK: 5 }), TOL, `${name} "${text.slice(0, 20)}"`);
      }
    });
  }

  // Measured maxima over the three prompts and every layer (docs/gguf.md), with ~2x headroom.
  const QUANT_TOL = { Q8_0: 5e-3, Q6_K: 6e-3, Q5_K: 2e-2, Q4_K: 3e-2, Q4_0: 7e-2 } as const;
  for (const [quant, rtol] of Object.entries(QUANT_TOL) as [keyof typeof QUANT_TOL, number][]) {
    it(`sinklens-tiny in ${quant}: metrics within ${rtol} of the safetensors ones, the same spike block`, async (t) => {
      const dir = requireFixture(t, 'sinklens-tiny');
      if (!dir) return;
      const g = writeGgufModel(dir, join(root, `tiny-${quant}.gguf`), { quant });
      assert.equal(g.types['blk.0.ffn_down.weight'], quant, 'rows of 256 are stored in the asked type');
      const [a, b] = [await engine.load(dir), await engine.load(g.path)];
      assert.ok(b.info.dtype.split('+').includes(quant));
      for (const text of prompts(dir)) {
        const [got, want] = [await engine.analyze(b, text), await engine.analyze(a, text)];
        sameAnalysis(got, want, { rtol, atol: rtol }, `${quant} "${text.slice(0, 20)}"`);
        assert.deepEqual(got.baseline.spikeBlocks, want.baseline.spikeBlocks, `${quant}: spike blocks`);
      }
    });
  }
});

async function forward(path: string, ids: number[]): Promise<ForwardResult> {
  const f = await loadModelFiles(path);
  const runner = await createRunner(f.config, f.weights, { threads: 1, probes: 'full' }).finally(() => f.store.close());
  try {
    return await runner.forward({ ids });
  } finally {
    await runner.dispose();
  }
}

function gguf(spec: ModelSpec, opts: Parameters<typeof writeGgufModel>[2] = {}): { dir: string; path: string } {
  const dir = join(root, spec.name);
  mkdirSync(dir, { recursive: true });
  const gen = generateModel(dir, spec);
  const v = gen.vocab;
  const path = join(root, `${spec.name}-${opts.quant ?? 'native'}.gguf`);
  writeGgufModel(dir, path, { ...opts, tokenizerMeta: spmVocabMeta(v.tokens, { unk: v.tokens.indexOf(v.unk), bos: v.bosId, eos: v.eosId }) });
  return { dir, path };
}

describe('GGUF from generated llama / mistral / qwen2 / qwen3 models', () => {
  // GGUF metadata of these layouts carries no sliding window (llama.cpp runs them fully causal): windowed specs are left out.
  for (const spec of ARCH_SPECS.filter((s) => ['llama', 'mistral', 'qwen2', 'qwen3'].includes(s.family) && s.slidingWindow === undefined)) {
    const stored = spec.dtype ?? 'F32';
    it(`${spec.name}: a ${stored} GGUF forward equals the safetensors forward (hidden states, attention to BOS, logits)`, async () => {
      const { dir, path } = gguf(spec, { quant: stored });
      const f = await loadModelFiles(path);
      f.store.close();
      assert.equal(f.config.arch, spec.family === 'mistral' ? 'llama' : spec.family, 'mistral GGUFs are llama');
      const ids = randomIds(9, spec.vocab, 5);
      ids[0] = 1;
      const [got, want] = [await forward(path, ids), await forward(dir, ids)];
      assertClose(got.hidden, want.hidden, TOL, 'hidden');
      assertClose(got.attnToBos, want.attnToBos, TOL, 'attnToBos');
      assertClose(got.lastLogits, want.lastLogits, TOL, 'lastLogits');
    });
  }

  it('a llama with rows of 256 in K-quants: every matrix quantised, q/k un-permuted after decoding', async () => {
    const spec: ModelSpec = { name: 'llama-256', family: 'llama', hidden: 256, layers: 2, heads: 4, kvHeads: 2, intermediate: 512, vocab: 96, seed: 21 };
    // Relative rms error of a decoded N(0, σ²) matrix (measured 0.0053, 0.019, 0.078; docs/gguf.md).
    const bounds = { Q8_0: 0.008, Q6_K: 0.03, Q5_K: 0.05, Q4_K: 0.1 } as const;
    for (const [quant, bound] of Object.entries(bounds) as [keyof typeof bounds, number][]) {
      const { dir, path } = gguf(spec, { quant });
      const [a, b] = [await loadModelFiles(dir), await loadModelFiles(path)];
      try {
        assert.equal(b.store.dtypeSummary(), `F32+${quant}`);
        for (const name of a.store.names().filter((n) => a.store.info(n).shape.length === 2)) {
          const [x, y] = [a.store.read(name), b.store.read(name)];
          let num = 0;
          let den = 0;
          for (let i = 0; i < x.length; i++) {
            num += ((x[i] as number) - (y[i] as number)) ** 2;
            den += (x[i] as number) ** 2;
          }
          // Rows in a wrong order (a missed un-permute) would give a relative error near √2.
          assert.ok(Math.sqrt(num / den) < bound, `${quant} ${name}: relative rms error ${Math.sqrt(num / den)} >= ${bound}`);
        }
      } finally {
        a.store.close();
        b.store.close();
      }
    }
  });
});

describe('GGUF errors', () => {
  const base = {
    'general.architecture': meta.str('llama'),
    'llama.embedding_length': meta.u32(32),
    'llama.block_count': meta.u32(1),
    'llama.feed_forward_length': meta.u32(64),
    'llama.attention.head_count': meta.u32(4),
    ...spmVocabMeta(['<unk>', '<s>', '</s>', 'a', 'b'], { unk: 0, bos: 1, eos: 2 }),
  };
  const write = (name: string, m: object, tensors: Parameters<typeof ggufBytes>[1]) => {
    const p = join(root, name);
    writeFileSync(p, ggufBytes(m as Parameters<typeof ggufBytes>[0], tensors));
    return p;
  };

  it('an unknown quant type is refused with one line naming the tensor and the type', async () => {
    const p = write('q41.gguf', base, [{ name: 'token_embd.weight', shape: [5, 32], typeId: 3, bytes: new Uint8Array(5 * 20) }]);
    const f = await loadModelFiles(p).catch((e: unknown) => e);
    assert.ok(SinkLensError.is(f, 'corruptWeights'), String(f));
    assert.match(f.message, /^GGUF tensor "token_embd\.weight" has type Q4_1, which SinkLens cannot read/);
    assert.ok(!f.message.includes('\n'));
  });

  it('an unsupported architecture names the supported ones', async () => {
    const p = write('falcon.gguf', { ...base, 'general.architecture': meta.str('falcon') }, []);
    await assert.rejects(loadModelFiles(p), (e: unknown) => SinkLensError.is(e, 'unsupportedArch') && /"falcon".*llama, qwen2, qwen3, gemma, gemma2, gemma3, phi3\.$/.test(e.message));
  });

  it('a truncated file is refused at open, naming the file', async () => {
    const bytes = ggufBytes(base, [{ name: 'token_embd.weight', shape: [5, 32], type: 'F32', data: new Float32Array(160) }]);
    const p = join(root, 'cut.gguf');
    writeFileSync(p, bytes.subarray(0, bytes.byteLength - 10));
    await assert.rejects(loadModelFiles(p), (e: unknown) => SinkLensError.is(e, 'corruptWeights') && e.message.includes('cut.gguf') && e.message.includes('token_embd.weight'));
  });
});
