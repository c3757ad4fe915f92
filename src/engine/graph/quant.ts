/**
 * Weight precisions as pure functions: block-wise 4/8-bit quantisation in the layout of
 * onnxruntime's com.microsoft `MatMulNBits`, and float32 -> float16 conversion. No IO; one weight
 * matrix in, its packed form out, so a caller can stream a model tensor by tensor.
 *
 * MatMulNBits layout for a torch weight W [N, K] (y = x W^T):
 *   B       uint8  [N, kBlocks, blob]   blob = block * bits / 8; 4-bit: element 2i in the low
 *                                        nibble, 2i+1 in the high nibble of byte i
 *   scales  float  [N * kBlocks]
 *   zeros   uint8  [N * zpRowBytes]     4-bit: two per byte (block 2j low nibble, 2j+1 high);
 *                                        8-bit: one per block. Absent = 2^(bits-1).
 *   W[n, k] = (q[n, k] - zero[n, k / block]) * scale[n, k / block]
 * K is padded to a whole number of blocks; padded entries quantise 0 (they meet no input column).
 */

export type QuantBits = 4 | 8;

/** The quantisation scheme; the defaults are the measured choice (docs/PERFORMANCE.md). */
export interface QuantScheme {
  /** Per-block zero points (asymmetric ranges); false = symmetric, no zero-point input. */
  zeroPoints: Record<QuantBits, boolean>;
  /** MatMulNBits accuracy_level: 4 = quantise the activations to int8 per block and use int8 dot products. */
  accuracyLevel: number;
  /** Bits of an untied LM head in int4 mode (the logits and the logit lens read it). */
  headBitsInInt4: QuantBits;
}

/**
 * Measured (docs/PERFORMANCE.md): int4 zero points avoid a sink-rate flip symmetric int4 showed on a
 * real fixture (they cost ~35% of the int4 kernel's speed); int8 gains nothing from them.
 */
export const DEFAULT_QUANT_SCHEME: QuantScheme = { zeroPoints: { 4: true, 8: false }, accuracyLevel: 4, headBitsInInt4: 8 };

/** MatMulNBits block size used everywhere: 32 (finest block the CPU kernels support for both bit widths). */
export const QUANT_BLOCK = 32;

export interface NBitsLayout {
  N: number;
  K: number;
  bits: QuantBits;
  block: number;
  kBlocks: number;
  /** Bytes per block of one row. */
  blob: number;
  /** Bytes of zero points per row. */
  zpRowBytes: number;
}

export function nbitsLayout(N: number, K: number, bits: QuantBits, block = QUANT_BLOCK): NBitsLayout {
  if (!Number.isInteger(N) || !Number.isInteger(K) || N < 1 || K < 1) throw new Error(`quant: bad weight shape [${N}, ${K}]`);
  if (block < 16 || (block & (block - 1)) !== 0) throw new Error(`quant: block size ${block} must be a power of two >= 16`);
  const kBlocks = Math.ceil(K / block);
  return { N, K, bits, block, kBlocks, blob: (block * bits) / 8, zpRowBytes: bits === 4 ? Math.ceil(kBlocks / 2) : kBlocks };
}

export interface Quantized {
  layout: NBitsLayout;
  /** [N, kBlocks, blob] */
  packed: Uint8Array;
  /** [N * kBlocks] */
  scales: Float32Array;
  /** [N * zpRowBytes], or null for symmetric quantisation (the kernel's default zero point). */
  zeros: Uint8Array | null;
}

/** Byte sizes of the three MatMulNBits initializers, known before any weight is read. */
export function quantizedBytes(l: NBitsLayout, symmetric: boolean): { packed: number; scales: number; zeros: number } {
  return { packed: l.N * l.kBlocks * l.blob, scales: l.N * l.kBlocks * 4, zeros: symmetric ? 0 : l.N * l.zpRowBytes };
}

/**
 * Quantises W [N, K] (row-major, torch layout) block by block along K.
 * Asymmetric: the block's range [min(0, lo), max(0, hi)] maps onto 0..2^bits-1 with a zero point
 * (0 stays exact). Symmetric: scale = v / -2^(bits-1) for the largest-magnitude value v, so v is
 * exactly representable and the rest rounds into [-2^(bits-1), 2^(bits-1) - 1]; no zero points.
 */
export function quantizeBlockwise(w: Float32Array, N: number, K: number, bits: QuantBits, symmetric: boolean, block = QUANT_BLOCK): Quantized {
  if (w.length !== N * K) throw new Error(`quant: ${w.length} values for [${N}, ${K}]`);
  const out = allocQuantized(nbitsLayout(N, K, bits, block), symmetric, (n) => new ArrayBuffer(n));
  quantizeRows(w, 0, N, out);
  return out;
}

