/**
 * Opens a GGUF file as a model: header → config.json equivalent → the registry's adapter
 * (the same canonical config as a safetensors folder), the GGUF vocabulary → tokenizer.json
 * equivalent, and a weight store under Hugging Face names. The rest of the engine cannot tell.
 */
import { closeSync, openSync } from 'node:fs';
import { basename } from 'node:path';
import { getAdapter } from '../../arch/registry';
import type { CanonicalConfig } from '../../arch/types';
import type { WeightStore } from '../../weights/types';
import type { TokenizerFiles } from '../tokenizerFiles';
import { ggufArch, ggufDisplayName, ggufRawConfig } from './config';
import { readGgufHeader, type GgufFile } from './reader';
import { openGgufStore, readGgufTensor } from './store';
import { ggufTokenizer } from './tokenizer';

export interface GgufModel {
  file: GgufFile;
  config: CanonicalConfig;
  tokenizerFiles: TokenizerFiles;
  store: WeightStore;
}

/** A tensor that holds config (rope_freqs, rope_factors_*), dequantised; null when the file has none. */
function configTensor(f: GgufFile, name: string): Float32Array | null {
  const info = f.tensors.find((t) => t.name === name);
  if (!info) return null;
  const fd = openSync(f.path, 'r');
  try {
    return readGgufTensor(fd, f.path, info);
  } finally {
    closeSync(fd);
  }
}

export function openGgufModel(path: string): GgufModel {
  const file = readGgufHeader(path);
  const { arch } = ggufArch(file);
  const raw = ggufRawConfig(file, (name) => configTensor(file, name));
  const config = getAdapter(raw['model_type']).normalizeConfig(raw, ggufDisplayName(file, basename(path).replace(/\.gguf$/i, '')));
  const tok = ggufTokenizer(file);
  const tokenizerFiles: TokenizerFiles = { dir: path, json: () => tok.json, config: () => tok.config };
  // llama.cpp permutes llama's q/k rows for its interleaved rope; the other families are stored as in HF.
  const permute = arch === 'llama' ? { heads: config.numHeads, kvHeads: config.numKvHeads } : null;
  // Its converter adds 1 to every Gemma RMSNorm weight (GemmaRMSNorm's 1 + w).
  const normPlusOne = arch === 'gemma' || arch === 'gemma2' || arch === 'gemma3';
  return { file, config, tokenizerFiles, store: openGgufStore(file, { permute, arch, normPlusOne }) };
}
