/**
 * float32 <-> F16 / BF16 bit conversions, written from IEEE 754 (independent of the engine's
 * loader). F16 and BF16 are produced with round-to-nearest-even, as torch does for `.half()` /
 * `.bfloat16()`; the widening functions are exact.
 */

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

/** float32 bit pattern -> bfloat16 bits (the high half), round-to-nearest-even; NaN stays a quiet NaN. */
export function bf16FromF32Bits(bits: number): number {
  if ((bits & 0x7f800000) === 0x7f800000 && bits & 0x7fffff) return ((bits >>> 16) | 0x40) & 0xffff;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

/** float32 -> bfloat16 bits, round-to-nearest-even. */
export function f32ToBf16Bits(x: number): number {
  f32[0] = x;
  return bf16FromF32Bits(u32[0] as number);
}

export function bf16BitsToF32(b: number): number {
  u32[0] = (b << 16) >>> 0;
  return f32[0] as number;
}
