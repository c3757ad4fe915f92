/** Writes a whole HF model folder around a list of tensors (shared by random and planted models). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeSafetensorsShards, type TensorToWrite } from '../safetensorsWriter';
import { configJson } from './configJson';
import { addsBos, type ModelSpec } from './spec';
import { tokenizerConfigJson, tokenizerJson, vocabLayout, type VocabLayout } from './tokenizerFiles';

export interface GeneratedModel {
  dir: string;
  spec: ModelSpec;
  config: Record<string, unknown>;
  vocab: VocabLayout;
  /** Whether the tokenizer prepends BOS (vocab.bosId) to every encoding. */
  addsBos: boolean;
  /** Names of every tensor written. */
  tensorNames: string[];
}

function writeJson(path: string, v: unknown): void {
  writeFileSync(path, JSON.stringify(v, null, 2) + '\n');
}

/** Writes config, weights and tokenizer files around the given tensors (shared with the planted model). */
export function writeModelFolder(dir: string, spec: ModelSpec, tensors: TensorToWrite[], config?: Record<string, unknown>): GeneratedModel {
  mkdirSync(dir, { recursive: true });
  const vocab = vocabLayout(spec.family, spec.vocab);
  const bos = addsBos(spec);
  const cfg = config ?? configJson(spec, vocab);
  writeJson(join(dir, 'config.json'), cfg);
  writeSafetensorsShards(dir, tensors, spec.shards ?? 1);
  writeJson(join(dir, 'tokenizer.json'), tokenizerJson(vocab, bos));
  writeJson(join(dir, 'tokenizer_config.json'), tokenizerConfigJson(vocab, bos, spec.maxPositions ?? 128));
  writeJson(join(dir, 'generation_config.json'), { bos_token_id: vocab.bosId, eos_token_id: vocab.eosId, do_sample: false });
  return { dir, spec, config: cfg, vocab, addsBos: bos, tensorNames: tensors.map((t) => t.name) };
}

