/**
 * `sinklens cache list|clear` as a real process (through tsx), on a cache filled by the engine.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Engine } from '../../../src/engine/api';
import { PROJECT_ROOT } from '../../support/fixtures';
import { ARCH_SPECS, generateModel } from '../../support/genModel';

const root = mkdtempSync(join(tmpdir(), 'sinklens-clicache-'));
after(() => rmSync(root, { recursive: true, force: true }));

function cli(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'src/engine/cli/main.ts'), ...args], { encoding: 'utf8', cwd: PROJECT_ROOT });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('sinklens cache list shows the entries; clear removes them', async () => {
  const cacheDir = join(root, 'cache');
  assert.match(cli(['cache', 'list', '--cache-dir', cacheDir]).out, /: 0 entries, 0\.00 GB of 20\.00 GB/);
  const model = generateModel(join(root, 'm'), ARCH_SPECS[0]!);
  const engine = new Engine({ externalThresholdBytes: 0 });
  const h = await engine.load(model.dir, { cache: { dir: cacheDir } });
  const key = engine.graphCacheOf(h)?.key ?? '';
  await engine.dispose();

  const list = cli(['cache', 'list', '--cache-dir', cacheDir]);
  assert.equal(list.code, 0, list.err);
  assert.match(list.out, /: 1 entry, /);
  assert.ok(list.out.includes(key.slice(0, 12)) && list.out.includes(model.dir), list.out);
  const cleared = cli(['cache', 'clear', '--cache-dir', cacheDir, '--key', key.slice(0, 12)]);
  assert.match(cleared.out, /^removed 1 entry \(0\.00 GB\)$/m);
  assert.match(cli(['cache', 'list', '--cache-dir', cacheDir]).out, /: 0 entries/);
  const bad = cli(['cache', 'purge']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /^sinklens: sinklens cache takes list or clear \(got 'purge'\)\.$/m);
});
