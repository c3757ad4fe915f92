/**
 * Gemma, Gemma 2, Gemma 3 (text) and Phi-3 GGUF files, laid out as llama.cpp's converter writes them
 * (test/support/ggufFamilies.ts), against their safetensors folders: forwards equal where the GGUF can
 * state the model; Gemma's stored norm weights are w + 1 and are applied once; where the file has no
 * key (query_pre_attn_scalar, Gemma 3's pattern and local RoPE base) llama.cpp's choices are taken.
 */
import assert from 'node:assert/strict';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { buildForwardGraph } from '../../../../src/engine/graph/model';
import { createRunner, createRunnerWith } from '../../../../src/engine/graph/runner';
import type { ForwardResult } from '../../../../src/engine/graph/types';
import { ggufRawConfig } from '../../../../src/engine/model/gguf/config';
import { readGgufHeader, type GgufFile, type GgufValue } from '../../../../src/engine/model/gguf/reader';
import { readGgufTensor } from '../../../../src/engine/model/gguf/store';
import { loadModelFiles } from '../../../../src/engine/model/load';
import { getAdapter } from '../../../../src/engine/arch/registry';
import { f16BitsToF32, f32ToF16Bits } from '../../../../tools/modelgen/float16';
import { assertClose } from '../../../support/assertClose';
import { ARCH_SPECS, generateModel, randomIds, type ModelSpec } from '../../../support/genModel';
import { spmVocabMeta, writeGgufModel, type GgufOptions } from '../../../support/ggufModel';

const root = mkdtempSync(join(tmpdir(), 'sinklens-gguf-families-'));
after(() => rmSync(root, { recursive: true, force: true }));

const TOL = { rtol: 1e-4, atol: 1e-6 };

function spec(name: string): ModelSpec {
  const s = ARCH_SPECS.find((x) => x.name === name);
  if (!s) throw new Error(`no spec ${name}`);
  return s;
}

function gguf(s: ModelSpec, opts: GgufOptions = {}): { dir: string; path: string } {
  const dir = join(root, s.name);
  mkdirSync(dir, { recursive: true });
  const gen = generateModel(dir, s);
  const v = gen.vocab;
  const path = join(root, `${s.name}-${opts.quant ?? 'native'}.gguf`);
  writeGgufModel(dir, path, { ...opts, tokenizerMeta: spmVocabMeta(v.tokens, { unk: v.tokens.indexOf(v.unk), bos: v.bosId, eos: v.eosId }) });
  return { dir, path };
}

async function forward(path: string, ids: number[]): Promise<ForwardResult> {
  const f = await loadModelFiles(path);
  const runner = await createRunner(f.config, f.weights, { threads: 1, probes: 'full' }).finally(() => f.store.close());
  try {
    return await runner.forward({ ids });
  } finally {
    await runner.dispose();
  }
}

async function sameForward(s: ModelSpec, path: string, dir: string, n: number, tol: { rtol: number; atol: number }): Promise<void> {
  const ids = randomIds(n, s.vocab, 5);
  ids[0] = 1;
  const [got, want] = [await forward(path, ids), await forward(dir, ids)];
  assertClose(got.hidden, want.hidden, tol, `${s.name} T=${n}: hidden`);
  assertClose(got.attnToBos, want.attnToBos, tol, `${s.name} T=${n}: attnToBos`);
  assertClose(got.lastLogits, want.lastLogits, tol, `${s.name} T=${n}: lastLogits`);
}

/** Equal canonical configs but for the name, with numbers equal up to GGUF's float32 metadata. */
function sameConfig(got: unknown, want: unknown, at = 'config'): void {
  if (typeof want === 'number' && typeof got === 'number') {
    assert.ok(Math.abs(got - want) <= 1e-6 * Math.abs(want), `${at}: ${got} != ${want}`);
    return;
  }
  if (want === null || typeof want !== 'object' || got === null || typeof got !== 'object') {
    assert.deepEqual(got, want, at);
    return;
  }
  const skip = new Set(['name', 'modelType']);
  const keys = [...new Set([...Object.keys(got), ...Object.keys(want)])].filter((k) => at !== 'config' || !skip.has(k));
  for (const k of keys) sameConfig((got as Record<string, unknown>)[k], (want as Record<string, unknown>)[k], `${at}.${k}`);
}

