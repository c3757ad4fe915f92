/**
 * The seeded model generator: a random-weight Hugging Face model folder (config.json in the
 * family's dialect, safetensors in F32/F16/BF16, a real tokenizer.json) for any spec, from tiny
 * test models to 8B shapes. Weights stream to disk tensor by tensor, one chunk at a time, so
 * memory stays bounded by the chunk whatever the model size; a seed is a model.
 */
import { writeModelFolder, type GeneratedModel } from './folder';
import { mulberry32 } from './prng';
import { numel, DTYPE_BYTES, type StorageDtype } from './safetensors';
import type { ModelSpec } from './spec';
import { randomSources, tensorPlan } from './tensors';

export interface RandomModelOptions {
  /** Storage dtype; default spec.dtype, else F32. */
  dtype?: StorageDtype;
  /** Default spec.seed, else 1. */
  seed?: number;
  /** Byte budget per safetensors file (save_pretrained's max_shard_size); default: spec.shards files. */
  shardBytes?: number;
  /** Values generated per chunk (memory: 4 bytes each, plus the encoded copy). */
  chunkValues?: number;
  /** Called after every chunk with the weight bytes written so far and in total. */
  onProgress?: (done: number, total: number) => void;
}

/** The spec with the options' dtype and seed applied (what writeRandomModel writes). */
export function resolveSpec(spec: ModelSpec, opts: RandomModelOptions = {}): ModelSpec {
  return { ...spec, dtype: opts.dtype ?? spec.dtype ?? 'F32', seed: opts.seed ?? spec.seed ?? 1 };
}

/** Parameter count and weight bytes of the model a spec describes. */
export function modelSize(spec: ModelSpec, dtype: StorageDtype = spec.dtype ?? 'F32'): { params: number; bytes: number } {
  const params = tensorPlan(spec).reduce((a, t) => a + numel(t.dims), 0);
  return { params, bytes: params * DTYPE_BYTES[dtype] };
}

/** Writes a complete random model folder for `spec` into `dir` (deterministic in the seed). */
export function writeRandomModel(dir: string, spec: ModelSpec, opts: RandomModelOptions = {}): GeneratedModel {
  const s = resolveSpec(spec, opts);
  const sources = randomSources(s, mulberry32(s.seed as number), opts.chunkValues);
  const total = modelSize(s).bytes;
  let done = 0;
  const onBytes = opts.onProgress ? (n: number) => opts.onProgress?.((done += n), total) : undefined;
  const layout = opts.shardBytes !== undefined ? { shardBytes: opts.shardBytes } : { shards: s.shards ?? 1 };
  return writeModelFolder(dir, s, sources, { layout, ...(onBytes ? { onBytes } : {}) });
}
