/**
 * ggml tensor types: block sizes and byte sizes, and dequantisation to float32 of the types
 * SinkLens reads (F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K). Block layouts follow ggml's
 * `ggml-common.h`; the arithmetic follows its reference `dequantize_row_*` functions:
 * - Q8_0 / Q4_0: blocks of 32 with one f16 scale d; x = d·q (Q4_0: q = nibble − 8, low nibbles
 *   are elements 0..15, high nibbles 16..31).
 * - K-quants: super-blocks of 256. Q4_K / Q5_K: f16 d and dmin, 8 sub-blocks of 32 with 6-bit
 *   scale and min packed in 12 bytes; x = d·sc·q − dmin·m (Q5_K's fifth bit from qh).
 *   Q6_K: 16 sub-blocks of 16 with int8 scales, 6-bit q = (low 4 | high 2 << 4) − 32; x = d·sc·q.
 */
import { SinkLensError } from '../../../shared/errors';
import { halfToFloat } from '../dtypes';

export interface GgmlType {
  name: string;
  /** Elements per block. */
  block: number;
  /** Bytes per block. */
  bytes: number;
}

/** Every type id of ggml's `enum ggml_type` that has a storage layout, so errors can name them. */
const TYPES: Readonly<Record<number, GgmlType>> = {
  0: { name: 'F32', block: 1, bytes: 4 },
  1: { name: 'F16', block: 1, bytes: 2 },
  2: { name: 'Q4_0', block: 32, bytes: 18 },
  3: { name: 'Q4_1', block: 32, bytes: 20 },
  6: { name: 'Q5_0', block: 32, bytes: 22 },
  7: { name: 'Q5_1', block: 32, bytes: 24 },
  8: { name: 'Q8_0', block: 32, bytes: 34 },
  9: { name: 'Q8_1', block: 32, bytes: 36 },
  10: { name: 'Q2_K', block: 256, bytes: 84 },
  11: { name: 'Q3_K', block: 256, bytes: 110 },
  12: { name: 'Q4_K', block: 256, bytes: 144 },
  13: { name: 'Q5_K', block: 256, bytes: 176 },
  14: { name: 'Q6_K', block: 256, bytes: 210 },
  15: { name: 'Q8_K', block: 256, bytes: 292 },
  24: { name: 'I8', block: 1, bytes: 1 },
  25: { name: 'I16', block: 1, bytes: 2 },
  26: { name: 'I32', block: 1, bytes: 4 },
  27: { name: 'I64', block: 1, bytes: 8 },
  28: { name: 'F64', block: 1, bytes: 8 },
  30: { name: 'BF16', block: 1, bytes: 2 },
};

export const GGML = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 8, Q4_K: 12, Q5_K: 13, Q6_K: 14, BF16: 30 } as const;

/** The types `dequantize` converts. */
export const READABLE_TYPES: ReadonlySet<number> = new Set(Object.values(GGML));

export function ggmlTypeInfo(type: number): GgmlType | undefined {
  return TYPES[type];
}

export function ggmlTypeName(type: number): string {
  return TYPES[type]?.name ?? `type ${type}`;
}

/** Bytes of a tensor of `type` with ggml dims; the innermost dim must be whole blocks. */
export function tensorBytes(type: number, dims: readonly number[], name: string): number {
  const t = TYPES[type];
  if (!t) throw unknownType(name, type);
  const n = dims.reduce((a, b) => a * b, 1);
  if ((dims[0] ?? 1) % t.block !== 0) {
    throw new SinkLensError('corruptWeights', `GGUF tensor "${name}" (${t.name}) has a row of ${dims[0]} elements, not a multiple of its block size ${t.block}.`);
  }
  return (n / t.block) * t.bytes;
}

export function unknownType(name: string, type: number): SinkLensError {
  return new SinkLensError(
    'corruptWeights',
    `GGUF tensor "${name}" has type ${ggmlTypeName(type)}, which SinkLens cannot read (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K).`,
  );
}

/** Dequantises `bytes` (exactly one tensor of `n` elements, offset 0) of `type` into float32. */
export function dequantize(bytes: Uint8Array, type: number, n: number, name: string): Float32Array {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(n);
  const u = bytes;
  const s8 = new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const blocks = (qk: number, size: number, f: (u: Uint8Array, s8: Int8Array, b: number, out: Float32Array, o: number) => void): Float32Array => {
    for (let i = 0, nb = n / qk; i < nb; i++) f(u, s8, i * size, out, i * qk);
    return out;
  };
  switch (type) {
    case GGML.F32:
      for (let i = 0; i < n; i++) out[i] = v.getFloat32(4 * i, true);
      return out;
    case GGML.F16:
      for (let i = 0; i < n; i++) out[i] = halfToFloat(v.getUint16(2 * i, true));
      return out;
    case GGML.BF16: {
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) bits[i] = v.getUint16(2 * i, true) << 16;
      return out;
    }
    case GGML.Q8_0: return blocks(32, 34, q8_0);
    case GGML.Q4_0: return blocks(32, 18, q4_0);
    case GGML.Q4_K: return blocks(256, 144, q4_K);
    case GGML.Q5_K: return blocks(256, 176, q5_K);
    case GGML.Q6_K: return blocks(256, 210, q6_K);
    default:
      throw unknownType(name, type);
  }
}

