/**
 * The one safetensors writer (format spec: 8-byte little-endian header length, JSON header padded
 * with spaces to a multiple of 8, raw little-endian data). Independent of the engine's loader, so a
 * bug in one cannot hide a bug in the other.
 *
 * Tensors are written from `TensorSource`s, which hand over their float32 values chunk by chunk:
 * a generated 8B model streams to disk with memory bounded by one chunk, and in-memory tensors are
 * the one-chunk case. `safetensorsBytes` writes raw bytes instead (every bit chosen by the caller)
 * with optional faults, for tests of readers.
 */
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { endianness } from 'node:os';
import { dirname, join } from 'node:path';
import { bf16FromF32Bits, f32ToF16Bits } from './float16';

export { bf16BitsToF32, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits } from './float16';

export type StorageDtype = 'F32' | 'F16' | 'BF16';

export const DTYPE_BYTES: Record<StorageDtype, number> = { F32: 4, F16: 2, BF16: 2 };

/** A tensor held in memory as float32 values (stored rounded to `dtype`). */
export interface TensorToWrite {
  name: string;
  dtype: StorageDtype;
  dims: number[];
  data: Float32Array;
}

/** A tensor whose float32 values are produced in order, chunk by chunk, when it is written. */
export interface TensorSource {
  name: string;
  dtype: StorageDtype;
  dims: number[];
  /** Calls `put` with consecutive chunks that together hold exactly numel(dims) values. */
  produce(put: (chunk: Float32Array) => void): void;
}

export function numel(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

export function sourceBytes(t: { dtype: StorageDtype; dims: readonly number[] }): number {
  return numel(t.dims) * DTYPE_BYTES[t.dtype];
}

export function fromData(t: TensorToWrite): TensorSource {
  const n = numel(t.dims);
  if (n !== t.data.length) throw new Error(`${t.name}: dims ${t.dims} hold ${n} values, data has ${t.data.length}`);
  return { name: t.name, dtype: t.dtype, dims: t.dims, produce: (put) => put(t.data) };
}

/** JSON text padded with spaces so that 8 + its byte length is a multiple of 8, as the spec allows. */
function padHeader(text: string): Buffer {
  return Buffer.from(text + ' '.repeat((8 - (Buffer.byteLength(text) % 8)) % 8), 'utf8');
}

const LITTLE_ENDIAN = endianness() === 'LE';

/** Encodes one chunk into `out` (at least chunk.length * bytes long); returns the byte count. */
function encodeChunk(dtype: StorageDtype, chunk: Float32Array, out: Uint8Array): number {
  const n = chunk.length;
  if (dtype === 'F32') {
    if (LITTLE_ENDIAN) out.set(new Uint8Array(chunk.buffer, chunk.byteOffset, 4 * n));
    else {
      const view = new DataView(out.buffer, out.byteOffset, 4 * n);
      for (let i = 0; i < n; i++) view.setFloat32(4 * i, chunk[i] as number, true);
    }
    return 4 * n;
  }
  const view = new DataView(out.buffer, out.byteOffset, 2 * n);
  if (dtype === 'F16') {
    for (let i = 0; i < n; i++) view.setUint16(2 * i, f32ToF16Bits(chunk[i] as number), true);
  } else {
    const bits = new Uint32Array(chunk.buffer, chunk.byteOffset, n);
    for (let i = 0; i < n; i++) view.setUint16(2 * i, bf16FromF32Bits(bits[i] as number), true);
  }
  return 2 * n;
}

/** Writes one .safetensors file, streaming every source in order; `onBytes` reports each chunk written. */
export function writeTensorFile(path: string, sources: readonly TensorSource[], metadata?: Record<string, string>, onBytes?: (n: number) => void): void {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of sources) {
    const bytes = sourceBytes(t);
    header[t.name] = { dtype: t.dtype, shape: t.dims, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const head = padHeader(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(head.length));
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, len);
    writeSync(fd, head);
    let scratch = new Uint8Array(0);
    for (const t of sources) {
      let written = 0;
      t.produce((chunk) => {
        const need = chunk.length * DTYPE_BYTES[t.dtype];
        if (scratch.length < need) scratch = new Uint8Array(need);
        const n = encodeChunk(t.dtype, chunk, scratch);
        for (let p = 0; p < n; ) p += writeSync(fd, scratch, p, n - p);
        written += chunk.length;
        onBytes?.(n);
      });
      if (written !== numel(t.dims)) throw new Error(`${t.name}: produced ${written} values for dims ${t.dims}`);
    }
  } finally {
    closeSync(fd);
  }
}

/** Writes one .safetensors file from in-memory tensors. */
export function writeSafetensors(path: string, tensors: readonly TensorToWrite[], metadata?: Record<string, string>): void {
  writeTensorFile(path, tensors.map(fromData), metadata);
}

