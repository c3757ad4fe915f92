/**
 * A `WeightStore` over one GGUF file, under the Hugging Face names the arch adapters expect
 * (names.ts). Tensors are read and dequantised to float32 one at a time, or, for a block-quantised
 * matrix the graph takes as is, read straight into MatMulNBits' layout (`stored`, nbits.ts); llama's
 * q/k rows are un-permuted back to the HF rotate_half layout either way, and Gemma's norms lose the 1
 * llama.cpp's converter added. Shapes are the torch shapes
 * (ggml dims reversed).
 */
import { closeSync, openSync } from 'node:fs';
import { basename } from 'node:path';
import { SinkLensError } from '../../../shared/errors';
import type { StoredRows, TensorEntry, WeightStore } from '../../weights/types';
import { readFully } from '../safetensorsHeader';
import { hfTensorName, unpermuteRows } from './names';
import { nbitsForm, toNBits, unpermuteNBits } from './nbits';
import { dequantize, ggmlTypeName, READABLE_TYPES, unknownType } from './quants';
import type { GgufFile, GgufTensorInfo } from './reader';

export interface GgufStoreOptions {
  /** Heads for un-permuting q and k (llama only); null = the file is not permuted. */
  permute: { heads: number; kvHeads: number } | null;
  /** `general.architecture`, for the tensor names that differ by family (names.ts). */
  arch: string;
  /**
   * Gemma: llama.cpp's converter stores every RMSNorm weight as w + 1 (the scale GemmaRMSNorm applies);
   * the store gives back HF's w (w + 1 − 1, exact for stored values ≥ 0.5), so the Gemma adapter adds the 1 once.
   */
  normPlusOne: boolean;
}

export function openGgufStore(file: GgufFile, opts: GgufStoreOptions): WeightStore {
  const byName = new Map<string, { entry: TensorEntry; info: GgufTensorInfo }>();
  for (const t of file.tensors) {
    const hf = hfTensorName(t.name, opts.arch);
    if (hf === null) continue;
    // Refused at open, so a file with one unreadable tensor fails before any graph is built.
    if (!READABLE_TYPES.has(t.type)) throw unknownType(t.name, t.type);
    if (hf === undefined) {
      throw new SinkLensError('unsupportedArch', `GGUF tensor "${t.name}" has no place in the model SinkLens builds.`, `File: ${file.path}. The file may hold a variant of its architecture SinkLens does not implement.`);
    }
    const entry: TensorEntry = { name: hf, dtype: ggmlTypeName(t.type), shape: [...t.dims].reverse(), file: file.path, byteRange: t.byteRange };
    byName.set(hf, { entry, info: t });
  }
  let fd: number | undefined;
  const get = (name: string) => {
    const t = byName.get(name);
    if (!t) throw new SinkLensError('missingWeights', `Tensor "${name}" is not in the GGUF file.`, `File: ${file.path}.`);
    return t;
  };
  return {
    dir: file.path,
    names: () => [...byName.keys()],
    has: (name) => byName.has(name),
    info: (name) => get(name).entry,
    read(name) {
      const { entry, info } = get(name);
      fd ??= openSync(file.path, 'r');
      const x = unpermute(name, readGgufTensor(fd, file.path, info), entry.shape, opts.permute);
      return opts.normPlusOne && name.endsWith('norm.weight') ? x.map((w) => w - 1) : x;
    },
    stored(name) {
      const { entry, info } = get(name);
      const form = nbitsForm(info.type);
      if (!form || entry.shape.length !== 2) return undefined;
      const [N, K] = entry.shape as [number, number];
      const heads = permutedHeads(name, opts.permute);
      return {
        ...form,
        read() {
          fd ??= openSync(file.path, 'r');
          const blocks = toNBits(readGgufBytes(fd, file.path, info), info.type, N, K);
          return heads === null ? blocks : unpermuteNBits(blocks, heads, N);
        },
      };
    },
    rowsOf(name): StoredRows | undefined {
      const { entry, info } = get(name);
      const dtype = entry.dtype;
      if (dtype !== 'F32' && dtype !== 'F16' && dtype !== 'BF16') return undefined;
      // read() changes these on the way (llama.cpp's permuted q/k rows, Gemma's norms stored as w + 1): not as stored.
      if (permutedHeads(name, opts.permute) !== null || (opts.normPlusOne && name.endsWith('norm.weight'))) return undefined;
      const [start, end] = info.byteRange;
      return { path: file.path, offset: start, byteLength: end - start, dtype, what: `"${info.name}" in ${basename(file.path)}` };
    },
    files: () => [{ name: basename(file.path), path: file.path, bytes: file.bytes }],
    dtypeSummary: () => [...new Set([...byName.values()].map((t) => t.entry.dtype))].sort().join('+'),
    numElements: () => [...byName.values()].reduce((n, t) => n + t.entry.shape.reduce((a, b) => a * b, 1), 0),
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}

/** Reads one tensor's bytes through `fd` and dequantises them to float32. */
export function readGgufTensor(fd: number, path: string, info: GgufTensorInfo): Float32Array {
  return dequantize(readGgufBytes(fd, path, info), info.type, info.dims.reduce((a, b) => a * b, 1), info.name);
}

/** Reads one tensor's stored bytes through `fd`. */
function readGgufBytes(fd: number, path: string, info: GgufTensorInfo): Uint8Array {
  if (!READABLE_TYPES.has(info.type)) throw unknownType(info.name, info.type);
  const [start, end] = info.byteRange;
  const bytes = new Uint8Array(end - start);
  const got = readFully(fd, bytes, start);
  if (got !== bytes.byteLength) {
    throw new SinkLensError('corruptWeights', `GGUF tensor "${info.name}" could not be read fully (${got} of ${bytes.byteLength} bytes).`, `File: ${path}. The file changed or is truncated.`);
  }
  return bytes;
}

/** The heads whose rows llama.cpp permuted in this tensor (llama q/k), or null. */
function permutedHeads(name: string, p: GgufStoreOptions['permute']): number | null {
  const m = p && /\.self_attn\.([qk])_proj\.(weight|bias)$/.exec(name);
  if (!p || !m) return null;
  return m[1] === 'q' ? p.heads : p.kvHeads;
}

function unpermute(name: string, x: Float32Array, shape: readonly number[], p: GgufStoreOptions['permute']): Float32Array {
  const heads = permutedHeads(name, p);
  if (heads === null) return x;
  return unpermuteRows(x, heads, name.endsWith('.weight') ? (shape[1] as number) : 1);
}
