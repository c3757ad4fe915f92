import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { SinkLensError } from '../../../src/shared/errors';
import { getAdapter } from '../../../src/engine/arch/registry';
import { transpose2d } from '../../../src/engine/arch/weightRefs';
import { loadConfig } from '../../../src/engine/model/config';
import { openWeights } from '../../../src/engine/model/safetensors';
import type { ModelWeights, WeightRef } from '../../../src/engine/weights/types';
import { tinyGemma3Multimodal, tinyGpt2, tinyLlama, tinyNeox, valuesOf, writeModel, type TinyModel } from './tinyModels';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function map(m: TinyModel, drop: string[] = []): ModelWeights {
  const dir = writeModel(m, drop);
  dirs.push(dir);
  const cfg = loadConfig(dir);
  return getAdapter(cfg.modelType).mapWeights(openWeights(dir), cfg);
}

function allRefs(w: ModelWeights): WeightRef[] {
  const refs: WeightRef[] = [w.embed, w.lmHead];
  for (const r of [w.positions, w.lmHeadBias, w.finalNorm?.weight, w.finalNorm?.bias]) if (r) refs.push(r);
  for (const lin of [w.embedProjIn, w.embedProjOut]) if (lin) refs.push(lin.weight, ...(lin.bias ? [lin.bias] : []));
  for (const l of w.layers) {
    for (const n of [l.attnNorm, l.mlpNorm, l.qNorm, l.kNorm, l.attnPostNorm, l.mlpPostNorm]) if (n) refs.push(n.weight, ...(n.bias ? [n.bias] : []));
    for (const lin of [l.q, l.k, l.v, l.o, l.gate, l.up, l.down]) if (lin) refs.push(lin.weight, ...(lin.bias ? [lin.bias] : []));
  }
  return refs;
}

/** Every canonical tensor has its own key; only the tied head may share the embedding's. */
function assertKeysUnique(w: ModelWeights): void {
  const refs = allRefs(w).filter((r) => r !== w.lmHead);
  const keys = refs.map((r) => r.key);
  assert.equal(new Set(keys).size, keys.length, `duplicate keys: ${keys.join(', ')}`);
  for (const r of allRefs(w)) assert.equal(r.load().length, r.dims.reduce((a, b) => a * b, 1), `${r.key} size vs dims [${r.dims.join(', ')}]`);
}

const throwsCode = (fn: () => unknown, code: string, mention: string): void =>
  assert.throws(fn, (e: unknown) => SinkLensError.is(e, code as never) && `${e.message} ${e.detail ?? ''}`.includes(mention));

describe('llama-family weight mapping', () => {
  it('maps every HF tensor as stored, untied head separate', () => {
    const m = tinyLlama();
    const w = map(m);
    assert.equal(w.layers.length, 2);
    assert.deepEqual(Array.from(w.layers[1]!.k.weight.load()), Array.from(valuesOf(m.shapes, 'model.layers.1.self_attn.k_proj.weight')));
    assert.deepEqual(w.layers[1]!.k.weight.dims, [2, 4]); // [KV*hd, d]
    assert.deepEqual(w.layers[0]!.o.weight.dims, [4, 4]);
    assert.deepEqual(w.layers[0]!.down.weight.dims, [4, 6]);
    assert.deepEqual(Array.from(w.lmHead.load()), Array.from(valuesOf(m.shapes, 'lm_head.weight')));
    assert.notEqual(w.lmHead.key, w.embed.key);
    assert.equal(w.positions, null);
    assert.equal(w.layers[0]!.q.bias, null);
    assert.equal(w.layers[0]!.qNorm, null);
    assertKeysUnique(w);
  });

  it('tied embeddings: the head is the embedding ref, stored lm_head or not', () => {
    for (const storeLmHead of [false, true]) {
      const w = map(tinyLlama({ tie: true, storeLmHead }));
      assert.equal(w.lmHead.key, w.embed.key);
      assert.equal(w.lmHead.key, 'model.embed_tokens.weight');
    }
  });

  it('llama attention_bias / mlp_bias tensors are used when stored', () => {
    const m = tinyLlama({ qkvBias: true, oBias: true, mlpBias: true });
    const w = map(m);
    assert.deepEqual(Array.from(w.layers[0]!.o.bias!.load()), Array.from(valuesOf(m.shapes, 'model.layers.0.self_attn.o_proj.bias')));
    assert.deepEqual(w.layers[1]!.gate!.bias!.dims, [6]);
    assertKeysUnique(w);
  });

  it('qwen2 requires q/k/v biases and has no o bias', () => {
    const m = tinyLlama({ modelType: 'qwen2', qkvBias: true });
    const w = map(m);
    assert.deepEqual(Array.from(w.layers[0]!.v.bias!.load()), Array.from(valuesOf(m.shapes, 'model.layers.0.self_attn.v_proj.bias')));
    assert.equal(w.layers[0]!.o.bias, null);
    throwsCode(() => map(m, ['model.layers.1.self_attn.q_proj.bias']), 'missingWeights', 'model.layers.1.self_attn.q_proj.bias');
  });

  it('qwen3 maps per-head q_norm / k_norm [head_dim] with head_dim != d / H', () => {
    const m = tinyLlama({ modelType: 'qwen3', qkNorm: true, headDim: 6 });
    const w = map(m);
    assert.deepEqual(w.layers[0]!.q.weight.dims, [12, 4]); // [H*hd, d]
    assert.deepEqual(w.layers[0]!.o.weight.dims, [4, 12]); // [d, H*hd]
    assert.deepEqual(Array.from(w.layers[1]!.kNorm!.weight.load()), Array.from(valuesOf(m.shapes, 'model.layers.1.self_attn.k_norm.weight')));
    assert.deepEqual(w.layers[1]!.qNorm!.weight.dims, [6]);
    throwsCode(() => map(m, ['model.layers.0.self_attn.q_norm.weight']), 'missingWeights', 'q_norm');
  });

  it('names a missing tensor and the files it looked in', () => {
    throwsCode(() => map(tinyLlama(), ['model.layers.1.mlp.down_proj.weight']), 'missingWeights', 'model.layers.1.mlp.down_proj.weight');
    throwsCode(() => map(tinyLlama(), ['model.layers.1.mlp.down_proj.weight']), 'missingWeights', 'model.safetensors');
    throwsCode(() => map(tinyLlama({ tie: false }), ['lm_head.weight']), 'missingWeights', 'lm_head.weight');
  });

  it('a shape that disagrees with config.json is corruptWeights naming the tensor', () => {
    const m = tinyLlama();
    m.shapes['model.layers.0.self_attn.k_proj.weight'] = [4, 4];
    throwsCode(() => map(m), 'corruptWeights', 'model.layers.0.self_attn.k_proj.weight');
  });
});