/** The f16 at byte b, widened. */
const f16 = (u: Uint8Array, b: number): number => halfToFloat((u[b] as number) | ((u[b + 1] as number) << 8));

function q8_0(u: Uint8Array, s8: Int8Array, b: number, out: Float32Array, o: number): void {
  const d = f16(u, b);
  for (let j = 0; j < 32; j++) out[o + j] = d * (s8[b + 2 + j] as number);
}

function q4_0(u: Uint8Array, _s8: Int8Array, b: number, out: Float32Array, o: number): void {
  const d = f16(u, b);
  for (let j = 0; j < 16; j++) {
    const q = u[b + 2 + j] as number;
    out[o + j] = d * ((q & 0xf) - 8);
    out[o + j + 16] = d * ((q >> 4) - 8);
  }
}

/** The 6-bit scale and min of sub-block j from the 12 packed bytes at `s` (ggml's get_scale_min_k4). */
function scaleMinK4(j: number, u: Uint8Array, s: number, into: Float64Array): void {
  if (j < 4) {
    into[0] = (u[s + j] as number) & 63;
    into[1] = (u[s + j + 4] as number) & 63;
  } else {
    into[0] = ((u[s + j + 4] as number) & 0xf) | (((u[s + j - 4] as number) >> 6) << 4);
    into[1] = ((u[s + j + 4] as number) >> 4) | (((u[s + j] as number) >> 6) << 4);
  }
}

const sm1 = new Float64Array(2);
const sm2 = new Float64Array(2);

const q4_K = (u: Uint8Array, _s8: Int8Array, b: number, out: Float32Array, o: number): void => q45_K(u, b, out, o, false);
const q5_K = (u: Uint8Array, _s8: Int8Array, b: number, out: Float32Array, o: number): void => q45_K(u, b, out, o, true);

/** Q4_K: d, dmin, scales[12], qs[128]. Q5_K: d, dmin, scales[12], qh[32], qs[128]. */
function q45_K(u: Uint8Array, b: number, out: Float32Array, o: number, five: boolean): void {
  const d = f16(u, b);
  const dmin = f16(u, b + 2);
  const qh = b + 16;
  let ql = five ? b + 48 : b + 16;
  for (let j = 0, is = 0; j < 256; j += 64, is += 2) {
    scaleMinK4(is, u, b + 4, sm1);
    scaleMinK4(is + 1, u, b + 4, sm2);
    const d1 = d * (sm1[0] as number);
    const m1 = dmin * (sm1[1] as number);
    const d2 = d * (sm2[0] as number);
    const m2 = dmin * (sm2[1] as number);
    const u1 = 1 << is;
    const u2 = 2 << is;
    for (let l = 0; l < 32; l++) {
      const q = u[ql + l] as number;
      const h = five ? (u[qh + l] as number) : 0;
      out[o + j + l] = d1 * ((q & 0xf) + (h & u1 ? 16 : 0)) - m1;
      out[o + j + 32 + l] = d2 * ((q >> 4) + (h & u2 ? 16 : 0)) - m2;
    }
    ql += 32;
  }
}

/** Q6_K: ql[128], qh[64], scales int8[16], d. */
function q6_K(u: Uint8Array, s8: Int8Array, b: number, out: Float32Array, o: number): void {
  const d = f16(u, b + 208);
  for (let n = 0; n < 2; n++) {
    const ql = b + 64 * n;
    const qh = b + 128 + 32 * n;
    const sc = b + 192 + 8 * n;
    const y = o + 128 * n;
    for (let l = 0; l < 32; l++) {
      const is = sc + (l >> 4);
      const h = u[qh + l] as number;
      const lo = u[ql + l] as number;
      const hi = u[ql + l + 32] as number;
      out[y + l] = d * (s8[is] as number) * (((lo & 0xf) | ((h & 3) << 4)) - 32);
      out[y + l + 32] = d * (s8[is + 2] as number) * (((hi & 0xf) | (((h >> 2) & 3) << 4)) - 32);
      out[y + l + 64] = d * (s8[is + 4] as number) * (((lo >> 4) | (((h >> 4) & 3) << 4)) - 32);
      out[y + l + 96] = d * (s8[is + 6] as number) * (((hi >> 4) | (((h >> 6) & 3) << 4)) - 32);
    }
  }
}
