/**
 * A float weight [N, K] read from its file a few rows at a time, widened to float32 into buffers kept
 * from call to call. A quantising load (graph/blocks/linear.ts -> parallel/quantPool.ts) quantises each
 * chunk as it arrives, so no whole float32 copy of a weight is made: on the Llama-3.2-1B shape a cold int4
 * load had spent ~5 s of its 30 on fresh pages for those copies (the stored bytes and the float32 ones)
 * and on collecting them, on a VM where the kernel's page zeroing is slow; a chunk stays in the caches
 * from its widening to its quantisation.
 */
import { closeSync, openSync } from 'node:fs';
import { SinkLensError } from '../../shared/errors';
import type { StoredRows } from '../weights/types';
import { halfToFloat } from './dtypes';
import { readFully } from './safetensorsHeader';

/** Values per chunk: 4 Mi (16 MiB of float32 and 8 MiB of 16-bit values per thread). */
export const ROW_CHUNK_VALUES = 1 << 22;

const ELEMENT_BYTES: Readonly<Record<StoredRows['dtype'], number>> = { F32: 4, F16: 2, BF16: 2 };

/** One thread's buffers: the stored bytes and their float32 values, grown to the largest chunk. */
export interface RowScratch {
  raw: Uint8Array | null;
  f32: Float32Array | null;
}

export const emptyScratch = (): RowScratch => ({ raw: null, f32: null });

/** 16-bit values -> float32, exactly (bfloat16 is the top half of a float32). */
function widen16(raw: Uint8Array, dtype: 'F16' | 'BF16', out: Float32Array): void {
  const n = out.length;
  const src = new Uint16Array(raw.buffer, raw.byteOffset, n);
  if (dtype === 'BF16') {
    const bits = new Uint32Array(out.buffer, out.byteOffset, n);
    for (let i = 0; i < n; i++) bits[i] = (src[i] as number) << 16;
  } else {
    for (let i = 0; i < n; i++) out[i] = halfToFloat(src[i] as number);
  }
}

/**
 * Calls `each(rows, r0, r1)` for consecutive ranges covering rows [n0, n1) of `src` read as an [N, K] matrix;
 * `rows` holds rows r0..r1 in float32 (a view of the scratch, overwritten by the next chunk). A short read (the
 * file truncated or changed since its header was read) is a `corruptWeights` error naming the tensor.
 */
export function eachRowChunk(src: StoredRows, K: number, n0: number, n1: number, scratch: RowScratch, each: (rows: Float32Array, r0: number, r1: number) => void, chunkValues = ROW_CHUNK_VALUES): void {
  if (n1 <= n0) return;
  const esize = ELEMENT_BYTES[src.dtype];
  if (n1 * K * esize > src.byteLength) throw new RangeError(`eachRowChunk: rows ${n0}..${n1} of ${K} values are past the ${src.byteLength} bytes of ${src.what}`);
  const per = Math.max(1, Math.floor(chunkValues / K)); // rows per chunk
  const cap = Math.min(per, n1 - n0) * K;
  if (!scratch.f32 || scratch.f32.length < cap) scratch.f32 = new Float32Array(cap);
  if (esize === 2 && (!scratch.raw || scratch.raw.byteLength < cap * 2)) scratch.raw = new Uint8Array(cap * 2);
  const fd = openSync(src.path, 'r');
  try {
    for (let r0 = n0; r0 < n1; r0 += per) {
      const r1 = Math.min(n1, r0 + per);
      const f32 = scratch.f32.subarray(0, (r1 - r0) * K); // [r1 - r0, K]
      const into = esize === 4 ? new Uint8Array(f32.buffer, f32.byteOffset, f32.byteLength) : (scratch.raw as Uint8Array).subarray(0, f32.length * 2);
      const got = readFully(fd, into, src.offset + r0 * K * esize);
      if (got !== into.byteLength) {
        throw new SinkLensError('corruptWeights', `Tensor ${src.what} could not be read fully (rows ${r0}-${r1 - 1}: ${got} of ${into.byteLength} bytes).`, `File: ${src.path}. The file changed or is truncated: re-download it.`);
      }
      if (esize === 2) widen16(into, src.dtype as 'F16' | 'BF16', f32);
      each(f32, r0, r1);
    }
  } finally {
    closeSync(fd);
  }
}
