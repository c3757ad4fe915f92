/**
 * Quantisers for the GGUF writer, written from the block layouts of ggml's `ggml-common.h`
 * (independent of the engine's decoder): Q8_0 and Q4_0 (blocks of 32, one f16 scale), Q4_K and
 * Q5_K (super-blocks of 256: f16 d and dmin, 8 sub-blocks of 32 with 6-bit scales and mins packed
 * in 12 bytes), Q6_K (super-blocks of 256: 16 sub-blocks of 16 with int8 scales, f16 d).
 * Simple round-to-nearest quantisers, not llama.cpp's error-minimising searches: the decoded
 * values obey the same layout, and the worst-case error is the format's step / 2 per element.
 */
import { f16BitsToF32, f32ToF16Bits } from './float16';

export type GgufQuant = 'Q8_0' | 'Q4_0' | 'Q4_K' | 'Q5_K' | 'Q6_K';

/** ggml type id, elements per block, bytes per block. */
export const QUANT_LAYOUT: Readonly<Record<GgufQuant, { id: number; block: number; bytes: number }>> = {
  Q4_0: { id: 2, block: 32, bytes: 18 },
  Q8_0: { id: 8, block: 32, bytes: 34 },
  Q4_K: { id: 12, block: 256, bytes: 144 },
  Q5_K: { id: 13, block: 256, bytes: 176 },
  Q6_K: { id: 14, block: 256, bytes: 210 },
};

/** An f16-representable scale (what the block stores), as a number. */
function half(x: number): { bits: number; value: number } {
  const bits = f32ToF16Bits(x);
  return { bits, value: f16BitsToF32(bits) };
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

function q8_0(x: Float32Array, o: number, out: DataView, b: number): void {
  let amax = 0;
  for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[o + j] as number));
  const d = half(amax / 127);
  out.setUint16(b, d.bits, true);
  for (let j = 0; j < 32; j++) out.setInt8(b + 2 + j, d.value ? clamp(Math.round((x[o + j] as number) / d.value), -127, 127) : 0);
}

function q4_0(x: Float32Array, o: number, out: DataView, b: number): void {
  let max = 0;
  for (let j = 0; j < 32; j++) if (Math.abs(x[o + j] as number) > Math.abs(max)) max = x[o + j] as number;
  const d = half(max / -8); // the extreme value maps to -8
  out.setUint16(b, d.bits, true);
  const q = (v: number) => (d.value ? clamp(Math.round(v / d.value) + 8, 0, 15) : 8);
  for (let j = 0; j < 16; j++) out.setUint8(b + 2 + j, q(x[o + j] as number) | (q(x[o + j + 16] as number) << 4));
}

/** Packs 8 six-bit scales and mins into 12 bytes (the inverse of ggml's get_scale_min_k4). */
function packScalesMins(sc: number[], m: number[], out: DataView, at: number): void {
  for (let j = 0; j < 12; j++) out.setUint8(at + j, 0);
  const or = (k: number, v: number) => out.setUint8(at + k, out.getUint8(at + k) | v);
  for (let j = 0; j < 8; j++) {
    const s = sc[j] as number;
    const mm = m[j] as number;
    if (j < 4) {
      or(j, s);
      or(j + 4, mm);
    } else {
      or(j + 4, (s & 0xf) | ((mm & 0xf) << 4));
      or(j - 4, (s >> 4) << 6);
      or(j, (mm >> 4) << 6);
    }
  }
}

