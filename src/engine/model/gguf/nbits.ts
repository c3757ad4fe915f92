/**
 * GGUF blocks rewritten into onnxruntime's `MatMulNBits` layout without a float32 copy of the
 * weight (docs/gguf.md, "Quantised tensors in the graph"). Each mapping reproduces ggml's
 * dequantisation exactly: W[n, k] = (code − zero) · scale + offset, per block b = k / block:
 *   Q4_0  4-bit, block 32, no zero points (the default 8): code = q,        scale = d
 *   Q8_0  8-bit, block 32, no zero points (the default 128): code = q + 128, scale = d
 *   Q6_K  8-bit, block 16, no zero points: code = q6 − 32 + 128,            scale = d · sc
 *   Q4_K  4-bit, block 32, no zero points: code = q,                        scale = d · sc, offset = 8 · d · sc − dmin · m
 *   Q5_K  8-bit, block 32, no zero points: code = q5 + 112,                 scale = d · sc, offset = 16 · d · sc − dmin · m
 * An f16 times a ≤ 8-bit integer is exact in float32, so the scales are the very products quants.ts
 * forms. MatMulNBits has no exact form with fractional zero points at 8 bits (float zero points run
 * 4-bit only, on a slow path that dequantises every call), hence the offsets, which the graph adds
 * as the block sums of x times them. The K-quant codes are centred (q − 8, q − 16) so the int8
 * activations of accuracy_level 4 multiply codes half as large; the offset then holds the centre,
 * one float32 rounding of 8·d·sc − dmin·m (exact whenever its 17-bit terms are < 2^7 apart in scale).
 */
import type { NBitsBlocks, StoredNBits } from '../../weights/types';
import { halfToFloat } from '../dtypes';
import { GGML } from './quants';

export type NBitsForm = Omit<StoredNBits, 'read'>;

const FORMS: Readonly<Record<number, NBitsForm>> = {
  [GGML.Q4_0]: { format: 'Q4_0', bits: 4, block: 32, zeroPoints: false, offsets: false },
  [GGML.Q8_0]: { format: 'Q8_0', bits: 8, block: 32, zeroPoints: false, offsets: false },
  [GGML.Q6_K]: { format: 'Q6_K', bits: 8, block: 16, zeroPoints: false, offsets: false },
  [GGML.Q4_K]: { format: 'Q4_K', bits: 4, block: 32, zeroPoints: false, offsets: true },
  [GGML.Q5_K]: { format: 'Q5_K', bits: 8, block: 32, zeroPoints: false, offsets: true },
};

/** The MatMulNBits form of a ggml type, or undefined (float types). */
export function nbitsForm(type: number): NBitsForm | undefined {
  return FORMS[type];
}

const f16 = (u: Uint8Array, b: number): number => halfToFloat((u[b] as number) | ((u[b + 1] as number) << 8));

/** Converts one tensor's blocks (`bytes`, N rows of K elements) into MatMulNBits' layout. */
export function toNBits(bytes: Uint8Array, type: number, N: number, K: number): NBitsBlocks {
  const form = FORMS[type];
  if (!form) throw new Error(`gguf: type ${type} has no MatMulNBits form`);
  const kBlocks = K / form.block;
  const blob = (form.block * form.bits) / 8;
  const out: NBitsBlocks = {
    packed: new Uint8Array(N * kBlocks * blob), // [N, kBlocks, blob]
    scales: new Float32Array(N * kBlocks), // [N * kBlocks]
    zeros: null, // no form needs zero points: the default (2^(bits−1)) centres every code
    offsets: form.offsets ? new Float32Array(N * kBlocks) : null, // [N, kBlocks]
  };
  const s8 = new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const convert = { [GGML.Q4_0]: q4_0, [GGML.Q8_0]: q8_0, [GGML.Q6_K]: q6_K, [GGML.Q4_K]: q4_K, [GGML.Q5_K]: q5_K }[type] as Converter;
  // Blocks of the file and of MatMulNBits run in the same row-major order; `g` counts the file's blocks.
  const per = { [GGML.Q4_0]: [32, 18], [GGML.Q8_0]: [32, 34], [GGML.Q6_K]: [256, 210], [GGML.Q4_K]: [256, 144], [GGML.Q5_K]: [256, 176] }[type] as [number, number];
  for (let g = 0, n = (N * K) / per[0]; g < n; g++) convert(bytes, s8, g * per[1], out, (g * per[0]) / form.block);
  return out;
}

/** Writes the file's block at byte `b` into `out` starting at MatMulNBits block `o`. */
type Converter = (u: Uint8Array, s8: Int8Array, b: number, out: NBitsBlocks, o: number) => void;

/** Q4_0: low nibbles are elements 0..15, high 16..31; MatMulNBits wants element 2i low, 2i+1 high of byte i. */
function q4_0(u: Uint8Array, _s8: Int8Array, b: number, out: NBitsBlocks, o: number): void {
  out.scales[o] = f16(u, b);
  const p = o * 16;
  for (let i = 0; i < 16; i++) {
    const e0 = 2 * i; // elements 2i and 2i+1 of the block
    const lo = e0 < 16 ? (u[b + 2 + e0] as number) & 0xf : (u[b + 2 + e0 - 16] as number) >> 4;
    const hi = e0 + 1 < 16 ? (u[b + 3 + e0] as number) & 0xf : (u[b + 3 + e0 - 16] as number) >> 4;
    out.packed[p + i] = lo | (hi << 4);
  }
}

