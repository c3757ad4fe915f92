import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SinkLensError } from '../../../src/shared/errors';
import { loadModelFiles } from '../../../src/engine/model/load';
import type { LinearWeights, NormWeights } from '../../../src/engine/weights/types';
import { assertClose } from '../../support/assertClose';
import { requireFixture } from '../../support/fixtures';
import { ARCH_SPECS, generateModel, samplePrompt } from '../../support/genModel';
import { loadRefModel } from '../../support/reference';
import { GPT2 } from '../arch/configs';
import { f32Tensors, writeRawSafetensors } from '../../../tools/modelgen/safetensors';

const root = mkdtempSync(join(tmpdir(), 'sinklens-load-'));
after(() => rmSync(root, { recursive: true, force: true }));

const exact = { rtol: 0, atol: 0 };

function sameLinear(mine: LinearWeights | null, ref: { w: Float64Array; b: Float64Array | null } | null, what: string): void {
  assert.equal(mine === null, ref === null, `${what} presence`);
  if (!mine || !ref) return;
  assertClose(mine.weight.load(), ref.w, exact, `${what}.weight`);
  assert.equal(mine.bias === null, ref.b === null, `${what}.bias presence`);
  if (mine.bias && ref.b) assertClose(mine.bias.load(), ref.b, exact, `${what}.bias`);
}

function sameNorm(mine: NormWeights | null, ref: { w: Float64Array; b: Float64Array | null } | null, what: string): void {
  sameLinear(mine && { weight: mine.weight, bias: mine.bias }, ref, what);
}

describe('loadModelFiles on generated models of every family', () => {
  for (const spec of ARCH_SPECS) {
    it(`${spec.name}: canonical weights equal the independent reference's`, async () => {
      const dir = join(root, spec.name);
      mkdirSync(dir);
      const gen = generateModel(dir, spec);
      const files = await loadModelFiles(dir);
      try {
        const ref = loadRefModel(dir).weights;
        const w = files.weights;
        assert.equal(files.config.arch, spec.family === 'gemma3_text' ? 'gemma3' : spec.family);
        assert.equal(w.layers.length, spec.layers);
        assertClose(w.embed.load(), ref.embed, exact, 'embed');
        assertClose(w.lmHead.load(), ref.lmHead.w, exact, 'lmHead');
        assert.equal(w.lmHead.key === w.embed.key, files.config.tieWordEmbeddings);
        assert.equal(w.positions === null, ref.positions === null);
        if (w.positions && ref.positions) assertClose(w.positions.load(), ref.positions, exact, 'positions');
        sameNorm(w.finalNorm, ref.finalNorm, 'finalNorm');
        sameLinear(w.embedProjIn ?? null, ref.projIn ?? null, 'embedProjIn');
        sameLinear(w.embedProjOut ?? null, ref.projOut ?? null, 'embedProjOut');
        w.layers.forEach((l, i) => {
          const r = ref.layers[i]!;
          sameNorm(l.attnNorm, r.ln1, `L${i}.attnNorm`);
          sameNorm(l.mlpNorm, r.ln2, `L${i}.mlpNorm`);
          sameNorm(l.qNorm, r.qNorm, `L${i}.qNorm`);
          sameNorm(l.kNorm, r.kNorm, `L${i}.kNorm`);
          sameNorm(l.attnPostNorm ?? null, r.postAttn ?? null, `L${i}.attnPostNorm`);
          sameNorm(l.mlpPostNorm ?? null, r.postMlp ?? null, `L${i}.mlpPostNorm`);
          for (const k of ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const) sameLinear(l[k], r[k], `L${i}.${k}`);
        });
        const enc = files.tokenizer.encode(samplePrompt(gen, 6), { prependBos: 'auto' });
        assert.equal(enc.ids[0], gen.vocab.bosId, 'auto BOS (tokenizer template or model BOS)');
        assert.equal(enc.ids.length, 7);
        assert.equal(files.store.dtypeSummary(), spec.dtype ?? 'F32');
      } finally {
        files.store.close();
      }
    });
  }
});

describe('loadModelFiles on the real stories260k', () => {
  it('loads config, tied weights and tokenizer', async (t) => {
    const dir = requireFixture(t, 'stories260k');
    if (!dir) return;
    const f = await loadModelFiles(dir);
    try {
      assert.equal(f.config.name, 'stories260k');
      assert.equal(f.config.bosTokenId, 1);
      assert.equal(f.weights.lmHead.key, f.weights.embed.key);
      assert.deepEqual(f.weights.layers[4]!.k.weight.dims, [32, 64]); // 4 kv heads x 8
      assert.equal(f.store.dtypeSummary(), 'F32');
      assert.equal(f.tokenizer.encode('Once upon', { prependBos: 'auto' }).ids.join(','), '1,403,407');
    } finally {
      f.store.close();
    }
  });
});

describe('loadModelFiles errors', () => {
  const expectCode = async (dir: string, code: string, mention: string): Promise<void> => {
    await assert.rejects(loadModelFiles(dir), (e: unknown) => SinkLensError.is(e) && e.code === code && `${e.message} ${e.detail ?? ''}`.includes(mention));
  };
  const folder = (files: Record<string, string>): string => {
    const d = mkdtempSync(join(root, 'err-'));
    for (const [n, v] of Object.entries(files)) writeFileSync(join(d, n), v);
    return d;
  };

  it('folder missing or without config.json -> modelNotFound', async () => {
    await expectCode(join(root, 'does-not-exist'), 'modelNotFound', 'does-not-exist');
    await expectCode(folder({ 'README.md': 'x' }), 'modelNotFound', 'config.json');
  });
  it('unknown model_type -> unsupportedArch', async () => {
    await expectCode(folder({ 'config.json': JSON.stringify({ model_type: 't5' }) }), 'unsupportedArch', 't5');
  });
  it('invalid config.json -> badConfig', async () => {
    await expectCode(folder({ 'config.json': '{ nope' }), 'badConfig', 'config.json');
  });
  it('no tokenizer.json -> missingTokenizer', async () => {
    await expectCode(folder({ 'config.json': JSON.stringify(GPT2) }), 'missingTokenizer', 'tokenizer.json');
  });
  it('weights absent or incomplete -> missingWeights', async () => {
    const src = join(root, 'gen-gpt2');
    mkdirSync(src);
    const gen = generateModel(src, ARCH_SPECS.find((s) => s.family === 'gpt2')!);
    rmSync(join(src, 'model.safetensors'));
    await expectCode(src, 'missingWeights', 'safetensors');
    // A file with only the embedding: the first absent tensor is named.
    const d = gen.config['n_embd'] as number;
    writeRawSafetensors(join(src, 'model.safetensors'), f32Tensors({ 'transformer.wte.weight': { shape: [gen.spec.vocab, d], data: new Float32Array(gen.spec.vocab * d) } }));
    await expectCode(src, 'missingWeights', 'transformer.h.0.ln_1.weight');
  });
});
