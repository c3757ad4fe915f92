/**
 * The Manage Model Cache command's engine requests against the real engine program
 * (dist/engine.js): list a graph cache filled by the engine, clear one entry by key.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Engine } from '../../../src/engine/api';
import { EngineCacheClear, EngineCacheList } from '../../../src/shared/protocol/engine';
import { EngineProcess } from '../../../src/extension/rpc/engineProcess';
import { PROJECT_ROOT } from '../../support/fixtures';
import { ARCH_SPECS, generateModel } from '../../support/genModel';

const ENGINE = join(PROJECT_ROOT, 'dist', 'engine.js');
const root = mkdtempSync(join(tmpdir(), 'sinklens-cacherpc-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('engine/cacheList and engine/cacheClear over the RPC', async (t) => {
  if (!existsSync(ENGINE)) {
    if (process.env.SINKLENS_REQUIRE_FIXTURES === '1') throw new Error(`ENGINE NOT BUILT: ${ENGINE}`);
    t.skip('engine not built (npm run build)');
    return;
  }
  const cache = { dir: join(root, 'cache') };
  const model = generateModel(join(root, 'm'), ARCH_SPECS[0]!);
  const engine = new Engine({ externalThresholdBytes: 0 });
  const key = engine.graphCacheOf(await engine.load(model.dir, { cache }))?.key ?? '';
  await engine.dispose();

  const ep = new EngineProcess({ script: ENGINE, onLog: () => undefined });
  t.after(() => ep.dispose());
  const listing = await ep.request(EngineCacheList, { cache });
  assert.equal(listing.dir, cache.dir);
  assert.deepEqual(listing.entries.map((e) => [e.key, e.modelDir, e.options]), [[key, model.dir, '{"weights":"fp32"}']]);
  assert.ok((listing.entries[0]?.bytes ?? 0) > 0);
  assert.deepEqual(await ep.request(EngineCacheClear, { cache, key: 'no-such-key' }), { entries: 0, bytes: 0 });
  assert.deepEqual(await ep.request(EngineCacheClear, { cache, key: key.slice(0, 8) }), { entries: 1, bytes: listing.entries[0]?.bytes });
  assert.deepEqual((await ep.request(EngineCacheList, { cache })).entries, []);
});
