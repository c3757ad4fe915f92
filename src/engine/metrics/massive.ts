/**
 * Massive activations (Sun et al. 2024; metrics.md "massive activations"): scalars of h[l] that are
 * huge in absolute terms (> 100) and relative to the layer (> 1000 x the median |h[l]|).
 */
import type { MassiveActivation, MassiveSummary } from '../../shared/result';
import { massiveRadix } from './massiveRadix';
import { medianAbs } from './stats';
import type { FloatArray } from './types';

export const MASSIVE_ABSOLUTE = 100;
export const MASSIVE_RELATIVE = 1000;

/**
 * Summary of one layer h [T, d]: top-k scalars by |value| (signed value reported, ties broken by
 * position), max and median of |h| over all T*d scalars, and the counts of scalars passing the
 * absolute test (|v| > 100 and > 1000 x median) and the relative test only (> 1000 x median but
 * |v| <= 100; the two counts are disjoint). `relative` is max/median, 0 when the median is 0.
 */
export function massiveActivations(h: FloatArray, T: number, d: number, topK: number): MassiveSummary {
  const layer = h.subarray(0, T * d);
  return (layer instanceof Float32Array ? massiveRadix(layer, d, topK, MASSIVE_RELATIVE, MASSIVE_ABSOLUTE) : null) ?? massiveScan(layer, d, topK);
}

/** The same summary by plain passes (any float array; NaN/Inf; the reference `massiveRadix` must equal). */
export function massiveScan(layer: FloatArray, d: number, topK: number): MassiveSummary {
  const n = layer.length;
  const med = n > 0 ? medianAbs(layer) : 0;
  const cut = MASSIVE_RELATIVE * med;
  let maxAbs = 0;
  let absoluteCount = 0;
  let relativeCount = 0;
  for (let i = 0; i < n; i++) {
    const a = Math.abs(layer[i] as number);
    if (a > maxAbs) maxAbs = a;
    if (a > cut) {
      if (a > MASSIVE_ABSOLUTE) absoluteCount++;
      else relativeCount++;
    }
  }
  const top = topAbs(layer, Math.min(topK, n)).map((i) => ({ token: Math.floor(i / d), dim: i % d, value: layer[i] as number }));
  return { top, maxAbs, medianAbs: med, relative: med > 0 ? maxAbs / med : 0, absoluteCount, relativeCount };
}

/** Flat indices of the k largest |x|, largest first (a size-k min-heap: O(n log k)). */
export function topAbs(x: FloatArray, k: number): number[] {
  if (k <= 0) return [];
  const heap: number[] = []; // flat indices; heap[0] has the smallest |x| kept
  const less = (a: number, b: number): boolean => {
    const da = Math.abs(x[a] as number);
    const db = Math.abs(x[b] as number);
    return da < db || (da === db && a > b); // on ties the later index is "smaller" so the earlier one is kept
  };
  const siftDown = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && less(heap[l] as number, heap[m] as number)) m = l;
      if (r < heap.length && less(heap[r] as number, heap[m] as number)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m] as number, heap[i] as number];
      i = m;
    }
  };
  let floor = -1; // |x| of the smallest kept once the heap is full: most scalars fail this one comparison
  for (let i = 0; i < x.length; i++) {
    if (heap.length < k) {
      heap.push(i);
      for (let c = heap.length - 1; c > 0; ) {
        const p = (c - 1) >> 1;
        if (!less(heap[c] as number, heap[p] as number)) break;
        [heap[c], heap[p]] = [heap[p] as number, heap[c] as number];
        c = p;
      }
    } else if (Math.abs(x[i] as number) > floor) {
      // Strictly larger than the smallest kept (an equal later index loses the tie): replace it.
      heap[0] = i;
      siftDown(0);
      floor = Math.abs(x[heap[0] as number] as number);
    }
    if (heap.length === k && floor < 0) floor = Math.abs(x[heap[0] as number] as number);
  }
  return heap.sort((a, b) => (less(a, b) ? 1 : less(b, a) ? -1 : 0));
}

/** Whether a scalar of a layer with median |h| = med passes a massive test, and which one. */
export function massiveTest(value: number, med: number): 'absolute' | 'relative' | null {
  const a = Math.abs(value);
  if (!(a > MASSIVE_RELATIVE * med)) return null;
  return a > MASSIVE_ABSOLUTE ? 'absolute' : 'relative';
}

/**
 * Dimensions that appear among the top scalars of at least `minLayers` layers, counting only the
 * scalars that pass a massive test (relative: > 1000 x the layer's median |h|; absolute: also > 100).
 * `test` is 'absolute' when any counted scalar of the dim passes the absolute test. Ranked by
 * magnitude (largest |value| first), then by number of layers, then dim.
 */
export function recurringDims(
  perLayer: readonly { top: readonly MassiveActivation[]; medianAbs: number }[],
  minLayers = 2,
): { dim: number; layers: number[]; maxAbs: number; test: 'absolute' | 'relative' }[] {
  const byDim = new Map<number, { layers: number[]; maxAbs: number; absolute: boolean }>();
  perLayer.forEach(({ top, medianAbs }, layer) => {
    for (const m of top) {
      const test = massiveTest(m.value, medianAbs);
      if (!test) continue;
      const e = byDim.get(m.dim) ?? { layers: [], maxAbs: 0, absolute: false };
      if (e.layers[e.layers.length - 1] !== layer) e.layers.push(layer);
      e.maxAbs = Math.max(e.maxAbs, Math.abs(m.value));
      e.absolute ||= test === 'absolute';
      byDim.set(m.dim, e);
    }
  });
  return [...byDim.entries()]
    .filter(([, e]) => e.layers.length >= minLayers)
    .map(([dim, e]) => ({ dim, layers: e.layers, maxAbs: e.maxAbs, test: e.absolute ? ('absolute' as const) : ('relative' as const) }))
    .sort((a, b) => b.maxAbs - a.maxAbs || b.layers.length - a.layers.length || a.dim - b.dim);
}
