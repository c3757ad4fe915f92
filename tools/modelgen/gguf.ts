/**
 * A GGUF (version 3) writer, from the format description in ggml's docs/gguf.md: magic `GGUF`,
 * version, tensor and metadata counts (u64), metadata pairs (string key, u32 value type, value),
 * tensor infos (name, n_dims, ggml dims innermost-first, type, offset), then the data region
 * aligned to `general.alignment` (32), each tensor aligned too. Written in memory: for tests and
 * small generated models.
 */
import { writeFileSync } from 'node:fs';
import { f32ToBf16Bits, f32ToF16Bits } from './float16';
import { QUANT_LAYOUT, quantize, type GgufQuant } from './ggufQuant';

type Scalar = 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'f32' | 'bool' | 'string' | 'u64' | 'i64' | 'f64';
const TYPE_ID: Readonly<Record<Scalar | 'array', number>> = { u8: 0, i8: 1, u16: 2, i16: 3, u32: 4, i32: 5, f32: 6, bool: 7, string: 8, array: 9, u64: 10, i64: 11, f64: 12 };

export type GgufMeta = { type: Scalar; value: number | boolean | string } | { type: 'array'; of: Scalar; value: (number | boolean | string)[] };

export const meta = {
  u32: (value: number): GgufMeta => ({ type: 'u32', value }),
  i32: (value: number): GgufMeta => ({ type: 'i32', value }),
  f32: (value: number): GgufMeta => ({ type: 'f32', value }),
  u64: (value: number): GgufMeta => ({ type: 'u64', value }),
  bool: (value: boolean): GgufMeta => ({ type: 'bool', value }),
  str: (value: string): GgufMeta => ({ type: 'string', value }),
  arr: (of: Scalar, value: (number | boolean | string)[]): GgufMeta => ({ type: 'array', of, value }),
};

export type GgufTensorType = 'F32' | 'F16' | 'BF16' | GgufQuant;
const PLAIN_ID: Readonly<Record<'F32' | 'F16' | 'BF16', number>> = { F32: 0, F16: 1, BF16: 30 };

/** A tensor in torch order (`shape[last]` is contiguous), stored as `type`; or raw bytes of any ggml type id. */
export type GgufTensorOut = { name: string; shape: number[]; type: GgufTensorType; data: Float32Array } | { name: string; shape: number[]; typeId: number; bytes: Uint8Array };

class Bytes {
  private chunks: Uint8Array[] = [];
  length = 0;
  push(b: Uint8Array): void {
    this.chunks.push(b);
    this.length += b.byteLength;
  }
  scalar(type: Scalar, v: number | boolean | string): void {
    if (type === 'string') {
      const s = new TextEncoder().encode(v as string);
      this.scalar('u64', s.byteLength);
      this.push(s);
      return;
    }
    const size = { u8: 1, i8: 1, bool: 1, u16: 2, i16: 2, u32: 4, i32: 4, f32: 4, u64: 8, i64: 8, f64: 8 }[type];
    const b = new Uint8Array(size);
    const dv = new DataView(b.buffer);
    const n = Number(v);
    ({
      u8: () => dv.setUint8(0, n), i8: () => dv.setInt8(0, n), bool: () => dv.setUint8(0, v ? 1 : 0),
      u16: () => dv.setUint16(0, n, true), i16: () => dv.setInt16(0, n, true),
      u32: () => dv.setUint32(0, n, true), i32: () => dv.setInt32(0, n, true), f32: () => dv.setFloat32(0, n, true),
      u64: () => dv.setBigUint64(0, BigInt(n), true), i64: () => dv.setBigInt64(0, BigInt(n), true), f64: () => dv.setFloat64(0, n, true),
    })[type]();
    this.push(b);
  }
  pad(to: number): void {
    const r = this.length % to;
    if (r) this.push(new Uint8Array(to - r));
  }
  concat(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.byteLength;
    }
    return out;
  }
}

function tensorBytes(t: GgufTensorOut): { id: number; bytes: Uint8Array } {
  if ('bytes' in t) return { id: t.typeId, bytes: t.bytes };
  if (t.type === 'F32') return { id: 0, bytes: new Uint8Array(Float32Array.from(t.data).buffer) };
  if (t.type === 'F16' || t.type === 'BF16') {
    const conv = t.type === 'F16' ? f32ToF16Bits : f32ToBf16Bits;
    return { id: PLAIN_ID[t.type], bytes: new Uint8Array(Uint16Array.from(t.data, conv).buffer) };
  }
  return { id: QUANT_LAYOUT[t.type].id, bytes: quantize(t.data, t.type) };
}

const ALIGN = 32;

export function ggufBytes(metadata: Readonly<Record<string, GgufMeta>>, tensors: readonly GgufTensorOut[]): Uint8Array {
  const head = new Bytes();
  head.push(new TextEncoder().encode('GGUF'));
  head.scalar('u32', 3);
  head.scalar('u64', tensors.length);
  head.scalar('u64', Object.keys(metadata).length);
  for (const [key, m] of Object.entries(metadata)) {
    head.scalar('string', key);
    head.scalar('u32', TYPE_ID[m.type]);
    if (m.type === 'array') {
      head.scalar('u32', TYPE_ID[m.of]);
      head.scalar('u64', m.value.length);
      for (const v of m.value) head.scalar(m.of, v);
    } else head.scalar(m.type, m.value);
  }
  const data = new Bytes();
  for (const t of tensors) {
    const { id, bytes } = tensorBytes(t);
    data.pad(ALIGN);
    head.scalar('string', t.name);
    head.scalar('u32', t.shape.length);
    for (const d of [...t.shape].reverse()) head.scalar('u64', d); // ggml order: innermost first
    head.scalar('u32', id);
    head.scalar('u64', data.length);
    data.push(bytes);
  }
  head.pad(ALIGN);
  head.push(data.concat());
  return head.concat();
}

export function writeGguf(path: string, metadata: Readonly<Record<string, GgufMeta>>, tensors: readonly GgufTensorOut[]): number {
  const bytes = ggufBytes(metadata, tensors);
  writeFileSync(path, bytes);
  return bytes.byteLength;
}