/**
 * The ARCH_SPECS models a GGUF file can state: query_pre_attn_scalar = head_dim (llama.cpp's choice
 * below 27B), Gemma 3 every 6th layer global with local base 10000, Gemma (v1) in F32 (llama.cpp's
 * √d embedding scale is float32; a BF16 checkpoint's HF forward rounds it to bfloat16).
 */
const REPRESENTABLE: readonly ModelSpec[] = [
  { ...spec('gemma-bf16'), name: 'gguf-gemma-f32', dtype: 'F32' },
  { ...spec('gemma2-softcap-window-sharded'), name: 'gguf-gemma2', queryPreAttnScalar: 12 },
  { ...spec('gemma3-pattern'), name: 'gguf-gemma3', layers: 7, slidingWindowPattern: 6 },
  spec('phi3-longrope-bf16'),
];

describe('GGUF gemma / gemma2 / gemma3 / phi3 as llama.cpp writes them', () => {
  for (const s of REPRESENTABLE) {
    const stored = s.dtype ?? 'F32';
    it(`${s.name}: a ${stored} GGUF forward equals the safetensors forward (hidden states, attention to BOS, logits)`, async () => {
      const { dir, path } = gguf(s, { quant: stored });
      const [a, b] = [await loadModelFiles(dir), await loadModelFiles(path)];
      a.store.close();
      b.store.close();
      sameConfig(b.config, a.config);
      // 24 tokens: past every window; Phi-3 takes its long factors (original context 16), 12 its short ones.
      await sameForward(s, path, dir, 24, TOL);
      if (s.family === 'phi3') await sameForward(s, path, dir, 12, TOL);
    });
  }

  // What the converter and llama.cpp do that a BF16 / F16 Gemma checkpoint's HF forward does not (docs/gguf.md).
  it('gemma BF16: llama.cpp scales the embedding by √d in float32, HF by √d rounded to bfloat16 (attention to BOS within 3e-3)', async () => {
    const s = { ...spec('gemma-bf16'), name: 'gguf-gemma-bf16' };
    const { dir, path } = gguf(s, { quant: 'BF16' });
    const [a, b] = [await loadModelFiles(dir), await loadModelFiles(path)];
    a.store.close();
    b.store.close();
    assert.deepEqual([b.config.embedScale, a.config.embedScale], [Math.fround(Math.sqrt(48)), 6.9375]);
    const ids = randomIds(24, s.vocab, 5);
    ids[0] = 1;
    const [got, want] = [await forward(path, ids), await forward(dir, ids)];
    assertClose(got.attnToBos, want.attnToBos, { rtol: 0, atol: 3e-3 }, 'attnToBos (measured 1.3e-3)');
  });

  it('gemma3 F16: the converter adds 1 in float16, so norms are stored as f16(w + 1) (attention to BOS within 2e-3)', async () => {
    const s: ModelSpec = { ...spec('gemma3-layer-types-f16'), name: 'gguf-gemma3-f16', layerTypes: false, slidingWindowPattern: 6, layers: 7, queryPreAttnScalar: 8 };
    const { dir, path } = gguf(s, { quant: 'F16' });
    const file = readGgufHeader(path);
    const fd = openSync(path, 'r');
    const a = await loadModelFiles(dir);
    try {
      const info = file.tensors.find((t) => t.name === 'blk.2.ffn_norm.weight')!;
      const half = (x: number) => f16BitsToF32(f32ToF16Bits(x));
      assert.deepEqual([...readGgufTensor(fd, path, info)], [...a.store.read('model.layers.2.pre_feedforward_layernorm.weight')].map((w) => half(w + 1)));
    } finally {
      closeSync(fd);
      a.store.close();
    }
    const ids = randomIds(24, s.vocab, 5);
    ids[0] = 1;
    const [got, want] = [await forward(path, ids), await forward(dir, ids)];
    assertClose(got.attnToBos, want.attnToBos, { rtol: 0, atol: 2e-3 }, 'attnToBos (measured 8.4e-4)');
  });

  it('gemma2: every norm is stored as w + 1 (F32) and applied as 1 + w once', async () => {
    const { dir, path } = gguf(REPRESENTABLE[1] as ModelSpec);
    const file = readGgufHeader(path);
    const fd = openSync(path, 'r');
    const [a, b] = [await loadModelFiles(dir), await loadModelFiles(path)];
    try {
      const pairs = [
        ['blk.1.attn_norm.weight', 'model.layers.1.input_layernorm.weight'],
        ['blk.1.post_attention_norm.weight', 'model.layers.1.post_attention_layernorm.weight'],
        ['blk.1.ffn_norm.weight', 'model.layers.1.pre_feedforward_layernorm.weight'],
        ['blk.1.post_ffw_norm.weight', 'model.layers.1.post_feedforward_layernorm.weight'],
        ['output_norm.weight', 'model.norm.weight'],
      ] as const;
      for (const [g, hf] of pairs) {
        const info = file.tensors.find((t) => t.name === g);
        assert.equal(info?.type, 0, `${g} is F32`);
        const w = a.store.read(hf);
        assert.deepEqual([...readGgufTensor(fd, path, info!)], [...w].map((x) => Math.fround(x + 1)), `${g} = w + 1`);
        assertClose(b.store.read(hf), w, { rtol: 0, atol: 1e-7 }, `${hf}: the store gives HF's w back`);
      }
      const layer = (m: typeof a) => m.weights.layers[1]!;
      for (const k of ['attnNorm', 'mlpNorm', 'attnPostNorm', 'mlpPostNorm'] as const) {
        const [x, y] = [layer(a)[k]!.weight.load(), layer(b)[k]!.weight.load()];
        assert.ok(x.every((v) => v > 0.5), 'the canonical scale is 1 + w (near 1), not w');
        assertClose(y, x, { rtol: 0, atol: 1e-7 }, `${k}: 1 + w from both`);
      }
    } finally {
      closeSync(fd);
      a.store.close();
      b.store.close();
    }
  });

  it('gemma3: q/k norms are stored + 1 too, and the untied head is output.weight', async () => {
    const { dir, path } = gguf(REPRESENTABLE[2] as ModelSpec);
    const file = readGgufHeader(path);
    assert.ok(file.tensors.some((t) => t.name === 'output.weight'));
    const fd = openSync(path, 'r');
    const a = await loadModelFiles(dir);
    try {
      for (const [g, hf] of [['blk.0.attn_q_norm.weight', 'model.layers.0.self_attn.q_norm.weight'], ['blk.0.attn_k_norm.weight', 'model.layers.0.self_attn.k_norm.weight']] as const) {
        const info = file.tensors.find((t) => t.name === g)!;
        assert.deepEqual([...readGgufTensor(fd, path, info)], [...a.store.read(hf)].map((x) => Math.fround(x + 1)), g);
      }
    } finally {
      closeSync(fd);
      a.store.close();
    }
  });

  it('phi3: fused attn_qkv / ffn_up (gate | up) and the rope factor tensors, as the converter lays them out', () => {
    const { path } = gguf(spec('phi3-longrope-bf16'), { quant: 'BF16' });
    const f = readGgufHeader(path);
    const dims = (n: string) => f.tensors.find((t) => t.name === n)?.dims;
    assert.deepEqual(dims('blk.0.attn_qkv.weight'), [48, (4 + 2 * 2) * 12]);
    assert.deepEqual(dims('blk.0.ffn_up.weight'), [48, 2 * 96]);
    assert.equal(dims('blk.0.ffn_gate.weight'), undefined);
    assert.deepEqual(dims('rope_factors_long.weight'), [3]);
    assert.equal(f.metadata.get('phi3.rope.dimension_count'), 6);
    assert.equal(f.metadata.get('phi3.attention.sliding_window'), 10);
  });
});

