import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MINIMAL_MODEL, snapshot } from '../../support/hfCacheLayout';
import { DEFAULT_SETTINGS } from '../../../src/extension/config';
import { scanAllHubCaches } from '../../../src/node/hfCache';
import { parseRepoRef, resolveModel } from '../../../src/extension/models/resolve';

const tmp = mkdtempSync(join(tmpdir(), 'sinklens-models-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const model = MINIMAL_MODEL;

describe('model resolution', () => {
  const root = join(tmp, 'hub');
  const good = snapshot(root, 'org/tiny', 'a'.repeat(40), model, { main: 'a'.repeat(40) });

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
