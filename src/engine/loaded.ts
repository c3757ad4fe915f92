/**
 * A loaded model: canonical config, tokenizer, ONNX runner and the display info. Loading is the
 * only expensive, IO-heavy step; the Engine caches the result per folder.
 */
import { basename, resolve } from 'node:path';
import type { LoadOptions } from '../shared/engineApi';
import type { ModelInfo, PrecisionInfo } from '../shared/result';
import { createRunner } from './graph/runner';
import type { Runner } from './graph/types';
import { loadModelFiles } from './model/load';
import { sha256Files } from './model/safetensors';
import type { PromptTokenizer } from './model/tokenizer';
import type { CanonicalConfig } from './arch/types';
import { availableMemory, chooseWeights, resolveLoadOptions } from './precision';

export interface LoadedModel {
  id: string;
  key: string;
  dir: string;
  config: CanonicalConfig;
  tokenizer: PromptTokenizer;
  runner: Runner;
  info: ModelInfo;
  loadMs: number;
  threads: number;
}

export async function openModel(id: string, key: string, modelDir: string, opts: LoadOptions): Promise<LoadedModel> {
  const t0 = performance.now();
  const o = resolveLoadOptions(opts);
  const dir = resolve(modelDir);
  const files = await loadModelFiles(dir);
  const threads = o.threads;
  try {
    const pick = o.weights === 'auto' ? chooseWeights(files.config, availableMemory()) : { weights: o.weights, reason: null };
    const weights = pick.weights;
    const runner = await createRunner(files.config, files.weights, {
      threads,
      probes: 'full',
      weights,
      executionProvider: o.executionProvider,
      strictProvider: o.strictProvider,
    });
    // What was picked and any provider fallback travel with the model info (analyze reports them).
    const { executionProvider, providerNote } = runner.placement;
    const precision: PrecisionInfo = { weights, requested: o.weights, executionProvider, reason: pick.reason, providerNote };
    const weightFiles = files.store.files();
    const hashes = await sha256Files(weightFiles);
    const info = { ...modelInfo(dir, files.config, files.store.dtypeSummary(), weightFiles, hashes, countParams(files.store)), precision };
    return { id, key, dir, config: files.config, tokenizer: files.tokenizer, runner, info, loadMs: performance.now() - t0, threads };
  } finally {
    files.store.close();
  }
}

function countParams(store: { names(): string[]; info(n: string): { shape: readonly number[] } | undefined }): number {
  let n = 0;
  for (const name of store.names()) n += (store.info(name)?.shape ?? []).reduce((a, b) => a * b, 1);
  return n;
}

function modelInfo(
  dir: string,
  c: CanonicalConfig,
  dtype: string,
  files: { name: string; bytes: number }[],
  hashes: string[],
  params: number,
): ModelInfo {
  return {
    name: c.name || basename(dir),
    dir,
    arch: c.arch,
    modelType: c.modelType,
    layers: c.numLayers,
    heads: c.numHeads,
    kvHeads: c.numKvHeads,
    hiddenSize: c.hiddenSize,
    headDim: c.headDim,
    vocabSize: c.vocabSize,
    maxPositions: c.maxPositions,
    dtype,
    params,
    bosTokenId: c.bosTokenId,
    files: files.map((f, i) => ({ name: f.name, bytes: f.bytes, sha256: hashes[i] ?? '' })),
  };
}
