/**
 * Safetensors dtypes: their byte sizes, and conversion of a raw little-endian byte range into a
 * float32 array. Compute is always float32, so every stored dtype is widened (or narrowed, for
 * F64/I64) once, tensor by tensor, as it is read.
 */
import { SinkLensError } from '../../shared/errors';

/** Bytes per element of every dtype the safetensors format defines. */
export const DTYPE_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
};

/** The dtypes `toFloat32` can convert. */
export const CONVERTIBLE_DTYPES: ReadonlySet<string> = new Set(['F32', 'F16', 'BF16', 'F64', 'I64', 'I32']);

// Shared scratch views used to assemble float32 bit patterns without allocating per element.
const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** IEEE half -> float32, exact for every value (subnormals, infinities and NaN included). */
export function halfToFloat(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) {
    // Zero or subnormal: value = mant * 2^-24, exactly representable in float32.
    const v = mant * 5.960464477539063e-8;
    return sign ? -v : v;
  }
  if (exp === 0x1f) {
    u32Scratch[0] = sign | 0x7f800000 | (mant << 13);
    return f32Scratch[0] as number;
  }
  u32Scratch[0] = sign | ((exp + 112) << 23) | (mant << 13);
  return f32Scratch[0] as number;
}

/** 16-bit floats -> float32 into `out` (src.length values), exactly; bfloat16 is the top half of a float32. */
export function widen16Into(src: Uint16Array, dtype: 'F16' | 'BF16', out: Float32Array): void {
  const n = src.length;
  if (dtype === 'BF16') {
    const bits = new Uint32Array(out.buffer, out.byteOffset, n);
    for (let i = 0; i < n; i++) bits[i] = (src[i] as number) << 16;
  } else {
    for (let i = 0; i < n; i++) out[i] = halfToFloat(src[i] as number);
  }
}

/**
 * Converts `bytes` (a fresh buffer holding exactly one tensor, offset 0, so typed views are
 * aligned) into float32. F32 is returned as a zero-copy view of the same buffer.
 */
export function toFloat32(bytes: Uint8Array, dtype: string, what: string): Float32Array {
  if (bytes.byteOffset % 8 !== 0) throw new Error(`toFloat32: unaligned buffer for ${what}`);
  const buf = bytes.buffer;
  const off = bytes.byteOffset;
  switch (dtype) {
    case 'F32':
      return new Float32Array(buf, off, bytes.byteLength / 4);
    case 'F16':
    case 'BF16': {
      const src = new Uint16Array(buf, off, bytes.byteLength / 2);
      const out = new Float32Array(src.length);
      widen16Into(src, dtype, out);
      return out;
    }
    case 'F64':
      return Float32Array.from(new Float64Array(buf, off, bytes.byteLength / 8));
    case 'I64': {
      const src = new BigInt64Array(buf, off, bytes.byteLength / 8);
      const out = new Float32Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = Number(src[i]);
      return out;
    }
    case 'I32':
      return Float32Array.from(new Int32Array(buf, off, bytes.byteLength / 4));
    default:
      throw new SinkLensError(
        'corruptWeights',
        `Tensor ${what} has dtype ${dtype}, which SinkLens cannot convert to float32.`,
        `Supported dtypes: ${[...CONVERTIBLE_DTYPES].join(', ')}. Re-save the model in float32, float16 or bfloat16.`,
      );
  }
}
