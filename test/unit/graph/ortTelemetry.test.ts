/**
 * The engine never lets onnxruntime's telemetry start. onnxruntime-node 1.30 on Linux, loaded plainly,
 * leaves `$TMPDIR/mat-debug-<pid>.log` behind and keeps a device id and an event database for Microsoft's
 * collector under `$XDG_CACHE_HOME/Microsoft/DeveloperTools` (the control below shows it); a session made
 * through `runtime/ort.ts` leaves neither. Each child gets fresh TMPDIR, HOME and XDG_CACHE_HOME and none of
 * the CI variables (onnxruntime turns its telemetry off by itself where it sees one).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PROJECT_ROOT } from '../../support/fixtures';

const root = mkdtempSync(join(tmpdir(), 'sinklens-telemetry-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** What a child left in its temp and cache folders, having made and run one session. */
function traces(mode: 'raw' | 'engine'): { tmp: string[]; cache: boolean } {
  const dir = join(root, mode);
  const [tmp, home, cache] = ['tmp', 'home', 'cache'].map((d) => join(dir, d)) as [string, string, string];
  for (const d of [tmp, home, cache]) mkdirSync(d, { recursive: true });
  const env = { PATH: process.env['PATH'] ?? '', TMPDIR: tmp, HOME: home, XDG_CACHE_HOME: cache };
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'test/unit/graph/ortTelemetryChild.ts'), mode], { encoding: 'utf8', cwd: PROJECT_ROOT, env, timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^sum 9$/m, 'the session ran');
  return { tmp: readdirSync(tmp).filter((f) => f.startsWith('mat-debug-')), cache: existsSync(join(cache, 'Microsoft')) || existsSync(join(home, '.cache', 'Microsoft')) };
}

describe("onnxruntime's telemetry", { skip: process.platform !== 'linux' && 'onnxruntime reads the switch on Linux and macOS; the control is measured on Linux' }, () => {
  it('starts when onnxruntime-node is loaded plainly (the control)', () => {
    const t = traces('raw');
    assert.equal(t.tmp.length, 1, 'a mat-debug log in TMPDIR');
    assert.ok(t.cache, 'a Microsoft/DeveloperTools folder in the cache');
  });

  it('never starts in the engine: nothing in TMPDIR, no device id or event database', () => {
    assert.deepEqual(traces('engine'), { tmp: [], cache: false });
  });
});