describe('what llama.cpp derives when the GGUF file has no key', () => {
  it('models the file cannot state load as llama.cpp runs them: attention scale 1/√head_dim, every 6th Gemma 3 layer global', async () => {
    const g2 = gguf(spec('gemma2-softcap-window-sharded'));
    const g3 = gguf(spec('gemma3-pattern'));
    const [a2, a3] = [await loadModelFiles(g2.path), await loadModelFiles(g3.path)];
    a2.store.close();
    a3.store.close();
    assert.equal(a2.config.attnScale, 1 / Math.sqrt(12), 'query_pre_attn_scalar 20 is not in the file: head_dim');
    assert.deepEqual([a2.config.attnSoftcap, a2.config.finalSoftcap, a2.config.layerWindows], [4, 2.5, [6, null, 6]]);
    assert.equal(a3.config.attnScale, 1 / Math.sqrt(24));
    assert.deepEqual(a3.config.layerWindows, [5, 5, 5], 'pattern 3 is not in the file: 3 layers < 6 are all local');
    assert.deepEqual([a3.config.ropeLocal?.theta, a3.config.ropeLocal?.scaling, a3.config.rope?.theta, a3.config.rope?.scaling], [10000, null, 1000000, { type: 'linear', factor: 8 }]);
  });

  const file = (arch: string, entries: [string, GgufValue][], layers: number): GgufFile => ({
    path: `/${arch}.gguf`, bytes: 0, version: 3,
    metadata: new Map<string, GgufValue>([
      ['general.architecture', arch], [`${arch}.embedding_length`, 4608], [`${arch}.block_count`, layers], [`${arch}.feed_forward_length`, 36864],
      [`${arch}.attention.head_count`, 32], [`${arch}.attention.head_count_kv`, 16], [`${arch}.attention.key_length`, 128], ...entries,
    ]),
    tensors: [{ name: 'token_embd.weight', dims: [4608, 256000], type: 0, byteRange: [0, 0] }],
  });
  const canon = (f: GgufFile) => getAdapter(ggufRawConfig(f, () => null)['model_type']).normalizeConfig(ggufRawConfig(f, () => null), 'x');

  it('gemma2 27B (46 layers): query_pre_attn_scalar = hidden / heads (144), else head_dim; soft-caps and window default to 50, 30, 4096', () => {
    assert.equal(canon(file('gemma2', [], 46)).attnScale, 1 / Math.sqrt(144));
    const c = canon(file('gemma2', [], 42));
    assert.deepEqual([c.attnScale, c.attnSoftcap, c.finalSoftcap, c.layerWindows?.slice(0, 3), c.rope?.theta], [1 / Math.sqrt(128), 50, 30, [4096, null, 4096], 10000]);
  });

  it('gemma3: 62 layers take hidden / heads; no sliding_window key (or 0) means every layer global', () => {
    assert.equal(canon(file('gemma3', [['gemma3.attention.sliding_window', 1024]], 62)).attnScale, 1 / Math.sqrt(144));
    const c = canon(file('gemma3', [['gemma3.attention.sliding_window', 0]], 26));
    assert.deepEqual([c.layerWindows, c.ropeLocal, c.attnSoftcap, c.finalSoftcap], [undefined, undefined, null, null]);
    const w = canon(file('gemma3', [['gemma3.attention.sliding_window', 512]], 12));
    assert.deepEqual(w.layerWindows, [512, 512, 512, 512, 512, null, 512, 512, 512, 512, 512, null]);
  });

  it('phi3: no rope factor tensors = no scaling; sliding_window 0 = none; partial rotary from rope.dimension_count', () => {
    const f: GgufFile = {
      path: '/phi.gguf', bytes: 0, version: 3,
      metadata: new Map<string, GgufValue>([
        ['general.architecture', 'phi3'], ['phi3.embedding_length', 3072], ['phi3.block_count', 32], ['phi3.feed_forward_length', 8192],
        ['phi3.attention.head_count', 24], ['phi3.attention.head_count_kv', 8], ['phi3.rope.dimension_count', 96], ['phi3.attention.sliding_window', 0],
        ['phi3.rope.scaling.original_context_length', 4096], ['phi3.context_length', 4096],
      ]),
      tensors: [{ name: 'token_embd.weight', dims: [3072, 200064], type: 0, byteRange: [0, 0] }],
    };
    const c = canon(f);
    assert.deepEqual([c.headDim, c.rope?.rotaryDim, c.rope?.scaling, c.layerWindows], [128, 96, null, undefined]);
  });
});

