/** Logit-lens summaries and next-token top-k (metrics.md "Logit lens"). */
import type { LogitLensLayer, TopToken } from '../../shared/result';
import type { FloatArray } from './types';

/** The runner's lens output (ForwardResult.lens): top-k ids [n, T, k] per requested layer and mean CE [n]. */
export interface LensInput {
  layers: readonly number[];
  topK: number;
  ids: Int32Array;
  crossEntropy: FloatArray;
}

/** Per-layer LogitLensLayer for the layers the lens covers, keyed by h index. */
export function lensLayers(lens: LensInput, T: number, tokenText: (id: number) => string): Map<number, LogitLensLayer> {
  const out = new Map<number, LogitLensLayer>();
  lens.layers.forEach((layer, n) => {
    const top1: number[] = [];
    for (let t = 0; t < T; t++) top1.push(lens.ids[(n * T + t) * lens.topK] as number);
    out.set(layer, { top1, top1Text: top1.map(tokenText), crossEntropy: lens.crossEntropy[n] as number });
  });
  return out;
}

/** Numerically stable log-sum-exp in float64. */
export function logSumExp(logits: FloatArray): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if ((logits[i] as number) > max) max = logits[i] as number;
  if (!Number.isFinite(max)) return max;
  let s = 0;
  for (let i = 0; i < logits.length; i++) s += Math.exp((logits[i] as number) - max);
  return max + Math.log(s);
}

/** The k highest logits with their softmax probabilities (over the whole vocabulary), best first; ties by lower id. */
export function topTokens(logits: FloatArray, k: number, tokenText: (id: number) => string): TopToken[] {
  if (k <= 0) return [];
  const lse = logSumExp(logits);
  const order = k * 8 < logits.length ? partialTop(logits, k) : fullSortTop(logits, k);
  return order.map((id) => ({ id, text: tokenText(id), logit: logits[id] as number, prob: Math.exp((logits[id] as number) - lse) }));
}

function fullSortTop(x: FloatArray, k: number): number[] {
  const ids = Array.from({ length: x.length }, (_, i) => i);
  return ids.sort((a, b) => (x[b] as number) - (x[a] as number) || a - b).slice(0, k);
}

/** Top-k indices by value with a small sorted buffer: O(n k) worst case, O(n) typical for small k. */
function partialTop(x: FloatArray, k: number): number[] {
  const best: number[] = [];
  for (let i = 0; i < x.length; i++) {
    const v = x[i] as number;
    if (best.length === k && v <= (x[best[k - 1] as number] as number)) continue;
    let p = best.length;
    while (p > 0 && (x[best[p - 1] as number] as number) < v) p--;
    best.splice(p, 0, i);
    if (best.length > k) best.pop();
  }
  return best;
}
