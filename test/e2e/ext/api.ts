/**
 * Helpers for the extension-host tests: the SinkLens extension's public API (the contract of activate()'s return
 * value), the fixture locations, the reference numbers in expected.json, and polling (the VS Code tab and code
 * lens models update asynchronously).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AnalysisResult } from '../../../src/shared/result';

export const EXTENSION_ID = 'sinklens.sinklens';

/** What activate() returns (see the extension contract). */
export interface SinkLensApi {
  analyzeText(text: string, opts?: { modelDir?: string }): Promise<AnalysisResult>;
  enginePid(): number | undefined;
  currentModelDir(): string;
  lastResult(): AnalysisResult | undefined;
  panelState(): { open: boolean; ready: boolean; tokens: number };
  /** Test hook: sink-heat decoration ranges SinkLens set on the visible editors of a document URI. */
  decorationCount(uri: string): number;
  /** Test hook: whether the study view is open and what its three panels and table drew. */
  studyViewState(): { open: boolean; rendered: { axis: string; panels: { metric: string; series: number; points: number }[]; rows: number } | null };
  /** Test hook: what the model preload (sinklens.preloadModel) did last. */
  preloadState(): { state: 'idle' } | { state: 'loading' | 'loaded' | 'failed'; modelDir: string; ms: number };
}

export function extension(): vscode.Extension<SinkLensApi> {
  const ext = vscode.extensions.getExtension<SinkLensApi>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not loaded in this extension host`);
  return ext;
}

export async function api(): Promise<SinkLensApi> {
  return extension().activate();
}

export function builtinModelDir(): string {
  return path.join(extension().extensionPath, 'models', 'sinklens-tiny');
}

/** The shared fixtures folder ($SINKLENS_FIXTURES or ../shared/fixtures next to the repo). */
export function fixturesDir(): string {
  return process.env.SINKLENS_FIXTURES ?? path.resolve(extension().extensionPath, '..', 'shared', 'fixtures');
}

/**
 * The fixture folder, or null after skipping the test with a loud reason. With SINKLENS_REQUIRE_FIXTURES=1 (CI)
 * a missing fixture fails the test instead, so CI can never pass without the real weights.
 */
export function requireFixture(ctx: Mocha.Context, name: string): string {
  const dir = path.join(fixturesDir(), name);
  if (fs.existsSync(path.join(dir, 'config.json'))) return dir;
  const why = `FIXTURE MISSING: ${dir} (set SINKLENS_FIXTURES to the shared fixtures folder)`;
  if (process.env.SINKLENS_REQUIRE_FIXTURES === '1') throw new Error(why);
  console.warn(`*** ${why}: test skipped ***`);
  ctx.skip();
}

/** One prompt of a model folder's expected.json (independent float64 reference). */
export interface ExpectedPrompt {
  text: string;
  tokenIds: number[];
  layers: { layer: number; bosRatio: number; entropy: number }[];
  lastTop5: [number, number][];
  /** sinklens-tiny only: the same metrics with block 1's MLP write at position 0 zeroed. */
  ablatedLayers?: { layer: number; bosRatio: number; entropy: number; sinkRate: number | null }[];
}

export function expectedPrompt(modelDir: string, name: string): ExpectedPrompt {
  const all = JSON.parse(fs.readFileSync(path.join(modelDir, 'expected.json'), 'utf8')) as {
    prompts: Record<string, ExpectedPrompt>;
  };
  const p = all.prompts[name];
  if (!p) throw new Error(`no prompt ${name} in ${modelDir}/expected.json`);
  return p;
}

/** |actual - expected| <= rel * |expected| + abs, with a message naming the quantity. */
export function assertClose(actual: number, expected: number, what: string, rel = 2e-3, abs = 1e-4): void {
  if (!(Math.abs(actual - expected) <= rel * Math.abs(expected) + abs)) {
    throw new Error(`${what}: got ${actual}, expected ${expected} (rel ${rel}, abs ${abs})`);
  }
}

export function workspaceFile(rel: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the tests need a workspace folder (test/e2e/workspace)');
  return vscode.Uri.joinPath(folder.uri, rel);
}

/** Polls `probe` until it returns a truthy value or the timeout passes; returns the last value. */
export async function poll<T>(probe: () => T | Promise<T>, timeoutMs = 15000, stepMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  let v = await probe();
  while (!v && Date.now() < end) {
    await new Promise((r) => setTimeout(r, stepMs));
    v = await probe();
  }
  return v;
}

/** Error code of a rejection: SinkLensError instance or plain `{code, message}` data. */
export function errorCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string'
    ? (e as { code: string }).code
    : undefined;
}
