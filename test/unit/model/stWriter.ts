/**
 * A minimal safetensors writer for these tests (independent of the engine's reader): tensors are
 * given as raw little-endian bytes, so a test controls every bit, and `corrupt` hooks let a test
 * write broken files on purpose.
 */
import { writeFileSync } from 'node:fs';

export interface RawTensor {
  dtype: string;
  shape: number[];
  bytes: Uint8Array;
}

export interface WriteOptions {
  /** Overrides written into a tensor's header entry (e.g. bad offsets). */
  headerPatch?: Record<string, Record<string, unknown>>;
  /** Replaces the 8-byte header length. */
  headerLength?: bigint;
  /** Replaces the header JSON text. */
  headerText?: string;
  /** Cuts the file to this many bytes. */
  truncateTo?: number;
}

export function f32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

export function u16Bytes(bits: number[]): Uint8Array {
  return new Uint8Array(Uint16Array.from(bits).buffer);
}

export function safetensorsBytes(tensors: Record<string, RawTensor>, opts: WriteOptions = {}): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let off = 0;
  for (const [name, t] of Object.entries(tensors)) {
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + t.bytes.length], ...(opts.headerPatch?.[name] ?? {}) };
    off += t.bytes.length;
  }
  let text = opts.headerText ?? JSON.stringify(header);
  // Pad the header with spaces to a multiple of 8, as the reference writer does.
  while ((8 + Buffer.byteLength(text)) % 8 !== 0) text += ' ';
  const hbytes = Buffer.from(text, 'utf8');
  const out = new Uint8Array(8 + hbytes.length + off);
  new DataView(out.buffer).setBigUint64(0, opts.headerLength ?? BigInt(hbytes.length), true);
  out.set(hbytes, 8);
  let p = 8 + hbytes.length;
  for (const t of Object.values(tensors)) {
    out.set(t.bytes, p);
    p += t.bytes.length;
  }
  return opts.truncateTo === undefined ? out : out.subarray(0, opts.truncateTo);
}

export function writeSafetensors(path: string, tensors: Record<string, RawTensor>, opts: WriteOptions = {}): void {
  writeFileSync(path, safetensorsBytes(tensors, opts));
}

/** Float32 tensors by name -> RawTensor map (the common case). */
export function f32Tensors(t: Record<string, { shape: number[]; data: ArrayLike<number> }>): Record<string, RawTensor> {
  const out: Record<string, RawTensor> = {};
  for (const [k, v] of Object.entries(t)) out[k] = { dtype: 'F32', shape: v.shape, bytes: f32Bytes(Array.from(v.data)) };
  return out;
}