function q8_0(u: Uint8Array, _s8: Int8Array, b: number, out: NBitsBlocks, o: number): void {
  out.scales[o] = f16(u, b);
  const p = o * 32;
  for (let j = 0; j < 32; j++) out.packed[p + j] = (u[b + 2 + j] as number) ^ 0x80; // int8 q -> q + 128
}

/** Q6_K: ql[128], qh[64], scales int8[16], d; 16 blocks of 16, block g scaled by scales[g]. */
function q6_K(u: Uint8Array, s8: Int8Array, b: number, out: NBitsBlocks, o: number): void {
  const d = f16(u, b + 208);
  for (let g = 0; g < 16; g++) out.scales[o + g] = d * (s8[b + 192 + g] as number);
  const p = o * 16;
  for (let n = 0; n < 2; n++) {
    const ql = b + 64 * n;
    const qh = b + 128 + 32 * n;
    const y = p + 128 * n;
    for (let l = 0; l < 32; l++) {
      const h = u[qh + l] as number;
      const lo = u[ql + l] as number;
      const hi = u[ql + l + 32] as number;
      // 6-bit q − 32 + 128 = q + 96
      out.packed[y + l] = ((lo & 0xf) | ((h & 3) << 4)) + 96;
      out.packed[y + l + 32] = ((hi & 0xf) | (((h >> 2) & 3) << 4)) + 96;
      out.packed[y + l + 64] = ((lo >> 4) | (((h >> 4) & 3) << 4)) + 96;
      out.packed[y + l + 96] = ((hi >> 4) | (((h >> 6) & 3) << 4)) + 96;
    }
  }
}

/** The 6-bit scale and min of sub-block j from the 12 packed bytes at `s` (ggml's get_scale_min_k4). */
function scaleMin(j: number, u: Uint8Array, s: number): [number, number] {
  if (j < 4) return [(u[s + j] as number) & 63, (u[s + j + 4] as number) & 63];
  return [((u[s + j + 4] as number) & 0xf) | (((u[s + j - 4] as number) >> 6) << 4), ((u[s + j + 4] as number) >> 4) | (((u[s + j] as number) >> 6) << 4)];
}

/** Q4_K / Q5_K: 8 blocks of 32, scale d·sc and offset centre·d·sc − dmin·m each (codes are q − centre). */
function kScales(u: Uint8Array, b: number, out: NBitsBlocks, o: number, centre: number): void {
  const d = f16(u, b);
  const dmin = f16(u, b + 2);
  const offsets = out.offsets as Float32Array;
  for (let j = 0; j < 8; j++) {
    const [sc, m] = scaleMin(j, u, b + 4);
    out.scales[o + j] = d * sc;
    offsets[o + j] = centre * d * sc - dmin * m;
  }
}

/** Q4_K: qs[128] at b + 16; chunk c of 64 elements: block 2c from the low nibbles of qs[32c..], 2c+1 from the high. */
function q4_K(u: Uint8Array, _s8: Int8Array, b: number, out: NBitsBlocks, o: number): void {
  kScales(u, b, out, o, 8);
  for (let c = 0; c < 4; c++) {
    const qs = b + 16 + 32 * c;
    const p0 = (o + 2 * c) * 16;
    const p1 = p0 + 16;
    for (let i = 0; i < 16; i++) {
      const a = u[qs + 2 * i] as number;
      const z = u[qs + 2 * i + 1] as number;
      out.packed[p0 + i] = (a & 0xf) | ((z & 0xf) << 4);
      out.packed[p1 + i] = (a >> 4) | (z & 0xf0);
    }
  }
}

/** Q5_K: qh[32] at b + 16, qs[128] at b + 48; the fifth bit of block 2c is bit 2c of qh, of 2c+1 bit 2c+1. */
function q5_K(u: Uint8Array, _s8: Int8Array, b: number, out: NBitsBlocks, o: number): void {
  kScales(u, b, out, o, 16);
  for (let c = 0; c < 4; c++) {
    const qs = b + 48 + 32 * c;
    const p0 = (o + 2 * c) * 32;
    for (let l = 0; l < 32; l++) {
      const q = u[qs + l] as number;
      const h = u[b + 16 + l] as number;
      // q5 − 16 + 128 = q5 + 112
      out.packed[p0 + l] = (q & 0xf) + ((h >> (2 * c)) & 1 ? 16 : 0) + 112;
      out.packed[p0 + 32 + l] = (q >> 4) + ((h >> (2 * c + 1)) & 1 ? 16 : 0) + 112;
    }
  }
}

/**
 * Undoes llama.cpp's q/k row permutation on the blocks (rows move whole: HF row h·hd + s·hd/2 + i
 * is GGUF row h·hd + 2i + s, as `unpermuteRows` does for float32).
 */
export function unpermuteNBits(x: NBitsBlocks, heads: number, N: number): NBitsBlocks {
  const rows = <T extends Uint8Array | Float32Array>(a: T): T => {
    const cols = a.length / N;
    const hd = N / heads;
    const out = a.slice() as T;
    for (let h = 0; h < heads; h++) {
      for (let s = 0; s < 2; s++) {
        for (let i = 0; i < hd / 2; i++) out.set(a.subarray((h * hd + 2 * i + s) * cols, (h * hd + 2 * i + s + 1) * cols), (h * hd + s * (hd / 2) + i) * cols);
      }
    }
    return out;
  };
  return { packed: rows(x.packed), scales: rows(x.scales), zeros: x.zeros && rows(x.zeros), offsets: x.offsets && rows(x.offsets) };
}
