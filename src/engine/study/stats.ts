/**
 * Small pure statistics for studies: mean and interquartile band of a sample, and the linear
 * interpolation that puts per-layer curves of models with different depths on one relative-depth grid.
 */
import type { Stat } from '../../shared/study';

export const EMPTY_STAT: Stat = { mean: null, q1: null, median: null, q3: null, n: 0 };

/**
 * The p-quantile of ascending `sorted` by linear interpolation between order statistics
 * (Hyndman-Fan type 7, numpy's default): position h = (n - 1) p, value x[⌊h⌋] + (h - ⌊h⌋)(x[⌊h⌋+1] - x[⌊h⌋]).
 */
export function quantileSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('quantile of an empty sample');
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const a = sorted[lo] as number;
  return a + (h - lo) * ((sorted[hi] as number) - a);
}

/** Mean, quartiles and count of the finite values among `xs` (null, NaN and ±Infinity are left out). */
export function stat(xs: readonly (number | null | undefined)[]): Stat {
  const v = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return { ...EMPTY_STAT };
  const mean = v.reduce((s, x) => s + x, 0) / v.length;
  return { mean, q1: quantileSorted(v, 0.25), median: quantileSorted(v, 0.5), q3: quantileSorted(v, 0.75), n: v.length };
}

/** Relative-depth grid: `points` evenly spaced values 0, 1/(points-1), ..., 1. */
export function depthGrid(points: number): number[] {
  if (points < 2) return [0, 1];
  return Array.from({ length: points }, (_, i) => i / (points - 1));
}

/**
 * Linear interpolation of a per-layer series y[0..L] (layer l sits at relative depth l / L) onto `grid`.
 * Null entries (e.g. sink rate at h[0]) are gaps: a grid point between a null and a value, or outside
 * the layers that have values, is null; nothing is extrapolated.
 */
export function interpolateOnDepth(y: readonly (number | null)[], grid: readonly number[]): (number | null)[] {
  const L = y.length - 1;
  if (L < 1) return grid.map(() => (y.length === 1 && grid.length ? (y[0] ?? null) : null));
  return grid.map((g) => {
    const x = g * L;
    const lo = Math.floor(x + 1e-9);
    const frac = x - lo;
    const a = y[Math.min(lo, L)] ?? null;
    if (frac < 1e-9 || lo >= L) return a;
    const b = y[lo + 1] ?? null;
    if (a === null || b === null) return null;
    return a + frac * (b - a);
  });
}

/** Interpolates each field of a per-layer Stat series onto the grid (n is taken from the nearer layer). */
export function interpolateStats(stats: readonly Stat[], grid: readonly number[]): Stat[] {
  const field = (k: 'mean' | 'q1' | 'median' | 'q3'): (number | null)[] => interpolateOnDepth(stats.map((s) => s[k]), grid);
  const [mean, q1, median, q3] = [field('mean'), field('q1'), field('median'), field('q3')];
  const L = stats.length - 1;
  return grid.map((g, i) => ({
    mean: mean[i] ?? null,
    q1: q1[i] ?? null,
    median: median[i] ?? null,
    q3: q3[i] ?? null,
    n: mean[i] === null ? 0 : (stats[Math.round(g * L)]?.n ?? 0),
  }));
}
