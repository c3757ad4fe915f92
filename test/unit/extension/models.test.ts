import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DEFAULT_SETTINGS } from '../../../src/extension/config';
import { findCachedModel, hubCacheRoots, modelFolderProblem, scanAllHubCaches, scanHubCache } from '../../../src/node/hfCache';
import { parseRepoRef, resolveModel } from '../../../src/extension/models/resolve';

const tmp = mkdtempSync(join(tmpdir(), 'sinklens-models-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function snapshot(root: string, repo: string, commit: string, files: Record<string, string>, refs: Record<string, string> = {}): string {
  const repoDir = join(root, `models--${repo.replace('/', '--')}`);
  const dir = join(repoDir, 'snapshots', commit);
  mkdirSync(dir, { recursive: true });
  for (const [n, c] of Object.entries(files)) writeFileSync(join(dir, n), c);
  for (const [r, c] of Object.entries(refs)) {
    mkdirSync(join(repoDir, 'refs', r, '..'), { recursive: true });
    writeFileSync(join(repoDir, 'refs', r), `${c}\n`);
  }
  return dir;
}

const model = { 'config.json': '{"model_type":"llama"}', 'model.safetensors': 'x' };

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

  it('resolves defaultModel: demo, configured names, repo ids in the cache, folders', () => {
    const rc = { demoDir: '/ext/models/sinklens-tiny', baseDir: '/ws', cached: () => scanAllHubCaches([root]) };
    const s = (defaultModel: string, models = DEFAULT_SETTINGS.models) => ({ ...DEFAULT_SETTINGS, defaultModel, models });
    assert.deepEqual(resolveModel(s(''), rc), { ok: true, model: { label: 'sinklens-tiny (built-in demo)', dir: '/ext/models/sinklens-tiny', source: 'demo' } });
    assert.deepEqual(resolveModel(s('mine', [{ name: 'mine', path: 'm/x' }]), rc), { ok: true, model: { label: 'mine', dir: '/ws/m/x', source: 'folder' } });
    assert.deepEqual(resolveModel(s('org/tiny'), rc), { ok: true, model: { label: 'org/tiny', dir: good, source: 'hub' } });
    const missing = resolveModel(s('big', [{ name: 'big', repo: 'org/big', revision: 'main' }]), rc);
    assert.equal(missing.ok, false);
    assert.deepEqual(!missing.ok && missing.download, { name: 'big', repo: 'org/big', revision: 'main' });
    assert.deepEqual(resolveModel(s('./rel/dir'), rc), { ok: true, model: { label: 'dir', dir: '/ws/rel/dir', source: 'folder' } });
    assert.deepEqual(resolveModel(s('/abs/dir'), rc), { ok: true, model: { label: 'dir', dir: '/abs/dir', source: 'folder' } });
  });

  it('parses repo references', () => {
    assert.deepEqual(parseRepoRef('org/name'), { repo: 'org/name', revision: 'main' });
    assert.deepEqual(parseRepoRef('org/name@v1.0'), { repo: 'org/name', revision: 'v1.0' });
    assert.equal(parseRepoRef('just-a-name'), undefined);
    assert.equal(parseRepoRef('a/b/c'), undefined);
  });
});
