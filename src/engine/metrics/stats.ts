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

/** Median of |values| (not modified). */
export function medianAbs(values: FloatArray): number {
  const a = new Float64Array(values.length);
  for (let i = 0; i < a.length; i++) a[i] = Math.abs(values[i] as number);
  return a.length === 0 ? NaN : medianInPlace(a);
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