/** Zero-filled outputs for a layout, in buffers from `alloc` (ArrayBuffer, or SharedArrayBuffer for worker threads). */
export function allocQuantized(l: NBitsLayout, symmetric: boolean, alloc: (bytes: number) => ArrayBufferLike): Quantized {
  const sizes = quantizedBytes(l, symmetric);
  return {
    layout: l,
    packed: new Uint8Array(alloc(sizes.packed)),
    scales: new Float32Array(alloc(sizes.scales)),
    zeros: symmetric ? null : new Uint8Array(alloc(sizes.zeros)),
  };
}

/**
 * Rows n0..n1 of `out` (zero-filled where they are written) from `w`, which holds rows n0..n1 of W from
 * its start. Rows are independent (each has its own blocks, scales and zero-point bytes), so threads can
 * split a weight by rows and the result is the same bytes.
 */
export function quantizeRows(w: Float32Array, n0: number, n1: number, out: Quantized): void {
  const l = out.layout;
  const { K, block, kBlocks, blob, zpRowBytes } = l;
  if (w.length < (n1 - n0) * K) throw new Error(`quant: ${w.length} values for rows ${n0}..${n1} of [${l.N}, ${K}]`);
  const { packed, scales, zeros } = out;
  const qmax = (1 << l.bits) - 1;
  const half = 1 << (l.bits - 1);
  const q = new Uint8Array(block); // one block's codes
  for (let n = n0; n < n1; n++) {
    const row = (n - n0) * K;
    for (let b = 0; b < kBlocks; b++) {
      const k0 = row + b * block;
      const k1 = Math.min(row + K, k0 + block);
      const [scale, zp] = zeros ? asymmetricParams(w, k0, k1, qmax, half) : symmetricParams(w, k0, k1, half);
      const inv = scale === 0 ? 0 : 1 / scale;
      q.fill(zp);
      // floor(x + 0.5) = Math.round; the clamp keeps rounding at the range ends in the code range.
      for (let k = k0; k < k1; k++) {
        const c = Math.floor((w[k] as number) * inv + zp + 0.5);
        q[k - k0] = c < 0 ? 0 : c > qmax ? qmax : c;
      }
      const at = n * kBlocks + b;
      scales[at] = scale;
      const base = at * blob;
      if (blob === block) packed.set(q, base);
      else for (let i = 0; i < blob; i++) packed[base + i] = (q[2 * i] as number) | ((q[2 * i + 1] as number) << 4);
      if (zeros) {
        if (blob === block) zeros[n * zpRowBytes + b] = zp;
        else zeros[n * zpRowBytes + (b >> 1)] |= zp << ((b & 1) * 4);
      }
    }
  }
}

/** scale = v / -half for the largest-magnitude v of w[k0..k1) (float32), zero point half. */
function symmetricParams(w: Float32Array, k0: number, k1: number, half: number): [number, number] {
  let v = 0;
  let m = 0;
  for (let k = k0; k < k1; k++) {
    const x = w[k] as number;
    const a = x < 0 ? -x : x;
    if (a > m) {
      m = a;
      v = x;
    }
  }
  return [Math.fround(v / -half), half];
}

/** The range [min(0, lo), max(0, hi)] onto 0..qmax: scale (float32) and the zero point. */
function asymmetricParams(w: Float32Array, k0: number, k1: number, qmax: number, half: number): [number, number] {
  let lo = 0;
  let hi = 0;
  for (let k = k0; k < k1; k++) {
    const x = w[k] as number;
    if (x < lo) lo = x;
    else if (x > hi) hi = x;
  }
  const scale = Math.fround((hi - lo) / qmax);
  return [scale, scale === 0 ? half : clamp(Math.round(-lo / scale), 0, qmax)];
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** float32 -> IEEE binary16 bits, round to nearest even; overflow -> ±Inf, NaN stays NaN. */
export function toFloat16(x: Float32Array): Uint16Array {
  const out = new Uint16Array(x.length);
  toFloat16Into(x, out);
  return out;
}

/** toFloat16 into `out` (at least x.length long). */
export function toFloat16Into(x: Float32Array, out: Uint16Array): void {
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  for (let i = 0; i < x.length; i++) {
    f[0] = x[i] as number;
    out[i] = halfBits(u[0] as number);
  }
}

function halfBits(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // Inf / NaN
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow
  if (e <= 0) {
    if (e < -10) return sign; // underflows to ±0
    mant |= 0x800000; // subnormal: shift the implicit 1 in, round to nearest even
    const shift = 14 - e;
    const halfway = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let m = mant >>> shift;
    if (rest > halfway || (rest === halfway && (m & 1) === 1)) m++;
    return sign | m;
  }
  let h = sign | (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h++; // a carry into the exponent is still right
  return h;
}
