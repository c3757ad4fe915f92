/**
 * GGUF models in other runtimes' stores, laid out in a temp folder exactly as those runtimes write
 * them: Ollama (manifests + sha256 blobs, OLLAMA_MODELS), LM Studio (~/.lmstudio/models and the
 * older ~/.cache/lm-studio/models) and llama.cpp (LLAMA_CACHE). They are discovered, listed the
 * same by `sinklens models` and Select Model, and an Ollama blob (no .gguf name) loads and runs.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Engine } from '../../../src/engine/api';
import { modelRows } from '../../../src/engine/cli/main';
import { discoverModels } from '../../../src/engine/model/discover';
import { storeModelChoices } from '../../../src/extension/models/modelList';
import { ggufArchitecture, isGgufFile, listStoreModels, llamaCppCache, ollamaModelBlob } from '../../../src/node/modelStores';
import { ggufBytes, meta } from '../../../tools/modelgen';
import { assertClose } from '../../support/assertClose';
import { requireFixture } from '../../support/fixtures';
import { generateModel } from '../../support/genModel';
import { spmVocabMeta, writeGgufModel } from '../../support/ggufModel';

const root = mkdtempSync(join(tmpdir(), 'sinklens-stores-'));
const engine = new Engine();
after(() => {
  engine.dispose();
  rmSync(root, { recursive: true, force: true });
});

function put(path: string, content: Uint8Array | string): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
  return path;
}

/** A real, loadable GGUF (a generated llama), and a header-only one of another architecture. */
const gen = generateModel(join(root, 'gen'), { name: 'store-llama', family: 'llama', hidden: 32, layers: 2, heads: 4, kvHeads: 2, intermediate: 64, vocab: 64, seed: 31 });
const llamaGguf = join(root, 'llama.gguf');
writeGgufModel(join(root, 'gen'), llamaGguf, { tokenizerMeta: spmVocabMeta(gen.vocab.tokens, { unk: 0, bos: gen.vocab.bosId, eos: gen.vocab.eosId }) });
const falconBytes = ggufBytes({ 'general.name': meta.str('g'), 'general.architecture': meta.str('falcon') }, []);
const phi3Bytes = ggufBytes({ 'general.name': meta.str('p'), 'general.architecture': meta.str('phi3') }, []);

const home = join(root, 'home');
const ollama = join(root, 'ollama');
const llamaCache = join(root, 'llamacache');
const env = { OLLAMA_MODELS: ollama, LLAMA_CACHE: llamaCache };

// Ollama: the model layer's digest names the blob; other layers (template, params) are not models.
function ollamaModel(host: string, ns: string, model: string, tag: string, bytes: Uint8Array): string {
  const hex = createHash('sha256').update(bytes).digest('hex');
  const blob = put(join(ollama, 'blobs', `sha256-${hex}`), bytes);
  const layers = [
    { mediaType: 'application/vnd.ollama.image.template', digest: `sha256:${'1'.repeat(64)}`, size: 10 },
    { mediaType: 'application/vnd.ollama.image.model', digest: `sha256:${hex}`, size: bytes.byteLength },
  ];
  put(join(ollama, 'manifests', host, ns, model, tag), JSON.stringify({ schemaVersion: 2, layers }));
  return blob;
}
const llamaBytes = new Uint8Array(readFileSync(llamaGguf));
const ollamaBlob = ollamaModel('registry.ollama.ai', 'library', 'tinyllama', 'latest', llamaBytes);
ollamaModel('hf.co', 'someone', 'falcon-GGUF', 'Q4_K_M', falconBytes);
put(join(ollama, 'manifests', 'registry.ollama.ai', 'library', 'broken', 'latest'), '{ not json');
put(join(ollama, 'manifests', 'registry.ollama.ai', 'library', 'gone', 'latest'), JSON.stringify({ layers: [{ mediaType: 'application/vnd.ollama.image.model', digest: `sha256:${'2'.repeat(64)}` }] }));
// LM Studio, current and older roots; a vision projector and a non-GGUF file are skipped.
put(join(home, '.lmstudio', 'models', 'lmstudio-community', 'Tiny-GGUF', 'tiny-Q8_0.gguf'), llamaBytes);
put(join(home, '.lmstudio', 'models', 'lmstudio-community', 'Tiny-GGUF', 'mmproj-tiny-f16.gguf'), llamaBytes);
put(join(home, '.lmstudio', 'models', 'lmstudio-community', 'Tiny-GGUF', 'README.md'), 'x');
put(join(home, '.cache', 'lm-studio', 'models', 'old', 'Repo', 'old.gguf'), falconBytes);
put(join(home, '.cache', 'lm-studio', 'models', 'old', 'Repo', 'phi.gguf'), phi3Bytes);
// llama.cpp: a downloaded file, and a half-written one that is not GGUF yet.
put(join(llamaCache, 'org_repo_tiny-F32.gguf'), llamaBytes);
put(join(llamaCache, 'partial.gguf'), 'not yet');

