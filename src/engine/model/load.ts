/** Loads everything of a model folder the engine needs: canonical config, weight store + canonical weights, tokenizer. */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SinkLensError } from '../../shared/errors';
import { getAdapter } from '../arch/registry';
import { loadConfig } from './config';
import { openWeights, type WeightStore } from './safetensors';
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
    throw new SinkLensError('modelNotFound', `Model folder not found: ${dir}.`, 'Pick a folder that holds config.json, tokenizer.json and *.safetensors.');
  }
  if (!existsSync(join(dir, 'config.json'))) {
    throw new SinkLensError('modelNotFound', `${dir} is not a model folder: it has no config.json.`, 'Pick a Hugging Face model folder (config.json, tokenizer.json, *.safetensors).');
  }
}

export async function loadModelFiles(dir: string): Promise<ModelFiles> {
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
