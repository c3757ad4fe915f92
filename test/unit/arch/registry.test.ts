/**
 * Adding a family is one adapter plus one registration. A toy family with its own config.json
 * dialect is registered through the registry's public API, a generated Llama-layout model is
 * rewritten into that dialect, and the engine's own loader and runner must then reproduce the
 * float64 oracle's forward of the original folder.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { ArchAdapter, RawConfig } from '../../../src/engine/arch/adapter';
import { optNum, posInt, tokenId } from '../../../src/engine/arch/configFields';
import { llamaLikeWeights } from '../../../src/engine/arch/llamaLike';
import { architectureIds, getAdapter, isSupportedModelType, registerArchitecture } from '../../../src/engine/arch/registry';
import type { CanonicalConfig } from '../../../src/engine/arch/types';
import { createRunner } from '../../../src/engine/graph/runner';
import { loadModelFiles } from '../../../src/engine/model/load';
import { SinkLensError } from '../../../src/shared/errors';
import { assertClose } from '../../support/assertClose';
import { ARCH_SPECS, generateModel } from '../../support/genModel';
import { referenceForward } from '../../support/reference';

/** The toy dialect: short GGML-style keys; the weights keep the Llama names and layout. */
function toyConfig(raw: RawConfig, name: string): CanonicalConfig {
  const hiddenSize = posInt(raw, name, 'd_model');
  const numHeads = posInt(raw, name, 'n_head');
  const headDim = hiddenSize / numHeads;
  return {
    arch: 'toy',
    modelType: String(raw['model_type']),
    hiddenSize,
    numLayers: posInt(raw, name, 'n_layer'),
    numHeads,
    numKvHeads: posInt(raw, name, 'n_kv_head'),
    headDim,
    intermediateSize: posInt(raw, name, 'd_ff'),
    vocabSize: posInt(raw, name, 'n_vocab'),
    maxPositions: posInt(raw, name, 'n_ctx'),
    norm: 'rms',
    normEps: optNum(raw, name, 'eps') ?? 1e-5,
    act: 'silu',
    gatedMlp: true,
    position: 'rope',
    rope: { theta: optNum(raw, name, 'rope_base') ?? 10000, rotaryDim: headDim, scaling: null },
    attnScale: 1 / Math.sqrt(headDim),
    parallelResidual: false,
    qkNorm: false,
    tieWordEmbeddings: raw['tied'] === true,
    bosTokenId: tokenId(raw['bos']),
    eosTokenId: tokenId(raw['eos']),
    name,
  };
}

const toyAdapter: ArchAdapter = {
  id: 'toy',
  modelTypes: ['sinklens_toy'],
  normalizeConfig: toyConfig,
  mapWeights: (store, cfg) => llamaLikeWeights(store, cfg, { qkv: false, o: false, mlp: false, qkNorm: false }),
};

const root = mkdtempSync(join(tmpdir(), 'sinklens-registry-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('registering a new architecture family', () => {
  const spec = ARCH_SPECS.find((s) => s.name === 'llama-gqa-tied');
  assert.ok(spec);
  const llamaDir = join(root, 'llama');
  generateModel(llamaDir, spec);
  const toyDir = join(root, 'toy');
  cpSync(llamaDir, toyDir, { recursive: true });
  const c = JSON.parse(readFileSync(join(llamaDir, 'config.json'), 'utf8')) as Record<string, unknown>;
  const toy = {
    model_type: 'sinklens_toy',
    d_model: c['hidden_size'],
    n_layer: c['num_hidden_layers'],
    n_head: c['num_attention_heads'],
    n_kv_head: c['num_key_value_heads'],
    d_ff: c['intermediate_size'],
    n_vocab: c['vocab_size'],
    n_ctx: c['max_position_embeddings'],
    eps: c['rms_norm_eps'],
    rope_base: c['rope_theta'],
    tied: c['tie_word_embeddings'],
    bos: c['bos_token_id'],
    eos: c['eos_token_id'],
  };
  writeFileSync(join(toyDir, 'config.json'), JSON.stringify(toy));

  it('is unknown before registration and refused by the loader', async () => {
    assert.equal(isSupportedModelType('sinklens_toy'), false);
    await assert.rejects(loadModelFiles(toyDir), (e: unknown) => SinkLensError.is(e, 'unsupportedArch') && e.message.includes('sinklens_toy'));
  });

  it('loads, builds and matches the float64 oracle once registered; unregistering removes it', async () => {
    const unregister = registerArchitecture(toyAdapter);
    try {
      assert.ok(architectureIds().includes('toy'));
      assert.throws(() => registerArchitecture(toyAdapter), /already registered/);
      assert.throws(() => registerArchitecture({ ...toyAdapter, id: 'toy2', modelTypes: ['llama'] }), /already handled by "llama"/);
      const files = await loadModelFiles(toyDir);
      let runner;
      try {
        assert.equal(files.config.arch, 'toy');
        assert.equal(files.config.bosTokenId, c['bos_token_id']);
        runner = await createRunner(files.config, files.weights, { threads: 1, probes: 'full' });
      } finally {
        files.store.close();
      }
      try {
        const ids = [files.config.bosTokenId as number, 5, 17, 3, 42, 8, 11, 60];
        const T = ids.length;
        const V = files.config.vocabSize;
        const ref = referenceForward(llamaDir, ids);
        const r = await runner.forward({ ids });
        assertClose(r.hidden, ref.hidden, { rtol: 1e-4, atol: 1e-5 }, 'hidden');
        assertClose(r.lastLogits, ref.logits.slice((T - 1) * V, T * V), { rtol: 1e-4, atol: 1e-5 }, 'lastLogits');
      } finally {
        await runner.dispose();
      }
    } finally {
      unregister();
    }
    assert.equal(isSupportedModelType('sinklens_toy'), false);
    assert.throws(() => getAdapter('sinklens_toy'), (e: unknown) => SinkLensError.is(e, 'unsupportedArch'));
  });
});
