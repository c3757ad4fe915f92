/**
 * Locates the shared model fixtures (`../shared/fixtures` next to the project, or
 * $SINKLENS_FIXTURES). A test that needs one calls `requireFixture(t, name)`: when the folder is
 * missing the test is skipped with a loud reason, and fails instead when
 * SINKLENS_REQUIRE_FIXTURES=1 (set by .ci/run), so CI can never pass without the real weights.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TestContext } from 'node:test';

export const PROJECT_ROOT = resolve(__dirname, '..', '..');
export const FIXTURES_DIR = process.env.SINKLENS_FIXTURES ?? resolve(PROJECT_ROOT, '..', 'shared', 'fixtures');
export const DEMO_MODEL_DIR = join(PROJECT_ROOT, 'models', 'sinklens-tiny');

export function fixturePath(name: string): string {
  return join(FIXTURES_DIR, name);
}

/** Returns the fixture folder, or null after marking the test skipped (or throws when fixtures are required). */
export function requireFixture(t: TestContext, name: string): string | null {
  const dir = fixturePath(name);
  if (existsSync(join(dir, 'config.json'))) return dir;
  const why = `FIXTURE MISSING: ${dir} (set SINKLENS_FIXTURES to the shared fixtures folder)`;
  if (process.env.SINKLENS_REQUIRE_FIXTURES === '1') throw new Error(why);
  console.warn(`\n*** ${why}: test skipped ***\n`);
  t.skip(why);
  return null;
}