const EXPECTED = [
  ['hf.co/someone/falcon-GGUF:Q4_K_M', 'ollama', 'falcon'],
  ['tinyllama:latest', 'ollama', 'llama'],
  ['lmstudio-community/Tiny-GGUF/tiny-Q8_0.gguf', 'lmstudio', 'llama'],
  ['old/Repo/old.gguf', 'lmstudio', 'falcon'],
  ['old/Repo/phi.gguf', 'lmstudio', 'phi3'],
  ['org_repo_tiny-F32.gguf', 'llama.cpp', 'llama'],
];

describe('model stores (Ollama, LM Studio, llama.cpp)', () => {
  it('finds every GGUF model, with its architecture, and nothing else', () => {
    const found = listStoreModels(env, home);
    assert.deepEqual(found.map((m) => [m.name, m.store, m.arch]), EXPECTED);
    assert.equal(found[1]?.path, ollamaBlob);
    assert.equal(found[1]?.bytes, llamaBytes.byteLength);
  });

  it("llama.cpp's cache folder follows LLAMA_CACHE, else the platform's cache folder", () => {
    assert.equal(llamaCppCache({ LLAMA_CACHE: '/x' }, '/h', 'linux'), '/x');
    assert.equal(llamaCppCache({}, '/h', 'linux'), join('/h', '.cache', 'llama.cpp'));
    assert.equal(llamaCppCache({ XDG_CACHE_HOME: '/c' }, '/h', 'linux'), join('/c', 'llama.cpp'));
    assert.equal(llamaCppCache({}, '/h', 'darwin'), join('/h', 'Library', 'Caches', 'llama.cpp'));
    assert.equal(llamaCppCache({ LOCALAPPDATA: '/l' }, '/h', 'win32'), join('/l', 'llama.cpp'));
  });

  it('reads the blob a manifest names; ignores unreadable manifests', () => {
    assert.equal(ollamaModelBlob(ollama, join(ollama, 'manifests', 'registry.ollama.ai', 'library', 'broken', 'latest')), null);
    assert.ok(isGgufFile(ollamaBlob) && !isGgufFile(join(llamaCache, 'partial.gguf')) && !isGgufFile(ollama));
    assert.equal(ggufArchitecture(llamaGguf), 'llama');
  });

  it('sinklens models and Select Model list the same GGUF models; unsupported architectures are flagged', () => {
    const rows = discoverModels({ env, home, extraDirs: [] }).filter((m) => ['ollama', 'lmstudio', 'llama.cpp'].includes(m.source));
    assert.deepEqual(rows.map((r) => [r.name, r.source, r.modelType, r.supported]), EXPECTED.map(([n, s, a]) => [n, s, a, a === 'llama' || a === 'phi3']));
    const choices = storeModelChoices(listStoreModels(env, home));
    assert.deepEqual(choices.map((c) => c.value), rows.map((r) => r.dir));
    // Each entry says what SinkLens does with its family (FAMILIES), or that the architecture is not supported.
    assert.match(choices[1]?.description ?? '', /^Ollama · [\d.]+ GiB · Llama · fp32\/fp16\/int8\/int4$/);
    choices.forEach((c, i) => {
      const arch = EXPECTED[i]?.[2];
      if (arch === 'phi3') assert.match(c.description, /Phi-3 \/ Phi-4-mini · fp32\/fp16\/int8\/int4 · sliding window$/);
      else if (arch !== 'llama') assert.match(c.description, arch === undefined ? /unknown architecture$/ : new RegExp(`GGUF architecture ${arch} not supported$`));
    });
    // The CLI's listing reads the same environment (LM Studio lives under the real home).
    const cli = modelRows(env, []).filter((r) => r.source === 'ollama' || r.source === 'llama.cpp').map((r) => r.dir);
    assert.deepEqual(cli, rows.filter((r) => r.source !== 'lmstudio').map((r) => r.dir));
  });

  it('an Ollama blob (a real model, no .gguf name) loads and analyses like its safetensors folder', async (t) => {
    const dir = requireFixture(t, 'stories260k');
    if (!dir) return;
    const g = writeGgufModel(dir, join(root, 'stories.gguf'));
    const bytes = new Uint8Array(readFileSync(g.path));
    const blob = ollamaModel('registry.ollama.ai', 'library', 'stories', '260k', bytes);
    assert.ok(listStoreModels(env, home).some((m) => m.name === 'stories:260k' && m.path === blob));
    const [a, b] = [await engine.load(dir), await engine.load(blob)];
    assert.equal(b.info.arch, 'llama');
    const text = 'Once upon a time, there was a little dog.';
    const [ra, rb] = [await engine.analyze(a, text), await engine.analyze(b, text)];
    assert.deepEqual(rb.tokens.map((x) => x.id), ra.tokens.map((x) => x.id));
    assertClose(rb.baseline.layers.map((l) => l.entropy ?? NaN), ra.baseline.layers.map((l) => l.entropy ?? NaN), { rtol: 1e-4, atol: 1e-6 }, 'entropy');
    assertClose(rb.baseline.layers.map((l) => l.bosRatio), ra.baseline.layers.map((l) => l.bosRatio), { rtol: 1e-4, atol: 1e-6 }, 'bosRatio');
  });
});
