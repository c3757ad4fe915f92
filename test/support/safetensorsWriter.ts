/**
 * A minimal safetensors writer and reader for the tests, written from the format spec
 * (8-byte little-endian header length, JSON header, raw little-endian data) and independent of the
 * engine's loader, so a bug in one cannot hide a bug in the other.
 *
 * F16 and BF16 are produced with round-to-nearest-even from the float32 input, as torch does for
 * `.half()` / `.bfloat16()`; the reader widens them back to float32 exactly.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

export type StorageDtype = 'F32' | 'F16' | 'BF16';

export interface TensorToWrite {
  name: string;
  dtype: StorageDtype;
  dims: number[];
  data: Float32Array;
}

export interface ReadTensor {
  dims: number[];
  data: Float32Array;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 -> IEEE half bits, round-to-nearest-even, with subnormals, infinities and NaN. */
export function f32ToF16Bits(x: number): number {
  f32[0] = x;
  const bits = u32[0] as number;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // Inf or a quiet NaN.
  const e = exp - 127 + 15; // Re-biased exponent.
  if (e >= 0x1f) return sign | 0x7c00; // Overflow -> Inf.
  if (e <= 0) {
    // Subnormal half (or zero): shift the full significand (with its hidden bit) into place.
    if (e < -10) return sign;
    const full = mant | 0x800000;
    const shift = 14 - e; // 24-bit significand -> 10-bit subnormal field.
    return sign | roundShift(full, shift);
  }
  // Normal: keep 10 mantissa bits, round the 13 dropped ones; a carry correctly bumps the exponent.
  return sign | (((e << 10) | (mant >>> 13)) + roundBit(mant, 13));
}

/** Round-to-nearest-even increment for dropping the low `shift` bits of `v`. */
function roundBit(v: number, shift: number): number {
  const half = 1 << (shift - 1);
  const rest = v & ((1 << shift) - 1);
  const kept = v >>> shift;
  return rest > half || (rest === half && (kept & 1) === 1) ? 1 : 0;
}

function roundShift(v: number, shift: number): number {
  return (v >>> shift) + roundBit(v, shift);
}

export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** float32 -> bfloat16 bits (the high half of the float32), round-to-nearest-even. */
export function f32ToBf16Bits(x: number): number {
  f32[0] = x;
  const bits = u32[0] as number;
  if ((bits & 0x7f800000) === 0x7f800000 && bits & 0x7fffff) return ((bits >>> 16) | 0x40) & 0xffff; // Quiet NaN.
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

export function bf16BitsToF32(b: number): number {
  u32[0] = (b << 16) >>> 0;
  return f32[0] as number;
}

const BYTES: Record<StorageDtype, number> = { F32: 4, F16: 2, BF16: 2 };

function encode(t: TensorToWrite): Buffer {
  const n = t.dims.reduce((a, b) => a * b, 1);
  if (n !== t.data.length) throw new Error(`${t.name}: dims ${t.dims} hold ${n} values, data has ${t.data.length}`);
  const buf = Buffer.alloc(n * BYTES[t.dtype]);
  for (let i = 0; i < n; i++) {
    const v = t.data[i] as number;
    if (t.dtype === 'F32') buf.writeFloatLE(v, i * 4);
    else buf.writeUInt16LE(t.dtype === 'F16' ? f32ToF16Bits(v) : f32ToBf16Bits(v), i * 2);
  }
  return buf;
}

/** Writes one .safetensors file. The header is padded with spaces to a multiple of 8, as the spec allows. */
export function writeSafetensors(path: string, tensors: TensorToWrite[], metadata?: Record<string, string>): void {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  const blobs: Buffer[] = [];
  let offset = 0;
  for (const t of tensors) {
    const blob = encode(t);
    header[t.name] = { dtype: t.dtype, shape: t.dims, data_offsets: [offset, offset + blob.length] };
    blobs.push(blob);
    offset += blob.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const head = Buffer.from(json, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(head.length));
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, Buffer.concat([len, head, ...blobs]));
}

/**
 * Writes `model.safetensors`, or `shards` files named like transformers' `save_pretrained`
 * (`model-00001-of-00003.safetensors`) plus `model.safetensors.index.json`. Tensors are dealt
 * out in order, so every shard holds a contiguous run of names.
 */
export function writeSafetensorsShards(dir: string, tensors: TensorToWrite[], shards = 1): void {
  if (shards <= 1) {
    writeSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
    return;
  }
  const per = Math.ceil(tensors.length / shards);
  const weightMap: Record<string, string> = {};
  let totalSize = 0;
  for (let s = 0; s < shards; s++) {
    const part = tensors.slice(s * per, (s + 1) * per);
    const file = `model-${String(s + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
    writeSafetensors(join(dir, file), part, { format: 'pt' });
    for (const t of part) {
      weightMap[t.name] = file;
      totalSize += t.data.length * BYTES[t.dtype];
    }
  }
  const index = { metadata: { total_size: totalSize }, weight_map: weightMap };
  writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify(index, null, 2));
}

/** Reads every tensor of one .safetensors file, widened to float32. */
export function readSafetensorsFile(path: string): Map<string, ReadTensor> {
  const buf = readFileSync(path);
  const headLen = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + headLen).toString('utf8')) as Record<string, unknown>;
  const base = 8 + headLen;
  const out = new Map<string, ReadTensor>();
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const info = raw as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const [start, end] = info.data_offsets;
    out.set(name, { dims: info.shape, data: decode(buf, base + start, base + end, info.dtype, name) });
  }
  return out;
}

function decode(buf: Buffer, start: number, end: number, dtype: string, name: string): Float32Array {
  if (dtype === 'F32') {
    const out = new Float32Array((end - start) / 4);
    for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(start + 4 * i);
    return out;
  }
  if (dtype === 'F16' || dtype === 'BF16') {
    const out = new Float32Array((end - start) / 2);
    for (let i = 0; i < out.length; i++) {
      const bits = buf.readUInt16LE(start + 2 * i);
      out[i] = dtype === 'F16' ? f16BitsToF32(bits) : bf16BitsToF32(bits);
    }
    return out;
  }
  throw new Error(`${name}: unsupported dtype ${dtype}`);
}

/** Reads a model folder: the single model.safetensors, or every shard named by model.safetensors.index.json. */
export function readSafetensorsDir(dir: string): Map<string, ReadTensor> {
  const indexPath = join(dir, 'model.safetensors.index.json');
  if (!existsSync(indexPath)) return readSafetensorsFile(join(dir, 'model.safetensors'));
  const index = JSON.parse(readFileSync(indexPath, 'utf8')) as { weight_map: Record<string, string> };
  const out = new Map<string, ReadTensor>();
  for (const file of new Set(Object.values(index.weight_map))) {
    for (const [name, t] of readSafetensorsFile(join(dir, file))) {
      if (index.weight_map[name] !== file) throw new Error(`${name} found in ${file}, index says ${index.weight_map[name]}`);
      out.set(name, t);
    }
  }
  for (const name of Object.keys(index.weight_map)) {
    if (!out.has(name)) throw new Error(`${name} is in the index but in no shard`);
  }
  return out;
}