/** y = x M^T for a torch Linear weight M [out, in]. */
function linearApply(weight: Float32Array, out: number, inp: number, x: number[]): number[] {
  return Array.from({ length: out }, (_, o) => x.reduce((s, xi, i) => s + xi * (weight[o * inp + i] as number), 0));
}

describe('gpt2 weight mapping', () => {
  for (const prefix of ['transformer.', '']) {
    it(`transposes Conv1D and splits c_attn (prefix "${prefix}")`, () => {
      const m = tinyGpt2(prefix);
      const w = map(m);
      const d = 4;
      const cattn = valuesOf(m.shapes, `${prefix}h.1.attn.c_attn.weight`); // [d, 3d], stored [in, out]
      const cbias = valuesOf(m.shapes, `${prefix}h.1.attn.c_attn.bias`);
      const l = w.layers[1]!;
      ([l.q, l.k, l.v] as const).forEach((lin, j) => {
        const got = lin.weight.load();
        assert.deepEqual(lin.weight.dims, [d, d]);
        for (let o = 0; o < d; o++) for (let i = 0; i < d; i++) assert.equal(got[o * d + i], cattn[i * 3 * d + j * d + o], `part ${j} [${o}, ${i}]`);
        assert.deepEqual(Array.from(lin.bias!.load()), Array.from(cbias.slice(j * d, (j + 1) * d)));
      });
      // Conv1D semantics: x @ W_fused (+ b) split into thirds equals the canonical q/k/v Linears.
      const x = [0.5, -1, 2, 0.25];
      const fused = Array.from({ length: 3 * d }, (_, c) => x.reduce((s, xi, i) => s + xi * (cattn[i * 3 * d + c] as number), 0));
      ([l.q, l.k, l.v] as const).forEach((lin, j) => assert.deepEqual(linearApply(lin.weight.load(), d, d, x), fused.slice(j * d, (j + 1) * d)));
      // c_fc [d, ff] -> up [ff, d]; c_proj [ff, d] -> down [d, ff].
      const fc = valuesOf(m.shapes, `${prefix}h.0.mlp.c_fc.weight`);
      const up = w.layers[0]!.up.weight.load();
      assert.deepEqual(w.layers[0]!.up.weight.dims, [16, 4]);
      for (let o = 0; o < 16; o++) for (let i = 0; i < 4; i++) assert.equal(up[o * 4 + i], fc[i * 16 + o]);
      assert.deepEqual(w.layers[0]!.down.weight.dims, [4, 16]);
      assert.equal(w.layers[0]!.gate, null);
      assert.deepEqual(Array.from(w.positions!.load()), Array.from(valuesOf(m.shapes, `${prefix}wpe.weight`)));
      assert.equal(w.lmHead.key, w.embed.key);
      assert.deepEqual(Array.from(w.finalNorm!.bias!.load()), Array.from(valuesOf(m.shapes, `${prefix}ln_f.bias`)));
      assertKeysUnique(w);
    });
  }

  it('names a missing tensor', () => {
    throwsCode(() => map(tinyGpt2(), ['transformer.h.0.ln_2.bias']), 'missingWeights', 'transformer.h.0.ln_2.bias');
  });
});

