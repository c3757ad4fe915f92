// Bundles the extension-host tests (test/e2e/ext/*.test.ts) into out/e2e-ext/*.test.js for @vscode/test-cli.
// Each test file becomes one CommonJS bundle; `vscode` is provided by the extension host, mocha by test-cli's runner.
import * as esbuild from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
// per-run output (run-ext-tests.sh sets it) so that concurrent runs on one checkout don't replace each other's bundle
export const EXT_TESTS_OUT = process.env.E2E_EXT_OUT || join(REPO, 'out', 'e2e-ext');

/** Suites run in this order (mocha would otherwise follow the glob's order); other *.test.ts files follow. */
const ORDER = ['activation', 'codelens', 'analyze', 'panel', 'ablation', 'decorations', 'study', 'compare', 'comparePrompts', 'crash'];

export function buildExtTests() {
  const src = join(REPO, 'test', 'e2e', 'ext');
  const only = process.env.E2E_EXT_FILTER; // e.g. E2E_EXT_FILTER=crash runs only crash.test.ts
  const rank = (f) => { const i = ORDER.indexOf(f.replace(/\.test\.ts$/, '')); return i < 0 ? ORDER.length : i; };
  const files = readdirSync(src)
    .filter((f) => f.endsWith('.test.ts') && (!only || f.includes(only)))
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  rmSync(EXT_TESTS_OUT, { recursive: true, force: true });
  // one bundle whose entry requires the suites in order
  esbuild.buildSync({
    stdin: { contents: files.map((f) => `require('./${f}');`).join('\n'), resolveDir: src, sourcefile: 'all.ts', loader: 'ts' },
    outfile: join(EXT_TESTS_OUT, 'all.test.js'), bundle: true, platform: 'node', format: 'cjs', target: 'node20',
    external: ['vscode', 'mocha'], sourcemap: 'inline', logLevel: 'warning',
  });
  return files.length;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(`bundled ${buildExtTests()} extension-host test files into ${EXT_TESTS_OUT}`);
}