describe('quantised gemma2 / phi3 GGUF', () => {
  // Q8_0 on rows of 32 / 64 (others fall back to F16 as llama.cpp does). Tiny random models have sharp
  // attention: a llama of the same size moves attention to BOS by 0.029 in Q8_0, these by 0.027 / 0.030.
  const QUANT: readonly ModelSpec[] = [
    { ...spec('gemma2-softcap-window-sharded'), name: 'gguf-gemma2-q', queryPreAttnScalar: 12 },
    { ...spec('phi3-longrope-bf16'), name: 'gguf-phi3-q', hidden: 64, heads: 4, kvHeads: 2, intermediate: 128, dtype: 'F32', partialRotary: 0.375 },
  ];
  for (const s of QUANT) {
    it(`${s.name} in Q8_0: every matrix within Q8_0's error (fused rows in place), attention to BOS within 6e-2`, async () => {
      const { dir, path } = gguf(s, { quant: 'Q8_0' });
      const [a, b] = [await loadModelFiles(dir), await loadModelFiles(path)];
      try {
        assert.ok(b.store.dtypeSummary().includes('Q8_0'));
        for (const name of a.store.names().filter((n) => a.store.info(n).shape.length === 2)) {
          const [x, y] = [a.store.read(name), b.store.read(name)];
          let num = 0;
          let den = 0;
          x.forEach((v, i) => {
            num += (v - (y[i] as number)) ** 2;
            den += v ** 2;
          });
          // Measured 0.0054 (docs/gguf.md); rows out of place (q | k | v, gate | up) would give ~√2.
          assert.ok(Math.sqrt(num / den) < 0.008, `${name}: relative rms error ${Math.sqrt(num / den)}`);
        }
      } finally {
        a.store.close();
        b.store.close();
      }
      const ids = randomIds(24, s.vocab, 5);
      ids[0] = 1;
      const [got, want] = [await forward(path, ids), await forward(dir, ids)];
      assertClose(got.attnToBos, want.attnToBos, { rtol: 0, atol: 6e-2 }, `${s.name}: attnToBos`);
    });
  }

  // Every projection's rows are whole Q8_0 blocks here (gemma2: inputs d = 32, H·hd = 64, ff = 64; phi3: d = 64, ff = 128).
  // Phi-3 in Q4_K (rows of 256, per-block offsets) at int4 too.
  const phi3K: ModelSpec = { ...(QUANT[1] as ModelSpec), name: 'gguf-phi3-k', hidden: 256, intermediate: 256, partialRotary: 0.09375 };
  const DIRECT: readonly [ModelSpec, 'Q8_0' | 'Q4_K', 'int8' | 'int4', number][] = [
    [{ ...spec('gemma2-softcap-window-sharded'), name: 'gguf-gemma2-int8', headDim: 16, queryPreAttnScalar: 16 }, 'Q8_0', 'int8', 0], // tied: the head is the embedding
    [QUANT[1] as ModelSpec, 'Q8_0', 'int8', 1], // untied head
    [phi3K, 'Q4_K', 'int4', 1],
  ];
  for (const [s, quant, precision, head] of DIRECT) {
    it(`${s.name} ${quant} at ${precision}: every projection runs as stored (fused phi3 rows sliced from the file's blocks), the forward equals the fp32 one`, async () => {
      const { path } = gguf(s, { quant });
      const f = await loadModelFiles(path);
      const names = buildForwardGraph(f.config, f.weights, 'bare', { weights: precision }).initializers.map((i) => i.name).filter((n) => /\/weight_q\d/.test(n));
      f.store.close();
      assert.equal(names.length, s.layers * 7 + head, names.join(', '));
      assert.ok(names.every((n) => n.endsWith(`_${quant}`)), `all taken as stored: ${names.join(', ')}`);
      const run = async (weights: 'int8' | 'int4' | 'fp32') => {
        const g = await loadModelFiles(path);
        const r = await createRunnerWith(g.config, g.weights, { threads: 1, probes: 'full', weights }, { quant: { accuracyLevel: 0 } }).finally(() => g.store.close());
        try {
          return await r.forward({ ids: [1, ...randomIds(23, s.vocab, 9)] });
        } finally {
          await r.dispose();
        }
      };
      const [got, want] = [await run(precision), await run('fp32')];
      const tol = { rtol: 1e-4, atol: 1e-5 };
      assertClose(got.hidden, want.hidden, tol, 'hidden');
      assertClose(got.attnToBos, want.attnToBos, tol, 'attnToBos');
      if (head) assertClose(got.lastLogits, want.lastLogits, tol, 'lastLogits');
    });
  }
});