describe('gpt_neox weight mapping', () => {
  it('splits the per-head fused query_key_value element by element', () => {
    const m = tinyNeox();
    const w = map(m);
    const d = 6, H = 3, hd = 2;
    const qkv = valuesOf(m.shapes, 'gpt_neox.layers.1.attention.query_key_value.weight'); // [3d, d]
    const qkvB = valuesOf(m.shapes, 'gpt_neox.layers.1.attention.query_key_value.bias');
    const l = w.layers[1]!;
    ([l.q, l.k, l.v] as const).forEach((lin, j) => {
      const got = lin.weight.load();
      const bias = lin.bias!.load();
      for (let h = 0; h < H; h++) {
        for (let r = 0; r < hd; r++) {
          const fusedRow = h * 3 * hd + j * hd + r; // view [H, 3, hd]
          assert.equal(bias[h * hd + r], qkvB[fusedRow]);
          for (let c = 0; c < d; c++) assert.equal(got[(h * hd + r) * d + c], qkv[fusedRow * d + c], `part ${j} head ${h} row ${r} col ${c}`);
        }
      }
    });
    // HF semantics: fused output viewed as [H, 3*hd], chunked into q, k, v per head.
    const x = [1, -0.5, 0.25, 2, -1, 0.75];
    const fused = linearApply(qkv, 3 * d, d, x);
    ([l.q, l.k, l.v] as const).forEach((lin, j) => {
      const mine = linearApply(lin.weight.load(), d, d, x);
      for (let h = 0; h < H; h++) assert.deepEqual(mine.slice(h * hd, (h + 1) * hd), fused.slice(h * 3 * hd + j * hd, h * 3 * hd + (j + 1) * hd));
    });
    assert.deepEqual(Array.from(w.lmHead.load()), Array.from(valuesOf(m.shapes, 'embed_out.weight')));
    assert.notEqual(w.lmHead.key, w.embed.key);
    assert.deepEqual(Array.from(w.layers[0]!.o.bias!.load()), Array.from(valuesOf(m.shapes, 'gpt_neox.layers.0.attention.dense.bias')));
    assert.deepEqual(w.layers[0]!.up.weight.dims, [10, 6]);
    assert.deepEqual(Array.from(w.finalNorm!.weight.load()), Array.from(valuesOf(m.shapes, 'gpt_neox.final_layer_norm.weight')));
    assertKeysUnique(w);
  });

  it('names a missing tensor', () => {
    throwsCode(() => map(tinyNeox(), ['embed_out.weight']), 'missingWeights', 'embed_out.weight');
  });
});

describe('gemma3 image-text checkpoints: the language model only', () => {
  for (const prefix of ['language_model.model.', 'model.language_model.']) {
    it(`maps ${prefix}*: (1 + w) norms, post-norms in their slots, q/k norms, tied head; the vision tower is ignored`, () => {
      const m = tinyGemma3Multimodal(prefix);
      const w = map(m);
      assertKeysUnique(w);
      assert.equal(w.lmHead, w.embed);
      const plus1 = (name: string) => Array.from(valuesOf(m.shapes, name), (v) => Math.fround(1 + v));
      const l1 = w.layers[1]!;
      assert.deepEqual(Array.from(l1.attnNorm!.weight.load()), plus1(`${prefix}layers.1.input_layernorm.weight`));
      assert.deepEqual(Array.from(l1.attnPostNorm!.weight.load()), plus1(`${prefix}layers.1.post_attention_layernorm.weight`));
      assert.deepEqual(Array.from(l1.mlpNorm!.weight.load()), plus1(`${prefix}layers.1.pre_feedforward_layernorm.weight`));
      assert.deepEqual(Array.from(l1.mlpPostNorm!.weight.load()), plus1(`${prefix}layers.1.post_feedforward_layernorm.weight`));
      assert.deepEqual(Array.from(l1.kNorm!.weight.load()), plus1(`${prefix}layers.1.self_attn.k_norm.weight`));
      assert.deepEqual(Array.from(w.finalNorm!.weight.load()), plus1(`${prefix}norm.weight`));
      assert.deepEqual(Array.from(l1.q.weight.load()), Array.from(valuesOf(m.shapes, `${prefix}layers.1.self_attn.q_proj.weight`)));
    });
  }

  it('a missing post-norm is named', () => {
    const m = tinyGemma3Multimodal('model.language_model.');
    throwsCode(() => map(m, ['model.language_model.layers.0.post_feedforward_layernorm.weight']), 'missingWeights', 'post_feedforward_layernorm');
  });
});

describe('transpose2d', () => {
  it('gives out[c][r] = src[r][c] for shapes on and off its 16-wide tiles', () => {
    for (const [rows, cols] of [[1, 1], [1, 37], [37, 1], [16, 16], [17, 33], [48, 5], [5, 48], [64, 130]] as const) {
      const src = Float32Array.from({ length: rows * cols }, (_, i) => i * 1.5 - 7);
      const out = transpose2d(src, rows, cols);
      assert.equal(out.length, rows * cols);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) assert.equal(out[c * rows + r], src[r * cols + c], `${rows}x${cols} at (${r}, ${c})`);
    }
  });
});
