/** Token norms and the BOS norm ratio (metrics.md "Token norms"). */
import { median } from './stats';
import type { FloatArray } from './types';

/** ||h[t]||_2 for each row of h [T, d], accumulated in float64. Returns [T]. */
export function tokenNorms(h: FloatArray, T: number, d: number): Float64Array {
  const out = new Float64Array(T); // [T]
  for (let t = 0; t < T; t++) {
    let s = 0;
    for (let j = t * d, e = j + d; j < e; j++) s += (h[j] as number) * (h[j] as number);
    out[t] = Math.sqrt(s);
  }
  return out;
}

/**
 * Median of the norms of tokens t >= 1 (even counts: mean of the two middle values).
 * With a single token there are no others: returns 0, so that bosRatio reports 0 rather than NaN.
 */
export function medianOtherNorm(norms: ArrayLike<number>): number {
  if (norms.length < 2) return 0;
  return median(Array.from(norms).slice(1));
}

/**
 * bosRatio = norm[0] / median_{t>=1} norm[t]. Defined as 0 when the median is 0 (T = 1, or all other
 * rows zero): no reference to compare against, and JSON cannot carry Infinity.
 */
export function bosRatio(norms: ArrayLike<number>): number {
  const med = medianOtherNorm(norms);
  return med > 0 ? (norms[0] as number) / med : 0;
}
