/** Writes a whole HF model folder around a list of tensors (shared by random and hand-made models). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeSourceShards, type ShardLayout, type TensorSource } from './safetensors';
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

export interface FolderOptions {
  /** Overrides the file split; default spec.shards files. */
  layout?: ShardLayout;
  /** Called with the byte count of every chunk of weights written. */
  onBytes?: (n: number) => void;
}

function writeJson(path: string, v: unknown): void {
  writeFileSync(path, JSON.stringify(v, null, 2) + '\n');
}

/** Writes config, tokenizer and generation files and the weights, streamed from `tensors` in order. */
export function writeModelFolder(dir: string, spec: ModelSpec, tensors: readonly TensorSource[], opts: FolderOptions = {}): GeneratedModel {
  mkdirSync(dir, { recursive: true });
  const vocab = vocabLayout(spec.family, spec.vocab);
  const bos = addsBos(spec);
  const cfg = configJson(spec, vocab);
  writeJson(join(dir, 'config.json'), cfg);
  writeJson(join(dir, 'tokenizer.json'), tokenizerJson(vocab, bos));
  writeJson(join(dir, 'tokenizer_config.json'), tokenizerConfigJson(vocab, bos, spec.maxPositions ?? 128));
  writeJson(join(dir, 'generation_config.json'), { bos_token_id: vocab.bosId, eos_token_id: vocab.eosId, do_sample: false });
  writeSourceShards(dir, tensors, opts.layout ?? { shards: spec.shards ?? 1 }, opts.onBytes);
  return { dir, spec, config: cfg, vocab, addsBos: bos, tensorNames: tensors.map((t) => t.name) };
}
