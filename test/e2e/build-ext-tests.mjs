// Bundles the extension-host tests (test/e2e/ext/*.test.ts) into out/e2e-ext/*.test.js for @vscode/test-cli.
// Each test file becomes one CommonJS bundle; `vscode` is provided by the extension host, mocha by test-cli's runner.
import * as esbuild from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const EXT_TESTS_OUT = join(REPO, 'out', 'e2e-ext');

export function buildExtTests() {
  const src = join(REPO, 'test', 'e2e', 'ext');
  const only = process.env.E2E_EXT_FILTER; // e.g. E2E_EXT_FILTER=crash runs only crash.test.ts
  const entryPoints = readdirSync(src)
    .filter((f) => f.endsWith('.test.ts') && (!only || f.includes(only)))
    .map((f) => join(src, f));
  rmSync(EXT_TESTS_OUT, { recursive: true, force: true });
  esbuild.buildSync({
    entryPoints, outdir: EXT_TESTS_OUT, bundle: true, platform: 'node', format: 'cjs', target: 'node20',
    external: ['vscode', 'mocha'], sourcemap: 'inline', logLevel: 'warning',
  });
  return entryPoints.length;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(`bundled ${buildExtTests()} extension-host test files into ${EXT_TESTS_OUT}`);
}
