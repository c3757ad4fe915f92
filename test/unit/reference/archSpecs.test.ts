/**
 * Every generated architecture: the folder is complete and in its family's dialect, the tokenizer
 * loads with @huggingface/tokenizers, and the oracle runs with sane, causal outputs.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Tokenizer } from '@huggingface/tokenizers';
import { assertClose } from '../../support/assertClose';
import { ARCH_SPECS, generateModel, samplePrompt, type GeneratedModel, type ModelSpec } from '../../support/genModel';
import { forwardModel, loadRefModel, ropeInvFreq, type RefResult } from '../../support/reference';
import { readSafetensorsDir } from '../../support/reference/safetensors';

const root = mkdtempSync(join(tmpdir(), 'sinklens-gen-'));
after(() => rmSync(root, { recursive: true, force: true }));

function loadTokenizer(dir: string): Tokenizer {
  const json = (f: string): Record<string, unknown> => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>;
  return new Tokenizer(json('tokenizer.json'), json('tokenizer_config.json'));
}

function checkAttention(r: RefResult, what: string): void {
  const { L, H, T } = r;
  for (let b = 0; b < L * H; b++) {
    for (let i = 0; i < T; i++) {
      const row = r.attn.subarray((b * T + i) * T, (b * T + i + 1) * T);
      assertClose(row.reduce((s, v) => s + v, 0), 1, { rtol: 0, atol: 1e-12 }, `${what} row sum (block*head ${b}, query ${i})`);
      for (let j = i + 1; j < T; j++) assert.equal(row[j], 0, `${what}: query ${i} sees future key ${j}`);
      assert.equal(r.attnToBos[b * T + i], row[0]);
    }
  }
}

function generate(spec: ModelSpec, suffix = ''): GeneratedModel {
  return generateModel(join(root, spec.name + suffix), spec);
}

for (const spec of ARCH_SPECS) {
  test(`generated ${spec.name}: complete folder, tokenizer loads, oracle runs causally`, () => {
    const m = generate(spec);
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json']) assert.ok(existsSync(join(m.dir, f)), f);
    const shards = spec.shards ?? 1;
    assert.equal(existsSync(join(m.dir, 'model.safetensors.index.json')), shards > 1);
    const tensors = readSafetensorsDir(m.dir);
    assert.equal(tensors.size, m.tensorNames.length);
    const header = readFileSync(join(m.dir, shards > 1 ? `model-00001-of-0000${shards}.safetensors` : 'model.safetensors'));
    assert.ok(header.includes(`"dtype":"${spec.dtype ?? 'F32'}"`), 'stored in the spec dtype');
    const hasHead = m.tensorNames.includes('lm_head.weight') || m.tensorNames.includes('embed_out.weight');
    assert.equal(hasHead, !(spec.tie ?? spec.family === 'gpt2'), 'an lm head tensor exactly when untied');
    assert.equal((m.config as { model_type: string }).model_type, spec.family);

    const tok = loadTokenizer(m.dir);
    const text = samplePrompt(m, 16);
    const ids = tok.encode(text).ids;
    assert.equal(ids.length, 16 + (m.addsBos ? 1 : 0));
    assert.equal(ids[0] === m.vocab.bosId, m.addsBos, 'BOS prepended exactly when the family adds it');
    const body = m.addsBos ? ids.slice(1) : ids;
    assert.ok(body.every((id) => id >= 0 && id < spec.vocab && !m.vocab.specialIds.includes(id)), 'words map to ordinary ids');
    assert.equal(tok.decode(m.addsBos ? ids.slice(1) : ids), text);

    const model = loadRefModel(m.dir);
    const c = model.config;
    assert.deepEqual([c.d, c.L, c.H, c.KV], [spec.hidden, spec.layers, spec.heads, spec.kvHeads ?? spec.heads]);
    assert.equal(c.hd, spec.headDim ?? spec.hidden / spec.heads);
    const r = forwardModel(model, ids);
    assert.ok(r.hidden.every(Number.isFinite) && r.logits.every(Number.isFinite), 'finite outputs');
    const maxLogit = r.logits.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
    assert.ok(maxLogit > 0.1 && maxLogit < 30, `logits O(1): max |logit| ${maxLogit}`);
    checkAttention(r, spec.name);

    // Causality: a prefix's forward equals the first rows of the full forward.
    const k = 7;
    const p = forwardModel(model, ids.slice(0, k));
    // Longrope picks its table from the whole prompt's length (as transformers does): a prefix on the other
    // side of original_max_position_embeddings is a different function, and must differ.
    const lr = c.more?.longrope;
    if (lr && ids.length > lr.original !== k > lr.original) {
      assert.ok(p.hidden.subarray(r.d * k, 2 * r.d * k).some((v, i) => Math.abs(v - (r.hidden[r.T * r.d + i] as number)) > 1e-6), 'longrope: the other table');
      return;
    }
    for (let l = 0; l <= r.L; l++) {
      assertClose(p.hidden.subarray(l * k * r.d, (l + 1) * k * r.d), r.hidden.subarray(l * r.T * r.d, (l * r.T + k) * r.d), { rtol: 1e-12, atol: 1e-12 }, `h[${l}] prefix`);
    }
  });
}

test('sharding and the GPT-2 prefix-less layout change files, not numbers', () => {
  const ids = [3, 9, 14, 20, 33, 41];
  const pairs: [ModelSpec, ModelSpec][] = [
    [ARCH_SPECS.find((s) => (s.shards ?? 1) > 1)!, { ...ARCH_SPECS.find((s) => (s.shards ?? 1) > 1)!, shards: 1 }],
    [ARCH_SPECS.find((s) => s.family === 'gpt2')!, { ...ARCH_SPECS.find((s) => s.family === 'gpt2')!, gpt2NoPrefix: true }],
  ];
  for (const [a, b] of pairs) {
    const ra = forwardModel(loadRefModel(generate(a, '-a').dir), ids);
    const mb = generate(b, '-b');
    if (b.gpt2NoPrefix) assert.ok(mb.tensorNames.includes('wte.weight') && !mb.tensorNames.some((n) => n.startsWith('transformer.')));
    const rb = forwardModel(loadRefModel(mb.dir), ids);
    assertClose(rb.logits, ra.logits, { rtol: 0, atol: 0 }, `${a.name} logits`);
  }
});

test('storage dtype: BF16 and F16 copies of a model stay close to F32', () => {
  const base = ARCH_SPECS.find((s) => s.name === 'llama-gqa-tied')!;
  const ids = [1, 9, 14, 20, 33, 41, 50];
  const r32 = forwardModel(loadRefModel(generate({ ...base, dtype: 'F32' }, '-f32').dir), ids);
  for (const [dtype, tol] of [['F16', 2e-2], ['BF16', 1.5e-1]] as const) {
    const r = forwardModel(loadRefModel(generate({ ...base, dtype }, `-${dtype}`).dir), ids);
    assertClose(r.logits, r32.logits, { rtol: 0, atol: tol }, `${dtype} logits`);
    assert.ok(r.logits.some((v, i) => v !== r32.logits[i]), `${dtype} actually rounded the weights`);
  }
});

test('llama3 rope scaling: high frequencies kept, low ones divided by factor, the band between interpolated', () => {
  const scaling = { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 64 };
  const plain = ropeInvFreq(500000, 16, null);
  const scaled = ropeInvFreq(500000, 16, scaling);
  let kept = 0;
  let divided = 0;
  let between = 0;
  plain.forEach((f, i) => {
    const wavelen = (2 * Math.PI) / f;
    const s = scaled[i] as number;
    if (wavelen < 64 / 4) {
      assertClose(s, f, { rtol: 1e-15, atol: 0 });
      kept++;
    } else if (wavelen > 64 / 1) {
      assertClose(s, f / 8, { rtol: 1e-15, atol: 0 });
      divided++;
    } else {
      const smooth = (64 / wavelen - 1) / (4 - 1);
      assertClose(s, (1 - smooth) * (f / 8) + smooth * f, { rtol: 1e-15, atol: 0 });
      assert.ok(s < f && s > f / 8);
      between++;
    }
  });
  assert.ok(kept > 0 && divided > 0 && between > 0, `bands ${kept}/${between}/${divided}`);
  assertClose(ropeInvFreq(10000, 8, { type: 'linear', factor: 2 }), ropeInvFreq(10000, 8, null).map((f) => f / 2), { rtol: 1e-15, atol: 0 });
});

test('ablation: zeroing both branches at position 0 passes BOS through unchanged; parallel-residual branches add up', () => {
  const ids = [0, 9, 14, 20, 33, 41, 50, 12];
  // Post-LN blocks (OPT do_layer_norm_before false) still norm BOS with both writes cut: not a pass-through.
  for (const spec of ARCH_SPECS.filter((s) => s.preLn !== false)) {
    const model = loadRefModel(generate(spec, '-abl').dir);
    const { d, T } = { d: spec.hidden, T: ids.length };
    const b = 1;
    const row = (r: RefResult, l: number): Float64Array => r.hidden.slice(l * T * d, l * T * d + d); // h[l][0], [d]
    const base = forwardModel(model, ids);
    const both = forwardModel(model, ids, { ablateMlp: [b], ablateAttn: [b] });
    assertClose(row(both, b + 1), row(base, b), { rtol: 0, atol: 0 }, `${spec.name}: h[${b + 1}][0] with both branches cut`);
    for (let l = 0; l <= b; l++) assertClose(both.hidden.subarray(l * T * d, (l + 1) * T * d), base.hidden.subarray(l * T * d, (l + 1) * T * d), { rtol: 0, atol: 0 }, `${spec.name}: h[${l}] untouched`);
    const attnOnly = forwardModel(model, ids, { ablateAttn: [b] });
    const mlpOnly = forwardModel(model, ids, { ablateMlp: [b] });
    const a = row(base, b + 1).map((v, j) => v - (row(attnOnly, b + 1)[j] as number)); // attention write at BOS
    const f = row(base, b + 1).map((v, j) => v - (row(mlpOnly, b + 1)[j] as number)); // MLP write at BOS
    const sum = a.map((v, j) => v + (f[j] as number));
    const total = row(base, b + 1).map((v, j) => v - (row(both, b + 1)[j] as number));
    if (model.config.parallelResidual) assertClose(sum, total, { rtol: 1e-12, atol: 1e-12 }, `${spec.name}: parallel branches are independent`);
    else assert.ok(sum.some((v, j) => Math.abs(v - (total[j] as number)) > 1e-9), `${spec.name}: sequential MLP reads the attention output`);
  }
});
