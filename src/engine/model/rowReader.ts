/**
 * A float weight [N, K] read from its file a few rows at a time, widened to float32 into buffers kept
 * from call to call. A quantising load (graph/blocks/linear.ts -> parallel/quantPool.ts) quantises each
 * chunk as it arrives, so no whole float32 copy of a weight is made: on the Llama-3.2-1B shape a cold int4
 * load had spent ~5 s of its 30 on fresh pages for those copies (the stored bytes and the float32 ones)
 * and on collecting them, on a VM where the kernel's page zeroing is slow; a chunk stays in the caches
 * from its widening to its quantisation. A float32 or float16 load writes each chunk as it is made
 * (`floatPieces`, graph/serialize.ts).
 */
import { closeSync, openSync } from 'node:fs';
import { SinkLensError } from '../../shared/errors';
import type { StoredRows } from '../weights/types';
import { ROW_CHUNK_VALUES } from '../parallel/limits';
import { DTYPE_BYTES, widen16Into } from './dtypes';
import { readFully } from './safetensorsHeader';

/** One thread's buffers: the stored bytes and their float32 values, grown to the largest chunk. */
export interface RowScratch {
  raw: Uint8Array | null;
  f32: Float32Array | null;
  /** The chunk narrowed to 16 bits (floatPieces with `narrow`). */
  half?: Uint16Array | null;
}

export const emptyScratch = (): RowScratch => ({ raw: null, f32: null });

/** `s` with buffers for `values` values of a chunk (and their stored bytes where they are not float32). */
function sized(s: RowScratch, values: number, esize: number): { f32: Float32Array; raw: Uint8Array | null } {
  if (!s.f32 || s.f32.length < values) s.f32 = new Float32Array(values);
  if (esize !== 4 && (!s.raw || s.raw.byteLength < values * esize)) s.raw = new Uint8Array(values * esize);
  return { f32: s.f32, raw: esize === 4 ? null : s.raw };
}

/**
 * Rows [n0, n1) of `src` read as an [N, K] matrix, in consecutive chunks of whole rows: `rows` holds rows r0..r1 in
 * float32, a view of the scratch that a later chunk overwrites (`scratch` as a function: asked for each chunk's
 * buffers). A short read (the file truncated or changed since its header was read) is a `corruptWeights` error naming
 * the tensor. The file is open while the chunks are taken.
 */
export function* rowChunks(src: StoredRows, K: number, n0: number, n1: number, scratch: RowScratch | (() => RowScratch), chunkValues = ROW_CHUNK_VALUES): Generator<{ rows: Float32Array; r0: number; r1: number }> {
  if (n1 <= n0) return;
  const esize = DTYPE_BYTES[src.dtype] as number;
  if (n1 * K * esize > src.byteLength) throw new RangeError(`rowChunks: rows ${n0}..${n1} of ${K} values are past the ${src.byteLength} bytes of ${src.what}`);
  const per = Math.max(1, Math.floor(chunkValues / K)); // rows per chunk
  const cap = Math.min(per, n1 - n0) * K;
  const fd = openSync(src.path, 'r');
  try {
    for (let r0 = n0; r0 < n1; r0 += per) {
      const r1 = Math.min(n1, r0 + per);
      const buffers = sized(typeof scratch === 'function' ? scratch() : scratch, cap, esize);
      const f32 = buffers.f32.subarray(0, (r1 - r0) * K); // [r1 - r0, K]
      const into = buffers.raw ? buffers.raw.subarray(0, f32.length * esize) : new Uint8Array(f32.buffer, f32.byteOffset, f32.byteLength);
      const got = readFully(fd, into, src.offset + r0 * K * esize);
      if (got !== into.byteLength) {
        throw new SinkLensError('corruptWeights', `Tensor ${src.what} could not be read fully (rows ${r0}-${r1 - 1}: ${got} of ${into.byteLength} bytes).`, `File: ${src.path}. The file changed or is truncated: re-download it.`);
      }
      if (buffers.raw) widen16Into(new Uint16Array(into.buffer, into.byteOffset, f32.length), src.dtype as 'F16' | 'BF16', f32);
      yield { rows: f32, r0, r1 };
    }
  } finally {
    closeSync(fd);
  }
}

/** Calls `each(rows, r0, r1)` for each of rowChunks' chunks. */
export function eachRowChunk(src: StoredRows, K: number, n0: number, n1: number, scratch: RowScratch, each: (rows: Float32Array, r0: number, r1: number) => void, chunkValues = ROW_CHUNK_VALUES): void {
  for (const c of rowChunks(src, K, n0, n1, scratch, chunkValues)) each(c.rows, c.r0, c.r1);
}

/**
 * The buffers of the serializer's pieces: two, taken in turn, so a piece's bytes stay as they are while the next one is
 * made (the serializer writes a piece while it asks for the next, and waits for that write before asking again).
 */
let ring: [RowScratch, RowScratch] | null = null;
let turn = 0;

/** Drops the pieces' buffers (once a graph is written). */
export function releaseRowBuffers(): void {
  ring = null;
}

/**
 * The float32 bytes of a float tensor of shape `dims` stored in a file, in pieces of whole rows of its last dimension,
 * converted as they are asked for: what graph/serialize.ts writes for a weight without its whole float32 copy. With
 * `narrow`, each piece is the float32 chunk narrowed to 16-bit values by it (fp16 weights). A piece stays valid until
 * the one after the next is asked for.
 */
export function* floatPieces(src: StoredRows, dims: readonly number[], narrow?: (f32: Float32Array, out: Uint16Array) => void, chunkValues = ROW_CHUNK_VALUES): Generator<Uint8Array> {
  const K = dims[dims.length - 1] ?? 1;
  const N = dims.reduce((a, b) => a * b, 1) / K;
  let current = emptyScratch();
  const next = (): RowScratch => {
    ring ??= [emptyScratch(), emptyScratch()];
    current = ring[turn] as RowScratch;
    turn ^= 1;
    return current;
  };
  for (const { rows } of rowChunks(src, K, 0, N, next, chunkValues)) {
    if (!narrow) {
      yield new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength);
      continue;
    }
    if (!current.half || current.half.length < rows.length) current.half = new Uint16Array(current.f32?.length ?? rows.length);
    const half = current.half.subarray(0, rows.length);
    narrow(rows, half);
    yield new Uint8Array(half.buffer, half.byteOffset, half.byteLength);
  }
}
