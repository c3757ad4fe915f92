/**
 * Small order statistics shared by the metrics.
 * Median convention (used everywhere in SinkLens): for an even count, the mean of the two middle
 * values; the median of an empty list is NaN (callers decide what an empty set means).
 */
import type { FloatArray } from './types';

/** Median of `values` (not modified). O(n) expected time via quickselect on a float64 copy. */
export function median(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) return NaN;
  const a = Float64Array.from(values as ArrayLike<number>);
  return medianInPlace(a);
}

/** Median of |values| (not modified). Float32 input (hidden states) takes the radix select below. */
export function medianAbs(values: FloatArray): number {
  if (values instanceof Float32Array && values.length > 0) return medianAbsF32(values);
  const a = new Float64Array(values.length);
  for (let i = 0; i < a.length; i++) a[i] = Math.abs(values[i] as number);
  return a.length === 0 ? NaN : medianInPlace(a);
}

/**
 * Median of |x| over float32 values without copying them: a non-negative float32's bit pattern orders
 * like its value, so |x| (sign bit cleared) is ranked by a radix select on the bits: a histogram of
 * the top 16 bits finds the bucket of rank k, a second of the low 16 bits within it the exact value.
 * O(n), a few passes; quickselect on a float64 copy took ~25 ms for a 1024 x 768 layer.
 */
export function medianAbsF32(values: Float32Array): number {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const n = bits.length;
  if (n === 0) return NaN;
  const top = new Uint32Array(65536); // counts by the top 16 bits of |x|
  for (let i = 0; i < n; i++) top[((bits[i] as number) & 0x7fffffff) >>> 16]++;
  const low = new Uint32Array(65536); // counts by the low 16 bits, within one bucket
  const hi = n >> 1;
  const upper = bucketOf(top, hi);
  lowCounts(bits, upper.bucket, low);
  const up = valueAt(upper, low);
  if (n % 2 === 1) return up;
  // The lower middle rank: in the same bucket unless the upper one starts a bucket.
  const lower = bucketOf(top, hi - 1);
  if (lower.bucket !== upper.bucket) lowCounts(bits, lower.bucket, low);
  return (valueAt(lower, low) + up) / 2;
}

/** The top-16-bit bucket holding rank k (0-based), and the rank within it (also massiveRadix.ts). */
export function bucketOf(top: ArrayLike<number>, k: number): { bucket: number; rank: number } {
  let bucket = 0;
  let below = 0;
  while (below + (top[bucket] as number) <= k) below += top[bucket++] as number;
  return { bucket, rank: k - below };
}

function lowCounts(bits: Uint32Array, bucket: number, low: Uint32Array): void {
  low.fill(0);
  for (let i = 0; i < bits.length; i++) {
    const b = (bits[i] as number) & 0x7fffffff;
    if (b >>> 16 === bucket) low[b & 0xffff]++;
  }
}

const asFloat = new Float32Array(1);
const asBits = new Uint32Array(asFloat.buffer);

/** The float32 whose bit pattern is `bits` (the radix passes here and in massiveRadix.ts order |x| by its bits). */
export const floatOfBits = (bits: number): number => ((asBits[0] = bits), asFloat[0] as number);
/** The bit pattern of `v` rounded to float32, as an unsigned integer. */
export const bitsOfFloat = (v: number): number => ((asFloat[0] = v), asBits[0] as number);

/** The float32 |x| of the given rank within its bucket, from that bucket's low-16-bit counts (also massiveRadix.ts). */
export function valueAt(at: { bucket: number; rank: number }, low: ArrayLike<number>): number {
  let lo = 0;
  let rank = at.rank;
  while (rank >= (low[lo] as number)) rank -= low[lo++] as number;
  return floatOfBits((at.bucket << 16) | lo);
}

/** Median that reorders `a`. */
export function medianInPlace(a: Float64Array): number {
  const n = a.length;
  if (n === 0) return NaN;
  const hi = n >> 1;
  const upper = select(a, hi);
  if (n % 2 === 1) return upper;
  // After selecting index hi, a[0..hi-1] holds the hi smallest values; their max is the lower middle.
  let lower = -Infinity;
  for (let i = 0; i < hi; i++) if ((a[i] as number) > lower) lower = a[i] as number;
  return (lower + upper) / 2;
}

/**
 * k-th smallest value (0-based) of `a`, which is partially reordered: afterwards a[k] is that value,
 * everything before it is <= and everything after it is >=. Hoare partition with median-of-three
 * pivots; NaN-free input assumed.
 */
export function select(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    const x = a[lo] as number;
    const y = a[mid] as number;
    const z = a[hi] as number;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((a[i] as number) < pivot) i++;
      while ((a[j] as number) > pivot) j--;
      if (i <= j) {
        const t = a[i] as number;
        a[i] = a[j] as number;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k] as number;
  }
  return a[k] as number;
}