/** Q4_K (levels 15) or Q5_K (levels 31): x ≈ d·sc·q − dmin·m per sub-block of 32. Returns q per element. */
function kQuant(x: Float32Array, o: number, out: DataView, b: number, levels: number): number[] {
  const scale: number[] = [];
  const mins: number[] = [];
  for (let s = 0; s < 8; s++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let l = 0; l < 32; l++) {
      lo = Math.min(lo, x[o + 32 * s + l] as number);
      hi = Math.max(hi, x[o + 32 * s + l] as number);
    }
    lo = Math.min(lo, 0); // ggml stores m = −min ≥ 0
    scale.push((hi - lo) / levels);
    mins.push(-lo);
  }
  const d = half(Math.max(...scale) / 63);
  const dmin = half(Math.max(...mins) / 63);
  const sc = scale.map((v) => (d.value ? clamp(Math.round(v / d.value), 0, 63) : 0));
  const m = mins.map((v) => (dmin.value ? clamp(Math.round(v / dmin.value), 0, 63) : 0));
  out.setUint16(b, d.bits, true);
  out.setUint16(b + 2, dmin.bits, true);
  packScalesMins(sc, m, out, b + 4);
  const q: number[] = [];
  for (let i = 0; i < 256; i++) {
    const s = i >> 5;
    const step = d.value * (sc[s] as number);
    q.push(step ? clamp(Math.round(((x[o + i] as number) + dmin.value * (m[s] as number)) / step), 0, levels) : 0);
  }
  return q;
}

function q4_K(x: Float32Array, o: number, out: DataView, b: number): void {
  const q = kQuant(x, o, out, b, 15);
  for (let j = 0; j < 256; j += 64) {
    for (let l = 0; l < 32; l++) out.setUint8(b + 16 + j / 2 + l, (q[j + l] as number) | ((q[j + 32 + l] as number) << 4));
  }
}

function q5_K(x: Float32Array, o: number, out: DataView, b: number): void {
  const q = kQuant(x, o, out, b, 31);
  for (let l = 0; l < 32; l++) out.setUint8(b + 16 + l, 0);
  for (let j = 0, k = 0; j < 256; j += 64, k++) {
    for (let l = 0; l < 32; l++) {
      const q1 = q[j + l] as number;
      const q2 = q[j + 32 + l] as number;
      out.setUint8(b + 48 + j / 2 + l, (q1 & 0xf) | ((q2 & 0xf) << 4));
      out.setUint8(b + 16 + l, out.getUint8(b + 16 + l) | ((q1 >> 4) << (2 * k)) | ((q2 >> 4) << (2 * k + 1)));
    }
  }
}

function q6_K(x: Float32Array, o: number, out: DataView, b: number): void {
  const scale: number[] = [];
  for (let s = 0; s < 16; s++) {
    let amax = 0;
    for (let l = 0; l < 16; l++) amax = Math.max(amax, Math.abs(x[o + 16 * s + l] as number));
    scale.push(amax / 31);
  }
  const d = half(Math.max(...scale) / 127);
  const sc = scale.map((v) => (d.value ? clamp(Math.round(v / d.value), 0, 127) : 0));
  const q = Array.from({ length: 256 }, (_, i) => {
    const step = d.value * (sc[i >> 4] as number);
    return step ? clamp(Math.round((x[o + i] as number) / step), -32, 31) + 32 : 32;
  });
  for (let n = 0; n < 2; n++) {
    for (let l = 0; l < 32; l++) {
      const [q1, q2, q3, q4] = [0, 32, 64, 96].map((k) => q[128 * n + l + k] as number) as [number, number, number, number];
      out.setUint8(b + 64 * n + l, (q1 & 0xf) | ((q3 & 0xf) << 4));
      out.setUint8(b + 64 * n + l + 32, (q2 & 0xf) | ((q4 & 0xf) << 4));
      out.setUint8(b + 128 + 32 * n + l, (q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
    }
  }
  sc.forEach((s, i) => out.setInt8(b + 192 + i, s));
  out.setUint16(b + 208, d.bits, true);
}

const QUANTISERS: Readonly<Record<GgufQuant, (x: Float32Array, o: number, out: DataView, b: number) => void>> = { Q8_0: q8_0, Q4_0: q4_0, Q4_K: q4_K, Q5_K: q5_K, Q6_K: q6_K };

/** Quantises `x` (a whole number of blocks) into the bytes of `type`. */
export function quantize(x: Float32Array, type: GgufQuant): Uint8Array {
  const { block, bytes } = QUANT_LAYOUT[type];
  if (x.length % block !== 0) throw new Error(`quantize ${type}: ${x.length} values are not whole blocks of ${block}`);
  const out = new Uint8Array((x.length / block) * bytes);
  const view = new DataView(out.buffer);
  for (let i = 0; i < x.length / block; i++) QUANTISERS[type](x, i * block, view, i * bytes);
  return out;
}
