/**
 * Loads everything of a model the engine needs: canonical config, weight store + canonical weights,
 * tokenizer. A model is a Hugging Face folder, or a GGUF file (any file starting with the GGUF magic:
 * Ollama's blobs have no `.gguf` name), read by gguf/.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isGgufFile } from '../../node/modelStores';
import { SinkLensError } from '../../shared/errors';
import { getAdapter } from '../arch/registry';
import { loadConfig } from './config';
import { openGgufModel } from './gguf/load';
import { openWeights, weightFilePaths, type WeightStore } from './safetensors';
import { loadTokenizer, type PromptTokenizer } from './tokenizer';
import { tokenizerFiles } from './tokenizerFiles';
import type { CanonicalConfig } from '../arch/types';
import type { ModelWeights } from '../weights/types';

export interface ModelFiles {
  config: CanonicalConfig;
  /** Open file handles: call `store.close()` once the weights have been consumed. */
  store: WeightStore;
  weights: ModelWeights;
  tokenizer: PromptTokenizer;
}

export function assertModelDir(dir: string): void {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    const what = existsSync(dir) ? `${dir} is neither a model folder nor a GGUF file` : `Model folder not found: ${dir}`;
    throw new SinkLensError('modelNotFound', `${what}.`, 'Pick a folder that holds config.json, tokenizer.json and *.safetensors, or a .gguf file.');
  }
  if (!existsSync(join(dir, 'config.json'))) {
    throw new SinkLensError('modelNotFound', `${dir} is not a model folder: it has no config.json.`, 'Pick a Hugging Face model folder (config.json, tokenizer.json, *.safetensors).');
  }
}

/** The canonical config of a model folder or GGUF file, reading no weight (the memory plan runs on it first). */
export function readModelConfig(path: string): CanonicalConfig {
  if (isGgufFile(path)) {
    const g = openGgufModel(path);
    g.store.close();
    return g.config;
  }
  assertModelDir(path);
  return loadConfig(path);
}

/** The files that hold a model's weights (the graph cache's fingerprint): the GGUF file itself, or the folder's safetensors. */
export function modelWeightPaths(path: string): string[] {
  return isGgufFile(path) ? [path] : weightFilePaths(path).paths;
}

export async function loadModelFiles(dir: string): Promise<ModelFiles> {
  if (isGgufFile(dir)) return loadGgufFiles(dir);
  assertModelDir(dir);
  const tok = tokenizerFiles(dir); // tokenizer.json and tokenizer_config.json, parsed once for both
  const config = loadConfig(dir, tok);
  const tokenizer = await loadTokenizer(dir, config, tok);
  const store = openWeights(dir);
  try {
    const weights = getAdapter(config.modelType).mapWeights(store, config);
    return { config, store, weights, tokenizer };
  } catch (e) {
    store.close();
    throw e;
  }
}

async function loadGgufFiles(path: string): Promise<ModelFiles> {
  const g = openGgufModel(path);
  try {
    const tokenizer = await loadTokenizer(path, g.config, g.tokenizerFiles);
    const weights = getAdapter(g.config.modelType).mapWeights(g.store, g.config);
    return { config: g.config, store: g.store, weights, tokenizer };
  } catch (e) {
    g.store.close();
    throw e;
  }
}
