import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MINIMAL_MODEL, snapshot } from '../../support/hfCacheLayout';
import { findCachedModel, hfHome, hubCacheRoots, modelFolderProblem, primaryHubCache, repoFolderName, repoIdOfFolder, repoIdOfSnapshot, scanAllHubCaches, scanHubCache } from '../../../src/node/hfCache';

const tmp = mkdtempSync(join(tmpdir(), 'sinklens-hfcache-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const model = MINIMAL_MODEL;

describe('Hugging Face cache scan', () => {
  const root = join(tmp, 'hub');
  const good = snapshot(root, 'org/tiny', 'a'.repeat(40), model, { main: 'a'.repeat(40), 'tags/v1': 'a'.repeat(40) });
  snapshot(root, 'org/tiny', 'b'.repeat(40), model);
  snapshot(root, 'org/noweights', 'c'.repeat(40), { 'config.json': '{}' });
  snapshot(root, 'org/badjson', 'd'.repeat(40), { 'config.json': '{', 'model.safetensors': 'x' });
  snapshot(root, 'org/sharded', 'e'.repeat(40), { 'config.json': '{}', 'model.safetensors.index.json': '{}' });
  mkdirSync(join(root, 'datasets--org--data', 'snapshots', 'f'.repeat(40)), { recursive: true });

  it('lists complete model snapshots with their refs, skipping folders that are not models', () => {
    const found = scanHubCache(root);
    assert.deepEqual(
      found.map((m) => [m.repo, m.commit[0], m.refs]),
      [
        ['org/sharded', 'e', []],
        ['org/tiny', 'a', ['main', 'tags/v1']],
        ['org/tiny', 'b', []],
      ],
    );
    assert.equal(found[1]?.dir, good);
    assert.deepEqual(scanHubCache(join(tmp, 'missing')), []);
  });

  it('finds a snapshot by ref name or commit prefix', () => {
    const found = scanAllHubCaches([root, root]);
    assert.equal(found.length, 3, 'a root listed twice is scanned once per model');
    assert.equal(findCachedModel(found, 'org/tiny', 'main')?.commit, 'a'.repeat(40));
    assert.equal(findCachedModel(found, 'org/tiny', 'v1'), undefined, 'tags are refs/tags/<name>');
    assert.equal(findCachedModel(found, 'org/tiny', 'tags/v1')?.commit, 'a'.repeat(40));
    assert.equal(findCachedModel(found, 'org/tiny', 'bbbbbbb')?.commit, 'b'.repeat(40));
    assert.equal(findCachedModel(found, 'org/tiny', 'bbb'), undefined, 'too short a prefix');
    assert.equal(findCachedModel(found, 'org/other', 'main'), undefined);
  });

  it('explains why a folder is not a model folder', () => {
    assert.equal(modelFolderProblem(good), null);
    assert.match(modelFolderProblem(join(tmp, 'nope')) as string, /is not a folder/);
    assert.match(modelFolderProblem(root) as string, /no config\.json/);
    assert.match(modelFolderProblem(join(root, 'models--org--noweights', 'snapshots', 'c'.repeat(40))) as string, /no \*\.safetensors/);
    assert.match(modelFolderProblem(join(root, 'models--org--badjson', 'snapshots', 'd'.repeat(40))) as string, /not valid JSON/);
  });

  it('cache roots follow HF_HUB_CACHE, HF_HOME, XDG_CACHE_HOME and the home default', () => {
    assert.deepEqual(hubCacheRoots({}, ['/g/hub'], '/home/u'), ['/home/u/.cache/huggingface/hub', '/g/hub']);
    assert.deepEqual(hubCacheRoots({ HF_HUB_CACHE: '/c', HF_HOME: '/h', XDG_CACHE_HOME: '/x' }, [], '/home/u'), ['/c', '/h/hub', '/x/huggingface/hub']);
    assert.deepEqual(hubCacheRoots({ HUGGINGFACE_HUB_CACHE: '~/legacy', XDG_CACHE_HOME: '' }, [], '/home/u'), ['/home/u/legacy', '/home/u/.cache/huggingface/hub']);
  });

  it('the primary cache follows huggingface_hub: HF_HUB_CACHE, HUGGINGFACE_HUB_CACHE, HF_HOME, XDG_CACHE_HOME, ~/.cache', () => {
    const home = '/home/u';
    assert.equal(primaryHubCache({}, home), '/home/u/.cache/huggingface/hub');
    assert.equal(primaryHubCache({ XDG_CACHE_HOME: '/x' }, home), '/x/huggingface/hub');
    assert.equal(primaryHubCache({ XDG_CACHE_HOME: '/x', HF_HOME: '~/hf' }, home), '/home/u/hf/hub');
    assert.equal(primaryHubCache({ HF_HOME: '/h', HUGGINGFACE_HUB_CACHE: '/legacy' }, home), '/legacy');
    assert.equal(primaryHubCache({ HF_HOME: '/h', HUGGINGFACE_HUB_CACHE: '/legacy', HF_HUB_CACHE: '/c' }, home), '/c');
    assert.equal(hfHome({ XDG_CACHE_HOME: '/x' }, home), '/x/huggingface');
    for (const env of [{}, { XDG_CACHE_HOME: '/x' }, { HF_HOME: '/h' }, { HUGGINGFACE_HUB_CACHE: '/l', HF_HOME: '/h' }, { HF_HUB_CACHE: '/c', XDG_CACHE_HOME: '/x' }]) {
      assert.equal(hubCacheRoots(env, [], home)[0], primaryHubCache(env, home), `the first root scanned is huggingface_hub's for ${JSON.stringify(env)}`);
    }
  });

  it('maps repo ids to cache folders and back', () => {
    assert.equal(repoFolderName('HuggingFaceTB/SmolLM2-135M'), 'models--HuggingFaceTB--SmolLM2-135M');
    assert.equal(repoIdOfFolder('models--HuggingFaceTB--SmolLM2-135M'), 'HuggingFaceTB/SmolLM2-135M');
    assert.equal(repoIdOfFolder(repoFolderName('gpt2')), 'gpt2');
    assert.equal(repoIdOfFolder('datasets--org--data'), undefined);
    assert.equal(repoIdOfFolder('models--'), undefined);
    assert.equal(repoIdOfSnapshot(join('/c', 'models--org--m', 'snapshots', 'abc')), 'org/m');
    assert.equal(repoIdOfSnapshot(join('/c', 'models--org--m', 'snapshots', 'abc') + '/'), 'org/m');
    assert.equal(repoIdOfSnapshot(join('/c', 'models--org--m', 'blobs', 'abc')), undefined);
    assert.equal(repoIdOfSnapshot('/plain/folder'), undefined);
  });
});
