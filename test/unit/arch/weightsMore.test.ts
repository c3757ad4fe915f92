/** Weight layouts of Phi-3 (fused), OLMo (no norm tensors), OLMo2 (moved norms) and OPT (positions, projections, post-LN). */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { SinkLensError } from '../../../src/shared/errors';
import { getAdapter } from '../../../src/engine/arch/registry';
import { loadConfig } from '../../../src/engine/model/config';
import { openWeights } from '../../../src/engine/model/safetensors';
import type { ModelWeights } from '../../../src/engine/weights/types';
import { valuesOf, writeModel, type Shapes, type TinyModel } from './tinyModels';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function map(m: TinyModel, drop: string[] = []): ModelWeights {
  const dir = writeModel(m, drop);
  dirs.push(dir);
  const cfg = loadConfig(dir);
  return getAdapter(cfg.modelType).mapWeights(openWeights(dir), cfg);
}

const d = 4, H = 2, KV = 1, hd = 2, ff = 6, V = 7;
const base = { hidden_size: d, num_attention_heads: H, num_key_value_heads: KV, intermediate_size: ff, vocab_size: V, num_hidden_layers: 1, max_position_embeddings: 16, bos_token_id: 1, eos_token_id: 2 };

function llamaStyle(modelType: string, layer: (p: string) => Shapes, finalNorm = true): TinyModel {
  const shapes: Shapes = { 'model.embed_tokens.weight': [V, d], ...layer('model.layers.0'), 'lm_head.weight': [V, d] };
  if (finalNorm) shapes['model.norm.weight'] = [d];
  return { config: { ...base, model_type: modelType }, shapes };
}

const attn = (p: string): Shapes => ({ [`${p}.self_attn.q_proj.weight`]: [H * hd, d], [`${p}.self_attn.k_proj.weight`]: [KV * hd, d], [`${p}.self_attn.v_proj.weight`]: [KV * hd, d], [`${p}.self_attn.o_proj.weight`]: [d, H * hd] });
const mlp = (p: string): Shapes => ({ [`${p}.mlp.gate_proj.weight`]: [ff, d], [`${p}.mlp.up_proj.weight`]: [ff, d], [`${p}.mlp.down_proj.weight`]: [d, ff] });
const rows = (src: Float32Array, start: number, n: number, cols: number): number[] => Array.from(src.slice(start * cols, (start + n) * cols));

describe('phi3 weight mapping', () => {
  const m = llamaStyle('phi3', (p) => ({
    [`${p}.input_layernorm.weight`]: [d],
    [`${p}.self_attn.qkv_proj.weight`]: [(H + 2 * KV) * hd, d],
    [`${p}.self_attn.o_proj.weight`]: [d, H * hd],
    [`${p}.post_attention_layernorm.weight`]: [d],
    [`${p}.mlp.gate_up_proj.weight`]: [2 * ff, d],
    [`${p}.mlp.down_proj.weight`]: [d, ff],
  }));

  it('splits qkv_proj into row blocks q | k | v and gate_up_proj into gate | up', () => {
    const w = map(m);
    const l = w.layers[0]!;
    const qkv = valuesOf(m.shapes, 'model.layers.0.self_attn.qkv_proj.weight');
    const gu = valuesOf(m.shapes, 'model.layers.0.mlp.gate_up_proj.weight');
    assert.deepEqual(Array.from(l.q.weight.load()), rows(qkv, 0, H * hd, d));
    assert.deepEqual(Array.from(l.k.weight.load()), rows(qkv, H * hd, KV * hd, d));
    assert.deepEqual(Array.from(l.v.weight.load()), rows(qkv, (H + KV) * hd, KV * hd, d));
    assert.deepEqual(Array.from(l.gate!.weight.load()), rows(gu, 0, ff, d));
    assert.deepEqual(Array.from(l.up.weight.load()), rows(gu, ff, ff, d));
    assert.deepEqual([l.q.weight.dims, l.k.weight.dims, l.gate!.weight.dims], [[H * hd, d], [KV * hd, d], [ff, d]]);
    assert.equal(new Set([l.q, l.k, l.v, l.gate!, l.up].map((x) => x.weight.key)).size, 5);
  });

  it('a fused tensor of the wrong shape is named', () => {
    const bad = { ...m, shapes: { ...m.shapes, 'model.layers.0.self_attn.qkv_proj.weight': [H * hd, d] } };
    assert.throws(() => map(bad), (e: unknown) => SinkLensError.is(e, 'corruptWeights') && e.message.includes('qkv_proj'));
  });
});