/** How tensors are split over files: a number of files (dealt out by count), or a byte budget per file. */
export interface ShardLayout {
  shards?: number;
  /** Start a new file when the next tensor would take this one past the budget (save_pretrained's max_shard_size). */
  shardBytes?: number;
}

/** Groups sources, in order, into contiguous runs, one per file. */
export function splitShards<T extends TensorSource>(sources: readonly T[], layout: ShardLayout = {}): T[][] {
  if (layout.shardBytes !== undefined) {
    if (!(layout.shardBytes > 0)) throw new Error(`shardBytes must be positive, got ${layout.shardBytes}`);
    const out: T[][] = [];
    let size = 0;
    for (const s of sources) {
      const b = sourceBytes(s);
      if (out.length === 0 || (size > 0 && size + b > layout.shardBytes)) {
        out.push([]);
        size = 0;
      }
      (out[out.length - 1] as T[]).push(s);
      size += b;
    }
    return out;
  }
  const shards = Math.max(1, layout.shards ?? 1);
  const per = Math.ceil(sources.length / shards);
  return Array.from({ length: shards }, (_, s) => sources.slice(s * per, (s + 1) * per));
}

/**
 * Writes `model.safetensors`, or several files named like transformers' `save_pretrained`
 * (`model-00001-of-00003.safetensors`) plus `model.safetensors.index.json`. Every file holds a
 * contiguous run of the sources, which are produced in order (a seeded generator relies on it).
 */
export function writeSourceShards(dir: string, sources: readonly TensorSource[], layout: ShardLayout = {}, onBytes?: (n: number) => void): void {
  const groups = splitShards(sources, layout);
  if (groups.length <= 1) {
    writeTensorFile(join(dir, 'model.safetensors'), sources, { format: 'pt' }, onBytes);
    return;
  }
  const weightMap: Record<string, string> = {};
  let totalSize = 0;
  groups.forEach((part, s) => {
    const file = `model-${String(s + 1).padStart(5, '0')}-of-${String(groups.length).padStart(5, '0')}.safetensors`;
    writeTensorFile(join(dir, file), part, { format: 'pt' }, onBytes);
    for (const t of part) {
      weightMap[t.name] = file;
      totalSize += sourceBytes(t);
    }
  });
  const index = { metadata: { total_size: totalSize }, weight_map: weightMap };
  writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify(index, null, 2));
}

/** In-memory tensors dealt out over `shards` files (see writeSourceShards). */
export function writeSafetensorsShards(dir: string, tensors: readonly TensorToWrite[], shards = 1): void {
  writeSourceShards(dir, tensors.map(fromData), { shards });
}

/** A tensor given as raw little-endian bytes, under any dtype name (valid or not). */
export interface RawTensor {
  dtype: string;
  shape: number[];
  bytes: Uint8Array;
}

/** Deliberate damage, for tests of readers. */
export interface Faults {
  /** Overrides written into a tensor's header entry (e.g. bad offsets). */
  headerPatch?: Record<string, Record<string, unknown>>;
  /** Replaces the 8-byte header length. */
  headerLength?: bigint;
  /** Replaces the header JSON text. */
  headerText?: string;
  /** Cuts the file to this many bytes. */
  truncateTo?: number;
}

/** A whole file from raw tensors (metadata `{format: 'pt'}`), with optional faults. */
export function safetensorsBytes(tensors: Record<string, RawTensor>, faults: Faults = {}): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let off = 0;
  for (const [name, t] of Object.entries(tensors)) {
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + t.bytes.length], ...(faults.headerPatch?.[name] ?? {}) };
    off += t.bytes.length;
  }
  const head = padHeader(faults.headerText ?? JSON.stringify(header));
  const out = new Uint8Array(8 + head.length + off);
  new DataView(out.buffer).setBigUint64(0, faults.headerLength ?? BigInt(head.length), true);
  out.set(head, 8);
  let p = 8 + head.length;
  for (const t of Object.values(tensors)) {
    out.set(t.bytes, p);
    p += t.bytes.length;
  }
  return faults.truncateTo === undefined ? out : out.subarray(0, faults.truncateTo);
}

export function writeRawSafetensors(path: string, tensors: Record<string, RawTensor>, faults: Faults = {}): void {
  writeFileSync(path, safetensorsBytes(tensors, faults));
}

export function f32Bytes(values: ArrayLike<number>): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

export function u16Bytes(bits: number[]): Uint8Array {
  return new Uint8Array(Uint16Array.from(bits).buffer);
}

/** float32 tensors by name -> raw tensors (the common case). */
export function f32Tensors(t: Record<string, { shape: number[]; data: ArrayLike<number> }>): Record<string, RawTensor> {
  const out: Record<string, RawTensor> = {};
  for (const [k, v] of Object.entries(t)) out[k] = { dtype: 'F32', shape: v.shape, bytes: f32Bytes(v.data) };
  return out;
}
