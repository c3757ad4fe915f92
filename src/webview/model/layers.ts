/**
 * Layer-range selections and per-token values. Layers are hidden-state indices h[0..L]; attention
 * statistics (sink mass, sink scores) exist on layers 1..L only (block b is reported on layer b+1).
 */
import type { LayerMetrics, RunMetrics } from '../../shared/result';

/** Inclusive [start, end] over layer indices. */
export type LayerRange = [number, number];

/** Layers that carry attention statistics (1..L in a complete result). */
export function attentionLayers(run: RunMetrics): number[] {
  return run.layers.filter((l) => l.tokenSinkMass !== null).map((l) => l.layer);
}

/** The whole attention range; null when the run has no attention statistics at all. */
export function fullRange(run: RunMetrics): LayerRange | null {
  const ls = attentionLayers(run);
  return ls.length ? [ls[0] as number, ls[ls.length - 1] as number] : null;
}

/** Puts a (possibly stale, persisted) range inside the run's attention layers, ordered; null if none. */
export function clampRange(range: LayerRange | null | undefined, run: RunMetrics): LayerRange | null {
  const full = fullRange(run);
  if (!full) return null;
  if (!range) return full;
  const c = (v: number): number => Math.min(full[1], Math.max(full[0], Math.round(v)));
  const a = c(range[0]);
  const b = c(range[1]);
  return a <= b ? [a, b] : [b, a];
}

/** The run's depth: its last hidden-state index L (h[0] … h[L]). */
export function runDepth(run: RunMetrics): number {
  return run.layers.reduce((m, l) => Math.max(m, l.layer), 0);
}

/**
 * The range to show for a new result: the chosen range while the model's depth stays the same
 * (clamped), the full range when the depth changed (a range chosen on a 5-layer model would leave
 * the 6-layer model's last layer out) or nothing was chosen yet.
 */
export function rangeForRun(range: LayerRange | null, rangeDepth: number | null, run: RunMetrics): { range: LayerRange | null; depth: number } {
  const depth = runDepth(run);
  // A range saved before the depth was recorded (null) is kept, clamped, and from now on tied to this depth.
  return { range: rangeDepth === null || rangeDepth === depth ? clampRange(range, run) : fullRange(run), depth };
}

/**
 * Per-token sink mass averaged over the layers in `range` that have it (length T).
 * Returns zeros when no layer in the range has attention statistics.
 */
export function meanTokenSinkMass(layers: readonly LayerMetrics[], range: LayerRange, tokens: number): number[] {
  const sum = new Array<number>(tokens).fill(0);
  let n = 0;
  for (const l of layers) {
    if (l.layer < range[0] || l.layer > range[1] || !l.tokenSinkMass) continue;
    n++;
    for (let t = 0; t < tokens; t++) sum[t] = (sum[t] as number) + (l.tokenSinkMass[t] ?? 0);
  }
  return n === 0 ? sum : sum.map((v) => v / n);
}

export interface TokenLayerValue {
  layer: number;
  norm: number;
  sinkMass: number | null;
}

/** One token's per-layer values, for the strip's hover card. */
export function tokenLayerValues(layers: readonly LayerMetrics[], token: number): TokenLayerValue[] {
  return layers.map((l) => ({ layer: l.layer, norm: l.norms[token] ?? NaN, sinkMass: l.tokenSinkMass ? (l.tokenSinkMass[token] ?? null) : null }));
}

/** Sorted unique token indices between an anchor and a focus (shift-selection), inclusive. */
export function spanSelection(anchor: number, focus: number): number[] {
  const [a, b] = anchor <= focus ? [anchor, focus] : [focus, anchor];
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}

/**
 * Char ranges of the selected tokens in the analysed text, adjacent ranges merged; tokens that are
 * not in the text (BOS: start === end) are skipped.
 */
export function selectionRanges(tokens: readonly { start: number; end: number }[], selected: readonly number[]): { start: number; end: number }[] {
  const spans = [...new Set(selected)]
    .sort((x, y) => x - y)
    .map((i) => tokens[i])
    .filter((t): t is { start: number; end: number } => t !== undefined && t.end > t.start)
    .map((t) => ({ start: t.start, end: t.end }));
  const out: { start: number; end: number }[] = [];
  for (const s of spans) {
    const last = out[out.length - 1];
    if (last && s.start <= last.end) last.end = Math.max(last.end, s.end);
    else out.push(s);
  }
  return out;
}