describe('olmo / olmo2 weight mapping', () => {
  it('OLMo: no norm tensors; every norm is weight 1 without bias, one shared constant', () => {
    const w = map(llamaStyle('olmo', (p) => ({ ...attn(p), ...mlp(p) }), false));
    const l = w.layers[0]!;
    assert.deepEqual(Array.from(l.attnNorm!.weight.load()), [1, 1, 1, 1]);
    assert.equal(l.attnNorm!.bias, null);
    assert.equal(l.mlpNorm!.weight.key, w.finalNorm!.weight.key);
  });

  it('OLMo2: no pre-norms; post norms and q/k norms over the whole projection', () => {
    const m = llamaStyle('olmo2', (p) => ({
      ...attn(p),
      [`${p}.self_attn.q_norm.weight`]: [H * hd],
      [`${p}.self_attn.k_norm.weight`]: [KV * hd],
      [`${p}.post_attention_layernorm.weight`]: [d],
      ...mlp(p),
      [`${p}.post_feedforward_layernorm.weight`]: [d],
    }));
    const l = map(m).layers[0]!;
    assert.equal(l.attnNorm, null);
    assert.equal(l.mlpNorm, null);
    assert.deepEqual(l.qNorm!.weight.dims, [H * hd]);
    assert.deepEqual(l.kNorm!.weight.dims, [KV * hd]);
    assert.deepEqual(Array.from(l.attnPostNorm!.weight.load()), Array.from(valuesOf(m.shapes, 'model.layers.0.post_attention_layernorm.weight')));
    assert.deepEqual(Array.from(l.mlpPostNorm!.weight.load()), Array.from(valuesOf(m.shapes, 'model.layers.0.post_feedforward_layernorm.weight')));
  });
});

describe('opt weight mapping', () => {
  const e = 3;
  function opt(preLn: boolean, proj: boolean): TinyModel {
    const we = proj ? e : d;
    const shapes: Shapes = { 'model.decoder.embed_tokens.weight': [V, we], 'model.decoder.embed_positions.weight': [16 + 2, d] };
    if (proj) Object.assign(shapes, { 'model.decoder.project_out.weight': [e, d], 'model.decoder.project_in.weight': [d, e] });
    const p = 'model.decoder.layers.0';
    for (const n of ['q_proj', 'k_proj', 'v_proj', 'out_proj']) Object.assign(shapes, { [`${p}.self_attn.${n}.weight`]: [d, d], [`${p}.self_attn.${n}.bias`]: [d] });
    Object.assign(shapes, {
      [`${p}.self_attn_layer_norm.weight`]: [d], [`${p}.self_attn_layer_norm.bias`]: [d],
      [`${p}.fc1.weight`]: [ff, d], [`${p}.fc1.bias`]: [ff], [`${p}.fc2.weight`]: [d, ff], [`${p}.fc2.bias`]: [d],
      [`${p}.final_layer_norm.weight`]: [d], [`${p}.final_layer_norm.bias`]: [d],
    });
    if (preLn) Object.assign(shapes, { 'model.decoder.final_layer_norm.weight': [d], 'model.decoder.final_layer_norm.bias': [d] });
    const config = { model_type: 'opt', hidden_size: d, num_attention_heads: H, ffn_dim: ff, vocab_size: V, num_hidden_layers: 1, max_position_embeddings: 16, word_embed_proj_dim: we, do_layer_norm_before: preLn, bos_token_id: 2, eos_token_id: 2 };
    return { config, shapes };
  }

  it('pre-LN: positions table [max + 2, d], per-layer norms, the decoder final norm, tied head, no projections', () => {
    const m = opt(true, false);
    const w = map(m);
    assert.deepEqual(w.positions!.dims, [18, d]);
    assert.equal(w.lmHead.key, w.embed.key);
    assert.equal(w.embedProjIn, null);
    assert.deepEqual(Array.from(w.finalNorm!.bias!.load()), Array.from(valuesOf(m.shapes, 'model.decoder.final_layer_norm.bias')));
    assert.deepEqual(Array.from(w.layers[0]!.mlpNorm!.weight.load()), Array.from(valuesOf(m.shapes, 'model.decoder.layers.0.final_layer_norm.weight')));
    assert.deepEqual(Array.from(w.layers[0]!.o.bias!.load()), Array.from(valuesOf(m.shapes, 'model.decoder.layers.0.self_attn.out_proj.bias')));
    assert.throws(() => map(m, ['model.decoder.final_layer_norm.weight']), (x: unknown) => SinkLensError.is(x, 'missingWeights') && x.message.includes('final_layer_norm'));
  });

  it('post-LN with word_embed_proj_dim != hidden: no final norm, project_in [d, e] / project_out [e, d], head [vocab, e]', () => {
    const w = map(opt(false, true));
    assert.equal(w.finalNorm, null);
    assert.deepEqual(w.embed.dims, [V, e]);
    assert.deepEqual(w.embedProjIn!.weight.dims, [d, e]);
    assert.deepEqual(w.embedProjOut!.weight.dims, [e, d]);
    assert.deepEqual(w.lmHead.dims, [V, e]);
  });
});
