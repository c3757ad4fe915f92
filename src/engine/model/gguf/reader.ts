/**
 * Reads a GGUF file's header: magic `GGUF`, version (2 or 3), the metadata key/value pairs and the
 * tensor infos (name, ggml dims innermost-first, ggml type, offset into the aligned data region).
 * Only the header is read here; tensor data is read lazily by the store. Every offset is checked
 * against the file size so a truncated download fails at open, naming the file.
 */
import { closeSync, fstatSync, openSync } from 'node:fs';
import { basename } from 'node:path';
import { SinkLensError } from '../../../shared/errors';
import { readFully } from '../safetensorsHeader';
import { ggmlTypeInfo, tensorBytes } from './quants';

export type GgufValue = number | bigint | boolean | string | GgufValue[];

export interface GgufTensorInfo {
  name: string;
  /** ggml order: dims[0] is the contiguous (innermost) dimension. */
  dims: number[];
  type: number;
  /** Absolute byte range [start, end) in the file. */
  byteRange: [number, number];
}

export interface GgufFile {
  path: string;
  bytes: number;
  version: number;
  metadata: Map<string, GgufValue>;
  tensors: GgufTensorInfo[];
}

const MAGIC = 0x46554747; // "GGUF" little-endian
const CHUNK = 1 << 20;
const UTF8 = new TextDecoder();

function corrupt(path: string, what: string): SinkLensError {
  return new SinkLensError('corruptWeights', `The GGUF file ${basename(path)} is damaged: ${what}.`, `File: ${path}. Re-download it (it may be truncated or not a GGUF file).`);
}

/** A forward-only cursor over the file that reads it in 1 MiB chunks as the header is parsed. */
class Cursor {
  private buf = new Uint8Array(0);
  private view = new DataView(this.buf.buffer);
  private bufStart = 0;
  pos = 0;
  constructor(
    private readonly fd: number,
    private readonly size: number,
    private readonly path: string,
  ) {}

  private ensure(n: number): number {
    const rel = this.pos - this.bufStart;
    if (rel + n <= this.buf.byteLength) return rel;
    if (this.pos + n > this.size) throw corrupt(this.path, `the header runs past the end of the file (byte ${this.pos + n} of ${this.size})`);
    const len = Math.min(Math.max(n, CHUNK), this.size - this.pos);
    this.buf = new Uint8Array(len);
    readFully(this.fd, this.buf, this.pos);
    this.view = new DataView(this.buf.buffer);
    this.bufStart = this.pos;
    return 0;
  }
  private take<T>(n: number, f: (v: DataView, at: number) => T): T {
    const at = this.ensure(n);
    this.pos += n;
    return f(this.view, at);
  }
  u8 = () => this.take(1, (v, a) => v.getUint8(a));
  i8 = () => this.take(1, (v, a) => v.getInt8(a));
  u16 = () => this.take(2, (v, a) => v.getUint16(a, true));
  i16 = () => this.take(2, (v, a) => v.getInt16(a, true));
  u32 = () => this.take(4, (v, a) => v.getUint32(a, true));
  i32 = () => this.take(4, (v, a) => v.getInt32(a, true));
  f32 = () => this.take(4, (v, a) => v.getFloat32(a, true));
  f64 = () => this.take(8, (v, a) => v.getFloat64(a, true));
  u64 = () => this.take(8, (v, a) => v.getBigUint64(a, true));
  i64 = () => this.take(8, (v, a) => v.getBigInt64(a, true));
  /** A u64 that must fit a JS number (counts, lengths, offsets). */
  count(what: string): number {
    const n = this.u64();
    if (n > BigInt(this.size)) throw corrupt(this.path, `${what} ${n} exceeds the file size`);
    return Number(n);
  }
  str(): string {
    const n = this.count('string length');
    const at = this.ensure(n);
    this.pos += n;
    return UTF8.decode(this.buf.subarray(at, at + n));
  }
}

/** Metadata value types of the GGUF spec. */
const enum VT {
  U8 = 0, I8, U16, I16, U32, I32, F32, BOOL, STRING, ARRAY, U64, I64, F64,
}

function readValue(c: Cursor, type: number, path: string): GgufValue {
  switch (type) {
    case VT.U8: return c.u8();
    case VT.I8: return c.i8();
    case VT.U16: return c.u16();
    case VT.I16: return c.i16();
    case VT.U32: return c.u32();
    case VT.I32: return c.i32();
    case VT.F32: return c.f32();
    case VT.BOOL: return c.u8() !== 0;
    case VT.STRING: return c.str();
    case VT.U64: return c.u64();
    case VT.I64: return c.i64();
    case VT.F64: return c.f64();
    case VT.ARRAY: {
      const et = c.u32();
      const n = c.count('array length');
      const out: GgufValue[] = new Array<GgufValue>(n);
      for (let i = 0; i < n; i++) out[i] = readValue(c, et, path);
      return out;
    }
    default:
      throw corrupt(path, `unknown metadata value type ${type}`);
  }
}

/** A metadata number (u64/i64 narrowed) or undefined when absent or not numeric. */
export function metaNum(m: Map<string, GgufValue>, key: string): number | undefined {
  const v = m.get(key);
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  return undefined;
}

export function metaStr(m: Map<string, GgufValue>, key: string): string | undefined {
  const v = m.get(key);
  return typeof v === 'string' ? v : undefined;
}

export function readGgufHeader(path: string): GgufFile {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const c = new Cursor(fd, size, path);
    if (size < 24 || c.u32() !== MAGIC) throw corrupt(path, 'it does not start with the GGUF magic');
    const version = c.u32();
    if (version !== 2 && version !== 3) {
      throw new SinkLensError('corruptWeights', `${basename(path)} is GGUF version ${version}; SinkLens reads versions 2 and 3.`, `File: ${path}.`);
    }
    const nTensors = c.count('tensor count');
    const nKv = c.count('metadata count');
    const metadata = new Map<string, GgufValue>();
    for (let i = 0; i < nKv; i++) {
      const key = c.str();
      metadata.set(key, readValue(c, c.u32(), path));
    }
    const raw: { name: string; dims: number[]; type: number; offset: number }[] = [];
    for (let i = 0; i < nTensors; i++) {
      const name = c.str();
      const nd = c.u32();
      if (nd > 8) throw corrupt(path, `tensor "${name}" has ${nd} dimensions`);
      const dims: number[] = [];
      for (let k = 0; k < nd; k++) dims.push(c.count('dimension'));
      raw.push({ name, dims, type: c.u32(), offset: c.count('tensor offset') });
    }
    const alignment = metaNum(metadata, 'general.alignment') ?? 32;
    const dataStart = Math.ceil(c.pos / alignment) * alignment;
    const tensors = raw.map((t): GgufTensorInfo => {
      const start = dataStart + t.offset;
      // Unknown types keep a zero-length range here; the store refuses them by name when read.
      const end = ggmlTypeInfo(t.type) ? start + tensorBytes(t.type, t.dims, t.name) : start;
      if (end > size) throw corrupt(path, `tensor "${t.name}" ends at byte ${end} but the file has ${size} bytes`);
      return { name: t.name, dims: t.dims, type: t.type, byteRange: [start, end] };
    });
    return { path, bytes: size, version, metadata, tensors };
  } finally {
    closeSync(fd);
  }
}
