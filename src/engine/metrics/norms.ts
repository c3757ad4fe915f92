/** Token norms and the BOS norm ratio (metrics.md "Token norms"). */
import { median } from './stats';
import type { FloatArray } from './types';

/**
 * ||h[t]||_2 for each row of h [T, d], accumulated in float64. Returns [T]. Four partial sums per
 * row: one sum would make every add wait for the previous one (~2x slower on a 1024 x 768 layer).
 */
export function tokenNorms(h: FloatArray, T: number, d: number): Float64Array {
  const out = new Float64Array(T); // [T]
  const d4 = d & ~3;
  for (let t = 0; t < T; t++) {
    const o = t * d;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let j = 0; j < d4; j += 4) {
      const a = h[o + j] as number;
      const b = h[o + j + 1] as number;
      const c = h[o + j + 2] as number;
      const e = h[o + j + 3] as number;
      s0 += a * a;
      s1 += b * b;
      s2 += c * c;
      s3 += e * e;
    }
    for (let j = d4; j < d; j++) s0 += (h[o + j] as number) ** 2;
    out[t] = Math.sqrt(s0 + s1 + (s2 + s3));
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
